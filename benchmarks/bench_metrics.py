"""Benchmark: parsing a 50,000-series ``/metrics`` page, against ``prometheus_client``'s text parser.

Run: ``.venv/bin/python benchmarks/bench_metrics.py [series] [runs]``. The page
is what a big Go service exposes: counters and gauges with a few labels,
histograms with the default buckets, a summary, ``# HELP``/``# TYPE`` lines and
escaped label values, in text format 0.0.4. Both parsers read the same text in
the same process, interleaved run by run; the medians are compared.

``prometheus_client.parser.text_string_to_metric_families`` is the reference
(it is what a Python user would reach for); apiprobe's reader builds the
samples table (a DataFrame) as well. Goal: ratio ≤ 1.0.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

from apiprobe.load.metrics import parse_metrics_text

GOAL = 1.0
BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")


def page(series: int) -> str:
    """A text-format page with about ``series`` series."""
    out: list[str] = []
    handlers = max(series // 40, 1)
    out += ["# HELP http_requests_total Total HTTP requests.", "# TYPE http_requests_total counter"]
    for h in range(handlers):
        for code in ("200", "404", "500", "503"):
            out.append(
                f'http_requests_total{{code="{code}",handler="/api/v{h % 3}/item/{h}",method="get"}} {h * 17 + 3}'
            )
    out += ["# HELP http_request_duration_seconds Request latency.", "# TYPE http_request_duration_seconds histogram"]
    for h in range(handlers):
        labels = f'handler="/api/v{h % 3}/item/{h}",method="get"'
        total = 0
        for le in BUCKETS:
            total += h % 7 + 1
            out.append(f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {total}')
        out.append(f"http_request_duration_seconds_sum{{{labels}}} {total * 0.043:.6f}")
        out.append(f"http_request_duration_seconds_count{{{labels}}} {total}")
    out += ["# HELP rpc_latency_seconds RPC latency.", "# TYPE rpc_latency_seconds summary"]
    for h in range(handlers):
        for q in ("0.5", "0.9", "0.99"):
            out.append(f'rpc_latency_seconds{{service="svc-{h}",quantile="{q}"}} {0.01 * (h % 5 + 1):.4f}')
    out += ["# HELP queue_depth Items waiting.", "# TYPE queue_depth gauge"]
    n = len([x for x in out if not x.startswith("#")])
    i = 0
    while n < series:
        out.append(f'queue_depth{{queue="q-{i}",note="say \\"hi\\"\\\\n"}} {i % 97}')
        n += 1
        i += 1
    return "\n".join(out) + "\n"


def main() -> None:
    series = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    text = page(series)
    samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    print(f"page: {samples:,} samples, {len(text) / 1e6:.1f} MB; {runs} interleaved runs")
    ref_counts = sum(len(f.samples) for f in text_string_to_metric_families(text))
    df = parse_metrics_text(text)
    assert len(df) == ref_counts == samples, (len(df), ref_counts, samples)
    ours, ref = [], []
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        list(text_string_to_metric_families(text))
        ref.append(time.perf_counter() - t)
        gc.collect()
        t = time.perf_counter()
        parse_metrics_text(text)
        ours.append(time.perf_counter() - t)
    r, o = statistics.median(ref), statistics.median(ours)
    print(f"prometheus_client text parser: {r:.3f} s  ({samples / r:,.0f} samples/s)")
    print(f"apiprobe parse_metrics_text:  {o:.3f} s  ({samples / o:,.0f} samples/s), DataFrame included")
    print(f"ratio apiprobe / prometheus_client: {o / r:.2f}  (goal ≤ {GOAL})")


if __name__ == "__main__":
    main()
