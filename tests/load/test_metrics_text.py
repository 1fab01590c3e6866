"""read_metrics_text / parse_metrics_text: both text formats, the edge cases, bad input, snapshots over time.

``prometheus_client`` (its own parsers and its own exposition writer) is the
cross-check on every case both accept.
"""

from __future__ import annotations

import gzip
import math
import os
import warnings

import pandas as pd
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.parser import text_string_to_metric_families

import apiprobe as ap
from apiprobe.errors import DataFormatError, InvalidParameterError


def _registry() -> CollectorRegistry:
    reg = CollectorRegistry()
    c = Counter("http_requests", "Requests.", ["code", "path"], registry=reg)
    c.labels("200", 'C:\\dir\\"quoted"\nnext').inc(7)
    c.labels("500", "/ünïcode/路径").inc(2)
    g = Gauge("go_goroutines", "Goroutines.", registry=reg)
    g.set(float("nan"))
    Gauge("temperature", "Odd values.", ["kind"], registry=reg).labels("inf").set(float("-inf"))
    h = Histogram("http_request_duration_seconds", "Latency.", ["handler"], registry=reg)
    for v in (0.003, 0.04, 0.2, 0.7, 3.0, 12.0):
        h.labels("/ok").observe(v)
    s = Summary("rpc_seconds", "RPC.", registry=reg)
    s.observe(0.25)
    return reg


def _samples(families) -> set[tuple]:  # type: ignore[no-untyped-def]
    out = set()
    for fam in families:
        for s in fam.samples:
            if s.name.endswith("_created"):
                continue
            value = "nan" if math.isnan(s.value) else s.value
            out.add((s.name, tuple(sorted(s.labels.items())), value))
    return out


def _ours(df: pd.DataFrame) -> set[tuple]:
    labels = [c for c in df.columns if c not in ("ts", "metric", "value")]
    out = set()
    for row in df.itertuples(index=False):
        d = row._asdict()
        if d["metric"].endswith("_created"):
            continue
        value = "nan" if math.isnan(d["value"]) else d["value"]
        out.add((d["metric"], tuple(sorted((k, d[k]) for k in labels if d[k] != "")), value))
    return out


def test_text_format_equals_prometheus_client() -> None:
    text = generate_latest(_registry()).decode()
    df = ap.parse_metrics_text(text, ts="2026-01-01T00:00:00Z")
    assert _ours(df) == _samples(text_string_to_metric_families(text))
    assert df.attrs["types"]["http_request_duration_seconds"] == "histogram"
    assert df.attrs["parse_errors"] == 0
    assert (df["ts"] == pd.Timestamp("2026-01-01", tz="UTC")).all()


def test_openmetrics_equals_prometheus_client() -> None:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families

    text = generate_openmetrics(_registry()).decode()
    assert text.rstrip().endswith("# EOF")
    df = ap.parse_metrics_text(text)
    assert _ours(df) == _samples(om_families(text))
    assert df.attrs["types"]["http_requests"] == "counter"  # OpenMetrics names the family without _total


def test_timestamps_exemplars_escapes_and_formats() -> None:
    text04 = 'a_total{x="1"} 3 1700000000123\nb 2\n'
    df = ap.parse_metrics_text(text04, ts=1)
    assert df.loc[df["metric"] == "a_total", "ts"].iloc[0] == pd.Timestamp(1700000000123, unit="ms", tz="UTC")
    assert df.loc[df["metric"] == "b", "ts"].iloc[0] == pd.Timestamp(1, unit="s", tz="UTC")
    om = (
        "# TYPE h histogram\n"
        'h_bucket{le="0.1"} 8 1700000000.5 # {trace_id="abc#1"} 0.067 1700000000.2\n'
        'h_bucket{le="+Inf"} 9 1700000000.5\n'
        "# EOF\n"
    )
    df = ap.parse_metrics_text(om)
    assert df["value"].tolist() == [8.0, 9.0]  # the exemplar is ignored
    assert df["ts"].iloc[0] == pd.Timestamp(1700000000.5, unit="s", tz="UTC")
    odd = 'm{ a = "x" , b="\\\\\\"\\n",} +Inf\nm{a="y"} -Inf\nm{} NaN\n'
    df = ap.parse_metrics_text(odd)
    assert df["b"].iloc[0] == '\\"\n'
    assert df["value"].iloc[0] == math.inf and df["value"].iloc[1] == -math.inf and math.isnan(df["value"].iloc[2])
    clash = ap.parse_metrics_text('m{value="v",ts="t"} 1\n')
    assert clash["exported_value"].iloc[0] == "v" and clash["value"].iloc[0] == 1.0


def test_malformed_lines_are_kept_and_counted() -> None:
    text = (
        "# TYPE ok counter\n"
        "ok_total 1\n"
        "bad line\n"
        'dup{a="1",a="2"} 1\n'
        'unterminated{a="1} 1\n'
        "num 1_000\n"
        "# TYPE weird nonsense\n"
        "ok_total 2 1700000000000\n"
    )
    with pytest.warns(UserWarning, match="5 malformed line"):
        df = ap.parse_metrics_text(text, source="page.txt")
    assert df["value"].tolist() == [2.0, 1.0] or sorted(df["value"].tolist()) == [1.0, 2.0]
    assert df.attrs["parse_errors"] == 5
    assert [b[1] for b in df.attrs["bad_lines"]] == [3, 4, 5, 6, 7]
    assert all(b[0] == "page.txt" for b in df.attrs["bad_lines"])
    with pytest.raises(ValueError):
        list(text_string_to_metric_families(text))  # prometheus_client loses the whole page


def test_histogram_without_inf_is_named() -> None:
    text = '# TYPE h histogram\nh_bucket{le="0.1"} 1\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n'
    with pytest.warns(UserWarning, match='histogram h has no le="\\+Inf"'):
        df = ap.parse_metrics_text(text, ts=0)
    assert len(df) == 4
    assert math.isnan(ap.histogram_quantile(0.5, df[df["metric"] == "h_bucket"])["value"].iloc[0])


def test_not_a_metrics_page() -> None:
    with pytest.raises(DataFormatError, match="not a Prometheus /metrics page"):
        ap.parse_metrics_text("<html><body>Grafana</body></html>\n")
    with pytest.raises(DataFormatError, match="UTF-8"):
        ap.parse_metrics_text(b"\xff\xfe\x00bad")
    with pytest.raises(InvalidParameterError):
        ap.parse_metrics_text("a 1\n", ts="not a time")


def test_folder_of_snapshots_forms_series(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for i, value in enumerate((10, 25, 40)):
        path = tmp_path / f"metrics-{i}.txt"
        path.write_text(f'# TYPE reqs_total counter\nreqs_total{{job="api"}} {value}\n')
        os.utime(path, (1_700_000_000 + 60 * i, 1_700_000_000 + 60 * i))
    gz = tmp_path / "metrics-3.txt.gz"
    gz.write_bytes(gzip.compress(b'reqs_total{job="api"} 55\n'))
    os.utime(gz, (1_700_000_180, 1_700_000_180))
    df = ap.read_metrics_text(tmp_path)
    assert df["value"].tolist() == [10.0, 25.0, 40.0, 55.0]
    assert df["ts"].diff().dropna().eq(pd.Timedelta(seconds=60)).all()
    rate = ap.metric_rate(df, "3m", start=df["ts"].iloc[-1], end=df["ts"].iloc[-1], step="1m")
    assert rate["value"].iloc[0] == pytest.approx(45 / 180)
    # explicit times per file win over mtimes
    stamps = {f"metrics-{i}.txt": f"2026-01-01T00:0{i}:00Z" for i in range(3)} | {
        "metrics-3.txt.gz": "2026-01-01T00:03:00Z"
    }
    df = ap.read_metrics_text(tmp_path, ts=stamps)
    assert df["ts"].iloc[0] == pd.Timestamp("2026-01-01", tz="UTC")
    with pytest.raises(DataFormatError, match="no such file"):
        ap.read_metrics_text(tmp_path / "absent.txt")
    (tmp_path / "notes.txt").write_text("just some notes\nnothing here\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataFormatError, match=r"notes\.txt"):
            ap.read_metrics_text(tmp_path)


def test_folder_skips_files_of_other_kinds_with_one_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    from pathlib import Path

    from pandas.testing import assert_frame_equal
    from test_sniff import DEMO, write_other_kinds

    page = DEMO / "metrics" / "incident.openmetrics.txt.gz"
    alone = ap.read_metrics_text(page)
    folder = tmp_path / "metrics"
    others = write_other_kinds(folder)
    shutil.copy(page, folder / page.name)
    shutil.copy(DEMO / "logs" / "billing.log", folder / "billing.log")
    others["billing.log"] = "read_logs"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = ap.read_metrics_text(folder)
    assert_frame_equal(df, alone)
    said = [str(w.message) for w in caught if "not metrics files" in str(w.message)]
    assert len(said) == 1 and "billing.log → a logfmt log → read_logs" in said[0], said
    assert {Path(s["file"]).name: s["reader"] for s in df.attrs["skipped"]} == others
    with pytest.raises(DataFormatError, match=r"billing\.log: this is a logfmt log, not a metrics file: read it"):
        ap.read_metrics_text(folder / "billing.log")
    (folder / page.name).unlink()
    with pytest.raises(DataFormatError, match=f"no metrics file among {len(others)}: "):
        ap.read_metrics_text(folder)
