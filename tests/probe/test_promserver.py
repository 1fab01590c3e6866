"""The test harness itself (``tests/promserver.py``) against Debian's real ``prometheus`` 2.42.

A generated counter backfilled with promtool comes back from ``query_range``
value for value; a tiny ``/metrics`` served from this test is scraped every
second; and the PromQL/HTTP behaviours the module docstring records (closed
range selectors, the 5m lookback, NaN/Inf strings, error JSON, the 11,000
points limit) still hold. Network only to 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from promserver import PrometheusServer, backfill, prometheus_or_skip, wait_for_series

STEP = 15


class Backfilled:
    def __init__(self, url: str, ts: list[int], values: dict[str, list[float]]) -> None:
        self.url, self.ts, self.values = url, ts, values

    def get(self, path: str, **params: str | float) -> httpx.Response:
        return httpx.get(self.url + path, params=params, trust_env=False, timeout=30)


def _value(i: int, route: str) -> float:
    # a counter with an irregular increment and a fractional part, distinct per route
    return i * 1.5 + (i * i) % 7 + (0.25 if route == "/b" else 0.0) + (1000.0 if route == "/b" else 0.0)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    prometheus_or_skip()
    tmp = tmp_path_factory.mktemp("promserver")
    now = int(time.time())
    end = now - 600 - now % STEP  # the last sample 10-11 minutes ago
    ts = list(range(end - 3 * 3600, end + 1, STEP))  # the last 3 hours at 15 s: 721 samples
    values = {route: [_value(i, route) for i in range(len(ts))] for route in ("/a", "/b")}
    lines = ["# HELP demo_requests Requests served.", "# TYPE demo_requests counter"]
    for i, t in enumerate(ts):
        lines += [f'demo_requests_total{{route="{route}"}} {values[route][i]} {t}' for route in values]
    lines += ["# TYPE demo_level gauge"]
    lines += [f"demo_level {v} {ts[k]}" for k, v in enumerate(["NaN", "+Inf", "-Inf", "2.5"])]
    backfill("\n".join(lines) + "\n# EOF\n", tmp / "tsdb")
    with PrometheusServer(tmp / "tsdb", workdir=tmp) as server:
        yield Backfilled(server.url, ts, values)


def test_backfilled_counter_comes_back_value_for_value(backfilled: Backfilled) -> None:
    ts = backfilled.ts
    r = backfilled.get("/api/v1/query_range", query="demo_requests_total", start=ts[0], end=ts[-1], step=STEP)
    assert r.status_code == 200, r.text
    result = r.json()["data"]["result"]
    assert sorted(s["metric"]["route"] for s in result) == ["/a", "/b"]
    for series in result:
        assert series["metric"] == {"__name__": "demo_requests_total", "route": series["metric"]["route"]}
        got = series["values"]
        assert [t for t, _ in got] == ts
        assert [float(v) for _, v in got] == backfilled.values[series["metric"]["route"]]


def test_range_selectors_include_the_left_edge(backfilled: Backfilled) -> None:
    k = 100
    counts = {}
    for offset in (59.999, 60, 60.001):
        r = backfilled.get(
            "/api/v1/query",
            query='count_over_time(demo_requests_total{route="/a"}[60s])',
            time=backfilled.ts[k] + offset,
        )
        counts[offset] = r.json()["data"]["result"][0]["value"][1]
    assert counts == {59.999: "4", 60: "5", 60.001: "4"}
    r = backfilled.get("/api/v1/query", query='demo_requests_total{route="/a"}[60s]', time=backfilled.ts[k] + 60)
    assert [t - backfilled.ts[k] for t, _ in r.json()["data"]["result"][0]["values"]] == [0, 15, 30, 45, 60]


def test_lookback_is_five_minutes_closed(backfilled: Backfilled) -> None:
    last = backfilled.ts[-1]
    q = 'demo_requests_total{route="/a"}'
    at = {
        off: backfilled.get("/api/v1/query", query=q, time=last + off).json()["data"]["result"]
        for off in (300, 300.001)
    }
    assert float(at[300][0]["value"][1]) == backfilled.values["/a"][-1]
    assert at[300.001] == []
    r = backfilled.get("/api/v1/query_range", query=q, start=last, end=last + 600, step=30)
    values = r.json()["data"]["result"][0]["values"]
    assert [t - last for t, _ in values] == list(range(0, 301, 30))
    assert {float(v) for _, v in values} == {backfilled.values["/a"][-1]}


def test_nan_and_infinities_are_strings(backfilled: Backfilled) -> None:
    ts = backfilled.ts
    r = backfilled.get("/api/v1/query_range", query="demo_level", start=ts[0], end=ts[3], step=STEP)
    assert r.json()["data"]["result"][0]["values"] == [[ts[0], "NaN"], [ts[1], "+Inf"], [ts[2], "-Inf"], [ts[3], "2.5"]]


def test_error_json(backfilled: Backfilled) -> None:
    ts = backfilled.ts
    r = backfilled.get("/api/v1/query", query="sum(")
    assert (r.status_code, r.headers["content-type"]) == (400, "application/json")
    assert r.json() == {
        "status": "error",
        "errorType": "bad_data",
        "error": 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis',
    }
    r = backfilled.get("/api/v1/query_range", query="sum(", start=ts[0], end=ts[5], step=STEP)
    assert r.status_code == 400
    assert r.json()["error"] == "1:5: parse error: unclosed left parenthesis"  # no parameter prefix here
    r = backfilled.get("/api/v1/query", query="demo_requests_total + on() demo_requests_total", time=ts[5])
    assert (r.status_code, r.json()["errorType"]) == (422, "execution")
    assert "many-to-many matching not allowed" in r.json()["error"]


def test_query_range_refuses_more_than_11000_points(backfilled: Backfilled) -> None:
    t0 = backfilled.ts[0]
    ok = backfilled.get("/api/v1/query_range", query="demo_level", start=t0, end=t0 + 11000, step=1)
    assert ok.status_code == 200, ok.text
    refused = backfilled.get("/api/v1/query_range", query="demo_level", start=t0, end=t0 + 11001, step=1)
    assert refused.status_code == 400
    assert refused.json() == {
        "status": "error",
        "errorType": "bad_data",
        "error": "exceeded maximum resolution of 11,000 points per timeseries. "
        "Try decreasing the query resolution (?step=XX)",
    }


METRICS = b"""# HELP tiny_requests_total Requests served.
# TYPE tiny_requests_total counter
tiny_requests_total{code="200"} 42
tiny_requests_total{code="500"} 3
"""


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/custom/metrics":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(METRICS)))
        self.end_headers()
        self.wfile.write(METRICS)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def tiny_metrics() -> Iterator[str]:
    """``host:port`` of a /custom/metrics endpoint on 127.0.0.1 with fixed counters."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield "{}:{}".format(*httpd.server_address[:2])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_live_scrape_every_second(tmp_path: Path, tiny_metrics: str) -> None:
    prometheus_or_skip()
    with PrometheusServer(
        tmp_path / "tsdb",
        workdir=tmp_path,
        targets={"tiny": [tiny_metrics]},
        scrape_interval="1s",
        metrics_path="/custom/metrics",
    ) as prom:
        assert prom.url == f"http://127.0.0.1:{prom.port}"
        wait_for_series(prom.url, 'up{job="tiny"} == 1')
        found = wait_for_series(prom.url, 'tiny_requests_total{job="tiny"}')
        got = {s["metric"]["code"]: (s["metric"]["instance"], s["value"][1]) for s in found}
        assert got == {"200": (tiny_metrics, "42"), "500": (tiny_metrics, "3")}
        # scraped every second: a second sample arrives without waiting for the 15 s default
        two = wait_for_series(prom.url, 'count_over_time(tiny_requests_total{code="200"}[1m]) >= 2')
        assert two[0]["metric"] == {"code": "200", "instance": tiny_metrics, "job": "tiny"}
        targets = httpx.get(prom.url + "/api/v1/targets", trust_env=False).json()["data"]["activeTargets"]
        assert [(t["scrapeUrl"], t["scrapeInterval"]) for t in targets] == [
            (f"http://{tiny_metrics}/custom/metrics", "1s")
        ]
    assert not prom.running
    assert "Server is ready to receive web requests." in prom.log_path.read_text()


def test_wait_for_series_gives_up_with_the_last_answer(tmp_path: Path) -> None:
    prometheus_or_skip()
    with (
        PrometheusServer(tmp_path / "tsdb", workdir=tmp_path) as prom,
        pytest.raises(AssertionError, match=r"no series for 'absent_metric'.*HTTP 200.*\"result\":\[\]"),
    ):
        wait_for_series(prom.url, "absent_metric", timeout=0.5)


def test_backfill_failure_carries_promtools_error(tmp_path: Path) -> None:
    prometheus_or_skip()
    with pytest.raises(RuntimeError, match="expected timestamp for series got none"):
        backfill("# TYPE x counter\nx_total 1\n# EOF\n", tmp_path / "tsdb")
    with pytest.raises(RuntimeError, match="is not a valid start token"):
        backfill("# TYPE x counter\nx_total 1 1700000000\n\n# EOF\n", tmp_path / "tsdb")


def test_backfill_from_a_file_with_bigger_blocks(tmp_path: Path) -> None:
    prometheus_or_skip()
    # three hours inside one UTC day (yesterday 08:00-11:00): promtool cuts blocks on 24 h boundaries from
    # the epoch, so a span across midnight would make two blocks whatever the block size
    end = (int(time.time()) // 86400 - 1) * 86400 + 11 * 3600
    source = tmp_path / "in.om"
    source.write_text("".join(f"x_total {i} {end - 3 * 3600 + 60 * i}\n" for i in range(181)) + "# EOF\n")
    backfill(source, tmp_path / "tsdb", max_block_duration="24h")
    assert len([p for p in (tmp_path / "tsdb").iterdir() if (p / "meta.json").exists()]) == 1
    with PrometheusServer(tmp_path / "tsdb", workdir=tmp_path) as prom:
        r = httpx.get(
            prom.url + "/api/v1/query", params={"query": "count_over_time(x_total[4h])", "time": end}, trust_env=False
        )
        assert r.json()["data"]["result"][0]["value"][1] == "181"


class _Watched(PrometheusServer):
    started: list[subprocess.Popen[bytes] | None]

    def _wait_ready(self) -> str | None:
        type(self).started.append(self._proc)
        return super()._wait_ready()


def test_a_failed_start_raises_with_the_log_and_leaves_no_process(tmp_path: Path) -> None:
    prometheus_or_skip()
    _Watched.started = []
    with (
        pytest.raises(RuntimeError, match=r"(?s)exited with status 1.*unknown long flag '--no-such-flag'"),
        _Watched(tmp_path / "tsdb", workdir=tmp_path, extra_args=["--no-such-flag"]),
    ):
        pass
    assert len(_Watched.started) == 1  # not retried: not a lost port race
    assert all(p is not None and p.poll() is not None for p in _Watched.started)

    _Watched.started = []
    with (
        pytest.raises(RuntimeError, match=r"was not ready within 0 s"),
        _Watched(tmp_path / "tsdb", workdir=tmp_path, ready_timeout=0),
    ):
        pass
    assert all(p is not None and p.poll() is not None for p in _Watched.started)


@contextmanager
def socket_on_loopback() -> Iterator[int]:
    """A port of 127.0.0.1 held (listening) by this process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_a_taken_port_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prometheus_or_skip()
    import promserver

    with socket_on_loopback() as taken:
        ports = iter([taken])
        real = promserver._free_port
        monkeypatch.setattr(promserver, "_free_port", lambda: next(ports, None) or real())
        _Watched.started = []
        with _Watched(tmp_path / "tsdb", workdir=tmp_path) as prom:
            assert prom.port != taken
            assert httpx.get(prom.url + "/-/ready", trust_env=False).status_code == 200
    first, second = _Watched.started  # the lost race, then the retry
    assert first is not None and first.returncode == 1
    assert second is not None and second.returncode is not None  # stopped on exit
