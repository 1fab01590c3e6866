"""Fixtures for the browser tests: a real JupyterLab server on loopback and a headless Chromium.

The server runs from the same virtual environment as pytest (the one ``make``
builds), with Jupyter's user-level config, data, runtime, settings and
workspace folders moved into a temporary folder, so nothing from the
developer's own ``~/.jupyter`` changes what the test sees and nothing the test
does is left behind. Chromium is Debian's (``.ci/run`` installs it); the
Playwright package only drives it, no browser is ever downloaded.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_helpers import (
    NOTEBOOKS_DIR,
    SERVER_START_TIMEOUT_S,
    VENV_BIN,
    LabServer,
    PageLog,
    free_port,
    isolated_jupyter_env,
    stop_process_group,
    wait_for_server,
)


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary copy of ``notebooks/*.ipynb``, the server's root folder.

    The notebooks run with their default parameters, which use the built-in demo
    data, exactly as ``make lab`` users get them; the copy keeps JupyterLab's
    autosave from writing outputs into the repository.

    Returns
    -------
    pathlib.Path
        The folder with the copies.
    """
    root = tmp_path_factory.mktemp("lab-root")
    for nb in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        shutil.copy2(nb, root / nb.name)
    return root


@pytest.fixture(scope="session")
def jupyter_lab(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on 127.0.0.1, started from this environment, stopped at the end.

    ``--LabApp.expose_app_in_browser`` publishes the application as
    ``window.jupyterapp`` (what JupyterLab's own Galata tests use), so the test
    can read cell models; cells are still run through the menu, as a user does.

    Yields
    ------
    LabServer
        The running server (a failing test prints the part of its log written meanwhile).
    """
    jupyter = VENV_BIN / "jupyter"
    if not jupyter.exists():
        pytest.skip(f"no {jupyter} (pip install -e '.[dev]' installs jupyterlab)")
    home = tmp_path_factory.mktemp("jupyter-home")
    env = isolated_jupyter_env(home)
    port, token = free_port(), secrets.token_hex(16)
    log = home / "jupyter-lab.log"
    cmd = [
        str(jupyter),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={lab_root}",
        "--ServerApp.allow_root=True",  # CI runs as root
        "--LabApp.expose_app_in_browser=True",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=lab_root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, lab_root, log, proc)
    try:
        wait_for_server(server.base_url, token, proc, log, SERVER_START_TIMEOUT_S)
        _check_kernel_is_this_environment(server)
        yield server
    finally:
        stop_process_group(proc)


def _check_kernel_is_this_environment(server: LabServer) -> None:
    """Fail unless the default kernel is ``python3`` and runs this environment's Python.

    Parameters
    ----------
    server : LabServer
        The running server.
    """
    specs = server.api("/api/kernelspecs")
    assert specs["default"] == "python3", specs["default"]
    argv0 = Path(specs["kernelspecs"]["python3"]["spec"]["argv"][0])
    assert argv0.is_absolute() and argv0.parent.exists(), argv0
    assert os.path.samefile(argv0.parent, VENV_BIN), f"the python3 kernel runs {argv0}, not {VENV_BIN}/python"


def _chromium() -> str:
    """The system Chromium, or skip.

    Returns
    -------
    str
        Its path.
    """
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed (CI installs Debian's chromium: .ci/run); no browser is downloaded")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright's sync API.

    Skips when the ``playwright`` package (the dev extra) or Chromium is missing.
    Module-scoped on purpose: while Playwright's sync API is open, an asyncio
    loop counts as running in the main thread, and every later test that calls
    ``asyncio.run`` (the probes, the fault lab) would fail.

    Yields
    ------
    playwright.sync_api.Browser
        The browser; closed, and Playwright stopped, at the end of the module.
    """
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (the dev extra: pip install -e '.[dev]')"
    )
    executable = _chromium()
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the test item, so fixtures can tell whether the test failed.

    Yields
    ------
    pytest.TestReport
        The report of the phase (``item.rep_setup``, ``item.rep_call``, ``item.rep_teardown``).
    """
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def lab_page(browser: Any, jupyter_lab: LabServer, request: pytest.FixtureRequest) -> Iterator[tuple[Any, PageLog]]:
    """A fresh browser context and page; at the end the page closes and every kernel shuts down.

    When the test failed, the server's log lines written during it (kernels log there too)
    are printed, and pytest shows them with the failure.

    Yields
    ------
    tuple of (playwright.sync_api.Page, PageLog)
        The page (1400×900) and what it logs to its console.
    """
    log_start = jupyter_lab.log.stat().st_size if jupyter_lab.log.exists() else 0
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page_log = PageLog()
    page.on("console", lambda m: page_log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_log.page_errors.append(str(e)))
    try:
        yield page, page_log
    finally:
        context.close()
        jupyter_lab.shutdown_sessions()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            written = jupyter_lab.log.read_bytes()[log_start:].decode(errors="replace")
            print(f"--- JupyterLab server log during the test ({jupyter_lab.log}) ---\n{written[-8000:]}")
            if page_log.console_errors:
                print("--- browser console errors ---\n" + "\n".join(page_log.console_errors[-20:]))
