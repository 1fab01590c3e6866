"""Benchmark: the log explorer on 1,000,000 lines — a change of control against reading the lines.

Run: ``.venv/bin/python benchmarks/bench_explorers.py [--lines N] [--runs R] [--dir DIR]``.

Generates the zap file of ``bench_logs.py`` (1 % garbage lines), then in this
process times

* the reference: ``read_logs`` + ``classify_errors`` of the file — what a
  notebook pays once, and what an explorer must never pay again;
* building :class:`apiprobe.widgets.LogsExplorer` on the classified lines
  (coding the filter columns, mining the message templates), then its first
  drawing (what happens when JupyterLab first shows it);
* each step of a scripted drill-down (level, error kind, a window brushed to
  a few minutes, back to everything), every step a full redraw: the figure
  rendered to its HTML/JSON bundle by the notebook renderer, the template and
  line tables built as HTML — all a kernel does before the front end paints.

It prints each step's median and its ratio to the reference. No goal is
asserted (the machine is shared); the point is that a change costs a small
fraction of reading the lines, because nothing is re-read or re-parsed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_logs import generate


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        fn()
    return time.perf_counter() - t


def main() -> int:
    """Generate the file, load it, build the explorer, time the drill-down; print medians and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=None, help="keep the generated file here")
    args = ap.parse_args()

    import apiprobe as ap_
    import apiprobe.notebook as nb
    from apiprobe.widgets import LogsExplorer
    from apiprobe.widgets._explorer import ALL

    nb.setup_notebook()  # figures render to the same bundle as in a kernel
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"zap-{args.lines}-garbage.log"
        if not path.exists():
            print(f"generating {path.name} …", flush=True)
            generate(path, args.lines, garbage=0.01)

        events = None
        load: list[float] = []
        for _ in range(2):

            def read() -> None:
                nonlocal events
                events = ap_.classify_errors(ap_.read_logs(path, progress=False))

            load.append(_timed(read))
        assert events is not None
        reference = statistics.median(load)
        build = [_timed(lambda: LogsExplorer(events)) for _ in range(2)]
        with contextlib.redirect_stdout(io.StringIO()):
            ex = LogsExplorer(events)
        first = _timed(lambda: setattr(ex, "_view_count", 1))  # the front end reports its view
        n = len(ex.window.options)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("level = error", lambda: setattr(ex.level, "value", "error")),
            ("error kind = the first kind", lambda: setattr(ex.kind, "value", ex.kind.options[2])),
            ("window brushed to 3 minutes", lambda: setattr(ex.window, "index", (n // 2, min(n - 1, n // 2 + 2)))),
            ("error kind = (all)", lambda: setattr(ex.kind, "value", ALL)),
            ("level = (all): every line", lambda: setattr(ex.level, "value", ALL)),
            ("window back to the whole span", lambda: setattr(ex.window, "index", (0, n - 1))),
        ]
        times: dict[str, list[float]] = {name: [] for name, _ in steps}
        for _ in range(args.runs):
            _timed(lambda: (setattr(ex.level, "value", ALL), setattr(ex.kind, "value", ALL)))  # untimed reset
            _timed(lambda: setattr(ex.window, "index", (0, n - 1)))
            for name, step in steps:
                times[name].append(_timed(step))
        rows = len(events)

    print(f"{rows:,} lines ({args.lines:,} generated, 1 % garbage), {n} minutes; medians, same process")
    print(f"  reference: read_logs + classify_errors   {reference:6.2f} s")
    build_s = statistics.median(build)
    print(f"  build the explorer                       {build_s:6.2f} s   {build_s / reference:5.2f}× the reference")
    print(f"  its first drawing (shown by a front end) {first:6.2f} s   {first / reference:5.2f}× the reference")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  change: {name:34s} {med * 1000:6.0f} ms  {med / reference:5.3f}× the reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
