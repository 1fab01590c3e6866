"""The pool-limited upstream: real sockets, capacity enforced, clean lifecycle."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest

from apiprobe.errors import LabError
from apiprobe.lab._pool import PoolServer


def test_serves_at_most_capacity_at_once() -> None:
    with PoolServer(capacity=2, service_ms=150) as server:
        assert server.url.startswith("http://127.0.0.1:")
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda _: httpx.get(server.url, timeout=10), range(6)))
        elapsed = time.perf_counter() - start
        assert [r.status_code for r in answers] == [200] * 6
        assert all(r.json()["capacity"] == 2 for r in answers)
        assert server.max_in_flight == 2 and server.served == 6
        assert server.max_queued >= 1
        assert elapsed >= 0.4  # three waves of 150 ms
    assert not server.running


def test_per_request_service_time_and_keepalive() -> None:
    with PoolServer(capacity=1, service_ms=0) as server, httpx.Client() as client:
        r1 = client.get(server.url, params={"ms": 30})
        r2 = client.get(server.url)
        assert r1.json()["service_ms"] == 30 and r2.json()["service_ms"] == 0
        assert r1.headers["connection"] == "keep-alive"
        assert client.get(server.url, params={"ms": "x"}).status_code == 400


def test_lifecycle_errors() -> None:
    server = PoolServer(capacity=1)
    with pytest.raises(LabError):
        _ = server.url
    server.start()
    port = server.port
    try:
        with pytest.raises(LabError):
            PoolServer(port=port).start()
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(ValueError):
        PoolServer(capacity=0)
