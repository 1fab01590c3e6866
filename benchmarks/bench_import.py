"""Benchmark: what ``import apiprobe`` and ``apiprobe --help`` cost, against ``import pandas``.

Run: ``.venv/bin/python benchmarks/bench_import.py [runs]``. Each measurement
is a fresh interpreter (``python -c ...``), so nothing is cached in-process;
the three commands are interleaved run by run and the medians compared.
``import pandas`` is the reference: every apiprobe table is a DataFrame, so a
script that uses apiprobe pays for pandas anyway. Goal: both ratios ≤ 1.5.
Also printed: how many modules each command loads and which of the notebook
stack (IPython, ipywidgets, plotly, papermill, nbconvert) is among them, plus,
for information, the first use of a loader and ``import apiprobe.notebook``
(what every notebook kernel of a report pays).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

COMMANDS = {
    "import pandas": "import pandas",
    "import apiprobe": "import apiprobe",
    "apiprobe --help": (
        "import sys; sys.argv = ['apiprobe', '--help']\n"
        "from apiprobe.cli import main\ntry: main()\nexcept SystemExit: pass"
    ),
    # for information, no goal: the first loader a script touches, and what each notebook kernel pays
    "ap.read_logs (1st use)": "import apiprobe as ap\nap.read_logs",
    "import apiprobe.notebook": "import apiprobe.notebook",
}
GOALS = ("import apiprobe", "apiprobe --help")
HEAVY = ("IPython", "ipywidgets", "plotly", "papermill", "nbconvert")
GOAL = 1.5


def _wall(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def _modules(code: str) -> tuple[int, list[str]]:
    probe = f"{code}\nimport sys\nprint(len(sys.modules), ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    count, _, heavy = out.strip().splitlines()[-1].partition(" ")
    return int(count), [h for h in heavy.split(",") if h]


def main(runs: int = 15) -> None:
    _wall("pass")  # warm the file cache
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, code in COMMANDS.items():
            times[name].append(_wall(code))
    base = statistics.median(times["import pandas"])
    print(f"median of {runs} fresh interpreters each, interleaved ({sys.version.split()[0]})")
    for name, code in COMMANDS.items():
        med = statistics.median(times[name])
        count, heavy = _modules(code)
        ratio = med / base
        goal = f"  goal ≤ {GOAL}: {'met' if ratio <= GOAL else 'MISSED'}" if name in GOALS else ""
        print(
            f"{name:24s} {med * 1000:7.0f} ms  {ratio:4.2f}× import pandas  {count:4d} modules  heavy: "
            f"{', '.join(heavy) or 'none'}{goal}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
