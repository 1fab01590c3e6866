"""Trace exports from public projects (tests/fixtures/realworld/traces, see SOURCES.md), checked
against what the files say when read independently with ``json``."""

from __future__ import annotations

import base64
import collections
import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from apiprobe.errors import DataFormatError
from apiprobe.load.traces import read_traces

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "traces"


def load(name: str) -> Any:
    return json.loads((REAL / name).read_text())


def otlp_spans(doc: Any) -> list[dict[str, Any]]:
    """Spans of an OTLP document, unwrapped by hand."""
    for key in ("result", "trace"):
        doc = doc.get(key, doc)
    out = []
    for rs in doc.get("resourceSpans", doc.get("batches", [])):
        for ss in rs.get("scopeSpans", rs.get("instrumentationLibrarySpans", [])):
            out += ss["spans"]
    return out


def hex_id(value: str) -> str:
    if len(value) in (16, 32) and all(c in "0123456789abcdef" for c in value.lower()):
        return value.lower()
    return base64.b64decode(value).hex()


@pytest.mark.parametrize(
    "name",
    [
        "jaeger-apiv3-GetTrace.json",
        "jaeger-integration-example-otlp.json",
        "tempo-api-traces-batches-reproduction.json",
        "tempo-api-v2-traces-reproduction.json",
    ],
)
def test_otlp_in_todays_wrappers(name: str) -> None:
    spans = otlp_spans(load(name))
    df = read_traces(REAL / name)
    assert df.attrs["format"] == "otlp"
    assert len(df) == len(spans)
    assert sorted(df["span_id"]) == sorted(hex_id(s["spanId"]) for s in spans)
    assert set(df["trace_id"]) == {hex_id(s["traceId"]) for s in spans}
    by_id = {hex_id(s["spanId"]): s for s in spans}
    for row in df.itertuples():
        s = by_id[row.span_id]
        assert row.name == s["name"]
        if s.get("startTimeUnixNano") and int(s["startTimeUnixNano"]) < 2**63:
            assert row.start.value == int(s["startTimeUnixNano"])
        parent = s.get("parentSpanId") or None
        assert (row.parent_span_id if pd.notna(row.parent_span_id) else None) == (parent and hex_id(parent))


def test_go_zero_time_as_uint64_is_nat_and_counted() -> None:
    """Jaeger's snapshot holds 11651379494838206464 ns: Go's zero time.Time cast to uint64."""
    assert int(otlp_spans(load("jaeger-apiv3-GetTrace-uint64-times.json"))[0]["endTimeUnixNano"]) > 2**63
    with pytest.warns(UserWarning, match="outside what nanoseconds can hold"):
        df = read_traces(REAL / "jaeger-apiv3-GetTrace-uint64-times.json")
    assert len(df) == 1 and df.attrs["bad_times"] == 1
    assert df["start"].isna().all() and df["end"].isna().all() and df["duration_ms"].isna().all()
    assert df["service"].iloc[0] == "myservice" and df["status"].iloc[0] == "error"


def test_bare_list_of_jaeger_spans_with_their_processes() -> None:
    raw = load("jaeger-anonymizer-spans.json")
    df = read_traces(REAL / "jaeger-anonymizer-spans.json")
    assert df.attrs["format"] == "jaeger" and len(df) == len(raw)
    assert df["service"].tolist() == [s["process"]["serviceName"] for s in raw]
    assert df["duration_ms"].tolist() == [s["duration"] / 1000 for s in raw]
    assert df["parent_span_id"].tolist() == [s["references"][0]["spanID"] for s in raw]


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("zipkin-lens-*.json")))
def test_zipkin_ui_testdata(name: str) -> None:
    raw = load(name)
    df = read_traces(REAL / name)
    assert df.attrs["format"] == "zipkin" and df.attrs["merged_fragments"] == 0
    assert len(df) == len(raw)  # every span kept; shared halves renamed, not dropped
    assert df["start"].notna().all()
    # every (trace, span id) names one span, except spans exported twice (exact copies)
    dup = df.duplicated(["trace_id", "span_id"], keep=False)
    assert df[dup].duplicated(["trace_id", "span_id", "start", "end", "service"], keep=False).all()
    # counted by hand: one id per (trace, id), plus one per distinct server half sharing a client's id
    groups: dict[tuple[str, str], list[dict[str, Any]]] = collections.defaultdict(list)
    for span in raw:
        groups[span["traceId"], span["id"]].append(span)
    expected = 0
    for spans in groups.values():
        has_client = any(sp.get("kind") == "CLIENT" for sp in spans)
        halves = {
            (sp.get("timestamp"), sp.get("duration"), sp.get("localEndpoint", {}).get("serviceName"))
            for sp in spans
            if has_client and (sp.get("kind") == "SERVER" or sp.get("shared"))
        }
        expected += 1 + len(halves)
    assert len(set(zip(df["trace_id"], df["span_id"], strict=True))) == expected


def test_zipkin_fragments_merge_like_the_ui() -> None:
    raw = load("zipkin-fragments-reproduction.json")
    assert sum(1 for s in raw if "timestamp" not in s) == 2
    df = read_traces(REAL / "zipkin-fragments-reproduction.json")
    assert len(df) == 3 and df.attrs["merged_fragments"] == 2
    assert df["start"].notna().all()  # no row without a start time
    client = df[df["kind"] == "client"].iloc[0]
    assert client["http_status"] == 503 and client["attrs"]["error"] == "503"  # from the tags-only fragment
    server = df[(df["kind"] == "server") & (df["service"] == "backend")].iloc[0]
    assert server["parent_span_id"] == client["span_id"]  # the shared half, renamed, under its client


def test_folder_with_unreadable_files_reads_the_rest(tmp_path: Path) -> None:
    for name in ("zipkin-lens-yelp.json", "jaeger-integration-example-otlp.json"):
        (tmp_path / name).write_bytes((REAL / name).read_bytes())
    (tmp_path / "broken.json").write_text('{"resourceSpans": [')
    (tmp_path / "capture.har.json").write_text(json.dumps({"log": {"version": "1.2", "entries": []}}))
    (tmp_path / "goroutines.json").write_text("goroutine 1 [running]:\nmain.main()\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_traces(tmp_path)
    messages = [str(w.message) for w in caught]
    # files of other kinds are skipped by their content, with one warning naming the reader of each
    assert any(
        "skipped 2 file(s) that are not trace files" in m
        and "capture.har.json → a HAR file → read_har" in m
        and "goroutines.json → a goroutine dump (debug=2) → read_goroutines" in m
        for m in messages
    ), messages
    assert any("skipped 1 unreadable file(s) of 3" in m for m in messages), messages  # the broken trace export
    assert len(df) == len(load("zipkin-lens-yelp.json")) + 5
    assert dict(df.attrs["skipped_files"]).keys() == {"broken.json"}
    assert {Path(s["file"]).name: s["reader"] for s in df.attrs["skipped"]} == {
        "capture.har.json": "read_har",
        "goroutines.json": "read_goroutines",
    }
    assert set(df.attrs["formats"]) == {"zipkin-lens-yelp.json", "jaeger-integration-example-otlp.json"}
    (tmp_path / "zipkin-lens-yelp.json").unlink()
    (tmp_path / "jaeger-integration-example-otlp.json").unlink()
    with pytest.raises(DataFormatError, match=r"broken\.json: .*not JSON") as err:
        read_traces(tmp_path)
    assert "capture.har.json → a HAR file → read_har" in str(err.value)
    (tmp_path / "broken.json").unlink()
    with pytest.raises(DataFormatError, match=r"no trace file among 2: capture\.har\.json → a HAR file → read_har"):
        read_traces(tmp_path)


def test_wrong_kind_of_file_names_its_reader(tmp_path: Path) -> None:
    har = tmp_path / "session.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "x"}, "entries": []}}))
    with pytest.raises(
        DataFormatError, match=r"session\.har: this is a HAR file, not a trace file: read it with read_har"
    ):
        read_traces(har)
    dump = tmp_path / "dump.json"
    dump.write_text("goroutine 7 [select, 5 minutes]:\nmain.loop()\n\t/app/main.go:12 +0x1d\n")
    with pytest.raises(
        DataFormatError, match=r"goroutine dump \(debug=2\), not a trace file: read it with read_goroutines"
    ):
        read_traces(dump)
    jaeger_obj = tmp_path / "ui.json"
    jaeger_obj.write_text(json.dumps({"data": "trace 4bf9 not found"}))
    with pytest.raises(DataFormatError, match="'data' is a str"):
        read_traces(jaeger_obj)
    one_trace = load("jaeger-anonymizer-spans.json")
    obj = tmp_path / "one.json"
    obj.write_text(json.dumps({"data": {"traceID": one_trace[0]["traceID"], "spans": one_trace}}))
    assert len(read_traces(obj)) == len(one_trace)  # the UI's single trace as an object
