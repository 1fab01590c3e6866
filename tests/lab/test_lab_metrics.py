"""The fault lab's /metrics: its real traffic in the Go client's names, read by prometheus_client and by apiprobe.

Real labs on loopback, real requests; no wall-clock upper bounds (waits for a
state poll the page, with a generous cap against hanging).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

import apiprobe as ap
from apiprobe.lab import FaultLab
from apiprobe.lab._metrics import CONTENT_TYPE, DEF_BUCKETS, _number

PROCESS_FAMILIES = {"process_cpu_seconds", "process_open_fds", "process_resident_memory_bytes"}
SQLSTATS = (
    "go_sql_stats_connections_max_open",
    "go_sql_stats_connections_open",
    "go_sql_stats_connections_in_use",
    "go_sql_stats_connections_idle",
    "go_sql_stats_connections_waited_for",
    "go_sql_stats_connections_blocked_seconds",
    "go_sql_stats_connections_closed_max_idle",
    "go_sql_stats_connections_closed_max_lifetime",
    "go_sql_stats_connections_closed_max_idle_time",
)


@pytest.fixture(scope="module")
def lab() -> Iterator[FaultLab]:
    with FaultLab(seed=3, tls=False, dns=False) as running:
        yield running


def _families(text: str) -> dict[str, list[Sample]]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def _scrape(lab: FaultLab) -> dict[str, list[Sample]]:
    page = httpx.get(lab.url("metrics"))
    assert page.status_code == 200
    return _families(page.text)


def _counts(fams: dict[str, list[Sample]]) -> dict[tuple[str, str, str], float]:
    return {(s.labels["handler"], s.labels["code"], s.labels["method"]): s.value for s in fams["http_requests"]}


def _poll(lab: FaultLab, ready: object, what: str) -> dict[str, list[Sample]]:
    """Scrape until ``ready(families)`` holds (a cap of 30 s against hanging, not a timing assertion)."""
    for _ in range(3000):
        fams = _scrape(lab)
        if ready(fams):  # type: ignore[operator]
            return fams
        time.sleep(0.01)
    raise AssertionError(f"the lab's /metrics never showed {what}")


def _check_histogram(fams: dict[str, list[Sample]]) -> None:
    """Each series: the default buckets, cumulative, +Inf equal to _count, _count equal to the counter."""
    counts = _counts(fams)
    hist = fams["http_request_duration_seconds"]
    keys = {(s.labels["handler"], s.labels["code"], s.labels["method"]) for s in hist}
    assert keys == set(counts)
    for key in keys:
        mine = [s for s in hist if (s.labels["handler"], s.labels["code"], s.labels["method"]) == key]
        buckets = [s for s in mine if s.name.endswith("_bucket")]
        assert [s.labels["le"] for s in buckets] == [*(f"{b:g}" for b in DEF_BUCKETS), "+Inf"]
        values = [s.value for s in buckets]
        assert values == sorted(values)  # cumulative, never decreasing
        count = next(s.value for s in mine if s.name.endswith("_count"))
        assert values[-1] == count == counts[key]
        assert next(s.value for s in mine if s.name.endswith("_sum")) >= 0


def test_counts_and_histogram_follow_the_traffic() -> None:
    with FaultLab(seed=5, tls=False, dns=False) as lab, httpx.Client() as client:
        for _ in range(7):
            assert client.get(lab.url("ok")).status_code == 200
        for _ in range(3):
            assert client.get(lab.url("status", code=503)).status_code == 503
        assert client.get(lab.url("status", code=404)).status_code == 404
        assert client.post(lab.url("ok"), content=b"{}").status_code == 200
        assert client.get(lab.url("delay", ms=120)).status_code == 200
        assert client.get(lab.url("ok").replace("/ok", "/nowhere")).status_code == 404
        for _ in range(2):  # scrapes are not counted
            page = client.get(lab.url("metrics"))
        assert page.headers["content-type"] == CONTENT_TYPE
        fams = _families(page.text)
    assert _counts(fams) == {
        ("/ok", "200", "get"): 7,
        ("/ok", "200", "post"): 1,
        ("/status/{code}", "503", "get"): 3,
        ("/status/{code}", "404", "get"): 1,
        ("/delay", "200", "get"): 1,
        ("/", "404", "get"): 1,  # unmatched paths fall to the "/" pattern, as in a Go ServeMux
    }
    _check_histogram(fams)
    delay = {
        s.labels["le"]: s.value
        for s in fams["http_request_duration_seconds"]
        if s.name.endswith("_bucket") and s.labels["handler"] == "/delay"
    }
    assert delay["0.1"] == 0 and delay["0.25"] == 1  # the 120 ms wait lands in (0.1, 0.25]
    delay_sum = next(
        s.value
        for s in fams["http_request_duration_seconds"]
        if s.name.endswith("_sum") and s.labels["handler"] == "/delay"
    )
    assert delay_sum >= 0.12
    assert fams["http_requests_in_flight"][0].value == 0
    assert fams["go_goroutines"][0].value >= 1  # the scraping connection at least
    assert set(fams) >= PROCESS_FAMILIES
    assert next(iter(fams["process_resident_memory_bytes"])).value > 0


def test_the_page_is_in_the_go_clients_shape(lab: FaultLab) -> None:
    httpx.get(lab.url("ok"))
    page = httpx.get(lab.url("metrics"))
    assert page.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    types = dict(line.split()[2:4] for line in page.text.splitlines() if line.startswith("# TYPE"))
    assert types["http_requests_total"] == "counter"
    assert types["http_request_duration_seconds"] == "histogram"
    assert types["http_requests_in_flight"] == "gauge"
    assert types["go_goroutines"] == "gauge"
    assert types["process_cpu_seconds_total"] == "counter"
    assert list(types) == sorted(types)  # families in name order, as the Go registry gathers them
    assert 'http_requests_total{code="200",handler="/ok",method="get"}' in page.text
    assert not any(name.startswith("go_sql_stats") for name in types)  # the lab's HTTP server holds no pool
    # a HEAD scrape gets the head only
    head = httpx.head(lab.url("metrics"))
    assert head.status_code == 200 and head.content == b""


def test_go_number_format() -> None:
    # strconv.FormatFloat(v, 'g', -1, 64): what a Go page shows
    assert [_number(v) for v in (0, 7, 4265, 123456, 2905512, 1e6, 0.1234, 1e-05, 0.0001, 1.5e-7)] == [
        "0",
        "7",
        "4265",
        "123456",
        "2.905512e+06",
        "1e+06",
        "0.1234",
        "1e-05",
        "0.0001",
        "1.5e-07",
    ]
    assert _number(float("inf")) == "+Inf"


def test_aborted_requests_leave_flight_uncounted_and_refusals_count() -> None:
    with FaultLab(seed=1, tls=False, dns=False) as lab, httpx.Client() as client:
        for name in ("close", "garbage"):
            with pytest.raises(httpx.TransportError):
                client.get(lab.url(name))
        with pytest.raises(httpx.TransportError):
            client.get(lab.url("reset"))
        assert client.get(lab.url("status", code="abc")).status_code == 400
        assert client.request("BREW", lab.url("ok")).status_code == 200
        fams = _poll(lab, lambda f: f["http_requests_in_flight"][0].value == 0, "no request in flight")
    # panic(http.ErrAbortHandler) in Go: not counted, and no longer in flight
    assert _counts(fams) == {
        ("/status/{code}", "400", "get"): 1,  # the handler answered 400
        ("/ok", "200", "unknown"): 1,  # a method outside promhttp's list
    }
    _check_histogram(fams)


def test_in_flight_and_a_client_that_leaves() -> None:
    with FaultLab(seed=2, tls=False, dns=False) as lab:
        host, port = lab.address("delay")
        sock = socket.create_connection((host, port))
        try:
            sock.sendall(f"GET /delay?ms=600000 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            fams = _poll(lab, lambda f: f["http_requests_in_flight"][0].value == 1, "the delayed request in flight")
            assert ("/delay", "200", "get") not in _counts(fams)
            assert fams["go_goroutines"][0].value >= 3  # two connections and the waiting route's task
            time.sleep(0.05)
        finally:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # RST: the client gave up
        fams = _poll(lab, lambda f: f["http_requests_in_flight"][0].value == 0, "the request ended")
    # a Go handler returns when its context is canceled; promhttp counts it as 200 (no status written)
    assert _counts(fams) == {("/delay", "200", "get"): 1}
    total = next(s.value for s in fams["http_request_duration_seconds"] if s.name.endswith("_sum"))
    assert total >= 0.05


def test_two_labs_keep_their_own_counts() -> None:
    with FaultLab(seed=0, tls=False, dns=False) as one, FaultLab(seed=0, tls=False, dns=False) as two:
        for _ in range(3):
            httpx.get(one.url("ok"))
        httpx.get(two.url("ok"))
        assert _counts(_scrape(one)) == {("/ok", "200", "get"): 3}
        two_fams = _scrape(two)
        assert _counts(two_fams) == {("/ok", "200", "get"): 1}
        assert set(two_fams) >= PROCESS_FAMILIES


def test_apiprobe_reads_the_page_and_computes_the_quantile(lab: FaultLab) -> None:
    async def burst() -> None:
        async with httpx.AsyncClient() as client:
            await asyncio.gather(*(client.get(lab.url("delay", ms=30)) for _ in range(20)))

    asyncio.run(burst())
    text = httpx.get(lab.url("metrics")).text
    df = ap.parse_metrics_text(text, ts=pd.Timestamp.now(tz="UTC"))
    assert df.attrs["parse_errors"] == 0
    assert df.attrs["types"]["http_request_duration_seconds"] == "histogram"
    buckets = df[(df["metric"] == "http_request_duration_seconds_bucket") & (df["handler"] == "/delay")]
    p50 = ap.histogram_quantile(0.5, buckets)["value"].iloc[0]
    assert p50 >= 0.025  # 30 ms requests: the quantile lies in the (0.025, 0.05] bucket or above


def test_pool_upstream_exposes_its_slots_as_a_sql_pool(lab: FaultLab) -> None:
    base = lab.url("pool").split("?")[0]
    before = _families(httpx.get(base + "metrics").text)
    assert before["go_sql_stats_connections_max_open"][0].labels == {"db_name": "lab"}

    async def crowd() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            answers = await asyncio.gather(*(client.get(lab.url("pool", ms=300)) for _ in range(6)))
        assert all(r.status_code == 200 for r in answers)

    asyncio.run(crowd())
    page = httpx.get(base + "metrics")
    assert page.headers["content-type"] == CONTENT_TYPE
    fams = _families(page.text)
    value = {name: fams[name][0].value for name in SQLSTATS}
    assert value["go_sql_stats_connections_max_open"] == 2
    assert value["go_sql_stats_connections_in_use"] == 0  # all done
    assert value["go_sql_stats_connections_open"] == 2  # six requests at once held both slots
    assert value["go_sql_stats_connections_idle"] == 2
    # 6 requests at once, 2 slots: the late ones queue (how many depends on arrival)
    assert value["go_sql_stats_connections_waited_for"] - before["go_sql_stats_connections_waited_for"][0].value >= 1
    assert value["go_sql_stats_connections_blocked_seconds"] > 0
    assert value["go_sql_stats_connections_closed_max_idle"] == 0  # the lab's pool never closes a slot
    served = _counts(fams)[("/", "200", "get")] - _counts(before).get(("/", "200", "get"), 0)
    assert served == 6
    _check_histogram(fams)
    assert fams["http_requests_in_flight"][0].value == 0
    assert set(fams) >= PROCESS_FAMILIES
