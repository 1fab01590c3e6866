"""Latency figures (plot.latency, .distribution, .phases): contents, NA handling, size caps, purity."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import apiprobe.plot as plot
from apiprobe.errors import SchemaError
from apiprobe.plot import (
    ERROR_COLORS,
    MAX_POINTS,
    PHASE_COLORS,
    PHASE_LABELS,
    PHASES,
    fig_ecdf,
    fig_error_timeline,
    fig_histogram,
    fig_jitter_loss,
    fig_phase_breakdown,
    fig_smoke,
    fig_waterfall,
)
from apiprobe.schema import ERROR_KINDS, conform

START = pd.Timestamp("2024-05-01 08:00", tz="UTC")
HTTPS = "https://api.example.com/health"
PLAIN = "http://10.0.0.7:8080/ping"
SLOW = "https://slow.example.net/v1"
OUTAGE = (pd.Timedelta("2h"), pd.Timedelta("2h30min"))


def _probes(n_per_target: int = 600, hours: float = 6.0, seed: int = 1) -> pd.DataFrame:
    """Realistic probes: 3 targets over several hours, a connect-timeout outage, read timeouts, 503s."""
    rng = np.random.default_rng(seed)
    frames = []
    for target in (HTTPS, PLAIN, SLOW):
        n = n_per_target
        off = np.sort(rng.uniform(0, hours * 3600, n))
        ts = START + pd.to_timedelta(off, unit="s")
        tls = target.startswith("https")
        f = pd.DataFrame(
            {
                "ts": ts,
                "run_id": "r1",
                "target": target,
                "url": target,
                "method": "GET",
                "scheme": "https" if tls else "http",
                "dns_ms": np.nan if target == PLAIN else rng.gamma(2, 3, n),
                "connect_ms": rng.gamma(2, 5, n),
                "tls_ms": rng.gamma(3, 8, n) if tls else np.nan,
                "request_ms": rng.uniform(0.1, 0.5, n),
                "ttfb_ms": rng.lognormal(4, 0.5, n) * (5 if target == SLOW else 1),
                "transfer_ms": rng.gamma(2, 2, n),
                "status": 200,
                "error_kind": None,
                "error": None,
            }
        )
        r = rng.random(n)
        in_outage = (off > OUTAGE[0].total_seconds()) & (off < OUTAGE[1].total_seconds())
        timeout = in_outage & (r < 0.4)
        later = ["connect_ms", "tls_ms", "request_ms", "ttfb_ms", "transfer_ms"]
        f.loc[timeout, later] = np.nan
        f.loc[timeout, "status"] = None
        f.loc[timeout, "error_kind"] = "connect_timeout"
        f.loc[timeout, "error"] = "dial tcp 10.0.0.7:8080: i/o timeout"
        read_to = ~timeout & (r > 0.985)
        f.loc[read_to, ["ttfb_ms", "transfer_ms"]] = np.nan
        f.loc[read_to, "status"] = None
        f.loc[read_to, "error_kind"] = "read_timeout"
        f.loc[read_to, "error"] = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        f.loc[~timeout & ~read_to & (r < 0.01), "status"] = 503
        phases = f[list(PHASES)].sum(axis=1, min_count=1) + 0.3
        f["total_ms"] = np.where(f["error_kind"].isna(), phases, np.nan)
        frames.append(f)
    return conform(pd.concat(frames, ignore_index=True), "probes")


def _pings(n: int = 1500, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for target in ("db:5432", "cache:6379"):
        ok = rng.random(n) > 0.03
        frames.append(
            pd.DataFrame(
                {
                    "ts": START + pd.to_timedelta(np.arange(n) * 10, unit="s"),
                    "run_id": "p1",
                    "target": target,
                    "port": int(target.split(":")[1]),
                    "seq": np.arange(n),
                    "rtt_ms": np.where(ok, rng.gamma(2, 2, n), np.nan),
                    "ok": ok,
                    "error_kind": np.where(ok, None, "connect_timeout"),
                }
            )
        )
    return conform(pd.concat(frames, ignore_index=True), "pings")


@pytest.fixture(scope="module")
def probes() -> pd.DataFrame:
    return _probes()


@pytest.fixture(scope="module")
def pings() -> pd.DataFrame:
    return _pings()


def _all_failed() -> pd.DataFrame:
    rows = [
        {
            "ts": START + pd.Timedelta(seconds=i),
            "target": HTTPS,
            "dns_ms": 2.0,
            "error_kind": "connect_refused",
            "error": "connection refused",
        }
        for i in range(20)
    ]
    return conform(rows, "probes")


def _short_name(target: str) -> str:
    return target.removeprefix("https://").removeprefix("http://")


def _by_name(fig: go.Figure) -> dict[str, go.BaseTraceType]:
    return {t.name: t for t in fig.data}


def _annotations(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def _roundtrip(fig: go.Figure) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(fig.to_json())
    return out


def _floats(value: Any) -> np.ndarray:
    """Numbers of a JSON trace attribute: plain list (None → NaN) or plotly's base64 typed array."""
    if isinstance(value, dict):
        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return raw.astype(float)
    return np.array([np.nan if v is None else v for v in value], dtype=float)


def _json_bars(fig: go.Figure) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in _roundtrip(fig)["data"] if d["type"] == "bar"}


ALL_FIGS: dict[str, Callable[..., go.Figure]] = {
    "waterfall": fig_waterfall,
    "smoke": fig_smoke,
    "ecdf": fig_ecdf,
    "histogram": fig_histogram,
    "jitter_loss": fig_jitter_loss,
    "error_timeline": fig_error_timeline,
    "phase_breakdown": fig_phase_breakdown,
}


# --------------------------------------------------------------------------- constants and surface


def test_public_surface_is_sorted_and_consistent() -> None:
    assert plot.__all__ == sorted(plot.__all__)
    assert PHASES == ("dns_ms", "connect_ms", "tls_ms", "request_ms", "ttfb_ms", "transfer_ms")
    assert [PHASE_LABELS[p] for p in PHASES] == [
        "DNS",
        "Connect",
        "TLS",
        "Request",
        "Server (TTFB)",
        "Transfer",
    ]
    assert set(PHASE_COLORS) == set(PHASES)
    assert len(set(PHASE_COLORS.values())) == len(PHASES)
    assert set(ERROR_KINDS) | {"http_5xx"} == set(ERROR_COLORS)


# --------------------------------------------------------------------------- every figure


@pytest.mark.parametrize("name", sorted(ALL_FIGS))
def test_every_figure_serialises_and_leaves_input_alone(name: str, probes: pd.DataFrame) -> None:
    before = probes.copy(deep=True)
    fig = ALL_FIGS[name](probes)
    assert isinstance(fig, go.Figure)
    pd.testing.assert_frame_equal(probes, before)
    data = _roundtrip(fig)
    assert data["data"], name
    assert fig.layout.title.text
    assert not [a for a in _annotations(fig) if a.startswith("Nothing to draw")]


@pytest.mark.parametrize("name", sorted(ALL_FIGS))
def test_empty_input_gives_an_annotation(name: str) -> None:
    for empty in (conform(None, "probes"), pd.DataFrame()):
        fig = ALL_FIGS[name](empty)
        assert len(fig.data) == 0
        assert any(a.startswith("Nothing to draw") for a in _annotations(fig)), name
        _roundtrip(fig)


@pytest.mark.parametrize("name", ["smoke", "ecdf", "histogram", "jitter_loss", "phase_breakdown"])
def test_all_failed_input_gives_an_annotation(name: str) -> None:
    df = _all_failed()
    if name == "phase_breakdown":
        df = df.assign(dns_ms=np.nan)
    fig = ALL_FIGS[name](df)
    assert len(fig.data) == 0
    (text,) = _annotations(fig)
    assert text.startswith("Nothing to draw")
    if name != "phase_breakdown":
        assert "connect_refused" in text


@pytest.mark.parametrize("name", ["smoke", "ecdf", "histogram", "jitter_loss"])
def test_pings_table_works_with_rtt(name: str, pings: pd.DataFrame) -> None:
    before = pings.copy(deep=True)
    fig = ALL_FIGS[name](pings, value="rtt_ms")
    pd.testing.assert_frame_equal(pings, before)
    assert {"db:5432", "cache:6379"} <= {t.name.split(" ")[0] for t in fig.data if t.name} | {
        a for a in _annotations(fig)
    }
    assert "RTT" in json.dumps(_roundtrip(fig)["layout"])


def test_missing_column_raises_schema_error(probes: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="latency_ms"):
        fig_smoke(probes, value="latency_ms")
    with pytest.raises(SchemaError, match="nope"):
        fig_ecdf(probes, by="nope")


def test_bad_arguments_raise_value_error(probes: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="sort"):
        fig_waterfall(probes, sort="fastest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quantiles"):
        fig_smoke(probes, quantiles=(0.05, 0.5, 0.95))
    with pytest.raises(ValueError, match="stat"):
        fig_phase_breakdown(probes, stat="p75")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="freq"):
        fig_jitter_loss(probes, freq="-5min")


# --------------------------------------------------------------------------- waterfall


def test_waterfall_slowest_rows_and_phase_segments(probes: pd.DataFrame) -> None:
    fig = fig_waterfall(probes, n=25)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == [PHASE_LABELS[p] for p in PHASES]
    assert [b.marker.color for b in bars] == [PHASE_COLORS[p] for p in PHASES]
    rows = list(bars[0].y)
    assert len(rows) == len(set(rows)) == 25
    # the first row is the slowest request, and every row is at least as slow as any other shown
    slowest = probes["total_ms"].max()
    assert rows[0].startswith("1. ")
    first = np.array([np.nansum([b.x[0] for b in bars])])
    assert first[0] == pytest.approx(slowest - 0.3)
    # segments are laid end to end: base of each phase = sum of the earlier phases
    for i in range(len(rows)):
        acc = 0.0
        for b in bars:
            assert b.base[i] == pytest.approx(acc)
            acc += 0.0 if np.isnan(b.x[i]) else b.x[i]


def test_waterfall_failed_phases_are_not_drawn_as_zero(probes: pd.DataFrame) -> None:
    fig = fig_waterfall(probes, n=40, sort="failed")
    traces = _by_name(fig)
    failed = traces["failed"]
    assert set(failed.text) <= {"connect_timeout", "read_timeout"}
    assert len(failed.x) == 40
    bars = _json_bars(fig)
    x = {name: _floats(bar["x"]) for name, bar in bars.items()}
    assert set(failed.text) == {"connect_timeout", "read_timeout"}
    for i, kind in enumerate(failed.text):
        if kind == "connect_timeout":
            # connect never completed: no Connect segment at all (NaN, not 0) and the ✕ sits after DNS
            assert np.isnan(x["Connect"][i])
            assert np.isnan(x["Server (TTFB)"][i])
            assert failed.x[i] == pytest.approx(np.nan_to_num(x["DNS"][i]))
        else:
            assert x["Connect"][i] > 0
            assert np.isnan(x["Server (TTFB)"][i])
            assert np.isnan(x["Transfer"][i])
            assert failed.x[i] == pytest.approx(np.nansum([x[n][i] for n in x]))
    # the plain-HTTP target has no DNS or TLS segment (NaN), never a 0 ms one
    plain = [i for i, label in enumerate(bars["TLS"]["y"]) if "10.0.0.7" in label]
    assert plain
    assert np.isnan(x["TLS"][plain]).all() and np.isnan(x["DNS"][plain]).all()
    assert not (np.concatenate(list(x.values())) == 0).any()


def test_waterfall_latest_and_5xx_marker(probes: pd.DataFrame) -> None:
    fig = fig_waterfall(probes, n=10, sort="latest")
    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars[0].y) == 10
    latest = probes["ts"].max().strftime("%m-%d %H:%M:%S")
    assert latest in bars[0].y[0]
    # a table made of 5xx answers gets an HTTP 5xx marker per row
    fivexx = probes[probes["status"] == 503]
    assert len(fivexx)
    fig5 = fig_waterfall(fivexx, sort="latest")
    marker = _by_name(fig5)["HTTP 5xx"]
    assert len(marker.x) == min(30, len(fivexx))
    assert set(marker.text) == {"HTTP 503"}


def test_waterfall_caps_rows_and_handles_all_failed(probes: pd.DataFrame) -> None:
    fig = fig_waterfall(probes, n=10_000)
    assert len(fig.data[0].y) == 300
    fig = fig_waterfall(_all_failed())
    assert set(_by_name(fig)["failed"].text) == {"connect_refused"}
    assert any("all 20 requests failed" in a for a in _annotations(fig))
    assert "Nothing to draw" in _annotations(fig_waterfall(probes.iloc[:0]))[0]
    nofail = probes[probes["error_kind"].isna()]
    assert "none of the" in _annotations(fig_waterfall(nofail, sort="failed"))[0]


# --------------------------------------------------------------------------- smoke


def test_smoke_rows_bins_bands_and_loss_colour(probes: pd.DataFrame) -> None:
    fig = fig_smoke(probes)
    names = [t.name for t in fig.data]
    assert names.count("median") == 3
    assert names.count("p5–p95") == names.count("p25–p75") == 3
    # one subplot row per target, titled with the target
    assert {a.text for a in fig.layout.annotations} == {
        HTTPS.removeprefix("https://"),
        PLAIN.removeprefix("http://"),
        SLOW.removeprefix("https://"),
    }
    medians = [t for t in fig.data if t.name == "median"]
    assert {t.yaxis for t in medians} == {"y", "y2", "y3"}
    # auto bins: 6 h of data → 60..200 bins
    assert all(60 <= len(t.x) <= 200 for t in medians)
    # loss colour: high during the outage, zero-ish elsewhere, scale clamps at 20 %
    m = medians[0]
    colors = np.asarray(m.marker.color, dtype=float)
    assert m.marker.cmin == 0 and m.marker.cmax == 20
    assert colors.max() == 20 and np.median(colors) == 0
    x = pd.DatetimeIndex(m.x)
    loss = np.asarray(m.customdata[:, 3], dtype=float)
    in_outage = (x >= (START + OUTAGE[0]).tz_localize(None)) & (x <= (START + OUTAGE[1]).tz_localize(None))
    assert loss[in_outage].mean() > 20
    assert loss[~in_outage].mean() < 5
    np.testing.assert_allclose(colors, np.minimum(loss, 20))
    # the median of a bin equals the median of its successful samples
    first_row = sorted([HTTPS, PLAIN, SLOW])[0]  # rows follow the sorted targets
    assert _short_name(first_row) in m.hovertemplate
    sub = probes[(probes["target"] == first_row) & probes["error_kind"].isna()]
    step = x[1] - x[0]
    bins = sub["ts"].dt.tz_localize(None).dt.floor(step)
    expected = sub["total_ms"].groupby(bins).median()
    got = pd.Series(np.asarray(m.y, dtype=float), index=x - step / 2).dropna()
    pd.testing.assert_series_equal(got, expected.reindex(got.index), check_names=False, check_index_type=False)


def test_smoke_marks_bins_where_everything_failed() -> None:
    rows = []
    for i in range(240):
        ts = START + pd.Timedelta(minutes=i)
        dead = 100 <= i < 110
        rows.append(
            {
                "ts": ts,
                "target": HTTPS,
                "total_ms": None if dead else 50.0 + i % 7,
                "error_kind": "connect_timeout" if dead else None,
            }
        )
    df = conform(rows, "probes")
    fig = fig_smoke(df, freq="1min")
    dead = _by_name(fig)["all samples failed"]
    assert len(dead.x) == 10
    assert list(dead.y) == [0.0] * 10
    assert "connect_timeout ×1" in dead.customdata[0][5]


def test_smoke_widens_a_too_fine_freq(probes: pd.DataFrame) -> None:
    fig = fig_smoke(probes, freq="1s")
    for t in fig.data:
        assert len(t.x) <= MAX_POINTS
    assert "widened" in fig.layout.title.subtitle.text
    fig = fig_smoke(probes, by=None, freq="30min", quantiles=(0.1, 0.9))
    assert [t.name for t in fig.data] == ["p10–p90", "median", "all samples failed"] or [t.name for t in fig.data] == [
        "p10–p90",
        "median",
    ]
    assert len(_by_name(fig)["median"].x) == 12


def test_smoke_pings_use_ok_column(pings: pd.DataFrame) -> None:
    flagged = pings.drop(columns=["error_kind"])
    fig = fig_smoke(flagged, value="rtt_ms")
    medians = [t for t in fig.data if t.name == "median"]
    assert len(medians) == 2
    loss = np.concatenate([np.asarray(t.customdata[:, 3], dtype=float) for t in medians])
    assert 0 < loss.mean() < 10
    # an explicit failed= column is honoured
    fig2 = fig_smoke(pings.assign(bad=False), value="rtt_ms", failed="bad")
    loss2 = np.concatenate([np.asarray(t.customdata[:, 3], dtype=float) for t in fig2.data if t.name == "median"])
    assert loss2.max() == 0


# --------------------------------------------------------------------------- distributions


def test_ecdf_percentiles_and_downsampling() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    big = conform(
        pd.DataFrame(
            {
                "ts": START + pd.to_timedelta(np.arange(n), unit="s"),
                "target": np.where(np.arange(n) % 2 == 0, "a", "b"),
                "total_ms": rng.lognormal(3, 1, n),
            }
        ),
        "probes",
    )
    fig = fig_ecdf(big)
    curves = [t for t in fig.data if t.mode == "lines"]
    marks = [t for t in fig.data if t.mode == "markers+text"]
    assert [t.name for t in curves] == ["a (n=25,000)", "b (n=25,000)"]
    for curve in curves:
        assert len(curve.x) <= MAX_POINTS
        assert curve.y[-1] == 1.0
        assert np.all(np.diff(np.asarray(curve.x)) >= 0)
    vals = np.sort(big.loc[big["target"] == "a", "total_ms"].to_numpy())
    assert curves[0].x[0] == vals[0] and curves[0].x[-1] == vals[-1]
    np.testing.assert_allclose(marks[0].x, np.quantile(vals, [0.5, 0.9, 0.99]))
    assert list(marks[0].y) == [0.5, 0.9, 0.99]
    assert marks[0].text[2].startswith("p99 ")
    assert fig.layout.xaxis.type == "log"  # lognormal spans > 30×
    assert fig_ecdf(big, log_x=False).layout.xaxis.type == "linear"
    assert len(fig.to_json()) < 400_000


def test_ecdf_leaves_failed_out(probes: pd.DataFrame) -> None:
    fig = fig_ecdf(probes)
    n_ok = int(probes["error_kind"].isna().sum())
    n_curves = sum(int(t.name.split("n=")[1].rstrip(")").replace(",", "")) for t in fig.data if t.mode == "lines")
    assert n_curves == n_ok
    assert f"{len(probes) - n_ok:,} failed" in fig.layout.title.subtitle.text


def test_histogram_counts_and_overflow_bin(probes: pd.DataFrame) -> None:
    fig = fig_histogram(probes, nbins=40)
    assert len(fig.data) == 3
    for t in fig.data:
        target = next(x for x in (HTTPS, PLAIN, SLOW) if x.removeprefix("https://").removeprefix("http://") in t.name)
        ok = probes[(probes["target"] == target) & probes["error_kind"].isna()]
        assert len(t.x) == 40
        assert int(np.sum(t.y)) == len(ok)
    tail = conform(
        [{"ts": START, "target": "t", "total_ms": float(v)} for v in [*range(10, 1010), 60_000.0]],
        "probes",
    )
    fig = fig_histogram(tail, nbins=20)
    (bar,) = fig.data
    assert int(np.sum(bar.y)) == 1001
    assert bar.customdata[-1][0].startswith("≥")
    assert "60,000" in bar.customdata[-1][0]
    assert max(bar.x) < 2000


# --------------------------------------------------------------------------- jitter and loss


def test_jitter_loss_matches_hand_computation() -> None:
    values = [10.0, 14.0, 11.0, None, 11.0, 30.0, 20.0, 20.0]
    rows = [
        {
            "ts": START + pd.Timedelta(seconds=15 * i),
            "target": "t",
            "rtt_ms": v,
            "ok": v is not None,
            "error_kind": None if v is not None else "connect_timeout",
        }
        for i, v in enumerate(values)
    ]
    df = conform(rows, "pings")
    fig = fig_jitter_loss(df, value="rtt_ms", freq="1min")
    traces = _by_name(fig)
    jitter, loss = traces["t jitter"], traces["t loss %"]
    # bin 0: 10,14,11,— → |Δ| 4,3 → mean 3.5; bin 1: 11,30,20,20 → |Δ| 0 (11 after 11), 19, 10, 0 → 7.25
    np.testing.assert_allclose(jitter.y, [3.5, 7.25])
    np.testing.assert_allclose(loss.y, [25.0, 0.0])
    assert jitter.yaxis == "y" and loss.yaxis == "y2"
    assert jitter.customdata[1][1] == 19.0  # max |Δ|
    assert "connect_timeout ×1" in loss.customdata[0][3]
    assert any(s.y0 == 1.0 and s.yref == "y2" for s in fig.layout.shapes)


def test_jitter_loss_bins_and_targets(probes: pd.DataFrame) -> None:
    fig = fig_jitter_loss(probes)
    names = [t.name for t in fig.data]
    assert len(names) == 6 and sum(n.endswith(" loss %") for n in names) == 3
    for t in fig.data:
        assert 60 <= len(t.x) <= 200
    loss = _by_name(fig)[f"{PLAIN.removeprefix('http://')} loss %"]
    assert np.nanmax(np.asarray(loss.y, dtype=float)) > 20


# --------------------------------------------------------------------------- error timeline


def test_error_timeline_stacks_kinds_and_5xx(probes: pd.DataFrame) -> None:
    fig = fig_error_timeline(probes)
    bars = [t for t in fig.data if t.type == "bar"]
    kinds = [b.name.split(" — ")[0] for b in bars]
    assert set(kinds) == {"connect_timeout", "read_timeout", "http_5xx"}
    assert kinds[0] == "connect_timeout"  # most frequent first
    for b, kind in zip(bars, kinds, strict=True):
        assert b.marker.color == ERROR_COLORS[kind]
    counts = {k: int(np.sum(b.y)) for b, k in zip(bars, kinds, strict=True)}
    assert counts["connect_timeout"] == int((probes["error_kind"] == "connect_timeout").sum())
    assert counts["http_5xx"] == int((probes["status"] == 503).sum())
    # the legend says when connect timeouts started
    first = probes.loc[probes["error_kind"] == "connect_timeout", "ts"].min()
    assert f"first {first:%H:%M:%S}" in bars[0].name
    assert fig.layout.barmode == "stack"
    rate = _by_name(fig)["failure rate %"]
    assert rate.yaxis == "y2"
    assert all(60 <= len(t.x) <= 200 for t in fig.data)


def test_error_timeline_without_failures_and_for_pings(probes: pd.DataFrame, pings: pd.DataFrame) -> None:
    ok = probes[probes["error_kind"].isna() & (probes["status"] == 200)]
    fig = fig_error_timeline(ok)
    assert len(fig.data) == 0
    assert _annotations(fig)[0].startswith(f"Nothing to draw: no failures among {len(ok):,} requests")
    fig = fig_error_timeline(pings)
    assert [t.name.split(" — ")[0] for t in fig.data if t.type == "bar"] == ["connect_timeout"]
    fig = fig_error_timeline(probes, by="target")
    assert {t.name.split(" — ")[0] for t in fig.data if t.type == "bar"} == {HTTPS, PLAIN, SLOW}


# --------------------------------------------------------------------------- phase breakdown


@pytest.mark.parametrize("stat", ["p50", "p90", "p99", "mean"])
def test_phase_breakdown_statistics(stat: str, probes: pd.DataFrame) -> None:
    fig = fig_phase_breakdown(probes, stat=stat)  # type: ignore[arg-type]
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert list(bars) == [PHASE_LABELS[p] for p in PHASES]
    rows = list(bars["DNS"].y)
    assert rows[0] == SLOW.removeprefix("https://")  # slowest at the top
    for phase in PHASES:
        bar = bars[PHASE_LABELS[phase]]
        for i, full in enumerate(bar.customdata[:, 0]):
            vals = probes.loc[probes["target"] == full, phase].dropna().to_numpy()
            if not len(vals):
                assert np.isnan(bar.x[i])  # e.g. TLS and DNS of the plain-HTTP IP target: not 0
                continue
            want = vals.mean() if stat == "mean" else np.quantile(vals, int(stat[1:]) / 100)
            assert bar.x[i] == pytest.approx(want)
    total = _by_name(fig)[f"total {stat}"]
    assert len(total.x) == 3
    _roundtrip(fig)


def test_phase_breakdown_dominant_phase_and_plain_http(probes: pd.DataFrame) -> None:
    fig = fig_phase_breakdown(probes)
    bars = _json_bars(fig)
    x = {name: _floats(bar["x"]) for name, bar in bars.items()}
    plain = bars["TLS"]["y"].index(PLAIN.removeprefix("http://"))
    assert np.isnan(x["TLS"][plain]) and np.isnan(x["DNS"][plain])
    slow = bars["TLS"]["y"].index(SLOW.removeprefix("https://"))
    ttfb = x["Server (TTFB)"][slow]
    assert all(ttfb > x[n][slow] for n in x if n != "Server (TTFB)")
    fig = fig_phase_breakdown(probes, by=None)
    assert list(fig.data[0].y) == ["all"]
