"""The fault lab's /metrics: its real traffic in the Go client's names, read by prometheus_client and by apiprobe."""

from __future__ import annotations

import asyncio

import httpx
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

import apiprobe as ap
from apiprobe.lab import FaultLab
from apiprobe.lab._metrics import DEF_BUCKETS


@pytest.fixture(scope="module")
def lab():  # type: ignore[no-untyped-def]
    with FaultLab(seed=3) as running:
        yield running


def _families(text: str) -> dict[str, list]:  # type: ignore[type-arg]
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def test_counts_and_histogram_follow_the_traffic() -> None:
    with FaultLab(seed=5) as lab, httpx.Client() as client:
        for _ in range(7):
            assert client.get(lab.url("ok")).status_code == 200
        for _ in range(3):
            assert client.get(lab.url("ok").replace("/ok", "/status/503")).status_code == 503
        client.get(lab.url("ok").replace("/ok", "/status/404"))
        assert client.get(lab.url("delay", ms=120)).status_code == 200
        client.get(lab.url("ok").replace("/ok", "/nowhere"))
        page = client.get(lab.url("metrics"))
        assert page.headers["content-type"].startswith("text/plain; version=0.0.4")
        fams = _families(page.text)
    counts = {(s.labels["handler"], s.labels["code"]): s.value for s in fams["http_requests"]}
    assert counts == {
        ("/ok", "200"): 7,
        ("/status/{code}", "503"): 3,
        ("/status/{code}", "404"): 1,
        ("/delay", "200"): 1,
        ("other", "404"): 1,
    }  # /metrics itself is not counted
    hist = fams["http_request_duration_seconds"]
    delay = {s.labels["le"]: s.value for s in hist if s.name.endswith("_bucket") and s.labels["handler"] == "/delay"}
    assert delay["0.1"] == 0 and delay["0.25"] == 1 and delay["+Inf"] == 1  # 120 ms lands in (0.1, 0.25]
    assert [float(le) for le in delay if le != "+Inf"] == list(DEF_BUCKETS)
    for s in hist:
        if s.name.endswith("_count"):
            assert s.value == counts[(s.labels["handler"], s.labels["code"])]
    ok = [s.value for s in hist if s.name.endswith("_bucket") and s.labels["handler"] == "/ok"]
    assert ok == sorted(ok) and ok[-1] == 7  # cumulative
    assert fams["go_goroutines"][0].value >= 1  # the scraping connection at least


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
    assert 0.025 <= p50 <= 0.1  # 30 ms requests: the quantile lies in the (0.025, 0.05] bucket or the next


def test_pool_upstream_exposes_its_semaphore_as_a_sql_pool(lab: FaultLab) -> None:
    async def crowd() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            await asyncio.gather(*(client.get(lab.url("pool", ms=300)) for _ in range(6)))

    asyncio.run(crowd())
    base = lab.url("pool").split("?")[0].rstrip("/")
    fams = _families(httpx.get(base + "/metrics").text)
    assert fams["go_sql_stats_connections_max_open"][0].value == 2
    assert fams["go_sql_stats_connections_in_use"][0].value == 0  # all done
    waited = fams["go_sql_stats_connections_waited_for"][0].value
    assert waited >= 1  # 6 requests at once, 2 slots: the late ones queue (how many depends on arrival)
    assert fams["go_sql_stats_connections_blocked_seconds"][0].value > 0
