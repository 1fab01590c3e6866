"""``profile_top`` equals ``go tool pprof -top`` on real profiles, for every sample index, under each Go.

Profiles: ``tests/fixtures/realworld/pprof`` (see SOURCES.md), the shared
corpus (skipped when absent), Go's own ``src/cmd/compile/default.pgo`` (a
real PGO profile full of generic functions, read from the toolchain's GOROOT)
and profiles a small program with generics writes under each toolchain (CPU,
heap and allocs with four sample types, block, mutex, goroutine).
Every sample index, at functions, lines and files granularity.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS
from test_profiles import go_top, ours, ties_sorted

from apiprobe.analyze.profiles import profile_top
from apiprobe.errors import ProfileFormatError
from apiprobe.load.pprof import read_pprof

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "pprof"
GO_SRC = Path(__file__).with_name("go") / "profiles.go"
_UNIT = {"nanoseconds": "-unit=ns", "bytes": "-unit=B"}


@pytest.fixture(scope="module")
def profiles(go_toolchain: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every profile to compare, by a short name."""
    found = {p.name: p for p in sorted(REAL.iterdir()) if p.suffix in (".pprof", ".gz", ".pgo")}
    for path in sorted((CORPUS / "pprof").glob("*.pb.gz")):
        if not _legacy(path):  # the legacy pre-protobuf CPU format is refused (tests/load/test_pprof.py)
            found[f"corpus/{path.name}"] = path
    goroot = subprocess.run([go_toolchain.go, "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
    pgo = Path(goroot) / "src" / "cmd" / "compile" / "default.pgo"
    if pgo.is_file():
        found["default.pgo"] = pgo
    tmp = tmp_path_factory.mktemp(f"profiles-{go_toolchain.version}")
    src = tmp / "src"
    src.mkdir()
    shutil.copy(GO_SRC, src / "main.go")
    (src / "go.mod").write_text("module profiles\n\ngo 1.19\n")
    out = tmp / "out"
    out.mkdir()
    res = subprocess.run(
        [go_toolchain.go, "run", ".", str(out)],
        cwd=src,
        env=go_toolchain.env(tmp),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    found.update({f"{go_toolchain.version}/{p.name}": p for p in sorted(out.iterdir())})
    return found


@pytest.fixture(scope="module")
def go_env(go_toolchain: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One environment (and build cache) per toolchain for every ``go tool pprof`` run of this module."""
    return go_toolchain.env(tmp_path_factory.mktemp(f"goenv-{go_toolchain.version}"))


def _legacy(path: Path) -> bool:
    try:
        read_pprof(path)
    except ProfileFormatError as exc:
        return "legacy" in str(exc)
    return False


def _cases(profiles: dict[str, Path]) -> list[tuple[str, Path, int | None, str]]:
    cases: list[tuple[str, Path, int | None, str]] = []
    for name, path in profiles.items():
        prof = read_pprof(path)
        cases.append((name, path, None, "functions"))  # the default sample type, chosen by each side
        for i in range(len(prof.sample_types)):
            cases += [(name, path, i, g) for g in ("functions", "lines", "files")]
    return cases


def test_profile_top_equals_go_tool_pprof(go_toolchain: Any, go_env: dict[str, str], profiles: dict[str, Path]) -> None:
    env = go_env
    mismatches: list[str] = []
    compared = 0
    for name, path, index, granularity in _cases(profiles):
        prof = read_pprof(path)
        si = prof.sample_index(index)
        unit = _UNIT.get(prof.sample_types[si][1])
        args = [a for a in (unit, None if index is None else f"-sample_index={si}", f"-{granularity}") if a]
        expected = go_top(env, *args, str(path))
        got = ours(profile_top(prof, sample_index=index, granularity=granularity))  # type: ignore[arg-type]
        if go_toolchain.minor >= 26:
            got, expected = ties_sorted(got), ties_sorted(expected)
        compared += 1
        if got != expected:
            diff = next(
                (i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), min(len(got), len(expected))
            )
            which = "default" if index is None else si
            mismatches.append(
                f"{name} -sample_index={which} -{granularity}: row {diff}: ours "
                f"{got[diff] if diff < len(got) else None} vs go {expected[diff] if diff < len(expected) else None}"
            )
    print(f"{go_toolchain.version}: {compared - len(mismatches)} of {compared} tables agree ({len(profiles)} profiles)")
    assert compared >= 3 * len(profiles) + 1
    assert not mismatches, "\n".join(mismatches)


def test_generic_names_are_shortened_like_pprof(profiles: dict[str, Path]) -> None:
    """Shapes lose their parentheses; C++ template overloads merge into one row; ``(*T[…]).M`` is kept."""
    top = profile_top(read_pprof(profiles["ebpf-generic-shapes-reproduction.pb.gz"])).set_index("function")
    assert "main.Process[go.shape.interface { Close error }]" in top.index
    assert "main.Filter[go.shape.func bool]" in top.index
    assert "main.(*List[go.shape.int]).Push" in top.index
    assert "java.util.HashMap.<init>" in top.index
    assert top.loc["std::vector::push_back", "flat"] == (16 + 17) * 10_000_000
    assert not any(re.search(r"\(\)|<int>", f) for f in top.index)
    # eBPF samples of a real Go service: methods of generic types keep their shapes whole (``]).``)
    real = set(profile_top(read_pprof(profiles["parca-profile-with-labels.pb.gz"]))["function"])
    assert (
        "github.com/google/btree.(*node[go.shape.interface { Less(github.com/google/btree.Item) bool }]).iterate"
        in real
    )
    if "default.pgo" in profiles:
        names = profile_top(read_pprof(profiles["default.pgo"]))["function"]
        assert names.str.contains("[go.shape.", regex=False).sum() > 20  # Go's own PGO profile: real generic code


@pytest.mark.xfail(
    strict=True,
    reason="open: pprof runs the Itanium/Rust demangler on _Z…/_R… system names (foo::bar, "
    "core::ptr::drop_in_place, overloads merged); profile_top keeps the mangled symbol",
)
def test_mangled_cpp_and_rust_names_are_demangled_like_pprof(go_env: dict[str, str], tmp_path: Path) -> None:
    from apiprobe.demo._profiles import _Writer

    writer = _Writer()
    names = [
        "_ZN3foo3barEv",
        "_ZN3foo3barEi",
        "_ZNSt6vectorIiSaIiEE9push_backERKi",
        "_RNvCs1234_7mycrate4main",
        "_ZN4core3ptr13drop_in_place17h0123456789abcdefE",
        "main.main",
    ]
    for i, name in enumerate(names):
        writer.add([((name, 10),)], i + 1, {})
    path = tmp_path / "mangled.pb.gz"
    path.write_bytes(gzip.compress(writer.encode()))
    expected = go_top(go_env, "-unit=ns", str(path))
    assert ours(profile_top(read_pprof(path))) == expected
