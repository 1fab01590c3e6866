"""Hostile and odd log files, each read in a child process under a memory and a time limit.

The outcome class is what is asserted: rows kept and counted (or, where
nothing is readable, a named error) — never a crash, a hang, a raw exception
or a whole file lost for one bad line. See ``tests/bounded.py``.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from bounded import Outcome, run_bounded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiprobe.errors import ApiprobeError
from apiprobe.load._jsonlines import iter_line_chunks
from apiprobe.load.logs import parse_logs

GOOD = [
    json.dumps({"level": "info", "ts": 1731424746.0 + i, "caller": "api/h.go:12", "msg": f"request {i}"})
    for i in range(20)
]
#: A log.gz (incompressible messages, ~600 KB) to cut short.
CUT_GZ = gzip.compress(
    "".join(json.dumps({"level": "info", "msg": os.urandom(64).hex()}) + "\n" for _ in range(4000)).encode()
)
#: The child's answer: rows, unparsed rows, and the per-file note.
SUMMARY = (
    "(lambda ev: [len(ev), int((~ev['parse_ok']).sum()), "
    "apiprobe.summarize_log_sources(ev)['note'].iloc[0] if len(ev) else None])"
)


def read(path: Path, env: dict[str, str] | None = None, **kw: object) -> Outcome:
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    full_env = {**os.environ, **(env or {})}
    return run_bounded(f"{SUMMARY}(apiprobe.read_logs({str(path)!r}{', ' + args if args else ''}))", env=full_env)


def deep_line(depth: int) -> str:
    return '{"level":"error","ts":1731424750.5,"msg":"deep","x":' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [1_000, 20_000, 50_000])
@pytest.mark.parametrize("where", ["middle", "first lines (dialect detection)"])
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gz"])
def test_deeply_nested_line_is_one_unparsed_row(tmp_path: Path, depth: int, where: str, compressed: bool) -> None:
    """pyarrow's reader crashes on ~50,000 levels and json.loads raises RecursionError past ~1,000."""
    lines = [deep_line(depth), *GOOD] if where.startswith("first") else [*GOOD[:10], deep_line(depth), *GOOD[10:]]
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path / ("deep.log.gz" if compressed else "deep.log")
    path.write_bytes(gzip.compress(data) if compressed else data)
    out = read(path)
    assert out.kind == "ok", out
    rows, unparsed, _ = out.result
    assert rows == 21  # every line kept
    assert unparsed <= 1  # the deep line is one unparsed row (1,000 levels may still parse)


def test_gzip_bomb_without_newline_is_cut_and_capped(tmp_path: Path) -> None:
    """2 GiB of zeros in a 2 MB .gz: one endless line, read in bounded memory, kept cut, with notes."""
    bomb = tmp_path / "bomb.log.gz"
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    with bomb.open("wb") as fh:
        fh.write(comp.compress(("\n".join(GOOD) + "\n").encode()))
        block = b"\0" * (64 << 20)
        for _ in range(32):  # 2 GiB inflated
            fh.write(comp.compress(block))
        fh.write(comp.flush())
    assert bomb.stat().st_size < 4 << 20
    out = read(bomb, env={"APIPROBE_MAX_INFLATED": "256M", "APIPROBE_MAX_LINE": "1M"})
    assert out.kind == "ok", out
    rows, unparsed, note = out.result
    assert (rows, unparsed) == (21, 1)  # the good lines, then the endless one, cut
    assert "longer than 1,048,576 bytes" in note and "APIPROBE_MAX_INFLATED" in note


def test_long_line_in_plain_file_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    with path.open("w") as fh:
        fh.write("\n".join(GOOD[:5]) + "\n")
        fh.write('{"level":"info","msg":"' + "a" * (40 << 20) + '"}\n')
        fh.write("\n".join(GOOD[5:]) + "\n")
    out = read(path, env={"APIPROBE_MAX_LINE": "1M"})
    assert out.kind == "ok", out
    rows, unparsed, note = out.result
    assert (rows, unparsed) == (21, 1) and "longer than" in note


@pytest.mark.parametrize(
    ("name", "data", "rows", "unparsed"),
    [
        ("garbage.log", os.urandom(4096).replace(b"\n", b"x") + b"\n" + ("\n".join(GOOD) + "\n").encode(), 21, 1),
        ("nul.log", ("\n".join(GOOD) + "\n").encode().replace(b"request 3", b"req\0est 3"), 20, 1),
        ("latin1.log", ("\n".join(GOOD) + "\n").encode() + b'{"level":"info","msg":"caf\xe9"}\n', 21, 1),
        ("crlf.log", ("\r\n".join(GOOD) + "\r\n").encode(), 20, 0),
        (
            "zero-time.log",
            ("\n".join([*GOOD, '{"level":"info","time":"0001-01-01T00:00:00Z","msg":"unset"}'])).encode(),
            21,
            0,
        ),
        (
            "year-9999.log",
            ("\n".join([*GOOD, '{"level":"info","time":"9999-12-31T23:59:59Z","msg":"far"}'])).encode(),
            21,
            0,
        ),
        ("cut.log.gz", CUT_GZ[: len(CUT_GZ) * 4 // 5], None, None),
    ],
)
def test_odd_files_keep_every_line(
    tmp_path: Path, name: str, data: bytes, rows: int | None, unparsed: int | None
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    out = read(path)
    assert out.kind == "ok", out
    if rows is not None:
        assert out.result[:2] == [rows, unparsed]
    else:  # a cut gzip keeps the lines before the cut, and says so
        assert out.result[0] > 0 and "cut or corrupt" in out.result[2]


def test_nothing_readable_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.log.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    out = read(path)
    assert out.kind == "named_error" and "empty.log.gz" in out.message, out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=200), max_size=30))
def test_any_text_is_rows_or_a_named_error(lines: list[str]) -> None:
    """Property: any text gives one row per non-blank line, or an ApiprobeError; nothing else."""
    text = "\n".join(lines)
    try:
        ev = parse_logs(text)
    except ApiprobeError:
        return
    # lines end at \n only; a line of Unicode-only blanks (NBSP) is blank to the text path, a row to the JSON one
    most = sum(1 for ln in text.split("\n") if ln.encode().strip())
    least = sum(1 for ln in text.split("\n") if ln.strip())
    assert least <= len(ev) <= most


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"level": st.sampled_from(["debug", "info", "warn", "error"]), "msg": st.text(min_size=1, max_size=40)},
            optional={"n": st.integers(-(2**70), 2**70), "f": st.floats(allow_nan=False), "s": st.text(max_size=20)},
        ),
        min_size=1,
        max_size=20,
    )
)
def test_generated_json_lines_round_trip(records: list[dict[str, object]]) -> None:
    """Property: generated JSON log lines come back one row each, with their level and message."""
    text = "\n".join(json.dumps(r) for r in records)
    ev = parse_logs(text)
    assert len(ev) == len(records)
    assert ev.sort_values("line_no")["msg"].tolist() == [r["msg"] for r in records]


def test_zerolog_console_line_of_pairs_is_linear(tmp_path: Path) -> None:
    """``a=a=a=…`` split into message and pairs by a regex backtracked exponentially (minutes at 30 pairs)."""
    good = [f"3:19PM INF request {i} status=200 latency=1.2" for i in range(10)]
    hostile = ["3:19PM INF " + "a=" * 5_000 + " x", "3:19PM WRN " + "k=v " * 50_000 + "end", '3:19PM ERR k="' * 2_000]
    path = tmp_path / "console.log"
    path.write_text("\n".join(good[:5] + hostile + good[5:]) + "\n")
    out = run_bounded(
        f"{SUMMARY}(apiprobe.read_logs({str(path)!r}))", env={**os.environ}, timeout_s=120
    )  # a ceiling for a runaway, not a performance target
    assert out.kind == "ok", out
    assert out.result[:2] == [13, 0]


def test_hundred_megabyte_single_line(tmp_path: Path) -> None:
    """One 100 MB line without a line break (plain file): kept cut as one unparsed row, with a note."""
    path = tmp_path / "one-line.log"
    with path.open("wb") as fh:
        fh.write(b'{"level":"info","msg":"')
        block = b"x" * (1 << 20)
        for _ in range(100):
            fh.write(block)
    out = read(path, env={"APIPROBE_MAX_LINE": "1M"})
    assert out.kind == "ok", out
    rows, unparsed, note = out.result
    assert (rows, unparsed) == (1, 1) and "longer than 1,048,576 bytes" in note


def test_mixed_dialects_in_one_file(tmp_path: Path) -> None:
    """gin requests with gin's debug lines, a JSON line, a Go panic and binary noise: every line kept."""
    text = [
        '[GIN-debug] [WARNING] Running in "debug" mode. Switch to "release" mode in production.',
        "[GIN-debug] GET    /ping                     --> main.main.func1 (3 handlers)",
        '[GIN] 2024/11/12 - 15:19:06 | 200 |     953.2µs |       127.0.0.1 | GET      "/ping"',
        '{"level":"error","ts":1731424746.5,"msg":"db down","status":503}',
        '[GIN] 2024/11/12 - 15:19:07 | 503 |  1.500342s |       127.0.0.1 | PUT      "/v1/orders/7"',
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "goroutine 1 [running]:",
        "\x00\x01\x02 garbage",
        '[GIN] 2024/11/12 - 15:19:08 | 404 |       5.1µs |       10.0.0.9 | GET      "/favicon.ico"',
    ]
    path = tmp_path / "mixed.log"
    path.write_text("\n".join(text) + "\n")
    out = run_bounded(
        f"(lambda ev: [len(ev), int((~ev['parse_ok']).sum()), apiprobe.summarize_log_sources(ev)['dialect'].iloc[0], "
        "sorted(int(s) for s in ev['status'].dropna()), sorted(round(x, 4) for x in ev['latency_ms'].dropna())])"
        f"(apiprobe.read_logs({str(path)!r}))",
        env={**os.environ},
    )
    assert out.kind == "ok", out
    rows, unparsed, dialect, statuses, latencies = out.result
    assert (rows, unparsed, dialect) == (9, 3, "gin")  # the panic, its goroutine header and the noise
    assert statuses == [200, 404, 503, 503] and latencies == [0.0051, 0.9532, 1500.342]


class _CountingStream(io.BytesIO):
    """Records how many bytes each ``readinto`` was offered (each buffer ``iter_line_chunks`` allocates)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.offered: list[int] = []

    def readinto(self, buffer: Any) -> int:  # type: ignore[override]
        self.offered.append(len(buffer))
        return super().readinto(buffer)


def test_a_long_line_is_not_copied_once_per_chunk() -> None:
    """A line with no break across many chunks: the buffer doubles, so it is copied O(log n) times, not O(n)."""
    line = b"z" * (4 << 20)
    stream = _CountingStream(line + b"\nnext\n")
    chunks = list(iter_line_chunks(stream, chunk_bytes=4096, max_line=64 << 20))
    assert [len(c.starts) for c in chunks] == [2] and chunks[0].line(0) == line and chunks[0].line(1) == b"next"
    # 4 MiB in 4 KiB chunks: ~1,000 buffers (and a quadratic 2 GiB of copying) before; now ~12
    assert len(stream.offered) < 20
