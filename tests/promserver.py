"""A real Prometheus on loopback for the tests: Debian's ``prometheus`` 2.42, backfilled or scraping.

:func:`backfill` turns OpenMetrics text into TSDB blocks with ``promtool tsdb
create-blocks-from openmetrics``; :class:`PrometheusServer` starts
``prometheus`` on a free port of 127.0.0.1 over such a directory (and,
optionally, scraping live targets) and stops it on exit, whatever happens;
:func:`wait_for_series` waits until a live scrape has landed. Tests call
:func:`prometheus_or_skip` first and skip with :data:`PROMETHEUS_SKIP_REASON`
when the binaries are absent (``.ci/run`` installs them).

Facts about promtool 2.42 (established by experiment, files run through
``promtool tsdb create-blocks-from openmetrics -q F.om out`` and read back with
``mkdir out/wal; promtool tsdb dump --min-time=... --max-time=... out``):

- the last line must be ``# EOF`` (a trailing newline is optional); without it:
  ``getting min and max timestamp: next: data does not end with # EOF``;
  anything after it: ``... next: unexpected data after # EOF``; an empty line:
  ``... next: "INVALID" "\\n" is not a valid start token``. Exit status 1.
- every sample needs a timestamp, in **seconds** (fractions kept to the ms:
  ``1.25`` → 1250 ms); without one: ``getting min and max timestamp: expected
  timestamp for series got none``. Milliseconds are *not* detected: ``...000``
  is read as seconds and lands tens of thousands of years ahead, exit status 0.
- ``# TYPE`` lines are optional (series are stored without them); a counter
  named without ``_total`` (``# TYPE x counter`` / ``x 1 T``) is accepted and
  stored as ``x``. Histograms are just ``_bucket{le=...}``/``_sum``/``_count``
  series; nothing checks that ``le="+Inf"``, ``_sum`` or ``_count`` exist.
- NaN, +Inf and -Inf values are stored as such.
- samples must be in time order **per 2 h block**: an earlier sample (or a second
  one at the same timestamp) after a later one in the same block range is
  silently dropped (exit status 0); out of order across block ranges both are
  kept, because promtool re-reads the whole file once per block range.
- ``--max-block-duration`` is a hidden flag of ``create-blocks-from`` (before
  the ``openmetrics`` word or after it): ``24h`` writes 3 hours as one block
  instead of three, ~2x faster on the 7 MB demo incident (0.2 s vs 0.44 s) but
  widens the range within which out-of-order samples are dropped; values below
  2h are raised to 2h. :func:`backfill` passes it only when asked.

Facts about ``prometheus`` 2.42 itself (same experiments, queried with httpx
against a backfilled server; the query and error facts are re-checked by
``tests/probe/test_promserver.py``):

- Retention (``--storage.tsdb.retention.time=30d``) is measured from the newest
  block's end, not from the wall clock: a lone block from 40 days ago is kept
  and served, but next to a recent block it is deleted at start ("Deleting
  obsolete block"). Generate backfilled data relative to now all the same.
- Range selectors are closed at both ends: samples every 15 s at T, T+15, ...;
  ``count_over_time(x_total[60s])`` at ``time=T+60`` is **5** (T…T+60 both
  included), at T+59.999 and T+60.001 it is 4 (``x_total[60s]`` at T+60
  returns offsets 0, 15, 30, 45, 60). (Prometheus 3 made them left-open.)
- Lookback delta is 5m (``/api/v1/status/flags``: ``query.lookback-delta``
  ``5m``), closed too: the instant query ``x_total`` returns the last sample
  (at L) up to and including ``time=L+300`` and nothing at ``L+300.001``;
  ``query_range`` with ``step=30`` repeats the last value at every step up to
  L+300 and has no points after (backfilled data has no staleness markers).
- NaN and infinities come back as the strings ``"NaN"``, ``"+Inf"``,
  ``"-Inf"``: ``"values": [[T, "NaN"], [T+15, "+Inf"], [T+30, "-Inf"]]``;
  timestamps are JSON numbers in seconds (``1796471850`` or
  ``1796471849.999``).
- A PromQL syntax error is HTTP 400, ``application/json``,
  ``{"status":"error","errorType":"bad_data","error":...}``. The text differs
  by endpoint: ``/api/v1/query?query=sum(`` says ``invalid parameter
  "query": 1:5: parse error: unclosed left parenthesis`` while
  ``/api/v1/query_range`` says just ``1:5: parse error: unclosed left
  parenthesis``. Others: ``x_total[5m`` → ``1:11: parse error: unclosed left
  bracket``; ``rate(x_total)`` → ``1:6: parse error: expected type range vector
  in call to function "rate", got instant vector``.
- An evaluation error is HTTP 422, ``errorType`` ``execution``
  (``x_total + on() x_total`` over two series: ``found duplicate series for
  the match group {} on the right hand-side of the operation: [...];many-to-many
  matching not allowed: matching labels must be unique on one side``).
- ``query_range`` refuses more than 11,000 steps: ``(end - start) / step`` of
  11000 (11,001 points) is answered, 11001 is HTTP 400 ``bad_data``
  ``exceeded maximum resolution of 11,000 points per timeseries. Try decreasing
  the query resolution (?step=XX)`` (also with ``step=0.5``). Other 400s:
  ``invalid parameter "end": end timestamp must not be before start time``;
  ``invalid parameter "step": zero or negative query resolution step widths
  are not accepted. Try a positive integer``; missing ``start``: ``invalid
  parameter "start": cannot parse "" to a valid timestamp``.
- Startup over a small TSDB answers ``/-/ready`` within ~0.15 s, but the first
  scrape of a static target lands ~5-6 s later even with ``scrape_interval: 1s``
  (the discovery manager hands targets to the scrape manager on a 5 s tick), so
  wait with :func:`wait_for_series` (``up{job="..."} == 1``), never a sleep.
- A port already taken makes ``prometheus`` exit 1 with ``msg="Unable to start
  web listener" err="listen tcp 127.0.0.1:PORT: bind: address already in
  use"`` in its log; :class:`PrometheusServer` then retries on another port.

No process is left behind: a failed start is stopped before the exception
propagates, ``prometheus`` runs under ``setpriv --pdeathsig TERM`` (so it gets
SIGTERM when the thread that started it dies, even by SIGKILL; start servers
from the main thread, as fixtures are), and any server still running at
interpreter exit is terminated.
"""

from __future__ import annotations

import atexit
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

PROMETHEUS_SKIP_REASON = (
    "Debian's prometheus package is not installed (apt-get install prometheus): no real Prometheus to compare"
)
SKIP_REASON = PROMETHEUS_SKIP_REASON  # the name the first callers imported

_RUNNING: set[subprocess.Popen[bytes]] = set()  # killed at interpreter exit if a test forgot to stop one


def prometheus_binaries() -> tuple[Path, Path] | None:
    """``(prometheus, promtool)`` found on PATH, or None when either is missing."""
    server, tool = shutil.which("prometheus"), shutil.which("promtool")
    return (Path(server), Path(tool)) if server and tool else None


def prometheus_or_skip() -> tuple[Path, Path]:
    """The binaries, or skip the calling test with :data:`PROMETHEUS_SKIP_REASON`."""
    found = prometheus_binaries()
    if found is None:
        pytest.skip(PROMETHEUS_SKIP_REASON)
    return found


def backfill(openmetrics: str | Path, tsdb_dir: Path, *, max_block_duration: str | None = None) -> None:
    """Write OpenMetrics samples into TSDB blocks under ``tsdb_dir`` with promtool.

    Parameters
    ----------
    openmetrics : str or Path
        The text itself (``# EOF`` is appended when missing) or a file holding it.
        Timestamps in seconds; samples in time order per series (see the module
        docstring for what promtool silently drops).
    tsdb_dir : Path
        The storage directory a :class:`PrometheusServer` will serve; created if needed.
    max_block_duration : str, optional
        promtool's ``--max-block-duration`` (e.g. ``"24h"``: fewer, larger blocks).

    Raises
    ------
    RuntimeError
        promtool failed; the message holds its exit status and stderr.
    """
    _, promtool = prometheus_or_skip()
    tsdb_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(openmetrics, Path):
        source = openmetrics
    else:
        source = tsdb_dir.parent / f"{tsdb_dir.name}.om.txt"  # beside the TSDB, not in it
        text = openmetrics if openmetrics.endswith("\n") or not openmetrics else openmetrics + "\n"
        source.write_text(text if text.rstrip().endswith("# EOF") else text + "# EOF\n")
    cmd = [str(promtool), "tsdb", "create-blocks-from"]
    if max_block_duration is not None:
        cmd.append(f"--max-block-duration={max_block_duration}")
    cmd += ["openmetrics", "--quiet", str(source), str(tsdb_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(
            f"promtool failed with exit status {done.returncode}: {' '.join(cmd)}\n"
            f"{(done.stderr or done.stdout)[-4000:].strip()}"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pdeathsig_prefix() -> list[str]:
    # util-linux's setpriv makes the kernel send SIGTERM to prometheus when the
    # thread that started it dies, even by SIGKILL (no preexec_fn: not thread-safe)
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


class PrometheusServer:
    """``prometheus`` over ``tsdb`` on 127.0.0.1, ready when the context is entered.

    Parameters
    ----------
    tsdb : Path
        The storage directory (backfilled blocks, or empty / absent).
    workdir : Path
        Where the config (``prometheus.yml``) and the log (``prometheus.log``) go.
    targets : dict of str to list of str, optional
        Job name → ``host:port`` targets to scrape at ``metrics_path``.
    scrape_interval : str
        Prometheus duration for scraping (and, unless given, rule evaluation); ``"1s"`` works.
    metrics_path : str
        The path scraped on every target.
    evaluation_interval : str, optional
        Defaults to ``scrape_interval``.
    ready_timeout : float
        Seconds to wait for ``/-/ready`` (a deadline, not an expectation).
    extra_args : sequence of str
        More command-line flags for ``prometheus``.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT`` once entered.
    log_path : Path
        Prometheus' stdout and stderr.
    config_path : Path
        The generated configuration.
    """

    def __init__(
        self,
        tsdb: Path,
        *,
        workdir: Path,
        targets: dict[str, list[str]] | None = None,
        scrape_interval: str = "1s",
        metrics_path: str = "/metrics",
        evaluation_interval: str | None = None,
        ready_timeout: float = 60.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.tsdb, self.workdir = tsdb, workdir
        self.targets = dict(targets or {})
        self.scrape_interval = scrape_interval
        self.evaluation_interval = evaluation_interval or scrape_interval
        self.metrics_path = metrics_path
        self.ready_timeout = ready_timeout
        self.extra_args = list(extra_args)
        self.url = ""
        self.port = 0
        self.log_path = workdir / "prometheus.log"
        self.config_path = workdir / "prometheus.yml"
        self._proc: subprocess.Popen[bytes] | None = None

    def config(self) -> dict[str, Any]:
        """The configuration written to :attr:`config_path`."""
        cfg: dict[str, Any] = {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.evaluation_interval}
        }
        if self.targets:
            cfg["scrape_configs"] = [
                {
                    "job_name": job,
                    "scrape_interval": self.scrape_interval,
                    "metrics_path": self.metrics_path,
                    "static_configs": [{"targets": list(hostports)}],
                }
                for job, hostports in self.targets.items()
            ]
        return cfg

    def _command(self, server: Path, port: int) -> list[str]:
        return [
            *_pdeathsig_prefix(),
            str(server),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.tsdb}",
            "--storage.tsdb.retention.time=30d",
            f"--web.listen-address=127.0.0.1:{port}",
            *self.extra_args,
        ]

    def __enter__(self) -> PrometheusServer:
        server, _ = prometheus_or_skip()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config(), indent=2) + "\n")  # JSON is YAML
        failure: str | None = None
        try:
            for _attempt in range(5):
                self.port = _free_port()
                self.url = f"http://127.0.0.1:{self.port}"
                with self.log_path.open("wb") as log:
                    self._proc = subprocess.Popen(
                        self._command(server, self.port), stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
                    )
                _RUNNING.add(self._proc)
                failure = self._wait_ready()
                if failure is None:
                    return self
                self.stop()
                if "address already in use" not in self._tail():
                    break  # a real failure, not a lost race for the port
            raise RuntimeError(
                f"prometheus at {self.url} {failure}; last log lines of {self.log_path}:\n{self._tail()}"
            )
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> str | None:
        """None once ``/-/ready`` answers 200, else why not."""
        assert self._proc is not None
        until = time.monotonic() + self.ready_timeout
        last = "no answer"
        with httpx.Client(trust_env=False, timeout=2) as client:
            while time.monotonic() < until:
                if (status := self._proc.poll()) is not None:
                    return f"exited with status {status} before it was ready"
                try:
                    r = client.get(self.url + "/-/ready")
                    if r.status_code == 200:
                        return None
                    last = f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    last = f"{type(e).__name__}"
                time.sleep(0.1)
        return f"was not ready within {self.ready_timeout} s (last /-/ready: {last})"

    def _tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """Terminate the server and wait for it (SIGKILL after ``grace`` seconds). Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _RUNNING.discard(proc)
        _terminate(proc, grace)

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _terminate(proc: subprocess.Popen[bytes], grace: float) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


@atexit.register
def _stop_forgotten() -> None:
    for proc in list(_RUNNING):
        _terminate(proc, 5.0)


def wait_for_series(url: str, query: str, *, timeout: float = 60.0, interval: float = 0.25) -> list[dict[str, Any]]:
    """Poll ``/api/v1/query`` until ``query`` returns a non-empty result and return it.

    Raises
    ------
    AssertionError
        Nothing within ``timeout`` seconds (a deadline); the message holds the last answer.
    """
    until = time.monotonic() + timeout
    last = "(no answer)"
    with httpx.Client(trust_env=False, timeout=5) as client:
        while True:
            try:
                r = client.get(url + "/api/v1/query", params={"query": query})
                last = f"HTTP {r.status_code}: {r.text[:2000]}"
                result = r.json().get("data", {}).get("result", []) if r.status_code == 200 else []
                if result:
                    return list(result)
            except (httpx.HTTPError, ValueError, AttributeError) as e:
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() >= until:
                raise AssertionError(f"no series for {query!r} at {url} within {timeout} s; last answer: {last}")
            time.sleep(interval)
