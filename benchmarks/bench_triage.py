"""Wall time of ``triage`` on the demo incident folder (21 files, 6.4k log lines, 646 spans, 62k metric samples).

Reference in the same process: reading the same folder with the loaders alone
(:func:`apiprobe.read_evidence`: content detection plus every reader), so the
ratio shows what running every detector, the timeline and the ranking add.
Best of ``--repeat`` runs each.

Usage: python benchmarks/bench_triage.py [--folder DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from apiprobe import read_evidence, triage

REPO = Path(__file__).resolve().parents[1]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", default=str(REPO / "data" / "demo" / "incident"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(args.folder)
    read_evidence(folder)  # warm imports and caches once
    load = best(lambda: read_evidence(folder), args.repeat)
    whole = best(lambda: triage(folder), args.repeat)
    result = triage(folder)
    print(
        f"triage of {folder.name} ({len(result.inventory)} files, {len(result.findings)} findings, "
        f"{len(result.hypotheses)} hypotheses): {whole:.2f} s; reading alone: {load:.2f} s; "
        f"ratio {whole / load:.2f}x"
    )


if __name__ == "__main__":
    main()
