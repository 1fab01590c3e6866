"""Benchmark: google/pprof's large.cpu → `go tool pprof -top` table.

Run: ``.venv/bin/python benchmarks/bench_pprof.py``. Prints the median of 5
runs of read_pprof + profile_top next to the REFERENCE.md §10 figures and,
when ``go`` is installed, the wall time of ``go tool pprof -top`` on the
same file in the same run. Also shown: decode alone, the top table alone on
a freshly decoded profile (what the total pays), and a repeated top table
on one profile (which reuses the arrays cached by the first call).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from apiprobe.analyze.profiles import profile_top
from apiprobe.load.pprof import read_pprof

REPO = Path(__file__).resolve().parents[1]
LARGE = REPO.parent / "shared" / "corpus" / "pprof" / "large.cpu.pb.gz"
REF_UPB_S = 0.13  # REFERENCE.md §10: protobuf (upb) decode + stacks
REF_PURE_S = 0.7  # REFERENCE.md §10: small pure-Python decoder
GOAL_S = 0.5


def _time(fn: object, runs: int = 5) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    """Run the benchmark and print the comparison table."""
    if not LARGE.exists():
        print(f"skipped: shared corpus absent ({LARGE})")
        return 0

    def ours() -> None:
        profile_top(read_pprof(LARGE))

    decode = statistics.median(_time(lambda: read_pprof(LARGE)))
    top_fresh: list[float] = []
    for _ in range(5):
        prof = read_pprof(LARGE)
        t = time.perf_counter()
        profile_top(prof)
        top_fresh.append(time.perf_counter() - t)
    top_again = statistics.median(_time(lambda: profile_top(prof)))
    full = statistics.median(_time(ours))
    print(f"large.cpu ({LARGE.stat().st_size / 1e6:.1f} MB gzip)")
    print(f"  apiprobe decode only          median of 5: {decode:6.3f} s")
    print(
        f"  apiprobe top table only       median of 5: {statistics.median(top_fresh):6.3f} s   "
        f"(again on the same profile: {top_again:6.3f} s)"
    )
    print(f"  apiprobe decode + top table   median of 5: {full:6.3f} s   (goal ≤ {GOAL_S} s)")
    print(f"  reference: upb decode+stacks  {REF_UPB_S:6.3f} s   ratio {full / REF_UPB_S:5.2f}×")
    print(f"  reference: pure-Python        {REF_PURE_S:6.3f} s   ratio {full / REF_PURE_S:5.2f}×")
    if shutil.which("go"):
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, HOME=home, GOCACHE=os.path.join(home, "cache"))
            cmd = ["go", "tool", "pprof", "-top", "-nodefraction=0", "-nodecount=100000", str(LARGE)]

            def gorun() -> None:
                subprocess.run(cmd, env=env, capture_output=True, check=True)

            gorun()  # warm the build cache
            go_s = statistics.median(_time(gorun, 3))
        print(f"  go tool pprof -top (same run, median of 3): {go_s:6.3f} s   ratio {full / go_s:5.2f}×")
    else:
        print("  go not installed: no same-run reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
