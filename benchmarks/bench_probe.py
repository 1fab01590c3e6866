"""Probe throughput and timing accuracy against the fault lab.

Runs the fault lab in a separate process (so the server does not share the
probe's GIL), then measures, in this process:

1. cold plain-HTTP probes per second at concurrency 32 (keep-alive off, so
   every probe pays DNS-free connect + request + response); reference points
   from REFERENCE §2 on the same kind of machine: a new AsyncClient per probe
   ≈ 24/s, one shared client ≈ 470/s, blackbox_exporter ≈ 1,240/s. For a
   same-process reference the script also times the naive way (a new
   httpx.AsyncClient per probe) and prints the ratio;
2. median |TTFB difference| against curl on a fixed-delay endpoint, where
   TTFB is the server wait (curl: time_starttransfer − time_pretransfer),
   interleaving apiprobe and curl samples so drift affects both alike.

Usage: python benchmarks/bench_probe.py [--probes N] [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time

import httpx

from apiprobe.probe import probe_http


def start_lab() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "apiprobe", "lab", "--json"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, {e["name"]: e["url"] for e in info["endpoints"]}


def naive_rate(url: str, n: int, concurrency: int) -> float:
    async def main() -> float:
        sem = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with sem, httpx.AsyncClient(trust_env=False) as client:
                await client.get(url)

        t = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return n / (time.perf_counter() - t)

    return asyncio.run(main())


def curl_ttfb(curl: str, url: str) -> float:
    out = subprocess.run(
        [curl, "-s", "-o", "/dev/null", "-w", "%{json}", url], capture_output=True, text=True, check=True
    ).stdout
    w = json.loads(out)
    return 1000 * (w["time_starttransfer"] - w["time_pretransfer"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    proc, urls = start_lab()
    try:
        url = urls["ok"]
        probe_http(url, count=50, interval=0, concurrency=32, progress=False)  # warm-up
        t = time.perf_counter()
        df = probe_http(url, count=args.probes, interval=0, concurrency=32, progress=False)
        elapsed = time.perf_counter() - t
        rate = len(df) / elapsed
        failed = int(df["error_kind"].notna().sum())
        naive = naive_rate(url, min(args.probes, 600), 32)
        print(
            f"cold HTTP probes, concurrency 32: {rate:,.0f} probes/s ({len(df)} probes, {failed} failed, "
            f"{elapsed:.2f} s); naive new-client-per-probe: {naive:,.0f} probes/s; ratio {rate / naive:.1f}x"
        )
        print(
            f"  median connect {df['connect_ms'].median():.2f} ms, ttfb {df['ttfb_ms'].median():.2f} ms, "
            f"total {df['total_ms'].median():.2f} ms"
        )

        curl = shutil.which("curl")
        if curl is None:
            print("curl not found: TTFB comparison skipped")
            return
        delay_url = urls["delay"].split("?")[0] + "?ms=50"
        diffs, ours_all, theirs_all = [], [], []
        for _ in range(args.samples):
            ours = float(probe_http(delay_url, count=1, progress=False)["ttfb_ms"].iloc[0])
            theirs = curl_ttfb(curl, delay_url)
            ours_all.append(ours)
            theirs_all.append(theirs)
        diffs = [abs(a - b) for a, b in zip(ours_all, theirs_all, strict=True)]
        print(
            f"TTFB on a 50 ms fixed-delay endpoint ({args.samples} interleaved pairs): apiprobe median "
            f"{statistics.median(ours_all):.2f} ms, curl median {statistics.median(theirs_all):.2f} ms, "
            f"median |difference| {statistics.median(diffs):.2f} ms, |median difference| "
            f"{abs(statistics.median(ours_all) - statistics.median(theirs_all)):.2f} ms"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
