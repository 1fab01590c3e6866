"""Analyze: pure functions, DataFrame in, DataFrame out.

``detect_*`` functions return a findings table (schema ``findings``);
``summarize_*`` and ``compare_*`` return tables. No I/O, no plotting.
"""

from apiprobe.analyze.dns import (
    ResolvConf,
    detect_dns_faults,
    expand_name,
    parse_resolv_conf,
    read_resolv_conf,
    summarize_dns,
)
from apiprobe.analyze.gojson import (
    GoField,
    GoStruct,
    GoType,
    UnmarshalResult,
    audit_payloads,
    audit_struct_tags,
    parse_go_structs,
    simulate_marshal,
    simulate_unmarshal,
)
from apiprobe.analyze.latency import (
    compare_latency,
    detect_latency_faults,
    jitter_stats,
    select_probes,
    summarize_latency,
)
from apiprobe.analyze.pool import (
    compare_dumps,
    detect_pool_exhaustion,
    find_knee,
    group_goroutines,
    growth,
    littles_law,
    mmc_wait,
    pool_sizing,
)
from apiprobe.analyze.profiles import flame_table, label_pivot, profile_diff, profile_top, top_diff
from apiprobe.analyze.tls import detect_tls_faults, expiry_table, go_error_causes

__all__ = [
    "GoField",
    "GoStruct",
    "GoType",
    "ResolvConf",
    "UnmarshalResult",
    "audit_payloads",
    "audit_struct_tags",
    "compare_dumps",
    "compare_latency",
    "detect_dns_faults",
    "detect_latency_faults",
    "detect_pool_exhaustion",
    "detect_tls_faults",
    "expand_name",
    "expiry_table",
    "find_knee",
    "flame_table",
    "go_error_causes",
    "group_goroutines",
    "growth",
    "jitter_stats",
    "label_pivot",
    "littles_law",
    "mmc_wait",
    "parse_go_structs",
    "parse_resolv_conf",
    "pool_sizing",
    "profile_diff",
    "profile_top",
    "read_resolv_conf",
    "select_probes",
    "simulate_marshal",
    "simulate_unmarshal",
    "summarize_dns",
    "summarize_latency",
    "top_diff",
]
