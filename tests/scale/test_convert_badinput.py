"""Bad input at scale: each ends in a clear error or a counted skip, and the store already written stays readable.

A corrupt gzip in the middle of a folder, a 2 GiB single line, a file that
disappears mid-run, a full disk on write (a file-size limit, and a real
1 MiB tmpfs when this runs as root), a kill mid-run, stray files in the
store. Real files and processes, no mocks; the memory bound of the 2 GiB
line is measured (``ru_maxrss``), nothing is timed.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from apiprobe.errors import EventStoreError
from apiprobe.load._limits import DEFAULT_MAX_LINE, MAX_LINE_ENV
from apiprobe.load.event_store import MANIFEST, is_event_store, open_events, read_events, read_manifest, store_parts
from apiprobe.scale.convert import convert_logs

REPO = Path(__file__).resolve().parents[2]


def _lines(n: int, service: str, *, noise: int = 0, start: float = 1710410400.0) -> bytes:
    """``n`` zap lines of ``service``; ``noise`` random hex bytes per message make them incompressible."""
    return "".join(
        json.dumps(
            {
                "level": "error" if i % 10 == 0 else "info",
                "ts": start + i,
                "msg": f"{service} {i} {os.urandom(noise).hex()}" if noise else f"{service} {i}",
                "service": service,
            }
        )
        + "\n"
        for i in range(n)
    ).encode()


def _convert(paths: Any, out: Path, **kw: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return convert_logs(paths, out, progress=False, **kw)


def _assert_store_holds_exactly_its_converted_files(store: Path) -> pd.DataFrame:
    """The store reads, and holds the rows of the files its manifest lists as converted, and only those."""
    manifest = read_manifest(store)
    converted = [f for f in manifest["files"] if f["status"] == "converted"]
    events = read_events(store)
    assert len(events) == manifest["rows"] == sum(p["rows"] for f in converted for p in f["parts"])
    assert set(events["source_file"]) == {f["source_file"] for f in converted if f["parts"]}
    for f in converted:
        assert (events["source_file"] == f["source_file"]).sum() == f["lines"] - f["blank"]
    assert all(p.is_file() for p in store_parts(store))
    assert not list(store.rglob("*.tmp"))
    return events


def _run_child(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter (this venv, this checkout), no time limit."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True, env=full_env, check=False
    )


# --------------------------------------------------------------------------- corrupt gzip


def test_corrupt_gzip_in_the_middle_of_a_folder(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.log").write_bytes(_lines(100, "a"))
    original = _lines(5000, "b", noise=32)
    full = gzip.compress(original)
    (src / "b.log.gz").write_bytes(full[: len(full) // 2])  # truncated mid-stream
    (src / "c.log.gz").write_bytes(
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + os.urandom(4000)
    )  # garbage after magic
    (src / "d.log").write_bytes(_lines(50, "d"))
    store = tmp_path / "store"
    with pytest.warns(UserWarning) as caught:
        result = convert_logs(src, store, progress=False)
    messages = [str(w.message) for w in caught]
    assert any("b.log.gz" in m and "cut or corrupt" in m for m in messages)
    assert any("c.log.gz" in m and "does not inflate" in m for m in messages)

    by_name = {Path(f).name: row for f, row in zip(result["source_file"], result.itertuples(), strict=True)}
    assert sorted(by_name) == ["a.log", "b.log.gz", "d.log"]
    assert set(result["status"]) == {"converted"}
    cut = by_name["b.log.gz"]
    assert 0 < cut.lines < 5000 and "gzip data cut or corrupt after line" in cut.note
    assert "the lines before it are kept" in cut.note
    # the garbage gzip is found unreadable while the folder is listed: counted with its reason
    skipped = result.attrs["skipped"]
    assert [Path(s["file"]).name for s in skipped] == ["c.log.gz"] and "does not inflate" in skipped[0]["what"]
    assert read_manifest(store)["skipped_other_kinds"] == skipped

    events = _assert_store_holds_exactly_its_converted_files(store)
    kept = events[events["source_file"] == str(src / "b.log.gz")].sort_values("line_no")
    assert kept["line_no"].tolist() == list(range(1, cut.lines + 1))
    whole = original.decode().splitlines()
    good = kept[kept["parse_ok"]]
    assert len(good) >= cut.lines - 1  # at most the line the cut went through is unparsed
    assert good["msg"].tolist() == [json.loads(line)["msg"] for line in whole[: len(good)]]


def test_corrupt_gzip_named_explicitly_is_a_counted_skip(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.log").write_bytes(_lines(20, "a"))
    bad = src / "c.log.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + os.urandom(4000))
    (src / "d.log").write_bytes(_lines(30, "d"))
    seen: list[dict[str, Any]] = []
    store = tmp_path / "store"
    with pytest.warns(UserWarning, match="convert_logs: skipped .*c.log.gz"):
        result = convert_logs([src / "a.log", bad, src / "d.log"], store, progress=False, on_file=seen.append)
    assert result["status"].tolist() == ["converted", "skipped", "converted"]
    row = result.iloc[1]
    assert str(bad) in row["error"] and "corrupt gzip" in row["error"]
    assert row["rows"] == 0 and row["parts"] == 0
    assert [r["status"] for r in seen] == ["converted", "skipped", "converted"]
    manifest = read_manifest(store)
    assert [f["status"] for f in manifest["files"]] == ["converted", "skipped", "converted"]
    assert manifest["files"][1]["error"] == row["error"]
    assert len(_assert_store_holds_exactly_its_converted_files(store)) == 50


# --------------------------------------------------------------------------- a 2 GiB line


_HUGE_LINE_CHILD = """
import json, resource, sys, warnings
from apiprobe.scale.convert import convert_logs
warnings.simplefilter("ignore")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = convert_logs(sys.argv[1], sys.argv[2], progress=False)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "after_kib": after, "rows": result.to_dict("records")}, default=str))
"""


@pytest.mark.slow
def test_a_2gib_single_line_is_kept_cut_in_bounded_memory(tmp_path: Path) -> None:
    """A sparse file (~1 MiB on disk): 3 lines, one line of 2 GiB + 5 bytes, one more line."""
    src = tmp_path / "in"
    src.mkdir()
    log = src / "huge.log"
    prefix = b'{"level":"info","msg":"' + b"a" * (1 << 20)
    with log.open("wb") as fh:
        for i in range(3):
            fh.write(json.dumps({"level": "info", "ts": 1710410400 + i, "msg": f"before {i}"}).encode() + b"\n")
        start = fh.tell()
        fh.write(prefix)
    os.truncate(log, start + (2 << 30) + 5)  # the rest of the line: a hole of NUL bytes, no disk used
    with log.open("ab") as fh:
        fh.write(
            b"\n" + json.dumps({"level": "error", "ts": 1710410405, "msg": "after the long line"}).encode() + b"\n"
        )
    if log.stat().st_blocks * 512 > 64 << 20:
        pytest.skip(f"{tmp_path} does not keep files sparse")
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if k != MAX_LINE_ENV}  # the default cap
    child = subprocess.run(
        [sys.executable, "-c", _HUGE_LINE_CHILD, str(src), str(store)],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    growth_mib = (out["after_kib"] - out["before_kib"]) / 1024  # ru_maxrss is in KiB on Linux
    assert growth_mib < 512, f"peak resident memory grew by {growth_mib:.0f} MiB reading a 2 GiB line"

    (record,) = out["rows"]
    assert record["status"] == "converted" and record["bytes"] == log.stat().st_size
    assert record["lines"] == 5 and record["parsed"] == 4 and record["unparsed"] == 1
    assert f"longer than {DEFAULT_MAX_LINE:,} bytes kept cut" in record["note"]
    events = _assert_store_holds_exactly_its_converted_files(store)
    assert events.sort_values("line_no")["line_no"].tolist() == [1, 2, 3, 4, 5]
    cut = events[events["line_no"] == 4].iloc[0]
    assert not cut["parse_ok"] and pd.isna(cut["msg"])
    assert cut["raw"].startswith(prefix.decode()) and len(cut["raw"]) == DEFAULT_MAX_LINE
    after = events[events["line_no"] == 5].iloc[0]
    assert after["parse_ok"] and after["msg"] == "after the long line" and after["level"] == "error"
    assert read_manifest(store)["files"][0]["note"] == record["note"]


# --------------------------------------------------------------------------- a file that disappears


def test_a_file_that_disappears_mid_run_is_a_counted_skip(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, n in (("01.log", 40), ("02.log", 50), ("03.log", 60)):
        (src / name).write_bytes(_lines(n, name[:2]))
    doomed = src / "02.log"
    seen: list[dict[str, Any]] = []

    def on_file(row: dict[str, Any]) -> None:
        seen.append(row)
        if row["source_file"] == str(src / "01.log"):
            doomed.unlink()  # gone after the folder was listed, before its turn

    store = tmp_path / "store"
    with pytest.warns(UserWarning, match="convert_logs: skipped .*02.log"):
        result = convert_logs(src, store, progress=False, on_file=on_file)
    assert result["status"].tolist() == ["converted", "skipped", "converted"]
    gone = result.iloc[1]
    assert gone["source_file"] == str(doomed) and str(doomed) in gone["error"]
    assert "cannot open" in gone["error"] and gone["rows"] == 0
    assert gone["bytes"] == len(_lines(50, "02"))  # its size when the folder was listed
    assert [r["source_file"] for r in seen] == result["source_file"].tolist()
    manifest = read_manifest(store)
    assert [(Path(f["source_file"]).name, f["status"]) for f in manifest["files"]] == [
        ("01.log", "converted"),
        ("02.log", "skipped"),
        ("03.log", "converted"),
    ]
    assert "parts" not in manifest["files"][1] or not manifest["files"][1]["parts"]
    events = _assert_store_holds_exactly_its_converted_files(store)
    assert len(events) == 100 and not (store / "service=02").exists()


# --------------------------------------------------------------------------- a full disk


def _full_disk_inputs(src: Path) -> None:
    """a.log fits anywhere; b.log's part (~2 MB of incompressible text) fits neither limit; c.log is never reached."""
    src.mkdir()
    (src / "a.log").write_bytes(_lines(100, "a"))
    (src / "b.log").write_bytes(_lines(25_000, "b", noise=64, start=1710420000.0))
    (src / "c.log").write_bytes(_lines(10, "c"))


def _assert_left_after_a_full_disk(store: Path, src: Path, message: str) -> None:
    assert "part-" in message and ".parquet" in message and str(store / "service=b") in message
    assert "cannot write a part of the store" in message
    assert f"the store at {store} keeps the files converted before this one" in message
    manifest = read_manifest(store)
    assert [(Path(f["source_file"]).name, f["status"]) for f in manifest["files"]] == [
        ("a.log", "converted"),
        ("b.log", "failed"),
    ]
    assert manifest["files"][1]["error"] == message
    events = _assert_store_holds_exactly_its_converted_files(store)
    assert set(events["source_file"]) == {str(src / "a.log")} and len(events) == 100
    assert not list(store.glob("service=b/**/*.parquet*"))  # the failed part, and its temporary file, deleted
    assert sorted(store.rglob("*.parquet")) == sorted(store_parts(store))  # nothing of b.log left behind


_FSIZE_CHILD = """
import resource, signal, sys, warnings
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from apiprobe.errors import EventStoreError
from apiprobe.scale.convert import convert_logs
warnings.simplefilter("ignore")
try:
    convert_logs(sys.argv[1], sys.argv[2], progress=False)
except EventStoreError as exc:
    print("EventStoreError:", exc)
    sys.exit(3)
print("no error")
"""


def test_full_disk_file_size_limit_raises_and_keeps_the_files_before(tmp_path: Path) -> None:
    """RLIMIT_FSIZE of 256 KiB in a child: writing b.log's part fails with EFBIG."""
    src = tmp_path / "in"
    _full_disk_inputs(src)
    store = tmp_path / "store"
    child = _run_child(_FSIZE_CHILD, str(src), str(store), str(256 << 10))
    assert child.returncode == 3, (child.stdout, child.stderr[-3000:])
    message = child.stdout.strip().removeprefix("EventStoreError: ")
    assert "File too large" in message or "errno 27" in message, message
    _assert_left_after_a_full_disk(store, src, message)
    # the store is replaced normally once there is room
    result = _convert(src, store, overwrite=True)
    assert result["status"].tolist() == ["converted"] * 3
    _assert_store_holds_exactly_its_converted_files(store)


def test_full_disk_on_a_1mib_tmpfs_raises_and_keeps_the_files_before(tmp_path: Path) -> None:
    """A real ENOSPC: the store on a 1 MiB tmpfs (needs root and a mount that works here)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("no mount/umount command")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        src = tmp_path / "in"
        _full_disk_inputs(src)
        store = disk / "store"
        with pytest.raises(EventStoreError) as err:
            _convert(src, store)
        message = str(err.value)
        assert "No space left on device" in message or "errno 28" in message, message
        _assert_left_after_a_full_disk(store, src, message)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True, check=False)
    assert not list(disk.iterdir())  # unmounted: the tmpfs and its store are gone


# --------------------------------------------------------------------------- a kill, stray files


_KILL_CHILD = """
import os, signal, sys, warnings
from apiprobe.load.event_store import EventStoreWriter
from apiprobe.scale.convert import convert_logs
warnings.simplefilter("ignore")
kill_at = int(sys.argv[3])
write = EventStoreWriter._write_part
calls = 0

def write_then_die(self, tables, final):
    global calls
    record = write(self, tables, final)
    calls += 1
    if calls == kill_at:  # a SIGKILL right after this part is renamed into place, before the file is committed
        os.kill(os.getpid(), signal.SIGKILL)
    return record

EventStoreWriter._write_part = write_then_die
convert_logs(sys.argv[1], sys.argv[2], progress=False)
"""


@pytest.mark.parametrize(("kill_at", "kept"), [(1, []), (2, ["a.log"])], ids=["in-first-file", "in-second-file"])
def test_a_kill_mid_run_leaves_a_store_of_the_files_finished_before(
    tmp_path: Path, kill_at: int, kept: list[str]
) -> None:
    """a.log makes one part; b.log two (two services): the kill leaves a part on disk that no manifest lists."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.log").write_bytes(_lines(30, "a"))
    (src / "b.log").write_bytes(_lines(20, "b1") + _lines(20, "b2"))
    store = tmp_path / "store"
    child = _run_child(_KILL_CHILD, str(src), str(store), str(kill_at))
    assert child.returncode == -9, (child.returncode, child.stderr[-3000:])
    assert len(list(store.rglob("*.parquet"))) == kill_at  # the part written just before the kill is there …
    manifest = read_manifest(store)  # … but the manifest lists only the files finished before it
    assert [Path(f["source_file"]).name for f in manifest["files"]] == kept
    assert is_event_store(store)
    events = _assert_store_holds_exactly_its_converted_files(store)
    assert len(events) == 30 * len(kept)
    assert open_events(store).aggregate("count(*)").fetchall() == [(len(events),)]


def test_stray_files_in_the_store_are_ignored(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.log").write_bytes(_lines(30, "a"))
    (src / "b.log").write_bytes(_lines(40, "b"))
    store = tmp_path / "store"
    _convert(src, store)
    before = read_events(store)
    (committed,) = [p for p in store_parts(store) if "service=a" in str(p)]
    shutil.copy(committed, committed.with_name("part-1-999999.parquet"))  # a complete part no manifest lists
    (committed.parent / "part-1-999998.parquet.tmp").write_bytes(b"PAR1 half a part")  # a write cut short
    stray_dir = store / "service=zzz" / "date=2024-03-14"
    stray_dir.mkdir(parents=True)
    shutil.copy(committed, stray_dir / "part-2-000001.parquet")
    (store / (MANIFEST + ".tmp")).write_text("{", encoding="utf-8")  # a manifest write cut short
    assert len(store_parts(store)) == 2
    assert open_events(store).aggregate("count(*)").fetchall() == [(70,)]
    after = read_events(store)
    pd.testing.assert_frame_equal(after.drop(columns="attrs"), before.drop(columns="attrs"))
