"""Wall time of `make demo`'s report step (demo data, live fault lab, TLS and DNS notebooks).

The same report twice in the same run: one notebook at a time (``--jobs 1``),
then ``--jobs N`` (default: the number of cores). For scale, one bare
papermill execution of a trivial notebook: the fixed cost of starting a kernel.

Usage: python benchmarks/bench_report.py [--out DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

REPO = Path(__file__).resolve().parents[1]


def bare_kernel_seconds(tmp: Path) -> float:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp / "bare.ipynb"
    nbformat.write(nb, src)
    t = time.perf_counter()
    papermill.execute_notebook(str(src), str(tmp / "bare.out.ipynb"), progress_bar=False)
    return time.perf_counter() - t


def report_seconds(tmp: Path, out: Path, jobs: int) -> float:
    """Wall time of ``apiprobe report --demo --jobs N`` in a fresh process."""
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "apiprobe", "report", "--demo", "--data", str(tmp / "data"), "--out", str(out),
         "--jobs", str(jobs)],
        check=True,
        cwd=REPO,
        capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=None)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel runs (default: the cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        out = Path(args.out) if args.out else tmp / "report"
        bare = bare_kernel_seconds(tmp)
        sequential = report_seconds(tmp, tmp / "sequential", 1)
        parallel = report_seconds(tmp, out, args.jobs)
        sizes = {p.name: p.stat().st_size for p in out.glob("*.html") if p.name != "index.html"}
    print(
        f"report step (apiprobe report --demo, {len(sizes)} notebook runs): sequential {sequential:.1f} s, "
        f"--jobs {args.jobs} {parallel:.1f} s ({parallel / sequential:.2f}x); "
        f"bare kernel start + 1 cell: {bare:.1f} s"
    )
    for name, size in sorted(sizes.items()):
        print(f"  {name}: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
