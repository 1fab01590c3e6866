"""Wall time of `make demo`'s report step (demo data, live fault lab, TLS and DNS notebooks).

Reference in the same process: one bare papermill execution of a trivial
notebook, i.e. the fixed cost of starting a kernel, so the ratio shows what
the report adds over that.

Usage: python benchmarks/bench_report.py [--out DIR]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        out = Path(args.out) if args.out else tmp / "report"
        bare = bare_kernel_seconds(tmp)
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "apiprobe", "report", "--demo", "--data", str(tmp / "data"), "--out", str(out)],
            check=True,
            cwd=REPO,
            capture_output=True,
        )
        wall = time.perf_counter() - t
        sizes = {p.name: p.stat().st_size for p in out.glob("*.html") if p.name != "index.html"}
    print(
        f"report step (apiprobe report --demo, {len(sizes)} notebook runs): {wall:.1f} s; "
        f"bare kernel start + 1 cell: {bare:.1f} s; ratio {wall / bare:.1f}x"
    )
    for name, size in sorted(sizes.items()):
        print(f"  {name}: {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
