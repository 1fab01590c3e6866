"""Benchmark: 1,000,000 zap JSON lines → events table, against pyarrow.json.

Run: ``.venv/bin/python benchmarks/bench_logs.py [--lines N] [--dir DIR]``.

Generates two files (zap production JSON, ~250 bytes a line): a clean one and
one with 1 % garbage lines (panic output, truncated JSON, binary noise) mixed
in. Then, alternating in this process, it times

* the reference: ``pyarrow.json.read_json(clean).to_pandas()`` (REFERENCE
  §10: 2.7 s on this kind of machine, while ``pandas.read_json`` takes 19 s);
* ``apiprobe.read_logs(clean)`` and ``apiprobe.read_logs(garbage)``,

and measures the peak resident memory of each in a fresh subprocess. It
prints medians and the ratios the issue asks for (time ≤ 1.5×, memory ≤ 1.5×
on the clean file; time ≤ 2× with 1 % garbage, against the same reference;
pyarrow cannot read the garbage file at all).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUTES = ["/api/checkout", "/api/cart", "/api/orders/{id}", "/api/users/{id}", "/healthz", "/api/search"]
ERRORS = [
    'Post "http://payments:8080/v1/charge": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    "pg: connection pool timeout",
    "dial tcp 10.0.3.7:5432: connect: connection refused",
    "http2: server sent GOAWAY and closed the connection",
]
GARBAGE = [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "goroutine 1 [running]:",
    "\tmain.(*Server).handle(0xc000120000)",
    '{"level":"info","ts":1710409200.5,"msg":"trunc',
    "\x00\x01\x02binary\xff noise",
]


def generate(path: Path, lines: int, *, garbage: float, seed: int = 7) -> None:
    """Write ``lines`` zap production JSON lines (plus ``garbage`` share of junk)."""
    rnd = random.Random(seed)
    t0 = 1_710_409_200.0
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as fh:
        buf: list[str] = []
        for i in range(lines):
            if garbage and rnd.random() < garbage:
                buf.append(rnd.choice(GARBAGE))
                continue
            ts = t0 + i * 0.001 + rnd.random() * 0.0005
            status = 200 if rnd.random() > 0.03 else rnd.choice((500, 503, 504, 429))
            rec = {
                "level": "info" if status < 500 else "error",
                "ts": round(ts, 6),
                "logger": "http",
                "caller": f"server/handler.go:{rnd.randint(40, 400)}",
                "msg": "request completed",
                "method": rnd.choice(("GET", "POST")),
                "route": rnd.choice(ROUTES),
                "status": status,
                "latency": round(rnd.expovariate(1 / 0.02), 6),
                "trace_id": f"{rnd.getrandbits(128):032x}",
                "span_id": f"{rnd.getrandbits(64):016x}",
                "client_ip": f"10.0.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            }
            if status >= 500:
                rec["error"] = rnd.choice(ERRORS)
            buf.append(json.dumps(rec, separators=(",", ":")))
            if len(buf) >= 10_000:
                fh.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            fh.write("\n".join(buf) + "\n")


def work_folder(path: Path | None) -> tuple[Path, tempfile.TemporaryDirectory[str] | None]:
    """Where the generated files go: ``path`` (kept, created) or a temporary folder (cleaned up by the caller)."""
    if path is None:
        tmp = tempfile.TemporaryDirectory()
        return Path(tmp.name), tmp
    path.mkdir(parents=True, exist_ok=True)
    return path, None


def _reference(path: Path) -> object:
    import pyarrow.json as pa_json

    return pa_json.read_json(str(path)).to_pandas()


def _ours(path: Path) -> object:
    from apiprobe.load.logs import read_logs

    return read_logs(path, progress=False)


def _hwm_mb() -> float:
    """Peak resident set of this process (VmHWM; ru_maxrss would include the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure_child(kind: str, path: str) -> None:
    import pandas  # noqa: F401  (both sides pay the same imports)
    import pyarrow.json  # noqa: F401

    import apiprobe.load.logs  # noqa: F401

    base = _hwm_mb()
    t = time.perf_counter()
    df = (_reference if kind == "reference" else _ours)(Path(path))
    elapsed = time.perf_counter() - t
    peak = _hwm_mb()
    print(json.dumps({"seconds": elapsed, "peak_mb": peak, "base_mb": base, "rows": len(df)}))  # type: ignore[arg-type]


def _peak(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    """Generate the files, run both readers, print medians and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=None, help="keep the generated files here")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _measure_child(*args.child)
        return 0
    folder, tmp = work_folder(args.dir)
    clean = folder / f"zap-{args.lines}.log"
    dirty = folder / f"zap-{args.lines}-garbage.log"
    for path, share in ((clean, 0.0), (dirty, 0.01)):
        if not path.exists():
            print(f"generating {path.name} …", flush=True)
            generate(path, args.lines, garbage=share)
    print(
        f"{args.lines:,} lines: clean {clean.stat().st_size / 1e6:.0f} MB, "
        f"with 1 % garbage {dirty.stat().st_size / 1e6:.0f} MB"
    )

    times: dict[str, list[float]] = {"reference": [], "ours": [], "garbage": []}
    for _ in range(args.runs):
        for key, fn, path in (("reference", _reference, clean), ("ours", _ours, clean), ("garbage", _ours, dirty)):
            t = time.perf_counter()
            fn(path)
            times[key].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    from apiprobe.analyze.error_kinds import classify_errors

    events = _ours(dirty)
    classify = []
    for _ in range(args.runs):
        t = time.perf_counter()
        classify_errors(events)  # type: ignore[arg-type]
        classify.append(time.perf_counter() - t)
    del events
    mem_ref = _peak("reference", clean)
    mem_ours = _peak("ours", clean)
    mem_dirty = _peak("ours", dirty)

    print(f"time, median of {args.runs} (same process, alternating):")
    print(f"  pyarrow.json.read_json(clean).to_pandas()  {med['reference']:6.2f} s")
    print(
        f"  apiprobe read_logs(clean)                  {med['ours']:6.2f} s   "
        f"ratio {med['ours'] / med['reference']:4.2f}×  (goal ≤ 1.5×)"
    )
    print(
        f"  apiprobe read_logs(1 % garbage)            {med['garbage']:6.2f} s   "
        f"ratio {med['garbage'] / med['reference']:4.2f}×  (goal ≤ 2×)"
    )
    print(
        f"  classify_errors on those events           {statistics.median(classify):6.2f} s   "
        "(error_kind, layer, retryable for every line)"
    )
    print("peak resident memory, fresh process each (after importing pandas, pyarrow, apiprobe):")
    for label, m in (("pyarrow reference", mem_ref), ("apiprobe clean", mem_ours), ("apiprobe 1 % garbage", mem_dirty)):
        print(f"  {label:22s} peak {m['peak_mb']:6.0f} MB  (imports {m['base_mb']:4.0f} MB, rows {int(m['rows']):,})")
    print(f"  ratio clean   {mem_ours['peak_mb'] / mem_ref['peak_mb']:4.2f}×  (goal ≤ 1.5×)")
    print(f"  ratio garbage {mem_dirty['peak_mb'] / mem_ref['peak_mb']:4.2f}×")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
