"""Paths given by users: files, folders (recursive), globs, each file once."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiprobe.errors import DataFormatError
from apiprobe.load._paths import expand_paths


def test_files_folders_and_globs(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    assert expand_paths(tmp_path, what="log") == [tmp_path / "a.log", tmp_path / "sub" / "b.json"]
    assert expand_paths(tmp_path, what="trace", suffixes=(".json",)) == [tmp_path / "sub" / "b.json"]
    assert expand_paths([tmp_path / "a.log", str(tmp_path / "*.log")], what="log") == [tmp_path / "a.log"]
    with pytest.raises(DataFormatError, match=r"no file matches"):
        expand_paths(str(tmp_path / "*.gz"), what="log")
    with pytest.raises(DataFormatError, match=r"holds no trace files \(\*\.ndjson\)"):
        expand_paths(tmp_path, what="trace", suffixes=(".ndjson",))
    with pytest.raises(DataFormatError, match="no such file"):
        expand_paths(tmp_path / "nope.log", what="log")


def test_evidence_files_keep_their_kind_and_skip_the_others(tmp_path: Path) -> None:
    from apiprobe.load._paths import evidence_files

    (tmp_path / "app.log").write_text('{"level":"info","ts":1.5,"msg":"a"}\n')
    (tmp_path / "notes.txt").write_text("some prose\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "dump.txt").write_text("goroutine 1 [running]:\nmain.main()\n")
    keep, skipped = evidence_files(tmp_path, kind="logs", what="log", try_shapes=frozenset({"prose"}))
    assert keep == [tmp_path / "app.log", tmp_path / "notes.txt"]
    assert skipped == [
        {
            "file": str(tmp_path / "sub" / "dump.txt"),
            "label": "sub/dump.txt",
            "kind": "goroutines",
            "what": "a goroutine dump (debug=2)",
            "reader": "read_goroutines",
        }
    ]
    keep, _ = evidence_files(tmp_path, kind="logs", what="log")  # prose is not tried unless asked
    assert keep == [tmp_path / "app.log"]
    with pytest.raises(DataFormatError, match=r"dump\.txt: this is a goroutine dump \(debug=2\), not a log file"):
        evidence_files(tmp_path / "sub" / "dump.txt", kind="logs", what="log")
    keep, _ = evidence_files(tmp_path / "sub" / "dump.txt", kind="logs", what="log", refuse_explicit=False)
    assert keep == [tmp_path / "sub" / "dump.txt"]
    with pytest.raises(DataFormatError, match=r"no trace file among 3: app\.log → a zap JSON log → read_logs"):
        evidence_files(tmp_path, kind="traces", what="trace")
