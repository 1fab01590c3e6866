"""Glue for notebooks: set-up, getting evidence, showing it, and the explorers.

Notebooks do ``import apiprobe.notebook as nb`` and call these, so they hold
prose and calls, not logic: ``get_*`` fetches a notebook's evidence (probing
live or loading files, or the demo data), ``show_*`` displays a part of it,
``detect_*_faults`` gathers the findings a notebook reports. One module per
notebook topic; :mod:`apiprobe.notebook._display` and
:mod:`apiprobe.notebook._common` hold what they share.
"""

from apiprobe.notebook._display import FINDINGS_MIME, HTML_RENDERER, setup_notebook, show_findings, show_table
from apiprobe.notebook.dns import DnsEvidence, get_dns, show_dns_overview
from apiprobe.notebook.latency import LatencyEvidence, get_probes, show_baseline, show_latency_overview
from apiprobe.notebook.logs import (
    LogEvidence,
    detect_log_faults,
    get_log_evidence,
    show_error_summary,
    show_log_overview,
    show_taxonomy,
    show_template_changes,
    show_unparsed,
)
from apiprobe.notebook.metrics import (
    MetricsEvidence,
    detect_metrics_faults,
    get_metrics,
    show_error_budget,
    show_golden_signals,
    show_metrics_overview,
    show_promql,
    show_slo_burn,
)
from apiprobe.notebook.pool import (
    PoolEvidence,
    get_pool_evidence,
    show_dump_comparison,
    show_goroutine_groups,
    show_pool_logs,
    show_pool_overview,
    show_sweep,
)
from apiprobe.notebook.profiles import (
    ProfileEvidence,
    get_profiles,
    show_label_pivot,
    show_profile_diff,
    show_profile_overview,
)
from apiprobe.notebook.resilience import (
    ResilienceEvidence,
    detect_resilience_faults,
    get_resilience_evidence,
    show_breaker,
    show_fallback,
    show_resilience_overview,
    show_retry_policy,
    show_retry_storm,
    show_timeout_budget,
)
from apiprobe.notebook.serialization import (
    SerializationEvidence,
    detect_serialization_faults,
    get_serialization,
    show_key_mapping,
    show_serialization_overview,
)
from apiprobe.notebook.status import (
    LAB_MISUSE_ENDPOINTS,
    StatusEvidence,
    detect_status_faults,
    get_status_evidence,
    show_status_overview,
    show_status_table,
)
from apiprobe.notebook.tls import (
    TlsEvidence,
    get_tls_reports,
    show_chains,
    show_go_log_match,
    show_tls_failures,
    show_tls_overview,
)
from apiprobe.notebook.tracing import (
    TraceEvidence,
    get_trace_evidence,
    pick_trace,
    show_critical_path,
    show_journeys,
    show_propagation,
    show_trace_logs,
    show_trace_overview,
)
from apiprobe.widgets import LatencyExplorer

__all__ = [
    "FINDINGS_MIME",
    "HTML_RENDERER",
    "LAB_MISUSE_ENDPOINTS",
    "DnsEvidence",
    "LatencyEvidence",
    "LatencyExplorer",
    "LogEvidence",
    "MetricsEvidence",
    "PoolEvidence",
    "ProfileEvidence",
    "ResilienceEvidence",
    "SerializationEvidence",
    "StatusEvidence",
    "TlsEvidence",
    "TraceEvidence",
    "detect_log_faults",
    "detect_metrics_faults",
    "detect_resilience_faults",
    "detect_serialization_faults",
    "detect_status_faults",
    "get_dns",
    "get_log_evidence",
    "get_metrics",
    "get_pool_evidence",
    "get_probes",
    "get_profiles",
    "get_resilience_evidence",
    "get_serialization",
    "get_status_evidence",
    "get_tls_reports",
    "get_trace_evidence",
    "pick_trace",
    "setup_notebook",
    "show_baseline",
    "show_breaker",
    "show_chains",
    "show_critical_path",
    "show_dns_overview",
    "show_dump_comparison",
    "show_error_budget",
    "show_error_summary",
    "show_fallback",
    "show_findings",
    "show_go_log_match",
    "show_golden_signals",
    "show_goroutine_groups",
    "show_journeys",
    "show_key_mapping",
    "show_label_pivot",
    "show_latency_overview",
    "show_log_overview",
    "show_metrics_overview",
    "show_pool_logs",
    "show_pool_overview",
    "show_profile_diff",
    "show_profile_overview",
    "show_promql",
    "show_propagation",
    "show_resilience_overview",
    "show_retry_policy",
    "show_retry_storm",
    "show_serialization_overview",
    "show_slo_burn",
    "show_status_overview",
    "show_status_table",
    "show_sweep",
    "show_table",
    "show_taxonomy",
    "show_template_changes",
    "show_timeout_budget",
    "show_tls_failures",
    "show_tls_overview",
    "show_trace_logs",
    "show_trace_overview",
    "show_unparsed",
]
