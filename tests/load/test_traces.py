"""Trace reader: OTLP, Jaeger and Zipkin JSON, the corpus, the same trace in three formats, broken input."""

from __future__ import annotations

import gzip
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from apiprobe.errors import DataFormatError
from apiprobe.load.traces import normalize_id, parse_traces, read_traces
from apiprobe.schema import conform, validate

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO.parent / "shared" / "corpus" / "traces"
FIXTURES = REPO / "tests" / "fixtures" / "traces"

# the columns a trace means the same thing by, whatever the format
SAME = [
    "trace_id",
    "span_id",
    "parent_span_id",
    "service",
    "name",
    "kind",
    "start",
    "end",
    "duration_ms",
    "status",
    "http_status",
]
SHOP_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def corpus(name: str) -> Path:
    path = TRACES / name
    if not path.exists():
        pytest.skip(f"shared corpus absent: {path}")
    return path


def _core(df: pd.DataFrame) -> pd.DataFrame:
    return df[SAME].sort_values(["trace_id", "span_id", "start"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- corpus


def test_otlp_example_from_the_spec() -> None:
    df = validate(read_traces(corpus("otlp-example-trace.json")), "spans")
    assert len(df) == 1
    row = df.iloc[0]
    assert row["trace_id"] == "5b8efff798038103d269b633813fc60c"  # upper-case hex in the file
    assert row["span_id"] == "eee19b7ec3c1b174" and row["parent_span_id"] == "eee19b7ec3c1b173"
    assert row["service"] == "my.service" and row["name"] == "I'm a server span"
    assert row["kind"] == "server" and row["status"] == "unset"
    assert row["start"] == pd.Timestamp("2018-12-13 14:51:00", tz="UTC")
    assert row["duration_ms"] == 1000.0
    assert row["attrs"] == {"my.span.attr": "some value"}
    assert pd.isna(row["http_status"]) and row["source_file"] == "otlp-example-trace.json"
    assert df.attrs["format"] == "otlp"


def test_jaeger_ui_otlp_in_and_jaeger_out_are_the_same_spans() -> None:
    otlp = read_traces(corpus("jaeger-ui-otlp2jaeger-in.json"))
    jaeger = read_traces(corpus("jaeger-ui-otlp2jaeger-out.json"))
    assert (otlp.attrs["format"], jaeger.attrs["format"]) == ("otlp", "jaeger")
    assert len(otlp) == 2  # the fixture repeats the span; the loader keeps what is written
    assert_frame_equal(_core(otlp), _core(jaeger))
    row = jaeger.iloc[0]
    assert row["duration_ms"] == 0.123  # 123 µs, exact (no float round trip through nanoseconds)
    assert row["kind"] == "server" and row["service"] == "telemetrygen"
    # Jaeger adds its own tags (span.kind, otel.library.name); the span's own attributes agree
    assert otlp.iloc[0]["attrs"].items() <= row["attrs"].items()


# --------------------------------------------------------------------------- one trace, three formats


def _expected_shop(source: str) -> pd.DataFrame:
    t0 = pd.Timestamp("2024-06-01 12:00:00", tz="UTC")
    ms = pd.Timedelta(milliseconds=1)
    rows = [
        ("00f067aa0ba902b7", None, "frontend", "GET /checkout", "server", 0, 120, "error", 502),
        ("53995c3f42cd8ad8", "00f067aa0ba902b7", "frontend", "POST /charge", "client", 5, 115, "error", 502),
        ("7a085853722dc6d2", "53995c3f42cd8ad8", "payments", "POST /charge", "server", 8, 112, "error", 502),
        ("9c3d4e5f60718293", "7a085853722dc6d2", "payments", "SELECT payments", "client", 10, 30, "unset", None),
        ("b7ad6b7169203331", "7a085853722dc6d2", "payments", "POST /fraud-check", "client", 32, 110, "error", 504),
    ]
    return conform(
        [
            {
                "trace_id": SHOP_TRACE,
                "span_id": s,
                "parent_span_id": p,
                "service": svc,
                "name": n,
                "kind": k,
                "start": t0 + a * ms,
                "end": t0 + b * ms,
                "duration_ms": float(b - a),
                "status": st,
                "http_status": code,
                "source_file": source,
            }
            for s, p, svc, n, k, a, b, st, code in rows
        ],
        "spans",
    )


def test_shop_trace_otlp_exact() -> None:
    df = read_traces(FIXTURES / "shop-otlp.json")
    expected = _expected_shop("shop-otlp.json")
    assert_frame_equal(df.drop(columns="attrs"), expected.drop(columns="attrs"))
    attrs = df.set_index("span_id")["attrs"]
    assert attrs["00f067aa0ba902b7"] == {
        "http.request.method": "GET",
        "http.route": "/checkout",
        "http.response.status_code": 502,
    }  # intValue "502" -> int
    assert attrs["9c3d4e5f60718293"]["db.rows"] == 1


def test_shop_trace_same_in_otlp_jaeger_and_zipkin() -> None:
    otlp = read_traces(FIXTURES / "shop-otlp.json")
    jaeger = read_traces(FIXTURES / "shop-jaeger.json")
    zipkin = read_traces(FIXTURES / "shop-zipkin.json")
    assert [d.attrs["format"] for d in (otlp, jaeger, zipkin)] == ["otlp", "jaeger", "zipkin"]
    assert_frame_equal(_core(otlp), _core(jaeger))
    # Zipkin lower-cases span names (zipkin2.Span.Builder.name); everything else is equal
    upper = _core(otlp).assign(name=lambda d: d["name"].str.lower())
    assert_frame_equal(upper, _core(zipkin))
    for o, j, z in zip(otlp["attrs"], jaeger["attrs"], zipkin["attrs"], strict=True):
        assert o.items() <= j.items()  # Jaeger adds span.kind / otel.* / error tags
        assert {k: str(v) for k, v in o.items()} == {
            k: str(v) for k, v in z.items() if k not in ("error", "otel.status_code")
        }


# --------------------------------------------------------------------------- Zipkin specifics


def test_zipkin_shared_span_local_span_and_open_span() -> None:
    df = validate(read_traces(FIXTURES / "zipkin-v2-shared.json"), "spans")
    assert df.attrs["format"] == "zipkin"
    assert set(df["trace_id"]) == {"86154a4ba6e91385"}  # 64-bit trace id kept as 16 hex digits
    by_name = df.set_index(["service", "name"])

    def named(service: str, name: str) -> pd.Series:
        return by_name.loc[[(service, name)]].iloc[0]

    client = named("frontend", "get")
    server = named("backend", "get /api")
    # the server half of the shared span gets its own id and hangs under the client half
    assert client["span_id"] == "4d1e00c0db9010db"
    assert server["span_id"] == "4d1e00c0db9010dc" and server["parent_span_id"] == "4d1e00c0db9010db"
    assert df["span_id"].is_unique
    assert server["status"] == "error"  # an "error" tag means error whatever its value, even ""
    assert client["status"] == "error" and client["http_status"] == 503
    render = named("backend", "render")
    assert pd.isna(render["kind"])  # local span: Zipkin writes no kind
    audit = named("frontend", "send audit")
    assert audit["kind"] == "producer" and pd.isna(audit["end"]) and pd.isna(audit["duration_ms"])
    root = named("frontend", "get /api")
    assert pd.isna(root["parent_span_id"]) and root["duration_ms"] == 207.0 and root["status"] == "unset"


def test_zipkin_list_of_traces() -> None:
    spans = json.loads((FIXTURES / "shop-zipkin.json").read_text())
    df = parse_traces([spans[:2], spans[2:]])  # /api/v2/traces answers a list of traces
    assert len(df) == 5 and df.attrs["format"] == "zipkin"


# --------------------------------------------------------------------------- OTLP specifics


def test_collector_file_exporter_jsonl() -> None:
    df = validate(read_traces(FIXTURES / "collector-export.jsonl"), "spans")
    assert df.attrs["format"] == "otlp-jsonl" and df.attrs["parse_errors"] == 0
    assert df["service"].tolist() == ["checkout", "inventory"]
    first, second = df.iloc[0], df.iloc[1]
    # base64 ids (written by some exporters) are converted to hex
    assert first["trace_id"] == "5b8efff798038103d269b633813fc60c" and first["span_id"] == "eee19b7ec3c1b174"
    assert second["parent_span_id"] == "eee19b7ec3c1b174"  # instrumentationLibrarySpans (older OTLP)
    assert first["kind"] == "server" and first["status"] == "ok" and second["status"] == "ok"
    assert first["http_status"] == 201 and first["duration_ms"] == 250.0
    assert first["attrs"] == {
        "http.status_code": 201,
        "retry": True,
        "ratio": 0.25,
        "tags": ["a", 2],
        "peer": {"host": "db1", "port": 5432},
    }


def test_jsonl_truncated_last_line_is_counted(tmp_path: Path) -> None:
    text = (FIXTURES / "collector-export.jsonl").read_text() + '{"resourceSpans":[{"resource":{"attri\n'
    path = tmp_path / "export.jsonl"
    path.write_text(text)
    df = read_traces(path)
    assert len(df) == 2 and df.attrs["parse_errors"] == 1
    assert df.attrs["bad_lines"][0][:2] == ("export.jsonl", 3)
    with pytest.raises(DataFormatError, match=r"bad\.jsonl: line 2 column 6: not JSON"):
        (tmp_path / "bad.jsonl").write_text('{"a": \n{"b": \n')
        read_traces(tmp_path / "bad.jsonl")
    # JSON of the wrong structure is not a truncated write: it raises, naming the line
    with pytest.raises(
        DataFormatError,
        match=r"x\.jsonl: line 2: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: "
        r"span without a span id",
    ):
        parse_traces(
            '{"resourceSpans": []}\n{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "ab"}]}]}]}',
            source="x.jsonl",
        )


def test_otlp_status_kind_and_time_variants() -> None:
    doc = {
        "resourceSpans": [
            {
                "resource": {"attributes": []},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "AB" * 16,
                                "spanId": "CD" * 8,
                                "name": "a",
                                "kind": "SPAN_KIND_CONSUMER",
                                "startTimeUnixNano": 1_000_000_000,
                                "endTimeUnixNano": "1500000000",
                                "status": {"code": "STATUS_CODE_OK"},
                            },
                            {
                                "traceId": "ab" * 16,
                                "spanId": "ef" * 8,
                                "parentSpanId": "0000000000000000",
                                "name": "b",
                                "kind": 0,
                                "startTimeUnixNano": "0",
                                "status": {"code": 2, "message": "boom"},
                            },
                        ]
                    }
                ],
            }
        ]
    }
    df = parse_traces(doc)
    assert df["trace_id"].tolist() == ["ab" * 16] * 2
    assert df["kind"].tolist()[0] == "consumer" and pd.isna(df["kind"].iloc[1])
    assert df["status"].tolist() == ["ok", "error"]
    assert df["duration_ms"].iloc[0] == 500.0
    assert pd.isna(df["service"].iloc[0])
    assert pd.isna(df["parent_span_id"].iloc[1])  # all-zero parent = root
    assert pd.isna(df["start"].iloc[1]) and pd.isna(df["duration_ms"].iloc[1])  # 0 = unset, never 1970


# --------------------------------------------------------------------------- Jaeger specifics


def test_jaeger_bare_trace_references_and_tags() -> None:
    trace = {
        "traceID": "00000000000000000000000000abcdef",
        "spans": [
            {
                "spanID": "1",
                "operationName": "root",
                "references": [],
                "startTime": 1_000_000,
                "duration": 5000,
                "processID": "p1",
                "tags": [{"key": "otel.status_code", "type": "string", "value": "ERROR"}],
            },
            {
                "spanID": "2",
                "operationName": "async",
                "startTime": 1_001_000,
                "duration": 9000,
                "processID": "p2",
                "references": [{"refType": "FOLLOWS_FROM", "spanID": "1"}],
                "tags": [
                    {"key": "span.kind", "type": "string", "value": "consumer"},
                    {"key": "http.status_code", "type": "int64", "value": "503"},
                    {"key": "error", "type": "bool", "value": "true"},
                ],
            },
            {
                "spanID": "3",
                "operationName": "both",
                "startTime": 1_002_000,
                "duration": 1000,
                "process": {"serviceName": "inline"},
                "references": [{"refType": "FOLLOWS_FROM", "spanID": "1"}, {"refType": "CHILD_OF", "spanID": "2"}],
            },
            {
                "spanID": "4",
                "operationName": "old",
                "startTime": 1_003_000,
                "duration": 1000,
                "processID": "p1",
                "parentSpanID": "3",
                "tags": [{"key": "error", "type": "bool", "value": False}],
            },
        ],
        "processes": {"p1": {"serviceName": "api"}, "p2": {"serviceName": "worker"}},
    }
    df = validate(parse_traces(trace), "spans")
    assert df.attrs["format"] == "jaeger"
    assert set(df["trace_id"]) == {"00000000000000000000000000abcdef"}
    assert df["span_id"].tolist() == [f"{i:016x}" for i in (1, 2, 3, 4)]  # Jaeger may drop leading zeros
    assert df["parent_span_id"].tolist()[1:] == [f"{i:016x}" for i in (1, 2, 3)]  # CHILD_OF beats FOLLOWS_FROM
    assert df["service"].tolist() == ["api", "worker", "inline", "api"]
    assert df["status"].tolist() == ["error", "error", "unset", "unset"]
    assert df["kind"].iloc[1] == "consumer" and df["http_status"].iloc[1] == 503
    assert df["start"].iloc[0] == pd.Timestamp(1_000_000_000, unit="ns", tz="UTC")  # µs since the epoch
    assert df["duration_ms"].tolist() == [5.0, 9.0, 1.0, 1.0]
    assert df["attrs"].iloc[1]["error"] is True


# --------------------------------------------------------------------------- inputs and files


def test_parse_traces_accepts_objects_text_bytes_and_files() -> None:
    text = (FIXTURES / "shop-jaeger.json").read_text()
    expected = parse_traces(json.loads(text))
    for data in (text, text.encode(), gzip.compress(text.encode()), io.StringIO(text), io.BytesIO(text.encode())):
        assert_frame_equal(parse_traces(data), expected)
    named = parse_traces(text, source="x.json")
    assert set(named["source_file"]) == {"x.json"} and expected["source_file"].isna().all()


def test_gzip_directory_and_glob(tmp_path: Path) -> None:
    (tmp_path / "a-otlp.json.gz").write_bytes(gzip.compress((FIXTURES / "shop-otlp.json").read_bytes()))
    shutil.copy(FIXTURES / "zipkin-v2-shared.json", tmp_path / "b-zipkin.json")
    (tmp_path / "notes.txt").write_text("not a trace")
    gz = read_traces(tmp_path / "a-otlp.json.gz")
    assert_frame_equal(
        gz.drop(columns="source_file"), read_traces(FIXTURES / "shop-otlp.json").drop(columns="source_file")
    )
    both = validate(read_traces(tmp_path), "spans")
    assert both["source_file"].value_counts().to_dict() == {"a-otlp.json.gz": 5, "b-zipkin.json": 5}
    assert both.attrs["format"] == "mixed"
    assert both.attrs["formats"] == {"a-otlp.json.gz": "otlp", "b-zipkin.json": "zipkin"}
    assert_frame_equal(read_traces(str(tmp_path / "*.json*")), both)
    with pytest.raises(DataFormatError, match="no file matches"):
        read_traces(str(tmp_path / "*.ndjson"))
    with pytest.raises(DataFormatError, match="no such file"):
        read_traces(tmp_path / "missing.json")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(DataFormatError, match="holds no trace files"):
        read_traces(empty_dir)


def test_format_override() -> None:
    assert len(read_traces(FIXTURES / "shop-otlp.json", format="otlp")) == 5
    with pytest.raises(DataFormatError, match=r"shop-otlp\.json: top level: not Jaeger JSON"):
        read_traces(FIXTURES / "shop-otlp.json", format="jaeger")
    with pytest.raises(DataFormatError, match="not Zipkin v2 JSON"):
        read_traces(FIXTURES / "shop-jaeger.json", format="zipkin")
    with pytest.raises(ValueError, match="format must be"):
        read_traces(FIXTURES / "shop-otlp.json", format="xray")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("broken-not-json.json", r"broken-not-json\.json: line 1 column 1: not JSON"),
        (
            "broken-unknown-format.json",
            r"broken-unknown-format\.json: top level: JSON object with keys 'traces' is "
            r"none of OTLP",
        ),
        (
            "broken-span-without-id.json",
            r"broken-span-without-id\.json: resourceSpans\[0\]\.scopeSpans\[0\]\."
            r"spans\[1\]: span without a span id",
        ),
        (
            "broken-jaeger-no-span-id.json",
            r"broken-jaeger-no-span-id\.json: data\[0\]\.spans\[0\]: span without a "
            r"span id",
        ),
        (
            "broken-zipkin-bad-id.json",
            r"broken-zipkin-bad-id\.json: \[0\]: span id 'not-a-span-id!' is neither hex "
            r"nor base64",
        ),
    ],
)
def test_broken_files(name: str, message: str) -> None:
    with pytest.raises(DataFormatError, match=message):
        read_traces(FIXTURES / name)


def test_bad_ids_and_binary_input() -> None:
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "not an id!", "spanId": "01"}]}]}]}
    with pytest.raises(DataFormatError, match="trace id 'not an id!' is neither hex nor base64"):
        parse_traces(doc, source="api.json")
    with pytest.raises(DataFormatError, match="span without a trace id"):
        parse_traces([{"traceId": "", "id": "01"}])
    with pytest.raises(DataFormatError, match="not UTF-8"):
        parse_traces(b"\xff\xfe\x00\x01", source="blob.bin")


@pytest.mark.parametrize("doc", [{"data": []}, {"data": None}, [], {"resourceSpans": []}, ""])
def test_empty_trace_lists_give_an_empty_table(doc: object) -> None:
    df = validate(parse_traces(doc), "spans")  # type: ignore[arg-type]
    assert df.empty and list(df.columns) == list(conform(None, "spans").columns)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    assert validate(read_traces(tmp_path / "empty.jsonl"), "spans").empty


def test_normalize_id() -> None:
    assert normalize_id("5B8EFFF798038103D269B633813FC60C") == "5b8efff798038103d269b633813fc60c"
    assert normalize_id("W47/95gDgQPSabYzgT/GDA==") == "5b8efff798038103d269b633813fc60c"
    assert normalize_id("W47_95gDgQPSabYzgT_GDA") == "5b8efff798038103d269b633813fc60c"  # URL-safe, unpadded
    assert normalize_id("7uGbfsPBsXQ=") == "eee19b7ec3c1b174"
    assert normalize_id("abc") == "0000000000000abc"
    assert normalize_id("1" * 20) == "0" * 12 + "1" * 20
    assert normalize_id(255) == "00000000000000ff"
    for absent in (None, "", "0000000000000000", 0):
        assert normalize_id(absent) is None
    with pytest.raises(ValueError, match="decodes to 3 bytes"):
        normalize_id("zzzz")


def test_zipkin_shared_server_span_exported_twice_is_one_span() -> None:
    from apiprobe.analyze.traces import self_time, trace_summary

    client = {
        "traceId": "a" * 16,
        "id": "1" * 16,
        "kind": "CLIENT",
        "timestamp": 1_000_000,
        "duration": 100,
        "localEndpoint": {"serviceName": "front"},
    }
    server = {
        "traceId": "a" * 16,
        "id": "1" * 16,
        "kind": "SERVER",
        "shared": True,
        "timestamp": 1_000_010,
        "duration": 80,
        "localEndpoint": {"serviceName": "back"},
    }
    df = parse_traces(json.dumps([client, server, server]))
    # both copies get the same new id: still written twice, but one span to the analysis
    assert df["span_id"].tolist() == ["1" * 16, "1" * 15 + "2", "1" * 15 + "2"]
    assert df["parent_span_id"].tolist()[1:] == ["1" * 16, "1" * 16]
    summary = trace_summary(df).iloc[0]
    assert summary["spans"] == 2 and summary["duplicate_spans"] == 1
    st = self_time(df).set_index("span_id")
    assert len(st) == 2 and st.loc["1" * 15 + "2", "self_ms"] == 0.08
    # a second, different server half (another timestamp) still gets an id of its own
    other = {**server, "timestamp": 1_000_020, "duration": 50}
    ids = parse_traces(json.dumps([client, server, other]))["span_id"].tolist()
    assert len(set(ids)) == 3


def test_folder_skips_files_of_other_kinds_with_one_warning(tmp_path: Path) -> None:
    import warnings

    from test_sniff import DEMO, write_other_kinds

    folder = tmp_path / "incident"
    shutil.copytree(DEMO / "traces", folder)
    alone = read_traces(folder)
    others = write_other_kinds(folder)
    shutil.copy(DEMO / "logs" / "inventory.jsonl", folder / "inventory.jsonl")  # a .jsonl, yet a log
    others["inventory.jsonl"] = "read_logs"
    (folder / "README.md").write_text("Traces exported from the three backends during the incident.\n")
    others["README.md"] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = read_traces(folder)
    assert_frame_equal(df, alone)
    said = [str(w.message) for w in caught]
    assert len(said) == 1 and f"skipped {len(others)} file(s) that are not trace files" in said[0], said
    assert "inventory.jsonl → an slog JSON log → read_logs" in said[0]
    assert {Path(s["file"]).name: s["reader"] for s in df.attrs["skipped"]} == others
    assert df.attrs["skipped_files"] == [] and alone.attrs["skipped"] == []
    with pytest.raises(DataFormatError, match=r"cpu\.pb\.gz: this is a gzip-compressed pprof profile"):
        read_traces(folder / "cpu.pb.gz")
    for f in (DEMO / "traces").iterdir():
        (folder / f.name).unlink()
    with pytest.raises(DataFormatError, match=f"no trace file among {len(others)}: .*checkout.har → a HAR file"):
        read_traces(folder)
