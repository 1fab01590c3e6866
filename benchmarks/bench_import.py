"""Benchmark: what ``import apiprobe`` and ``apiprobe --help`` cost, against ``import pandas``.

Run: ``.venv/bin/python benchmarks/bench_import.py [runs]``. Each measurement
is a fresh interpreter (``python -c ...``), so nothing is cached in-process;
the three commands are interleaved run by run and the medians compared.
``import pandas`` is the reference: every apiprobe table is a DataFrame, so a
script that uses apiprobe pays for pandas anyway. Goal: both ratios ≤ 1.5.
Also printed: how many modules each command loads and which of the notebook
stack (IPython, ipywidgets, plotly, papermill, nbconvert) is among them, plus,
for information, the first use of a loader and ``import apiprobe.notebook``
(what every notebook kernel of a report paid before the surfaces became lazy) and, per notebook,
what its kernel pays now to import what its set-up cell uses (``kernel: <notebook>``).
``--baseline DIR`` times the same commands on another checkout (e.g. the commit
before a change, from ``git worktree add``), interleaved, and prints the ratios.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

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
NOTEBOOKS = Path(__file__).resolve().parents[1] / "apiprobe" / "notebooks"


def _kernel_start(notebook: Path) -> str:
    """A notebook's set-up cell up to its evidence loader: the imports, ``setup_notebook()``, ``nb.get_*``.

    The loader is looked up, not called, so only import cost is measured (what a kernel pays
    before the notebook's own work starts).
    """
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    setup = "".join(cells[1]["source"])
    imports = [line for line in setup.splitlines() if line.startswith("import ")]
    loaders = sorted(set(re.findall(r"\bnb\.(get_\w+)", setup)))
    return "\n".join([*imports, "nb.setup_notebook()", *(f"nb.{name}" for name in loaders)])


#: What each notebook's kernel pays for imports before its first cell of work (informational).
KERNELS = {f"kernel: {nb.stem[:22]}": _kernel_start(nb) for nb in sorted(NOTEBOOKS.glob("*.ipynb"))}
COMMANDS.update(KERNELS)
GOALS = ("import apiprobe", "apiprobe --help")
HEAVY = ("IPython", "ipywidgets", "plotly", "papermill", "nbconvert")
GOAL = 1.5


def _wall(code: str, env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    cwd = env.get("PYTHONPATH") if env else None  # python -c puts its working directory first on sys.path
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
    return time.perf_counter() - t


def _modules(code: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    probe = f"{code}\nimport sys\nprint(len(sys.modules), ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    cwd = env.get("PYTHONPATH") if env else None
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env, cwd=cwd
    ).stdout
    count, _, heavy = out.strip().splitlines()[-1].partition(" ")
    return int(count), [h for h in heavy.split(",") if h]


def main(runs: int = 15, baseline: Path | None = None) -> None:
    """Time every command ``runs`` times, interleaved; with ``baseline``, the same on that checkout too.

    ``baseline`` is another checkout of apiprobe (``git worktree add /tmp/old <commit>``): each
    command also runs with ``PYTHONPATH`` set to it, interleaved with this checkout's run, so the
    comparison sees the same machine load.
    """
    envs: dict[str, dict[str, str] | None] = {"": None}
    if baseline is not None:
        envs["baseline "] = {**os.environ, "PYTHONPATH": str(baseline.resolve())}
    _wall("pass")  # warm the file cache
    times: dict[tuple[str, str], list[float]] = {(tag, name): [] for tag in envs for name in COMMANDS}
    for _ in range(runs):
        for name, code in COMMANDS.items():
            for tag, env in envs.items():
                times[tag, name].append(_wall(code, env))
    print(f"median of {runs} fresh interpreters each, interleaved ({sys.version.split()[0]})")
    for tag, env in envs.items():
        if tag:
            print(f"the same commands on {baseline} (PYTHONPATH), interleaved with the runs above:")
        base = statistics.median(times[tag, "import pandas"])
        for name, code in COMMANDS.items():
            med = statistics.median(times[tag, name])
            count, heavy = _modules(code, env)
            ratio = med / base
            goal = f"  goal ≤ {GOAL}: {'met' if ratio <= GOAL else 'MISSED'}" if name in GOALS else ""
            print(
                f"{name:32s} {med * 1000:7.0f} ms  {ratio:4.2f}× import pandas  {count:4d} modules  heavy: "
                f"{', '.join(heavy) or 'none'}{goal}"
            )
    if baseline is not None:
        print("kernel imports, this checkout / baseline (same run):")
        for name in KERNELS:
            new, old = statistics.median(times["", name]), statistics.median(times["baseline ", name])
            print(f"  {name:32s} {new / old:4.2f}×  ({new * 1000:.0f} vs {old * 1000:.0f} ms)")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="another apiprobe checkout to time side by side")
    args = parser.parse_args()
    main(args.runs, args.baseline)
