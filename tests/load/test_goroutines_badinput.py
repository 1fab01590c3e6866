"""Hostile and odd goroutine dumps, read in a child process under a memory and a time limit, and
properties of the dump parser."""

from __future__ import annotations

import gzip
import os
import re
import warnings
import zlib
from pathlib import Path

import pandas as pd
import pytest
from bounded import Outcome, run_bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from apiprobe.errors import DataFormatError
from apiprobe.load.goroutines import parse_goroutines

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "goroutines"
DUMP = (REAL / "go1.27-debug2-pool.txt").read_bytes()


def read(path: Path, env: dict[str, str] | None = None) -> Outcome:
    """read_goroutines in a child under the memory and time limits: [rows, parse_errors, preamble_lines,
    invalid_utf8_lines, longest kept bad line]."""
    return run_bounded(
        f"(lambda g: [len(g), g.attrs.get('parse_errors'), g.attrs.get('preamble_lines', 0), "
        f"g.attrs.get('invalid_utf8_lines', 0), max([len(t) for _, t in g.attrs['bad_lines']], default=0)])"
        f"(apiprobe.read_goroutines({str(path)!r}))",
        env={**os.environ, **(env or {})},
    )


def test_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt.gz"
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as fh:
        fh.write(comp.compress(DUMP))
        for _ in range(16):
            fh.write(comp.compress(b"\0" * (64 << 20)))  # 1 GiB of zeros in about 1 MB
        fh.write(comp.flush())
    out = read(path, env={"APIPROBE_MAX_INFLATED": "10M"})
    assert out.kind == "named_error" and "dump.txt.gz" in out.message and "APIPROBE_MAX_INFLATED" in out.message, out


GARBAGE = b"\x1b[31m" + b"#" * (50 << 20)  # one 50 MB line of garbage


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        # [goroutines, parse_errors, preamble_lines, invalid_utf8_lines, longest kept bad line]
        ("bom.txt", b"\xef\xbb\xbf" + DUMP, [16, 0, 0, 0, 0]),
        ("preamble.txt", b"\x1b[0mgarbled \xc2\xbf log tail\nmore text\n" + DUMP, [16, 0, 2, 0, 0]),
        ("cut.txt.gz", gzip.compress(DUMP * 40)[:-200], None),
        ("crlf.txt", DUMP.replace(b"\n", b"\r\n"), [16, 0, 0, 0, 0]),
        (
            "huge-ids.txt",
            b"goroutine 99999999999999999999999 [select, 99999999999999999999 minutes]:\nmain.main()\n"
            b"created by main.start in goroutine 99999999999999999999999\n\t/a.go:1 +0x1\n",
            [1, 2, 0, 0, 73],
        ),
        (
            "many-headers.txt",
            b"".join(b"goroutine %d [running]:\n" % i for i in range(1, 1_000_001)),
            [1_000_000, 0, 0, 0, 0],
        ),
        ("long-line.txt", b"goroutine 1 [running]:\nmain.main(" + b"0x1, " * 10_000_000 + b")\n", [1, 0, 0, 0, 0]),
        ("garbage-line.txt", DUMP.replace(b"\n\n", b"\n" + GARBAGE + b"\n\n", 1), [16, 1, 0, 0, 500]),
        ("garbage-preamble.txt", GARBAGE + b"\n" + DUMP, [16, 0, 1, 0, 0]),
        (
            "latin1-panic.txt",
            b"panic: caf\xe9 au lait\n\n" + DUMP.replace(b"(*Pool).Query(", b"(*Pool).Query(\xff", 1),
            [16, 0, 1, 2, 0],
        ),
    ],
)
def test_odd_dumps_keep_every_goroutine(tmp_path: Path, name: str, data: bytes, expected: list[int] | None) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = read(path)
    assert out.kind == "ok", out
    if expected is not None:
        assert out.result == expected
    else:
        assert out.result[0] > 16  # a cut .txt.gz keeps the goroutines before the cut


def _pprof_goroutine_profile() -> bytes:
    """A minimal protobuf pprof goroutine profile: sample_type goroutine/count, one sample."""

    def field(tag: int, payload: bytes) -> bytes:
        return bytes([tag << 3 | 2, len(payload)]) + payload

    sample_type = field(1, b"\x08\x01\x10\x02")
    sample = field(2, b"\x0a\x01\x01\x12\x01\x05")  # location 1, value 5
    strings = b"".join(field(6, s) for s in (b"", b"goroutine", b"count"))
    return sample_type + sample + strings


@pytest.mark.parametrize("name", ["goroutine.pb.gz", "goroutine.pprof"])
def test_protobuf_goroutine_profile_names_read_pprof(tmp_path: Path, name: str) -> None:
    data = _pprof_goroutine_profile()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    out = read(path)
    assert out.kind == "named_error" and out.type == "DataFormatError", out
    assert out.message.startswith(f"{name}: this is a ") and "pprof goroutine profile (debug=0)" in out.message
    assert "not a text goroutine dump: read it with read_pprof" in out.message


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("random.bin", os.urandom(4096), "goroutine"),
        ("latin1.txt", b"caf\xe9\n" * 10, "goroutine"),
        ("trace.json", b'{"resourceSpans": []}', "goroutine"),
        ("empty.txt", b"", "goroutine"),
    ],
)
def test_not_a_dump_is_a_named_error(tmp_path: Path, name: str, data: bytes, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = read(path)
    assert out.kind == "named_error" and name in out.message and says in out.message, out


_HEADER_LINE = re.compile(r"^goroutine \d+(?: gp=0x[0-9a-f]+ m=\S+(?: mp=0x[0-9a-f]+)?)? \[[^\]]*\]:\s*$")

#: Lines a dump is made of, for the parser to meet in any order.
_DUMP_LINES = st.sampled_from(
    [
        "goroutine 1 [running]:",
        "goroutine 18 [select, 3 minutes, locked to thread]:",
        "goroutine 7 gp=0xc000002380 m=0 mp=0x5e1c20 [chan receive (nil chan)]:",
        "main.main()",
        "github.com/acme/svc.(*Pool).Get(0xc000010000, {0x1, 0x2})",
        "\t/src/main.go:12 +0x1d",
        "created by main.start in goroutine 1",
        "[originating from goroutine 4]:",
        "...additional frames elided...",
        "goroutine profile: total 3",
        "3 @ 0x1 0x2",
        "#\t0x1\tmain.f+0x1\t/a.go:1",
        "panic: boom",
        "",
    ]
)


def _headers(text: str) -> int:
    return sum(1 for ln in text.removeprefix("\ufeff").splitlines() if _HEADER_LINE.match(ln))


def _check(df: pd.DataFrame, text: str) -> None:
    assert df.attrs["parse_errors"] >= 0 and df.attrs["preamble_lines"] >= 0
    if df.attrs["format"] == "debug=2":
        assert len(df) == _headers(text)  # every goroutine header is a row, none lost
    lines = text.removeprefix("\ufeff").splitlines()
    for line_no, bad in df.attrs["bad_lines"]:
        assert lines[line_no - 1].startswith(bad)  # what is reported skipped is what the text holds there


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.text(max_size=400), st.lists(st.one_of(_DUMP_LINES, st.text(max_size=30)), max_size=40).map("\n".join))
)
def test_any_text_is_goroutines_or_a_data_format_error(text: str) -> None:
    """Property: arbitrary text gives a table with its skipped lines counted, or a DataFormatError."""
    try:
        df = parse_goroutines(text)
    except DataFormatError as exc:
        assert str(exc).startswith("<text>: ")
        return
    _check(df, text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_goroutines_or_a_data_format_error(data: bytes) -> None:
    """Property: arbitrary bytes (gzip or not) give a table or a DataFormatError, never anything else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a note on replaced bytes is expected
        try:
            df = parse_goroutines(data, source="x.bin")
        except DataFormatError as exc:
            assert str(exc).startswith("x.bin: ")
            return
    _check(df, data.decode("utf-8", "replace"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 10**6),
            st.sampled_from(["running", "select", "chan receive", "IO wait", "sync.Mutex.Lock", "semacquire"]),
            st.integers(0, 500),
        ),
        min_size=1,
        max_size=20,
        unique_by=lambda t: t[0],
    )
)
def test_generated_dumps_round_trip(goroutines: list[tuple[int, str, int]]) -> None:
    """Property: a well-formed dump gives back each goroutine's id, state and wait minutes."""
    blocks = []
    for gid, state, minutes in goroutines:
        wait = f", {minutes} minutes" if minutes else ""
        blocks.append(
            f"goroutine {gid} [{state}{wait}]:\n"
            "github.com/acme/svc/internal/db.(*Pool).Get(0xc000010000)\n"
            f"\t/src/internal/db/pool.go:{gid % 900 + 1} +0x1d\n"
            f"created by main.main in goroutine 1\n\t/src/main.go:12 +0x2a\n"
        )
    df = parse_goroutines("\n".join(blocks))
    assert len(df) == len(goroutines) and df.attrs["parse_errors"] == 0
    by_id = df.set_index(df["goroutine_id"].astype(int))
    for gid, state, minutes in goroutines:
        assert by_id.loc[gid, "state"] == state
        assert (int(by_id.loc[gid, "wait_minutes"]) if minutes else 0) == minutes
        assert by_id.loc[gid, "app_function"] == "github.com/acme/svc/internal/db.(*Pool).Get"


def test_wrong_kind_of_file_names_its_reader(tmp_path: Path) -> None:
    from apiprobe.errors import DataFormatError
    from apiprobe.load.goroutines import read_goroutines

    trace = tmp_path / "trace.json"
    trace.write_text('[{"traceId": "4bf92f3577b34da6", "id": "00f067aa0ba902b7"}]')
    with pytest.raises(DataFormatError, match="not a goroutine dump: read it with read_traces"):
        read_goroutines(trace)
    log = tmp_path / "app.log"
    log.write_text('{"level":"info","ts":1.5,"msg":"a"}\n{"level":"info","ts":1.6,"msg":"b"}\n')
    with pytest.raises(DataFormatError, match="not a goroutine dump: read it with read_logs"):
        read_goroutines(log)
