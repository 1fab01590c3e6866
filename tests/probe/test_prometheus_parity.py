"""A real Prometheus (Debian's 2.42) backfilled with the demo incident: apiprobe's answers equal PromQL's.

The demo incident's OpenMetrics text (six hours of three Go services, the
orders service restarting mid-incident) is written relative to now and
backfilled with ``promtool tsdb create-blocks-from openmetrics``; Prometheus
then serves it. The same text is read by ``read_metrics_text``, so every
comparison is between Prometheus evaluating PromQL and apiprobe computing the
same thing from the file, at the same evaluation steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from promserver import PrometheusServer, backfill, prometheus_or_skip

import apiprobe as ap
from apiprobe.analyze import sum_by
from apiprobe.demo import demo_metrics_text
from apiprobe.errors import InvalidParameterError, PrometheusError

STEP = "30s"


class Incident:
    def __init__(self, url: str, text: str, end: pd.Timestamp) -> None:
        self.url = url
        self.samples = ap.parse_metrics_text(text)
        self.end = end
        self.start = end - pd.Timedelta(hours=6)
        # evaluate from 1 h in (every window has data) to the end, on the samples' own 30 s grid
        self.t0 = self.start + pd.Timedelta(hours=1)

    def query(self, promql: str, **kw: object) -> pd.DataFrame:
        return ap.read_prometheus(self.url, promql, start=self.t0, end=self.end, step=STEP, **kw)

    def pick(self, name: str, **labels: str) -> pd.DataFrame:
        df = self.samples[self.samples["metric"] == name]
        for k, v in labels.items():
            df = df[df[k] == v]
        return df


@pytest.fixture(scope="module")
def incident(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Incident]:
    prometheus_or_skip()
    tmp = tmp_path_factory.mktemp("prometheus")
    end = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=10)).floor("30s")
    text = demo_metrics_text(end=end)
    backfill(text, tmp / "tsdb")
    with PrometheusServer(tmp / "tsdb", workdir=tmp) as server:
        yield Incident(server.url, text, end)


def _keyed(df: pd.DataFrame, labels: list[str]) -> pd.Series:
    return df.set_index(["ts", *labels])["value"].sort_index()


def test_range_query_equals_raw_api_json(incident: Incident) -> None:
    promql = 'http_requests_total{job="orders"}'
    got = incident.query(promql)
    raw = httpx.get(
        incident.url + "/api/v1/query_range",
        params={
            "query": promql,
            "start": incident.t0.timestamp(),
            "end": incident.end.timestamp(),
            "step": 30,
        },
    ).json()
    assert raw["status"] == "success"
    points = [
        (pd.Timestamp(t, unit="s", tz="UTC"), s["metric"]["code"], float(v))
        for s in raw["data"]["result"]
        for t, v in s["values"]
    ]
    expected = pd.DataFrame(points, columns=["ts", "code", "value"])
    assert len(got) == len(expected) > 1000
    assert set(got.columns) >= {"ts", "metric", "value", "code", "job", "instance", "handler", "method"}
    assert _keyed(got, ["code"]).equals(_keyed(expected, ["code"]))
    # and the values are the generated ones, sample for sample (the grid falls on the samples)
    mine = incident.pick("http_requests_total", job="orders")
    mine = mine[mine["ts"] >= incident.t0]
    assert _keyed(got, ["code"]).equals(_keyed(mine, ["code"]))


def test_rate_equals_promql_across_a_counter_reset(incident: Incident) -> None:
    got = incident.query("rate(http_requests_total[5m])")
    mine = ap.metric_rate(
        incident.pick("http_requests_total"), "5m", start=incident.t0, end=incident.end, step=STEP
    ).drop(columns="metric")
    labels = ["code", "job", "handler"]
    a, b = _keyed(got, labels), _keyed(mine, labels)
    assert a.index.equals(b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=0)
    # the orders restart is inside the data: the reset is handled the same way
    orders = a.xs("orders", level="job")
    assert (orders >= 0).all()


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_histogram_quantile_equals_promql(incident: Incident, q: float) -> None:
    inner = "sum by (job, le) (rate(http_request_duration_seconds_bucket[5m]))"
    promql = incident.query(f"histogram_quantile({q}, {inner})")
    # apiprobe on Prometheus' bucket rates ...
    from_rates = ap.histogram_quantile(q, incident.query(inner))
    # ... and on the raw counters from the file, every step computed here
    raw = incident.pick("http_request_duration_seconds_bucket")
    local = ap.histogram_quantile(
        q, sum_by(ap.metric_rate(raw, "5m", start=incident.t0, end=incident.end, step=STEP), ["job", "le"])
    )
    a = _keyed(promql, ["job"])
    for other in (from_rates, local):
        b = _keyed(other, ["job"])
        assert a.index.equals(b.index)
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, equal_nan=True)
    p99 = a.xs("payments", level="job")
    assert p99.max() > 10 * p99.median()  # the incident is in there


def test_burn_rate_alerts_equal_promql(incident: Incident) -> None:
    errors = 'http_requests_total{job="gateway",code=~"5.."}'
    total = 'http_requests_total{job="gateway"}'
    windows = ("5m", "30m", "1h", "6h")
    burns = []
    for w in windows:
        frame = incident.query(f"sum(rate({errors}[{w}])) / sum(rate({total}[{w}]))")
        burns.append(frame.assign(window=w, window_s=0.0, burn_rate=frame["value"] / 0.001))
    alerts = [a for a in ap.SLO_ALERTS if a.long != "3d"]
    theirs = ap.slo_alerts(pd.concat(burns, ignore_index=True), objective=0.999, alerts=alerts, subject="gateway")
    req = incident.pick("http_requests_total", job="gateway")
    mine_burn = ap.slo_burn_rate(
        req[req["code"].str.startswith("5")],
        req,
        objective=0.999,
        windows=windows,
        start=incident.t0,
        end=incident.end,
        step=STEP,
    )
    mine = ap.slo_alerts(mine_burn, objective=0.999, alerts=alerts, subject="gateway")
    assert len(theirs) == len(mine) >= 2  # both pages fire
    assert theirs["ts_start"].tolist() == mine["ts_start"].tolist()
    assert theirs["ts_end"].tolist() == mine["ts_end"].tolist()
    np.testing.assert_allclose(theirs["value"], mine["value"], rtol=1e-9)
    # the fast page fires inside the incident's first quarter hour (errors start two hours before the end)
    start = incident.end - pd.Timedelta(hours=2)
    fast = mine[mine["evidence"].str.startswith("page-fast")]
    assert start < fast["ts_start"].iloc[0] < start + pd.Timedelta(minutes=15)


def test_long_ranges_are_split_under_the_point_limit(incident: Incident) -> None:
    promql = 'go_goroutines{job="payments"}'
    start, end = incident.end - pd.Timedelta(hours=4), incident.end
    refused = httpx.get(
        incident.url + "/api/v1/query_range",
        params={"query": promql, "start": start.timestamp(), "end": end.timestamp(), "step": 1},
    )
    assert refused.status_code == 400 and "11,000" in refused.json()["error"]
    got = ap.read_prometheus(incident.url, promql, start=start, end=end, step=1)
    assert len(got) == 4 * 3600 + 1
    assert got["ts"].is_monotonic_increasing and not got["ts"].duplicated().any()
    coarse = ap.read_prometheus(incident.url, promql, start=start, end=end, step=30)
    assert coarse.set_index("ts")["value"].equals(got.set_index("ts")["value"].reindex(coarse["ts"]))


def test_errors_name_the_query_and_keep_prometheus_wording(incident: Incident, tmp_path: Path) -> None:
    with pytest.raises(PrometheusError) as info:
        incident.query("rate(http_requests_total[5m]")
    assert info.value.error_type == "bad_data" and "parse error" in info.value.error
    assert "rate(http_requests_total[5m]" in str(info.value)
    with pytest.raises(InvalidParameterError, match="both start and end"):
        ap.read_prometheus(incident.url, "up", start=incident.t0)
    instant = ap.read_prometheus(incident.url, 'go_goroutines{job="orders"}', time=incident.end)
    assert len(instant) == 1 and not math.isnan(instant["value"].iloc[0])
    # a token travels in the header and appears in no message
    with pytest.raises(PrometheusError) as info:
        ap.read_prometheus(incident.url, "sum(", headers={"Authorization": "Bearer s3cr3t-token"})
    assert "s3cr3t" not in str(info.value)


def test_notebook_pushes_the_promql_to_prometheus(incident: Incident, tmp_path: Path) -> None:
    import apiprobe.notebook as nb

    ev = nb.get_metrics(
        prometheus_url=incident.url,
        service="gateway",
        start=incident.t0.isoformat(),
        end=incident.end.isoformat(),
        step=STEP,
    )
    assert ev.samples is None and "Prometheus at" in ev.source
    local = ap.golden_signals(incident.samples, step=STEP)
    p99 = ev.signals[(ev.signals["signal"] == "p99") & (ev.signals["service"] == "gateway")].set_index("ts")["value"]
    mine = local[(local["signal"] == "p99") & (local["service"] == "gateway")].set_index("ts")["value"]
    common = p99.index.intersection(mine.index)
    assert len(common) > 500
    np.testing.assert_allclose(p99[common], mine[common], rtol=1e-9)
    found = nb.detect_metrics_faults(ev)
    assert {"slo_burn", "server_errors", "pool_exhaustion"} <= set(found["fault"])
