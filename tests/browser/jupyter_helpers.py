"""Helpers for tests that start a real Jupyter server: ports, an isolated environment, the REST API.

Shared by the fixtures in ``conftest.py`` and by ``test_make_lab_entry.py``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO / "notebooks"
#: The environment pytest runs in; the server and its kernels must come from it too.
VENV_BIN = Path(sys.prefix) / "bin"

#: How long the server may take to answer /api/status (2 shared cores: be generous).
SERVER_START_TIMEOUT_S = 180.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago.

    Returns
    -------
    int
        The port number the kernel picked for a socket bound to port 0.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolated_jupyter_env(home: Path) -> dict[str, str]:
    """The environment for a Jupyter server that ignores the user's own Jupyter folders.

    Parameters
    ----------
    home : pathlib.Path
        An empty folder; config, data, runtime, settings and workspace folders are made in it.

    Returns
    -------
    dict of str to str
        ``os.environ`` with the ``JUPYTER*`` folder variables pointing into ``home``. The
        environment's own folders (``sys.prefix/share/jupyter``, where ``make`` installs the
        ``python3`` kernelspec with ``--sys-prefix``) stay on Jupyter's search path.
    """
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": home / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "workspaces",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    # No "would you like news?" toast over the screenshots, and no request to jupyter.org.
    notification = dirs["JUPYTERLAB_SETTINGS_DIR"] / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update({k: str(v) for k, v in dirs.items()})
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def http_json(url: str, token: str, method: str = "GET", timeout: float = 10.0) -> Any:
    """One request to the Jupyter REST API.

    Parameters
    ----------
    url : str
        The full URL (``http://127.0.0.1:PORT/api/...``).
    token : str
        The server's token, sent as ``Authorization: token ...``.
    method : str, default "GET"
        The HTTP method.
    timeout : float, default 10.0
        Socket timeout in seconds.

    Returns
    -------
    Any
        The decoded JSON body, or ``None`` for an empty body (``DELETE`` answers 204).
    """
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = resp.read()
    return json.loads(body) if body else None


def wait_for_server(base_url: str, token: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait until a Jupyter server answers ``/api/status``; fail with its log if it does not.

    Parameters
    ----------
    base_url : str
        ``http://127.0.0.1:PORT``.
    token : str
        The server's token.
    proc : subprocess.Popen
        The server process (or ``make``, which runs it); a process that exits fails at once.
    log : pathlib.Path
        Where the process writes its output, shown on failure.
    timeout : float
        Seconds to wait.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with code {proc.returncode} before answering:\n{log_tail(log)}")
        try:
            http_json(f"{base_url}/api/status", token, timeout=5)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            time.sleep(0.5)
    pytest.fail(f"the server did not answer {base_url}/api/status within {timeout:.0f} s:\n{log_tail(log)}")


def stop_process_group(proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started.

    SIGTERM first (a Jupyter server then shuts its kernels down), SIGKILL after ``grace``.

    Parameters
    ----------
    proc : subprocess.Popen
        The session leader.
    grace : float, default 30.0
        Seconds between SIGTERM and SIGKILL.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def log_tail(log: Path, chars: int = 6000) -> str:
    """The end of a log file.

    Parameters
    ----------
    log : pathlib.Path
        The file.
    chars : int, default 6000
        How many characters from its end.

    Returns
    -------
    str
        The last ``chars`` characters, or a note that the file is missing.
    """
    if not log.exists():
        return f"(no log at {log})"
    text = log.read_text(errors="replace")
    return text[-chars:]


@dataclass
class LabServer:
    """A running JupyterLab server.

    Attributes
    ----------
    base_url : str
        ``http://127.0.0.1:PORT``.
    token : str
        Its token.
    root : pathlib.Path
        Its root folder (a copy of ``notebooks/``).
    log : pathlib.Path
        Its stdout and stderr (kernels write theirs there too).
    proc : subprocess.Popen
        The server process, leader of its own process group.
    """

    base_url: str
    token: str
    root: Path
    log: Path
    proc: subprocess.Popen[bytes] = field(repr=False)

    def api(self, path: str, method: str = "GET") -> Any:
        """Call the REST API.

        Parameters
        ----------
        path : str
            Path below the server, e.g. ``"/api/sessions"``.
        method : str, default "GET"
            The HTTP method.

        Returns
        -------
        Any
            The decoded JSON answer (``None`` when empty).
        """
        return http_json(self.base_url + path, self.token, method=method)

    def lab_url(self, notebook: str, workspace: str) -> str:
        """The URL that opens one notebook in JupyterLab, in a fresh workspace of its own.

        Parameters
        ----------
        notebook : str
            File name below :attr:`root`.
        workspace : str
            Workspace name; a new name means no tabs restored from an earlier test.

        Returns
        -------
        str
            ``/lab/workspaces/<workspace>/tree/<notebook>?reset&token=...``.
        """
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def shutdown_sessions(self) -> list[str]:
        """Shut down every session (and its kernel), as closing the notebook's kernel would.

        Returns
        -------
        list of str
            The paths of the notebooks whose sessions were shut down.
        """
        closed = []
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")
            closed.append(session["path"])
        return closed


@dataclass
class PageLog:
    """What the browser page reported while a test ran.

    Attributes
    ----------
    console_errors : list of str
        ``console.error`` messages.
    page_errors : list of str
        Uncaught exceptions in the page.
    """

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
