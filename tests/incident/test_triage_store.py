"""Triage of an incident folder whose logs were converted into an evidence store.

The demo incident folder is copied with its ``logs/`` replaced by the store
``convert_logs`` writes of them; triage must tell the same story.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

import apiprobe as ap
from apiprobe.notebook._common import DEMO_DIR


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    src = Path(DEMO_DIR) / "incident"
    dst = tmp_path_factory.mktemp("incident") / "with-store"
    shutil.copytree(src, dst)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ap.convert_logs(dst / "logs", dst / "logs-store")
    shutil.rmtree(dst / "logs")
    return src, dst


def test_triage_reads_a_store_in_the_folder(folders: tuple[Path, Path]) -> None:
    src, dst = folders
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = ap.triage(src), ap.triage(dst)
    inv = got.inventory.set_index("path")
    row = inv.loc["logs-store/"]
    assert row["kind"] == "logs" and bool(row["usable"])
    assert row["rows"] == int(want.inventory.loc[want.inventory["kind"] == "logs", "rows"].sum())
    assert "lines read" in row["what"]
    assert not any(str(p).startswith("logs-store/service=") for p in inv.index)  # parts are not files of their own
    key = ["detector", "fault", "subject", "severity", "value"]
    assert sorted(map(tuple, got.findings[key].astype(str).to_numpy())) == sorted(
        map(tuple, want.findings[key].astype(str).to_numpy())
    )
    assert list(got.hypotheses["title"]) == list(want.hypotheses["title"])


def test_triage_of_the_store_itself(folders: tuple[Path, Path]) -> None:
    _, dst = folders
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ap.triage(dst / "logs-store")
    assert list(res.inventory["path"]) == ["logs-store/"]
    assert {"pool_exhaustion", "retry_storm"} <= set(res.findings["fault"])
