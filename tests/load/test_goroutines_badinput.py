"""Hostile and odd goroutine dumps, read in a child process under a memory and a time limit, and
properties of the dump parser."""

from __future__ import annotations

import contextlib
import gzip
import os
import zlib
from pathlib import Path

import pytest
from bounded import Outcome, run_bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from apiprobe.errors import ApiprobeError
from apiprobe.load.goroutines import parse_goroutines

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "goroutines"
DUMP = (REAL / "go1.27-debug2-pool.txt").read_bytes()


def read(path: Path, env: dict[str, str] | None = None) -> Outcome:
    return run_bounded(
        f"(lambda g: [len(g), g.attrs.get('parse_errors'), g.attrs.get('preamble_lines', 0)])"
        f"(apiprobe.read_goroutines({str(path)!r}))",
        env={**os.environ, **(env or {})},
    )


def test_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt.gz"
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as fh:
        fh.write(comp.compress(DUMP))
        for _ in range(32):
            fh.write(comp.compress(b"\0" * (64 << 20)))
        fh.write(comp.flush())
    out = read(path, env={"APIPROBE_MAX_INFLATED": "64M"})
    assert out.kind == "named_error" and "dump.txt.gz" in out.message and "APIPROBE_MAX_INFLATED" in out.message, out


@pytest.mark.parametrize(
    ("name", "data", "goroutines"),
    [
        ("bom.txt", b"\xef\xbb\xbf" + DUMP, 16),
        ("preamble.txt", b"\x1b[0mgarbled \xc2\xbf log tail\nmore text\n" + DUMP, 16),
        ("cut.txt.gz", gzip.compress(DUMP * 40)[:-200], None),
        ("crlf.txt", DUMP.replace(b"\n", b"\r\n"), 16),
        (
            "huge-ids.txt",
            b"goroutine 99999999999999999999999 [select, 99999999999999999999 minutes]:\nmain.main()\n",
            1,
        ),
        (
            "many-headers.txt",
            b"".join(b"goroutine %d [running]:\nmain.main()\n\n" % i for i in range(1, 200_001)),
            200_000,
        ),
        ("long-line.txt", b"goroutine 1 [running]:\nmain.main(" + b"0x1, " * 2_000_000 + b")\n", 1),
    ],
)
def test_odd_dumps_keep_every_goroutine(tmp_path: Path, name: str, data: bytes, goroutines: int | None) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = read(path)
    assert out.kind == "ok", out
    if goroutines is not None:
        assert out.result[0] == goroutines
    else:
        assert out.result[0] > 16  # a cut .txt.gz keeps the goroutines before the cut


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


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_goroutines_or_a_named_error(text: str) -> None:
    with contextlib.suppress(ApiprobeError):
        df = parse_goroutines(text)
        assert df.attrs["parse_errors"] >= 0


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
    with pytest.raises(DataFormatError, match="not a goroutine dump: use read_traces"):
        read_goroutines(trace)
    log = tmp_path / "app.log"
    log.write_text('{"level":"info","ts":1.5,"msg":"a"}\n{"level":"info","ts":1.6,"msg":"b"}\n')
    with pytest.raises(DataFormatError, match="not a goroutine dump: use read_logs"):
        read_goroutines(log)
