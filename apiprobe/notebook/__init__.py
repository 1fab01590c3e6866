"""Glue for notebooks: set-up, getting evidence, and displaying it.

Notebooks call these so they hold prose and calls, not logic. One module per
notebook topic; :mod:`apiprobe.notebook._display` holds what they share.
"""

from apiprobe.notebook._display import FINDINGS_MIME, HTML_RENDERER, setup_notebook, show_findings, show_table
from apiprobe.notebook.dns import DnsEvidence, get_dns, show_dns_overview
from apiprobe.notebook.latency import Evidence, get_probes, show_baseline, show_overview
from apiprobe.notebook.logs import (
    LogEvidence,
    get_log_evidence,
    log_findings,
    show_error_summary,
    show_log_overview,
    show_taxonomy,
    show_template_changes,
    show_unparsed,
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
from apiprobe.notebook.serialization import (
    SerializationEvidence,
    get_serialization,
    serialization_findings,
    show_key_mapping,
    show_serialization_overview,
)
from apiprobe.notebook.status import (
    LAB_MISUSE_ENDPOINTS,
    StatusEvidence,
    get_status_evidence,
    show_status_overview,
    show_status_table,
    status_findings,
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

__all__ = [
    "FINDINGS_MIME",
    "HTML_RENDERER",
    "LAB_MISUSE_ENDPOINTS",
    "DnsEvidence",
    "Evidence",
    "LogEvidence",
    "PoolEvidence",
    "ProfileEvidence",
    "SerializationEvidence",
    "StatusEvidence",
    "TlsEvidence",
    "TraceEvidence",
    "get_dns",
    "get_log_evidence",
    "get_pool_evidence",
    "get_probes",
    "get_profiles",
    "get_serialization",
    "get_status_evidence",
    "get_tls_reports",
    "get_trace_evidence",
    "log_findings",
    "pick_trace",
    "serialization_findings",
    "setup_notebook",
    "show_baseline",
    "show_chains",
    "show_critical_path",
    "show_dns_overview",
    "show_dump_comparison",
    "show_error_summary",
    "show_findings",
    "show_go_log_match",
    "show_goroutine_groups",
    "show_journeys",
    "show_key_mapping",
    "show_label_pivot",
    "show_log_overview",
    "show_overview",
    "show_pool_logs",
    "show_pool_overview",
    "show_profile_diff",
    "show_profile_overview",
    "show_propagation",
    "show_serialization_overview",
    "show_status_overview",
    "show_status_table",
    "show_sweep",
    "show_table",
    "show_taxonomy",
    "show_template_changes",
    "show_tls_failures",
    "show_tls_overview",
    "show_trace_logs",
    "show_trace_overview",
    "show_unparsed",
    "status_findings",
]
