"""Analyze: pure functions, DataFrame in, DataFrame out.

``detect_*`` functions return a findings table (schema ``findings``);
``summarize_*`` and ``compare_*`` return tables. No I/O, no plotting.
"""

from apiprobe.analyze.latency import (
    compare_latency,
    detect_latency_faults,
    jitter_stats,
    select_probes,
    summarize_latency,
)

__all__ = ["compare_latency", "detect_latency_faults", "jitter_stats", "select_probes", "summarize_latency"]
