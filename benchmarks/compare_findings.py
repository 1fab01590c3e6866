"""Compare two reports' ``findings.json``: did a change keep the same findings?

Usage::

    python benchmarks/compare_findings.py BEFORE/findings.json AFTER/findings.json

Each finding is keyed by (run, detector, fault, severity, subject, metric).
Runs on recorded demo data must agree on everything but the time they were
generated; runs that probe the live fault lab (ephemeral ports, real timings)
must agree on the keys, with ports and measured numbers masked. Detectors
renamed on purpose are mapped through ``RENAMED``. Prints a summary line and
every difference; exits 1 when any finding differs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Detector names changed by the architecture work (old → new).
RENAMED = {"detect_error_findings": "detect_error_faults", "detect_trace_findings": "detect_span_faults"}
#: Runs whose findings come from live lab probes: only keys and masked text must agree.
LIVE_RUNS = {"01_latency_fault_lab", "02_tls_fault_lab", "03_dns_lab_zone", "06_pool_demo", "05_status_lab"}
KEY = ("run", "detector", "fault", "severity", "subject", "metric")
_PORT = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+")
_NUMBER = re.compile(r"\d+(\.\d+)?")


def _mask(value: Any, live: bool) -> Any:
    if not isinstance(value, str):
        return None if live and isinstance(value, int | float) else value
    text = _PORT.sub(r"\1:PORT", value)
    return _NUMBER.sub("N", text) if live else text


def _normalised(findings: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in findings:
        f = dict(f, detector=RENAMED.get(f["detector"], f["detector"]))
        live = f["run"] in LIVE_RUNS
        masked = {k: _mask(v, live) for k, v in f.items()}
        if live:
            masked.pop("ts_start", None)
            masked.pop("ts_end", None)
        key = tuple(masked[k] for k in KEY)
        n = 1
        while (*key, n) in out:
            n += 1
        out[(*key, n)] = masked
    return out


def compare(before: Path, after: Path) -> list[str]:
    """Differences between two ``findings.json`` files, one line each (empty when they agree)."""
    a = _normalised(json.loads(before.read_text())["findings"])
    b = _normalised(json.loads(after.read_text())["findings"])
    lines = [f"only before: {k}" for k in a.keys() - b.keys()] + [f"only after:  {k}" for k in b.keys() - a.keys()]
    for k in sorted(a.keys() & b.keys(), key=str):
        for field in sorted(a[k].keys() | b[k].keys()):
            if a[k].get(field) != b[k].get(field):
                lines.append(f"{k} {field}: {a[k].get(field)!r} -> {b[k].get(field)!r}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    before, after = map(Path, argv)
    diffs = compare(before, after)
    n_before = len(json.loads(before.read_text())["findings"])
    n_after = len(json.loads(after.read_text())["findings"])
    print(f"findings before: {n_before}, after: {n_after}, differences: {len(diffs)}")
    print("\n".join(diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
