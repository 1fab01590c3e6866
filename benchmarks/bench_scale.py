"""Benchmark: logs beyond memory: convert_logs, the DuckDB store, and Dask, against same-run references.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--lines 10000000] [--small 1000000] [--dir DIR] [--no-dask]``.

Generates zap production JSON lines from six services (~290 bytes a line)
with 1 % garbage lines (panics, cut JSON, binary noise), and the same lines
without the garbage for pyarrow, which cannot read garbage. Then it reports:

1. ``convert_logs`` throughput (bytes a second) on the big file, as a ratio to
   ``pyarrow.json.read_json`` over 100 MB chunks of the clean file (goal
   ≥ 0.8× its rate), and the peak resident memory of a conversion of the
   small and the big file, each in a fresh process (goal ≤ 1.5 GB, and the
   two within 10 %: memory bounded by the chunk, not by the input);
2. ``error_counts`` by service × kind × minute on the small file's store
   (DuckDB) against ``read_logs`` + ``classify_errors`` + ``error_counts`` in
   memory (goal ≤ 1.0×), and the DuckDB time on the big store;
3. ``apiprobe.dask.read_logs`` on a ``distributed.LocalCluster`` (2 worker
   processes) → ``classify_errors`` → ``error_counts`` against
   ``convert_logs`` + ``error_counts`` on the store, in one process, on the
   big file (the honest ratio; on 2 cores the point is correctness and
   bounded memory, not speed), and checks the two tables are equal.

Every ratio compares runs made in this same invocation, so a busy machine
slows both sides alike.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_logs import ERRORS, GARBAGE, ROUTES, _hwm_mb, work_folder  # the same line vocabulary and memory probe

SERVICES = ["checkout", "cart", "orders", "payments", "search", "gateway"]
CHUNK = 100 << 20


def generate(path: Path, clean: Path, lines: int, *, garbage: float = 0.01, seed: int = 11) -> None:
    """Write ``lines`` zap lines to ``path`` (with ``garbage`` share of junk) and the same lines to ``clean``."""
    rnd = random.Random(seed)
    t0 = 1_710_409_200.0
    with (
        open(path, "w", encoding="utf-8", errors="surrogateescape") as fh,
        open(clean, "w", encoding="utf-8") as fc,
    ):
        buf: list[str] = []
        good: list[str] = []
        for i in range(lines):
            if rnd.random() < garbage:
                buf.append(rnd.choice(GARBAGE))
                continue
            status = 200 if rnd.random() > 0.03 else rnd.choice((500, 503, 504, 429))
            rec: dict[str, Any] = {
                "level": "info" if status < 500 else "error",
                "ts": round(t0 + i * 0.0005 + rnd.random() * 0.0002, 6),
                "logger": "http",
                "service": SERVICES[i % len(SERVICES)],
                "caller": f"server/handler.go:{rnd.randint(40, 400)}",
                "msg": "request completed",
                "method": rnd.choice(("GET", "POST")),
                "route": rnd.choice(ROUTES),
                "status": status,
                "latency": round(rnd.expovariate(1 / 0.02), 6),
                "trace_id": f"{rnd.getrandbits(128):032x}",
                "client_ip": f"10.0.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            }
            if status >= 500:
                rec["error"] = rnd.choice(ERRORS)
            line = json.dumps(rec, separators=(",", ":"))
            buf.append(line)
            good.append(line)
            if len(buf) >= 20_000:
                fh.write("\n".join(buf) + "\n")
                fc.write("\n".join(good) + "\n")
                buf.clear()
                good.clear()
        if buf:
            fh.write("\n".join(buf) + "\n")
        if good:
            fc.write("\n".join(good) + "\n")


def pyarrow_chunks(path: Path) -> float:
    """Seconds for ``pyarrow.json.read_json`` over 100 MB chunks of whole lines of ``path``."""
    import pyarrow as pa
    import pyarrow.json as pa_json

    t = time.perf_counter()
    with open(path, "rb") as fh:
        carry = b""
        while True:
            data = fh.read(CHUNK)
            if not data:
                if carry.strip():
                    pa_json.read_json(pa.py_buffer(carry))
                break
            data = carry + data
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                pa_json.read_json(pa.py_buffer(data[:cut]))
    return time.perf_counter() - t


def _convert_child(src: str, out: str) -> None:
    import apiprobe.analyze  # noqa: F401  (imports paid before the clock starts)
    from apiprobe.scale import convert_logs

    base = _hwm_mb()
    t = time.perf_counter()
    res = convert_logs(src, out, overwrite=True, progress=False)
    elapsed = time.perf_counter() - t
    print(json.dumps({"seconds": elapsed, "peak_mb": _hwm_mb(), "base_mb": base, "rows": int(res["rows"].sum())}))


def convert_in_child(src: Path, out: Path) -> dict[str, float]:
    """Run convert_logs in a fresh process; its seconds, peak RSS (MB) and rows."""
    res = subprocess.run(
        [sys.executable, __file__, "--child", str(src), str(out)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t, out


BY = ("service", "error_kind")


def counts_in_memory(path: Path) -> tuple[float, Any]:
    """read_logs + classify_errors + error_counts by service × kind × minute."""
    from apiprobe.analyze import classify_errors, error_counts
    from apiprobe.load.logs import read_logs

    def run() -> Any:
        return error_counts(classify_errors(read_logs(path, progress=False)), by=BY, freq="1min")

    return _timed(run)


def counts_on_store(store: Path) -> tuple[float, Any]:
    from apiprobe.analyze import error_counts

    return _timed(error_counts, str(store), by=BY, freq="1min")


def dask_counts(path: Path, blocksize: str) -> tuple[float, Any]:
    """On a LocalCluster of 2 worker processes: dask read_logs → classify_errors → error_counts."""
    from distributed import Client, LocalCluster

    import apiprobe.dask as apd
    from apiprobe.analyze import classify_errors, error_counts

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cl,
        Client(cl),
    ):
        t = time.perf_counter()
        frame = classify_errors(apd.read_logs(str(path), blocksize=blocksize))
        table = error_counts(frame, by=BY, freq="1min")
        return time.perf_counter() - t, table


def main() -> int:
    """Generate the files, run every measurement, print the figures and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000_000, help="lines of the big file")
    ap.add_argument("--small", type=int, default=1_000_000, help="lines of the small file")
    ap.add_argument("--runs", type=int, default=3, help="runs of the quick measurements (medians)")
    ap.add_argument("--dir", type=Path, default=None, help="keep the generated files here")
    ap.add_argument("--blocksize", default="128MiB", help="dask partition size")
    ap.add_argument("--no-dask", action="store_true", help="skip the LocalCluster run")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _convert_child(*args.child)
        return 0
    folder, tmp = work_folder(args.dir)
    files = {}
    for name, n in (("small", args.small), ("big", args.lines)):
        dirty, clean = folder / f"zap-{n}-garbage.log", folder / f"zap-{n}-clean.log"
        if not (dirty.exists() and clean.exists()):
            print(f"generating {n:,} lines …", flush=True)
            generate(dirty, clean, n)
        files[name] = (dirty, clean)
        print(
            f"{name}: {n:,} lines, {dirty.stat().st_size / 1e9:.2f} GB (clean copy {clean.stat().st_size / 1e9:.2f} GB)"
        )

    # 1. throughput and memory of convert_logs
    big, big_clean = files["big"]
    small = files["small"][0]
    store_big, store_small = folder / "store-big", folder / "store-small"
    ref_s = pyarrow_chunks(big_clean)
    conv_big = convert_in_child(big, store_big)
    conv_small = convert_in_child(small, store_small)
    ref_rate = big_clean.stat().st_size / ref_s
    ours_rate = big.stat().st_size / conv_big["seconds"]
    print()
    print("1. convert_logs (parse, classify, write Parquet) vs pyarrow.json.read_json on 100 MB chunks")
    print(f"   pyarrow, clean copy:  {ref_s:7.1f} s  {ref_rate / 1e6:6.0f} MB/s")
    print(
        f"   convert_logs:         {conv_big['seconds']:7.1f} s  {ours_rate / 1e6:6.0f} MB/s  "
        f"({conv_big['rows']:,} rows)"
    )
    print(f"   rate ratio: {ours_rate / ref_rate:.2f}x pyarrow's (goal >= 0.8x)")
    print(
        f"   peak RSS: {conv_small['peak_mb']:.0f} MB for {args.small:,} lines, "
        f"{conv_big['peak_mb']:.0f} MB for {args.lines:,} lines "
        f"({conv_big['peak_mb'] / conv_small['peak_mb']:.2f}x; goal <= 1.5 GB and within 10 %)"
    )

    # 2. error_counts: DuckDB on the store vs load + count in memory (small file)
    mem_t, duck_t = [], []
    mem_table = duck_table = None
    for _ in range(args.runs):
        t, mem_table = counts_in_memory(small)
        mem_t.append(t)
        t, duck_table = counts_on_store(store_small)
        duck_t.append(t)
    import pandas as pd

    pd.testing.assert_frame_equal(mem_table, duck_table)
    big_duck_t, _ = counts_on_store(store_big)
    m, d = statistics.median(mem_t), statistics.median(duck_t)
    print()
    print(f"2. error_counts by service x kind x minute, {args.small:,} lines (median of {args.runs}; tables equal)")
    print(f"   in memory (read_logs + classify + count): {m:6.2f} s")
    print(f"   DuckDB on the store:                      {d:6.2f} s  ({d / m:.3f}x; goal <= 1.0x)")
    print(f"   DuckDB on the {args.lines:,}-line store:  {big_duck_t:6.2f} s")

    # 3. Dask on a LocalCluster vs one process
    if not args.no_dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("\n3. skipped: dask/distributed not installed (pip install 'apiprobe[cluster]')")
        else:
            shutil.rmtree(store_big, ignore_errors=True)
            conv = convert_in_child(big, store_big)
            count_t, one_table = counts_on_store(store_big)
            one_t = conv["seconds"] + count_t
            dask_t, dask_table = dask_counts(big, args.blocksize)
            pd.testing.assert_frame_equal(one_table, dask_table)
            print()
            print(f"3. {args.lines:,} lines to error counts by service x kind x minute (tables equal)")
            print(f"   one process, convert_logs + DuckDB:           {one_t:7.1f} s")
            print(
                f"   dask LocalCluster (2 workers), blocks {args.blocksize}: {dask_t:7.1f} s  ({dask_t / one_t:.2f}x)"
            )
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
