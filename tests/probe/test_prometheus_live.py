"""A real Prometheus scraping the fault lab's /metrics every second while real traffic flows.

What Prometheus stored equals what the test sent; apiprobe's histogram_quantile
and rate on the raw series equal PromQL's on the same steps; the crowded pool
upstream is found exhausted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from promserver import PrometheusServer, prometheus_or_skip, wait_for_series

import apiprobe as ap
from apiprobe.analyze import sum_by
from apiprobe.lab import FaultLab


class Live:
    def __init__(self, url: str, start: pd.Timestamp, end: pd.Timestamp, sent: dict[str, int]) -> None:
        self.url, self.start, self.end, self.sent = url, start, end, sent


async def _traffic(lab: FaultLab, seconds: float) -> dict[str, int]:
    sent = {"/ok": 0, "/delay": 0, "pool": 0}
    until = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30) as client:

        async def pool_crowd() -> None:
            while time.monotonic() < until:
                await asyncio.gather(*(client.get(lab.url("pool", ms=400)) for _ in range(6)))
                sent["pool"] += 6

        async def web() -> None:
            i = 0
            while time.monotonic() < until:
                await asyncio.gather(client.get(lab.url("ok")), client.get(lab.url("delay", ms=20 + 60 * (i % 4))))
                sent["/ok"] += 1
                sent["/delay"] += 1
                i += 1

        await asyncio.gather(pool_crowd(), web())
    return sent


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    prometheus_or_skip()
    tmp = tmp_path_factory.mktemp("prom-live")
    with FaultLab(seed=9) as lab:
        web = "{}:{}".format(*lab.address("ok"))
        pool = lab.url("pool").split("//")[1].split("/")[0].split("?")[0]
        with PrometheusServer(tmp / "tsdb", workdir=tmp, targets={"lab": [web], "pool": [pool]}) as prom:
            wait_for_series(prom.url, 'up{job="lab"} == 1')
            wait_for_series(prom.url, 'up{job="pool"} == 1')
            start = pd.Timestamp.now(tz="UTC").ceil("s")
            sent = asyncio.run(_traffic(lab, 20.0))
            time.sleep(2.5)  # two more scrapes see the final counts
            end = pd.Timestamp.now(tz="UTC").floor("s")
            yield Live(prom.url, start, end, sent)


def test_prometheus_stored_what_was_sent(live: Live) -> None:
    last = ap.read_prometheus(live.url, 'http_requests_total{job="lab"}', time=live.end)
    by_handler = last.groupby("handler")["value"].sum().to_dict()
    assert by_handler["/ok"] == live.sent["/ok"]
    assert by_handler["/delay"] == live.sent["/delay"]
    pool = ap.read_prometheus(live.url, 'http_requests_total{job="pool"}', time=live.end)
    assert pool["value"].sum() == live.sent["pool"]


def test_histogram_quantile_and_rate_equal_promql_on_live_data(live: Live) -> None:
    window, step = "10s", "1s"
    t0 = live.start + pd.Timedelta(seconds=12)
    span = {"start": t0, "end": live.end, "step": step}
    # a range selector in an instant query returns the scrapes themselves (a matrix), as stored
    scraped = ap.read_prometheus(
        live.url, 'http_request_duration_seconds_bucket{job="lab",handler="/delay"}[5m]', time=live.end
    )
    assert scraped["ts"].nunique() >= 15
    mine = ap.histogram_quantile(0.9, sum_by(ap.metric_rate(scraped, window, **span), ["le"]))
    theirs = ap.read_prometheus(
        live.url,
        "histogram_quantile(0.9, sum by (le) (rate("
        f'http_request_duration_seconds_bucket{{job="lab",handler="/delay"}}[{window}])))',
        **span,
    )
    a, b = theirs.set_index("ts")["value"], mine.set_index("ts")["value"]
    assert a.index.equals(b.index) and len(a) >= 5
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, equal_nan=True)
    assert 0.02 <= float(np.nanmedian(b)) <= 0.25  # delays of 20-200 ms


def test_the_crowded_pool_is_found(live: Live, tmp_path: Path) -> None:
    pool = ap.read_prometheus(
        live.url, '{job="pool",__name__=~"go_sql_stats_connections_(in_use|max_open)"}[5m]', time=live.end
    )
    found = ap.detect_metric_faults(pool)
    assert "pool_exhaustion" in set(found["fault"]), found
    usage = pool[pool["metric"] == "go_sql_stats_connections_in_use"]["value"]
    assert usage.max() == 2  # the semaphore of 2, full while six requests wait
