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
