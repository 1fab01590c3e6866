# The public surface of `import apiprobe.notebook as nb`, written once. Each line re-exports one
# name from the module that defines it; __init__.py reads this file to load each module lazily
# on first use (a notebook kernel imports only what its cells touch), and type checkers read it
# as the package's stub. tests/snapshots/public_api/apiprobe.notebook.txt pins the list.

# _display
from apiprobe.notebook._display import FINDINGS_MIME as FINDINGS_MIME
from apiprobe.notebook._display import HTML_RENDERER as HTML_RENDERER
from apiprobe.notebook._display import setup_notebook as setup_notebook
from apiprobe.notebook._display import show_findings as show_findings
from apiprobe.notebook._display import show_table as show_table

# dns
from apiprobe.notebook.dns import DnsEvidence as DnsEvidence
from apiprobe.notebook.dns import get_dns as get_dns
from apiprobe.notebook.dns import show_dns_overview as show_dns_overview

# exectrace
from apiprobe.notebook.exectrace import get_go_trace as get_go_trace
from apiprobe.notebook.exectrace import select_regions as select_regions
from apiprobe.notebook.exectrace import show_go_trace_overview as show_go_trace_overview
from apiprobe.notebook.exectrace import show_go_trace_profiles as show_go_trace_profiles
from apiprobe.notebook.exectrace import show_region_table as show_region_table

# latency
from apiprobe.notebook.latency import LatencyEvidence as LatencyEvidence
from apiprobe.notebook.latency import get_probes as get_probes
from apiprobe.notebook.latency import show_baseline as show_baseline
from apiprobe.notebook.latency import show_latency_overview as show_latency_overview

# logs
from apiprobe.notebook.logs import LogEvidence as LogEvidence
from apiprobe.notebook.logs import detect_log_faults as detect_log_faults
from apiprobe.notebook.logs import get_log_evidence as get_log_evidence
from apiprobe.notebook.logs import show_error_summary as show_error_summary
from apiprobe.notebook.logs import show_log_overview as show_log_overview
from apiprobe.notebook.logs import show_taxonomy as show_taxonomy
from apiprobe.notebook.logs import show_template_changes as show_template_changes
from apiprobe.notebook.logs import show_unparsed as show_unparsed

# metrics
from apiprobe.notebook.metrics import MetricsEvidence as MetricsEvidence
from apiprobe.notebook.metrics import detect_metrics_faults as detect_metrics_faults
from apiprobe.notebook.metrics import get_metrics as get_metrics
from apiprobe.notebook.metrics import show_error_budget as show_error_budget
from apiprobe.notebook.metrics import show_golden_signals as show_golden_signals
from apiprobe.notebook.metrics import show_metrics_overview as show_metrics_overview
from apiprobe.notebook.metrics import show_promql as show_promql
from apiprobe.notebook.metrics import show_slo_burn as show_slo_burn

# pool
from apiprobe.notebook.pool import PoolEvidence as PoolEvidence
from apiprobe.notebook.pool import get_pool_evidence as get_pool_evidence
from apiprobe.notebook.pool import show_dump_comparison as show_dump_comparison
from apiprobe.notebook.pool import show_goroutine_groups as show_goroutine_groups
from apiprobe.notebook.pool import show_pool_logs as show_pool_logs
from apiprobe.notebook.pool import show_pool_overview as show_pool_overview
from apiprobe.notebook.pool import show_sweep as show_sweep

# profiles
from apiprobe.notebook.profiles import ProfileEvidence as ProfileEvidence
from apiprobe.notebook.profiles import get_profiles as get_profiles
from apiprobe.notebook.profiles import show_label_pivot as show_label_pivot
from apiprobe.notebook.profiles import show_profile_diff as show_profile_diff
from apiprobe.notebook.profiles import show_profile_overview as show_profile_overview

# resilience
from apiprobe.notebook.resilience import ResilienceEvidence as ResilienceEvidence
from apiprobe.notebook.resilience import detect_resilience_faults as detect_resilience_faults
from apiprobe.notebook.resilience import get_resilience_evidence as get_resilience_evidence
from apiprobe.notebook.resilience import show_breaker as show_breaker
from apiprobe.notebook.resilience import show_fallback as show_fallback
from apiprobe.notebook.resilience import show_resilience_overview as show_resilience_overview
from apiprobe.notebook.resilience import show_retry_policy as show_retry_policy
from apiprobe.notebook.resilience import show_retry_storm as show_retry_storm
from apiprobe.notebook.resilience import show_timeout_budget as show_timeout_budget

# serialization
from apiprobe.notebook.serialization import SerializationEvidence as SerializationEvidence
from apiprobe.notebook.serialization import detect_serialization_faults as detect_serialization_faults
from apiprobe.notebook.serialization import get_serialization as get_serialization
from apiprobe.notebook.serialization import show_key_mapping as show_key_mapping
from apiprobe.notebook.serialization import show_serialization_overview as show_serialization_overview

# status
from apiprobe.notebook.status import LAB_MISUSE_ENDPOINTS as LAB_MISUSE_ENDPOINTS
from apiprobe.notebook.status import StatusEvidence as StatusEvidence
from apiprobe.notebook.status import detect_status_faults as detect_status_faults
from apiprobe.notebook.status import get_status_evidence as get_status_evidence
from apiprobe.notebook.status import show_status_overview as show_status_overview
from apiprobe.notebook.status import show_status_table as show_status_table

# tls
from apiprobe.notebook.tls import TlsEvidence as TlsEvidence
from apiprobe.notebook.tls import get_tls_reports as get_tls_reports
from apiprobe.notebook.tls import show_chains as show_chains
from apiprobe.notebook.tls import show_go_log_match as show_go_log_match
from apiprobe.notebook.tls import show_tls_failures as show_tls_failures
from apiprobe.notebook.tls import show_tls_overview as show_tls_overview

# tracing
from apiprobe.notebook.tracing import TraceEvidence as TraceEvidence
from apiprobe.notebook.tracing import get_trace_evidence as get_trace_evidence
from apiprobe.notebook.tracing import pick_trace as pick_trace
from apiprobe.notebook.tracing import show_critical_path as show_critical_path
from apiprobe.notebook.tracing import show_journeys as show_journeys
from apiprobe.notebook.tracing import show_propagation as show_propagation
from apiprobe.notebook.tracing import show_trace_logs as show_trace_logs
from apiprobe.notebook.tracing import show_trace_overview as show_trace_overview

# triage
from apiprobe.notebook.triage import get_triage as get_triage
from apiprobe.notebook.triage import show_hypotheses as show_hypotheses
from apiprobe.notebook.triage import show_inventory as show_inventory
from apiprobe.notebook.triage import show_next_steps as show_next_steps
from apiprobe.notebook.triage import show_postmortem as show_postmortem
from apiprobe.notebook.triage import show_triage_findings as show_triage_findings
from apiprobe.notebook.triage import show_triage_overview as show_triage_overview
from apiprobe.notebook.triage import show_triage_timeline as show_triage_timeline
