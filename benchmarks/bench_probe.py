"""Probe throughput against blackbox_exporter, timing agreement with curl, a soak.

The fault lab runs in its own process; blackbox_exporter (when installed,
Debian package ``prometheus-blackbox-exporter``) is started by this script
with one module per mode and driven through its ``/probe`` endpoint by
``curl --parallel`` at the same concurrency. Everything shares the machine's
cores, as it would in production.

1. **Throughput**, probes/s at concurrency 32, each mode in interleaved rounds
   (blackbox, then apiprobe, ``--rounds`` times; the median ratio is printed):
   cold plain HTTP, warm (keep-alive) HTTP, cold HTTPS with the lab's CA.
   blackbox_exporter opens a new connection for every probe (its http prober
   has no keep-alive between probes), so the warm ratio sets apiprobe's
   reused connections against blackbox's only mode. Every probe of both is
   checked: status 200 / ``probe_success 1``. The cold modes run again with
   ``workers`` = one process per core. Then the engine's steps, interleaved
   in rounds: httpx's own transport (one shared ``AsyncClient`` with
   keep-alive off, the first engine's design), the probe transport on
   asyncio's loop, and on uvloop (the default when installed).
2. **Server wait against curl** on a fixed-delay endpoint (``--delay-ms``):
   interleaved pairs (one apiprobe probe, one curl run) and separate blocks
   (``--samples`` probes in one run, then as many curl runs). curl's server
   wait is ``time_starttransfer - time_pretransfer``. For scale, the floor of any
   asyncio client: a bare protocol that stamps, writes and waits for its first
   ``data_received``, paired with curl the same way.
3. **Under load**: two processes spin on both cores while apiprobe probes the
   delay endpoint at concurrency 16; a server wait shorter than the server's
   delay would be an impossible value (apiprobe takes the request-sent stamp
   before the bytes leave, so it must not happen).
4. **Soak**: ``--soak-probes`` probes over ``--soak-seconds`` at a fixed
   rate, as 100 back-to-back runs (a scheduled check that never restarts
   its kernel); RSS and open file descriptors after runs 1, 10, 50 and 100,
   and the most fds seen during the runs. ``--soak-seconds 0`` skips it.

Usage: python benchmarks/bench_probe.py [--probes N] [--rounds N] [--samples N]
       [--soak-probes N] [--soak-seconds S] [--only-cold | --only-timing]

An older version of the package, for the README's history table:
  git worktree add /tmp/engine-old <commit>
  PYTHONPATH=/tmp/engine-old python benchmarks/bench_probe.py --only-cold   (or --only-timing)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from apiprobe.probe import probe_http

CONCURRENCY = 32
WORKERS = os.cpu_count() or 2  # probe_http(workers=...): one process per core


def start_lab() -> tuple[subprocess.Popen[str], dict[str, str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "apiprobe", "lab", "--json"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, {e["name"]: e["url"] for e in info["endpoints"]}, info["ca_path"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Blackbox:
    """blackbox_exporter on a free loopback port, one module per mode, driven by curl --parallel."""

    def __init__(self, binary: str, curl: str, ca_path: str, workdir: Path) -> None:
        self.curl, self.workdir = curl, workdir
        config = workdir / "blackbox.yml"
        config.write_text(
            "modules:\n"
            "  http_cold:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n"
            "  https_cold:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n"
            f"      tls_config:\n        ca_file: {ca_path}\n"
        )
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/-/healthy", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("blackbox_exporter did not start") from None
                time.sleep(0.1)

    def rate(self, target: str, module: str, n: int) -> tuple[float, int]:
        """Probes/s and the number that reported ``probe_success 1``."""
        config = self.workdir / "urls.txt"
        line = f'url = "http://127.0.0.1:{self.port}/probe?module={module}&target={target}"\n'
        config.write_text(line * n)
        t = time.perf_counter()
        out = subprocess.run(
            [self.curl, "-s", "--parallel", "--parallel-max", str(CONCURRENCY), "-K", str(config)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        elapsed = time.perf_counter() - t
        return n / elapsed, out.count("\nprobe_success 1")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def apiprobe_rate(url: str, n: int, **kwargs: object) -> tuple[float, int]:
    """Probes/s of one probe_http run and the number of probes that got a 200."""
    t = time.perf_counter()
    df = probe_http(url, count=n, interval=0, concurrency=CONCURRENCY, progress=False, **kwargs)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t
    good = int(((df["status"] == 200) & df["error_kind"].isna()).sum())
    return n / elapsed, good


def httpx_transport_rate(url: str, n: int) -> float:
    """httpx's own transport: one shared client, keep-alive off (the first engine's design)."""

    async def main() -> float:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, trust_env=False) as client:
            sem = asyncio.Semaphore(CONCURRENCY)

            async def one() -> None:
                async with sem:
                    (await client.get(url)).raise_for_status()

            t = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(n)))
            return n / (time.perf_counter() - t)

    return asyncio.run(main())


@contextlib.contextmanager
def loop_choice(name: str) -> Iterator[None]:
    old = os.environ.get("APIPROBE_LOOP")
    os.environ["APIPROBE_LOOP"] = name
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("APIPROBE_LOOP", None)
        else:
            os.environ["APIPROBE_LOOP"] = old


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    lo, hi = min(values), max(values)
    return fmt.format(statistics.median(values)) + (f" ({fmt.format(lo)}-{fmt.format(hi)})" if len(values) > 1 else "")


def throughput(urls: dict[str, str], ca_path: str, args: argparse.Namespace, blackbox: Blackbox | None) -> None:
    modes: list[tuple[str, str, str, dict[str, object]]] = [("cold plain HTTP", urls["ok"], "http_cold", {})]
    if not args.only_cold:
        modes += [
            ("warm (keep-alive) HTTP", urls["ok"], "http_cold", {"keepalive": True}),
            ("cold HTTPS, lab CA", urls["https_ok"], "https_cold", {"cafile": ca_path}),
            (f"cold plain HTTP, workers={WORKERS}", urls["ok"], "http_cold", {"workers": WORKERS}),
            (f"cold HTTPS, lab CA, workers={WORKERS}", urls["https_ok"], "https_cold",
             {"cafile": ca_path, "workers": WORKERS}),
        ]  # fmt: skip
    n = args.probes
    reference: float | None = None  # blackbox_exporter's cold plain-HTTP median, for the history ratios
    for title, url, module, kwargs in modes:
        apiprobe_rate(url, 100, **kwargs)  # warm-up: imports, page cache, the server's first connections
        ours, theirs, ratios, bad = [], [], [], []
        if blackbox is not None:
            blackbox.rate(url, module, 100)
        for _ in range(args.rounds):
            if blackbox is not None:
                rate, ok = blackbox.rate(url, module, n)
                theirs.append(rate)
                bad.append(n - ok)
            rate, good = apiprobe_rate(url, n, **kwargs)
            ours.append(rate)
            bad.append(n - good)
            if theirs:
                ratios.append(ours[-1] / theirs[-1])
        line = f"{title}: apiprobe {spread(ours)} probes/s"
        if blackbox is not None:
            line += f", blackbox_exporter {spread(theirs)} probes/s, ratio {spread(ratios, '{:.2f}')}"
            reference = reference or statistics.median(theirs)
        print(f"{line}; {args.rounds} rounds of {n:,}, {sum(bad)} probes not 200/successful")
    if args.only_cold:
        return

    url = urls["ok"]
    history: dict[str, list[float]] = {"httpx's own transport": [], "asyncio's loop": [], "uvloop": []}
    for _ in range(args.rounds):  # interleaved, so drift on a shared machine hits every step alike
        history["httpx's own transport"].append(httpx_transport_rate(url, n))
        with loop_choice("asyncio"):
            history["asyncio's loop"].append(apiprobe_rate(url, n)[0])
        history["uvloop"].append(apiprobe_rate(url, n)[0])
    parts = []
    for step, rates in history.items():
        ratio = f" ({statistics.median(rates) / reference:.2f}x blackbox)" if reference else ""
        parts.append(f"{step} {spread(rates)}{ratio}")
    print("  engine steps, cold plain HTTP, same run: " + "; ".join(parts))


def curl_wait(curl: str, url: str) -> float:
    out = subprocess.run(
        [curl, "-s", "-o", "/dev/null", "-w", "%{json}", url], capture_output=True, text=True, check=True
    ).stdout
    w = json.loads(out)
    return 1000 * (w["time_starttransfer"] - w["time_pretransfer"])


def bare_asyncio_wait(url: str) -> float:
    """The floor for any asyncio client: a bare protocol, one write, the first data_received."""
    parts = httpx.URL(url)
    request = f"GET {parts.raw_path.decode()} HTTP/1.1\r\nHost: {parts.host}:{parts.port}\r\n\r\n".encode()

    class First(asyncio.Protocol):
        def __init__(self, done: asyncio.Future[float]) -> None:
            self.done = done

        def data_received(self, data: bytes) -> None:
            if not self.done.done():
                self.done.set_result(time.perf_counter())

    async def main() -> float:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[float] = loop.create_future()
        transport, _ = await loop.create_connection(lambda: First(done), parts.host, parts.port)
        start = time.perf_counter()
        transport.write(request)
        end = await done
        transport.close()
        return 1000 * (end - start)

    return asyncio.run(main())


def agreement(curl: str, url: str, samples: int) -> None:
    ours, theirs = [], []
    for _ in range(samples):
        ours.append(float(probe_http(url, count=1, progress=False)["ttfb_ms"].iloc[0]))
        theirs.append(curl_wait(curl, url))
    diffs = [abs(a - b) for a, b in zip(ours, theirs, strict=True)]
    print(
        f"server wait vs curl, {samples} interleaved pairs: apiprobe median {statistics.median(ours):.2f} ms, "
        f"curl {statistics.median(theirs):.2f} ms, median |difference| {statistics.median(diffs):.2f} ms"
    )
    floor, floor_curl = [], []
    for _ in range(samples):
        floor.append(bare_asyncio_wait(url))
        floor_curl.append(curl_wait(curl, url))
    print(
        f"  floor, {samples} interleaved pairs: a bare asyncio protocol (stamp, write, first data_received) "
        f"median {statistics.median(floor):.2f} ms, curl {statistics.median(floor_curl):.2f} ms"
    )
    block = probe_http(url, count=samples, interval=0.1, progress=False)["ttfb_ms"].astype(float).tolist()
    curl_block = [curl_wait(curl, url) for _ in range(samples)]
    a, b = statistics.median(block), statistics.median(curl_block)
    print(
        f"server wait vs curl, separate blocks of {samples}: apiprobe median {a:.2f} ms, curl {b:.2f} ms, "
        f"|difference of medians| {abs(a - b):.2f} ms"
    )


def under_load(url: str, delay_ms: float) -> None:
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        df = probe_http(url, count=400, interval=0, concurrency=16, progress=False)
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    ok = df[df["error_kind"].isna()]
    wait = ok["ttfb_ms"].astype(float)
    print(
        f"under load ({len(spinners)} spinning processes), {len(df)} probes of a {delay_ms:g} ms delay at "
        f"concurrency 16: server wait min {wait.min():.2f} ms, median {wait.median():.2f} ms, "
        f"{int((wait < delay_ms).sum())} shorter than the server's delay, {len(df) - len(ok)} failed"
    )


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(url: str, probes: int, seconds: float, report: Callable[[str], None]) -> None:
    runs = 100
    per_run = max(1, probes // runs)
    rate = probes / seconds
    peak_fds = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak_fds
        while not stop.wait(0.5):
            peak_fds = max(peak_fds, open_fds())

    fds0 = open_fds()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    failed = done = 0
    t = time.perf_counter()
    marks: dict[int, tuple[float, int]] = {}
    try:
        for n in range(1, runs + 1):
            df = probe_http(url, count=per_run, interval=0, rate=rate, concurrency=CONCURRENCY, progress=False)
            failed += int(df["error_kind"].notna().sum())
            done += len(df)
            del df
            if n in (1, 10, runs // 2, runs):
                marks[n] = (rss_mb(), open_fds())
    finally:
        stop.set()
        watcher.join()
    elapsed = time.perf_counter() - t
    rss = ", ".join(f"{marks[n][0]:.1f}" for n in sorted(marks))
    fds = ", ".join(str(marks[n][1]) for n in sorted(marks))
    report(
        f"soak: {done:,} probes in {elapsed:.0f} s ({done / elapsed:.1f}/s, target {rate:.1f}/s), {failed} failed; "
        f"after runs {', '.join(map(str, sorted(marks)))} of {runs}: RSS {rss} MB, open fds {fds} "
        f"({fds0} before the first run, at most {peak_fds} during the runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=3000, help="probes per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per mode")
    parser.add_argument("--samples", type=int, default=40, help="server-wait samples per way")
    parser.add_argument("--delay-ms", type=float, default=50.0)
    parser.add_argument("--soak-probes", type=int, default=100_000)
    parser.add_argument("--soak-seconds", type=float, default=600.0, help="0 skips the soak")
    parser.add_argument(
        "--only-timing",
        action="store_true",
        help="only the curl agreement and the run under load (runs against older versions of the package too)",
    )
    parser.add_argument(
        "--only-cold",
        action="store_true",
        help="only the cold plain-HTTP throughput (runs against older versions of the package too)",
    )
    args = parser.parse_args()
    curl = shutil.which("curl")
    binary = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    proc, urls, ca_path = start_lab()
    blackbox = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
            if args.only_timing:
                pass
            elif binary is None or curl is None:
                missing = "blackbox_exporter (Debian: prometheus-blackbox-exporter)" if binary is None else "curl"
                print(f"{missing} not installed: the blackbox_exporter column is skipped")
            else:
                blackbox = Blackbox(binary, curl, ca_path, Path(tmp))
            if not args.only_timing:
                throughput(urls, ca_path, args, blackbox)
            if blackbox is not None:
                blackbox.close()
                blackbox = None
            if args.only_cold:
                return
            delay_url = urls["delay"].split("?")[0] + f"?ms={args.delay_ms:g}"
            if curl is None:
                print("curl not installed: the server-wait comparison is skipped")
            else:
                agreement(curl, delay_url, args.samples)
            under_load(delay_url, args.delay_ms)
            if args.soak_seconds > 0 and not args.only_timing:
                soak(urls["ok"], args.soak_probes, args.soak_seconds, print)
    finally:
        if blackbox is not None:
            blackbox.close()
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
