"""Hostile and odd trace and HAR files, read in a child process under a memory and a time limit.

Each must end as a named ApiprobeError naming the file, or as rows kept and
counted — never a crash, a hang or a raw exception. See ``tests/bounded.py``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from bounded import Outcome, run_bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from apiprobe.errors import ApiprobeError
from apiprobe.load.har import parse_har
from apiprobe.load.traces import parse_traces

TID, SID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def otlp(start: Any, end: Any, n: int = 1) -> dict[str, Any]:
    spans = [
        {"traceId": TID, "spanId": f"{i + 1:016x}", "name": "op", "startTimeUnixNano": start, "endTimeUnixNano": end}
        for i in range(n)
    ]
    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]}


def har(started: Any) -> dict[str, Any]:
    entry = {
        "startedDateTime": started,
        "time": 5,
        "request": {"method": "GET", "url": "http://api.test/x", "headers": []},
        "response": {"status": 200, "headers": [], "content": {}},
        "timings": {"wait": 1},
    }
    ok = {**entry, "startedDateTime": "2024-11-12T15:19:06.000Z"}
    return {"log": {"version": "1.2", "entries": [entry, ok]}}


def read(reader: str, path: Path, env: dict[str, str] | None = None) -> Outcome:
    summary = "(lambda df: [len(df), {k: v for k, v in df.attrs.items() if k in ('bad_times', 'bad_entries')}])"
    return run_bounded(f"{summary}(apiprobe.{reader}({str(path)!r}))", env={**os.environ, **(env or {})})


@pytest.mark.parametrize("depth", [1_000, 50_000])
@pytest.mark.parametrize(("reader", "suffix"), [("read_traces", ".json"), ("read_har", ".har")])
def test_deep_json_is_a_named_error(tmp_path: Path, depth: int, reader: str, suffix: str) -> None:
    path = tmp_path / f"deep{suffix}"
    key = '{"log": ' if reader == "read_har" else '{"resourceSpans": '  # each reader's own kind
    path.write_text(key + "[" * depth + "]" * depth + "}" * key.count("{"))
    out = read(reader, path)
    assert out.kind == "named_error" and "deep" in out.message, out
    if depth > 10_000:  # 1,000 levels may parse (then the structure is wrong): 50,000 cannot
        assert "nested too deeply" in out.message


@pytest.mark.parametrize(("reader", "suffix"), [("read_traces", ".json.gz"), ("read_har", ".har.gz")])
def test_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path, reader: str, suffix: str) -> None:
    path = tmp_path / f"bomb{suffix}"
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as fh:  # each reader's own kind, else it is refused before it is inflated
        fh.write(comp.compress(b'{"log": {"entries": ["' if reader == "read_har" else b'{"resourceSpans": ["'))
        for _ in range(16):
            fh.write(comp.compress(b"A" * (64 << 20)))  # 1 GiB inflated
        fh.write(comp.flush())
    out = read(reader, path, env={"APIPROBE_MAX_INFLATED": "32M"})
    assert out.kind == "named_error" and "inflates to more than 33,554,432 bytes" in out.message, out
    assert "APIPROBE_MAX_INFLATED" in out.message


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("253402300799000000000", "253402300800000000000"),  # year 9999
        (str(2**63), str(2**63 + 10)),
        ("NaN", "Infinity"),
        (float("inf"), float("-inf")),
        ("-5", "-1"),
        ("11651379494838206464", "11651379494838206464"),  # Go's zero time as uint64 (jaeger's snapshot)
    ],
)
def test_trace_times_out_of_range_are_nat_and_kept(tmp_path: Path, start: Any, end: Any) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(otlp(start, end, n=3)))
    out = read("read_traces", path)
    assert out.kind == "ok", out
    assert out.result[0] == 3


@pytest.mark.parametrize("started", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "yesterday", 5, None])
def test_har_bad_started_time_keeps_the_entry(tmp_path: Path, started: Any) -> None:
    path = tmp_path / "s.har"
    path.write_text(json.dumps(har(started)))
    out = read("read_har", path)
    assert out.kind == "ok", out
    assert out.result == [2, {"bad_entries": 1}]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("garbage.json", os.urandom(2048)),
        ("cut.json.gz", gzip.compress(json.dumps(otlp("1", "2", n=500)).encode())[:-300]),
        ("nul.json", b"\0" * 4096),
        ("empty-object.json", b"{}"),
        ("number.json", b"42"),
    ],
)
@pytest.mark.parametrize("reader", ["read_traces", "read_har"])
def test_garbage_is_a_named_error_naming_the_file(tmp_path: Path, name: str, data: bytes, reader: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = read(reader, path)
    assert out.kind == "named_error" and name in out.message, out


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_is_spans_or_a_named_error(doc: Any) -> None:
    for value in (doc, {"resourceSpans": doc}, {"data": doc}, [doc]):
        with contextlib.suppress(ApiprobeError):
            parse_traces(json.dumps(value))


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_is_har_rows_or_a_named_error(doc: Any) -> None:
    for value in (doc, {"log": doc}, {"log": {"entries": doc}}, {"log": {"entries": [doc]}}):
        with contextlib.suppress(ApiprobeError):
            parse_har(json.dumps(value))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=512))
def test_any_bytes_are_spans_or_a_named_error(data: bytes) -> None:
    with contextlib.suppress(ApiprobeError):
        parse_traces(data)
