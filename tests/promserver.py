"""A real Prometheus on loopback for the tests: Debian's ``prometheus`` 2.42, backfilled or scraping.

``backfill`` turns OpenMetrics text into TSDB blocks with ``promtool tsdb
create-blocks-from openmetrics`` (timestamps in seconds, ``# EOF`` last, one
block per two hours); :class:`PrometheusServer` starts ``prometheus`` on a free
port over such a directory (and, optionally, scraping live targets) and stops it
on exit, whatever happens. Blocks older than the retention (30 days here) are
deleted at start, so backfilled data is generated relative to now. Tests skip
with a reason when the binaries are absent (``.ci/run`` installs them).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import httpx
import pytest

SKIP_REASON = "Debian's prometheus package is not installed (apt-get install prometheus): no real Prometheus to compare"


def prometheus_binaries() -> tuple[str, str] | None:
    """``(prometheus, promtool)`` from PATH, or None."""
    server, tool = shutil.which("prometheus"), shutil.which("promtool")
    return (server, tool) if server and tool else None


def prometheus_or_skip() -> tuple[str, str]:
    """The binaries, or skip the calling test with the reason."""
    found = prometheus_binaries()
    if found is None:
        pytest.skip(SKIP_REASON)
    return found


def backfill(openmetrics: str, tsdb: Path) -> None:
    """Write ``openmetrics`` into TSDB blocks under ``tsdb`` with promtool; raise with its output on failure."""
    _, promtool = prometheus_or_skip()
    tsdb.mkdir(parents=True, exist_ok=True)
    source = tsdb.parent / f"{tsdb.name}.om.txt"
    source.write_text(openmetrics if openmetrics.rstrip().endswith("# EOF") else openmetrics + "# EOF\n")
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"promtool failed ({done.returncode}): {done.stderr[-2000:] or done.stdout[-2000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrometheusServer:
    """``prometheus`` over ``tsdb`` on 127.0.0.1, ready when the context is entered.

    Parameters
    ----------
    tsdb : Path
        The storage directory (backfilled blocks, or empty).
    workdir : Path
        Where the config and the log go.
    targets : dict of str to list of str
        Job name → ``host:port`` targets to scrape (``/metrics``), every ``scrape_interval``.
    scrape_interval : str
        Prometheus duration.
    """

    def __init__(
        self, tsdb: Path, *, workdir: Path, targets: dict[str, list[str]] | None = None, scrape_interval: str = "1s"
    ) -> None:
        self.tsdb, self.workdir = tsdb, workdir
        self.targets = targets or {}
        self.scrape_interval = scrape_interval
        self.url = ""
        self.log_path = workdir / "prometheus.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def _config(self) -> Path:
        lines = [
            "global:",
            f"  scrape_interval: {self.scrape_interval}",
            f"  evaluation_interval: {self.scrape_interval}",
        ]
        if self.targets:
            lines.append("scrape_configs:")
            for job, targets in self.targets.items():
                lines += [f"  - job_name: {job}", "    static_configs:", f"      - targets: {targets!r}"]
        path = self.workdir / "prometheus.yml"
        path.write_text("\n".join(lines).replace("'", '"') + "\n")
        return path

    def __enter__(self) -> PrometheusServer:
        server, _ = prometheus_or_skip()
        config = self._config()
        for _attempt in range(3):
            port = _free_port()
            self.url = f"http://127.0.0.1:{port}"
            with self.log_path.open("wb") as log:
                self._proc = subprocess.Popen(
                    [
                        server,
                        f"--config.file={config}",
                        f"--storage.tsdb.path={self.tsdb}",
                        "--storage.tsdb.retention.time=30d",
                        f"--web.listen-address=127.0.0.1:{port}",
                        "--web.enable-lifecycle",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                if self._wait_ready():
                    return self
            except BaseException:
                self.stop()
                raise
            self.stop()  # most likely lost the port to someone else: try another
        raise RuntimeError(f"prometheus did not become ready; last log lines:\n{self._tail()}")

    def _wait_ready(self, deadline_s: float = 90.0) -> bool:
        assert self._proc is not None
        until = time.monotonic() + deadline_s
        while time.monotonic() < until:
            if self._proc.poll() is not None:
                return False
            try:
                if httpx.get(self.url + "/-/ready", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        return False

    def _tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Terminate the server and wait for it (kill after 10 s)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def wait_for_series(url: str, query: str, *, timeout: float = 60.0) -> list[dict]:
    """Poll ``/api/v1/query`` until ``query`` returns a non-empty result; raise with the last answer on timeout."""
    until = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < until:
        last = httpx.get(url + "/api/v1/query", params={"query": query}, timeout=5).json()
        result = last.get("data", {}).get("result", []) if isinstance(last, dict) else []
        if result:
            return list(result)
        time.sleep(0.5)
    raise AssertionError(f"no series for {query!r} within {timeout} s; last answer: {last!r}")
