"""histogram_quantile and rate against Prometheus 2.42's own test cases (promql/testdata/histograms.test).

The cases and expected values are those of Prometheus' test file at tag v2.42.0
(Apache-2.0); the series are loaded here as samples tables (``load 5m`` with
``0+Nx10``: a sample every 5 minutes rising by N). The parity against a
running Prometheus on generated data is in ``tests/probe/test_prometheus_parity.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import apiprobe as ap
from apiprobe.errors import InvalidParameterError, SchemaError

T0 = pd.Timestamp("2026-01-01", tz="UTC")


def load(
    step_min: float, series: dict[tuple[tuple[str, str], ...], float], *, name: str, points: int = 11
) -> pd.DataFrame:
    """Prometheus' ``load <step>`` with ``0+<inc>x10`` for every series."""
    rows = []
    for labels, inc in series.items():
        for i in range(points):
            rows.append(
                {"ts": T0 + pd.Timedelta(minutes=step_min * i), "metric": name, "value": inc * i, **dict(labels)}
            )
    return pd.DataFrame(rows).fillna("")


TEST_HISTOGRAM = load(
    5,
    {
        (("le", "0.1"), ("start", "positive")): 5,
        (("le", ".2"), ("start", "positive")): 7,
        (("le", "1e0"), ("start", "positive")): 11,
        (("le", "+Inf"), ("start", "positive")): 12,
        (("le", "-.2"), ("start", "negative")): 1,
        (("le", "-0.1"), ("start", "negative")): 2,
        (("le", "0.3"), ("start", "negative")): 2,
        (("le", "+Inf"), ("start", "negative")): 3,
    },
    name="testhistogram_bucket",
)
AT_50M = T0 + pd.Timedelta(minutes=50)


def at(frame: pd.DataFrame, ts: pd.Timestamp) -> pd.DataFrame:
    return frame[frame["ts"] == ts]


def quantiles(q: float, frame: pd.DataFrame) -> dict[str, float]:
    out = ap.histogram_quantile(q, frame)
    return dict(zip(out["start"], out["value"], strict=True))


@pytest.mark.parametrize(
    ("q", "positive", "negative"),
    [
        (-0.1, -math.inf, -math.inf),  # quantile too low
        (1.01, math.inf, math.inf),  # quantile too high
        (1.0, 1.0, 0.3),  # highest bucket: the largest finite bound
        (0.2, 0.048, -0.2),
        (0.5, 0.15, -0.15),
        (0.8, 0.72, 0.3),
    ],
)
def test_histogram_quantile_prometheus_cases(q: float, positive: float, negative: float) -> None:
    got = quantiles(q, at(TEST_HISTOGRAM, AT_50M))
    assert got["positive"] == pytest.approx(positive)
    assert got["negative"] == pytest.approx(negative)
    # "More realistic with rates": the same answers on rate(x[5m])
    rated = ap.metric_rate(TEST_HISTOGRAM, "5m", start=AT_50M, end=AT_50M, step="5m")
    got = quantiles(q, rated)
    assert got["positive"] == pytest.approx(positive)
    assert got["negative"] == pytest.approx(negative)


def test_histogram_quantile_lowest_bucket_and_nan() -> None:
    frame = at(TEST_HISTOGRAM, AT_50M)
    assert quantiles(0, frame[frame["start"] == "positive"]) == {"positive": 0.0}
    assert quantiles(0, frame[frame["start"] == "negative"]) == {"negative": -0.2}
    assert all(math.isnan(v) for v in quantiles(float("nan"), frame).values())


def test_histogram_quantile_middle_of_buckets() -> None:
    two = load(
        5,
        {(("le", "0"),): 0, (("le", "2"),): 1, (("le", "4"),): 2, (("le", "6"),): 3, (("le", "+Inf"),): 3},
        name="t2_bucket",
    )
    frame = at(two, T0 + pd.Timedelta(minutes=5))
    for q, want in ((1 / 6, 1.0), (0.5, 3.0), (5 / 6, 5.0)):
        assert ap.histogram_quantile(q, frame)["value"].iloc[0] == pytest.approx(want)


def test_histogram_quantile_aggregation_and_mixed_le() -> None:
    incs = {
        ("job1", "ins1"): (1, 3, 4),
        ("job1", "ins2"): (2, 5, 6),
        ("job2", "ins1"): (3, 4, 6),
        ("job2", "ins2"): (4, 7, 9),
    }
    rows = load(
        5,
        {
            (("job", job), ("instance", ins), ("le", le)): inc
            for (job, ins), per in incs.items()
            for le, inc in zip(("0.1", "0.2", "+Inf"), per, strict=True)
        },
        name="request_duration_seconds_bucket",
    )
    rated = ap.metric_rate(rows, "5m", start=AT_50M, end=AT_50M, step="5m")
    # histogram_quantile(0.3, sum(rate(request_duration_seconds_bucket[5m])) by (le)) → 0.075
    summed = ap.analyze.sum_by(rated, ["le"])
    assert ap.histogram_quantile(0.3, summed)["value"].iloc[0] == pytest.approx(0.075)
    # ... by (le, instance) at 0.5 → ins1 0.1333333333, ins2 0.125
    per = ap.histogram_quantile(0.5, ap.analyze.sum_by(rated, ["le", "instance"]))
    got = dict(zip(per["instance"], per["value"], strict=True))
    assert got == pytest.approx({"ins1": 0.1333333333, "ins2": 0.125})
    mixed = load(
        5,
        {
            (("instance", "ins1"), ("le", "0.1")): 1,
            (("instance", "ins1"), ("le", "0.2")): 1,
            (("instance", "ins1"), ("le", "2e-1")): 1,
            (("instance", "ins1"), ("le", "2.0e-1")): 1,
            (("instance", "ins1"), ("le", "+Inf")): 4,
            (("instance", "ins2"), ("le", "+inf")): 0,
            (("instance", "ins2"), ("le", "+Inf")): 0,
        },
        name="mixed_bucket",
    )
    rated = ap.metric_rate(mixed, "5m", start=AT_50M, end=AT_50M, step="5m")
    for q, want in ((0.5, 0.15), (0.75, 0.2), (1, 0.2)):
        out = ap.histogram_quantile(q, rated)
        got = dict(zip(out["instance"], out["value"], strict=True))
        assert got["ins1"] == pytest.approx(want)
        assert math.isnan(got["ins2"])


def test_histogram_quantile_invalid_histograms_give_nan() -> None:
    ts = [AT_50M] * 2
    no_inf = pd.DataFrame({"ts": ts, "le": ["0.1", "1"], "value": [1.0, 2.0]})
    one = pd.DataFrame({"ts": ts[:1], "le": ["+Inf"], "value": [2.0]})
    empty = pd.DataFrame({"ts": ts, "le": ["0.1", "+Inf"], "value": [0.0, 0.0]})
    for frame in (no_inf, one, empty):
        assert math.isnan(ap.histogram_quantile(0.9, frame)["value"].iloc[0])
    # non-monotonic counts are fixed up: 0.1→5, 0.5→3 (taken as 5), +Inf→10
    bumpy = pd.DataFrame({"ts": [AT_50M] * 3, "le": ["0.1", "0.5", "+Inf"], "value": [5.0, 3.0, 10.0]})
    assert ap.histogram_quantile(0.5, bumpy)["value"].iloc[0] == pytest.approx(0.1)
    with pytest.raises(SchemaError, match="le"):
        ap.histogram_quantile(0.5, bumpy.drop(columns="le"))


def test_rate_handles_resets_and_extrapolates_like_prometheus() -> None:
    # functions.test (v2.42): http_requests{path="/foo"} 0+10x10 loaded every 5m; a reset in the middle
    ts = [T0 + pd.Timedelta(minutes=5 * i) for i in range(11)]
    values = [0, 10, 20, 30, 40, 0, 10, 20, 30, 40, 50]  # a restart after 40
    frame = pd.DataFrame({"ts": ts, "metric": "http_requests", "value": np.array(values, dtype=float)})
    inc = ap.metric_rate(frame, "50m", start=ts[-1], end=ts[-1], step="5m", func="increase")
    # raw increase with the reset: 40 + 50 = 90 over 50 minutes, samples cover the whole window → no extrapolation
    assert inc["value"].iloc[0] == pytest.approx(90.0)
    rate = ap.metric_rate(frame, "50m", start=ts[-1], end=ts[-1], step="5m")
    assert rate["value"].iloc[0] == pytest.approx(90.0 / 3000)
    # one sample in the window: no result
    assert ap.metric_rate(frame, "4m", start=ts[-1], end=ts[-1], step="5m").empty
    with pytest.raises(InvalidParameterError, match="func"):
        ap.metric_rate(frame, "5m", func="irate")
