"""Goroutine dumps written by Go 1.19 and 1.27 (tests/fixtures/realworld/goroutines), checked
against what the files say when counted independently; and the same program run again here."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apiprobe.load.goroutines import parse_goroutines, read_goroutines

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "goroutines"
PROGRAM = Path(__file__).with_name("go") / "poolpanic"
HEADER = re.compile(r"^goroutine (\d+) \[([^\],]+)", re.M)


def check_dump(text: str, df: Any, minor: int) -> None:
    headers = HEADER.findall(text)
    assert len(df) == len(headers) and df.attrs["parse_errors"] == 0
    assert sorted(df["goroutine_id"].astype(int)) == sorted(int(g) for g, _ in headers)
    assert df["state"].value_counts().to_dict() == {s: n for s, n in _counts(st for _, st in headers).items()}
    # module paths are application code: every pool waiter's application frame is in the module
    waiters = df[df["state"] == "chan receive"]
    assert len(waiters) == 10
    assert (waiters["app_function"] == "github.com/acme/payments/internal/db.(*Pool).Query").all()
    mutex = "sync.Mutex.Lock" if minor >= 20 else "semacquire"
    assert int((df["state"] == mutex).sum()) == 2
    assert (df["created_in"].notna().sum() > 0) == (minor >= 21)


def _counts(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in REAL.glob("go1.*.txt")))
def test_fixture_dumps(name: str) -> None:
    minor = int(name.split("-")[0].split(".")[1])
    df = read_goroutines(REAL / name)
    check_dump((REAL / name).read_text(), df, minor)
    if "panic" in name:
        assert df.attrs["preamble"] == ["panic: assignment to entry in nil map"]


@pytest.mark.parametrize("mode", ["dump", "panic"])
def test_same_program_under_each_toolchain(go_toolchain: Any, tmp_path: Path, mode: str) -> None:
    src = tmp_path / "src"
    shutil.copytree(PROGRAM, src)
    env = {**go_toolchain.env(tmp_path), "GOTRACEBACK": "all"}
    build = subprocess.run(
        [go_toolchain.go, "build", "-o", str(tmp_path / "payments"), "."],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run(
        [str(tmp_path / "payments"), *(["dump"] if mode == "dump" else [])],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GOTRACEBACK": "all"},
    )
    text = run.stdout if mode == "dump" else run.stderr
    assert (run.returncode == 0) == (mode == "dump"), run.stderr[-500:]
    df = parse_goroutines(text, source=f"{go_toolchain.version}-{mode}")
    check_dump(text, df, go_toolchain.minor)
