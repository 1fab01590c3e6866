"""Hostile pprof files, read in a child process under a memory and a time limit; and properties of
the protobuf reader. Every outcome is a profile or a ProfileFormatError naming the file."""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path

import pytest
from bounded import Outcome, run_bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from apiprobe.demo import demo_cpu_profile
from apiprobe.errors import ProfileFormatError, WireFormatError
from apiprobe.load._protobuf import fields, read_varint
from apiprobe.load.pprof import parse_pprof

GOOD = demo_cpu_profile()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _nested(field: int, depth: int) -> bytes:
    """``field`` holding itself ``depth`` times: length-delimited messages nested ``depth`` deep."""
    data = b""
    for _ in range(depth):
        data = bytes([field << 3 | 2]) + _varint(len(data)) + data
    return data


def read(path: Path, env: dict[str, str] | None = None) -> Outcome:
    return run_bounded(
        f"(lambda p: [p.n_samples, len(p.sample_types)])(apiprobe.read_pprof({str(path)!r}))",
        env={**os.environ, **(env or {})},
    )


def test_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pb.gz"
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as fh:
        for _ in range(32):  # 2 GiB of zeros
            fh.write(comp.compress(b"\0" * (64 << 20)))
        fh.write(comp.flush())
    out = read(path, env={"APIPROBE_MAX_INFLATED": "10M"})
    assert out.kind == "named_error" and out.type == "ProfileFormatError", out
    assert "bomb.pb.gz" in out.message and "APIPROBE_MAX_INFLATED" in out.message


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("cut.pb.gz", GOOD[: len(GOOD) // 2], "truncated"),
        ("cut-raw.pb", gzip.decompress(GOOD)[:-37], "protobuf|pprof|legacy"),
        ("huge-length.pb", b"\x12\xff\xff\xff\xff\x0f" + b"\x08\x01" * 8, "protobuf|pprof|legacy"),
        ("huge-varint.pb", b"\x08" + b"\xff" * 12, "protobuf|pprof|legacy"),
        ("random.pb", os.urandom(4096), "protobuf|pprof|legacy"),
        ("empty.pb", b"", "empty"),
        ("dump.txt", b"goroutine 1 [running]:\nmain.main()\n\t/app/main.go:9 +0x1d\n", "read it with read_goroutines"),
        ("dump.txt.gz", gzip.compress(b"goroutine 1 [running]:\nmain.main()\n"), "read it with read_goroutines"),
        ("spans.json", b'{"resourceSpans": [{"scopeSpans": []}]}', "read it with read_traces"),
        (
            "app.log",
            b'{"level":"info","ts":1.5,"msg":"a"}\n{"level":"info","ts":1.6,"msg":"b"}\n',
            "read it with read_logs",
        ),
        ("capture.har", b'{"log": {"version": "1.2", "entries": []}}', "read it with read_har"),
        ("trace.out", b"go 1.22 trace\x00\x00\x00" + os.urandom(64), "Go execution trace.*read it with read_go_trace"),
        ("events.json", b'{"traceEvents": [{"ph": "X"}]}', "Chrome trace-event JSON"),
        ("top.txt", b"Showing nodes accounting for 10ms\n      flat  flat%   sum%        cum   cum%\n", "text report"),
        ("stacks.folded", b"main;work;compute 120\nmain;idle 3\n", "collapsed stacks"),
        ("notes.txt", "résumé of the incident\n".encode(), "a text file"),
        ("deep.pb", _nested(1, 20_000), "wire type 2, expected a varint"),
        ("deep-mapping.pb", _nested(3, 20_000), "wire type 2, expected a varint"),
    ],
)
def test_bad_files_are_named_errors(tmp_path: Path, name: str, data: bytes, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = read(path)
    assert out.kind == "named_error" and out.type == "ProfileFormatError", out
    assert name in out.message and re.search(says, out.message), out.message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_protobuf_reader_raises_only_wire_format_errors(data: bytes) -> None:
    """Property: any bytes give fields within bounds, or a WireFormatError."""
    try:
        for field, wire, value, end in fields(data, 0, len(data)):
            assert field > 0 and wire in (0, 1, 2, 5)
            assert end <= len(data)
            if wire == 2:
                assert 0 <= value <= end
    except WireFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_varints_round_trip(value: int) -> None:
    encoded = bytearray()
    v = value
    while True:
        byte = v & 0x7F
        v >>= 7
        encoded.append(byte | (0x80 if v else 0))
        if not v:
            break
    assert read_varint(bytes(encoded), 0) == (value, len(encoded))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_profiles_parse_or_raise_profile_format_error(data: st.DataObject) -> None:
    """Property: a real profile with bytes flipped, cut or inserted is a profile or a ProfileFormatError."""
    raw = bytearray(gzip.decompress(GOOD))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del raw[at : at + data.draw(st.integers(1, 16))]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    try:
        parse_pprof(bytes(raw), source="mutated.pb")
    except ProfileFormatError as exc:
        assert "mutated.pb" in str(exc)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.binary(max_size=200).map(gzip.compress))
def test_any_bytes_are_a_profile_or_a_profile_format_error(data: bytes) -> None:
    """Property: whatever the bytes (raw or gzip), parse_pprof gives a profile or a ProfileFormatError naming them."""
    try:
        parse_pprof(data, source="any.pb")
    except ProfileFormatError as exc:
        assert "any.pb" in str(exc)
