"""Concurrency sweep against the pool-limited lab upstream."""

from __future__ import annotations

import pytest

from apiprobe.errors import InvalidParameterError
from apiprobe.lab._pool import PoolServer
from apiprobe.probe.concurrency import SWEEP_COLUMNS, find_knee, probe_concurrency


def test_sweep_finds_the_knee_at_capacity() -> None:
    with PoolServer(capacity=4, service_ms=40) as upstream:
        sweep = probe_concurrency(upstream.url, levels=(1, 2, 4, 8, 16), requests_per_level=32)
        assert upstream.max_in_flight == 4
    assert list(sweep.columns) == list(SWEEP_COLUMNS)
    assert sweep["concurrency"].tolist() == [1, 2, 4, 8, 16]
    assert (sweep["failures"] == 0).all() and (sweep["requests"] == 32).all()
    knee = sweep.attrs["knee"]
    assert knee is not None and 2 <= knee <= 8
    assert find_knee(sweep) == knee
    # below the knee latency is the service time; far above it requests queue
    assert sweep["p50_ms"].iloc[0] >= 40
    assert sweep["p50_ms"].iloc[-1] > 2.5 * sweep["p50_ms"].iloc[0]
    assert sweep["throughput_rps"].iloc[-1] < 2 * sweep["throughput_rps"].iloc[2]


def test_sweep_stops_at_max_duration_and_records_failures() -> None:
    with PoolServer(capacity=1, service_ms=300) as upstream:
        sweep = probe_concurrency(upstream.url, levels=(1, 2, 4), requests_per_level=2, max_duration=0.1, timeout=0.2)
    assert sweep.attrs["stopped_early"] and len(sweep) == 1
    assert sweep["failures"].iloc[0] == 2


def test_sweep_rejects_misuse() -> None:
    with pytest.raises(ValueError):
        probe_concurrency("http://127.0.0.1:9/", levels=(0, 1))
    with pytest.raises(InvalidParameterError, match="count"):
        probe_concurrency("http://127.0.0.1:9/", count=3)
