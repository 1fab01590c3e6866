"""`make lab`, the README's entry point to the notebooks, starts JupyterLab and serves ``notebooks/``.

The test runs the Makefile's own ``lab`` target (server options through
``LAB_ARGS``: no browser, loopback, a free port, a token) and asks the server
for its root folder. It never lets ``make`` install anything: when the venv's
stamp is out of date, ``make lab`` would run pip first, so the test skips.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest
from jupyter_helpers import (
    NOTEBOOKS_DIR,
    REPO,
    SERVER_START_TIMEOUT_S,
    free_port,
    http_json,
    isolated_jupyter_env,
    log_tail,
    stop_process_group,
    wait_for_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

STAMP = ".venv/.installed"


def make_or_skip() -> str:
    """``make``, or skip when it is missing or when ``make lab`` would reinstall the venv first.

    Returns
    -------
    str
        The path of ``make``.
    """
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    # `make -q TARGET` exits 0 when TARGET is up to date by the Makefile's own rules
    fresh = subprocess.run([make, "-C", str(REPO), "-q", STAMP], capture_output=True, env=_make_env(os.environ))
    if fresh.returncode != 0:
        pytest.skip(
            f"{STAMP} is missing or older than pyproject.toml/constraints.txt: `make lab` would pip-install "
            "first; run `make test` (or any make target) once, then this test"
        )
    return make


def _make_env(base: Mapping[str, str]) -> dict[str, str]:
    """An environment for a ``make`` that inherits nothing from an outer ``make test``.

    Parameters
    ----------
    base : Mapping of str to str
        The environment to start from.

    Returns
    -------
    dict of str to str
        ``base`` without ``MAKEFLAGS``/``MFLAGS``/``MAKELEVEL`` (command-line variables of an
        outer make, such as ``VENV=...``, would otherwise reach this one).
    """
    return {k: v for k, v in base.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def test_make_lab_serves_the_notebooks(tmp_path: Path) -> None:
    """``make lab LAB_ARGS=...`` runs ``jupyter lab notebooks/``, whose root lists every notebook."""
    make = make_or_skip()
    port, token = free_port(), secrets.token_hex(16)
    env = _make_env(isolated_jupyter_env(tmp_path / "jupyter-home"))
    lab_args = " ".join(
        [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--ServerApp.allow_root=True",  # CI runs as root
        ]
    )
    log = tmp_path / "make-lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [make, "-C", str(REPO), "lab", f"LAB_ARGS={lab_args}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(base, token, proc, log, SERVER_START_TIMEOUT_S)
        root = http_json(f"{base}/api/contents/", token)
        listed = {item["name"]: item["type"] for item in root["content"]}
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30) as resp:
            page = resp.read().decode(errors="replace")
    finally:
        stop_process_group(proc)
    recipe = log_tail(log, 100_000)
    print(f"\nmake lab served {base}/lab with {sorted(listed)}")

    assert "jupyter lab notebooks/ --no-browser" in recipe, f"make did not run the lab recipe:\n{recipe[-3000:]}"
    assert "pip install" not in recipe, "make lab reinstalled the venv (the stamp check above should have skipped)"
    expected = {p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    assert expected, f"no notebooks in {NOTEBOOKS_DIR}"
    missing = expected - set(listed)
    assert not missing, f"the server's root does not list {sorted(missing)}; it lists {sorted(listed)}"
    assert all(listed[name] == "notebook" for name in expected), listed
    assert "pyproject.toml" not in listed, f"the server's root is the repository, not notebooks/: {sorted(listed)}"
    assert "JupyterLab" in page, page[:500]
