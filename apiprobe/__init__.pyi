# The public surface of `import apiprobe`, written once. Each line re-exports one name from the
# layer that defines it; apiprobe/__init__.py reads this file to load each name lazily on first use,
# and type checkers read it as the package's stub. Figures: apiprobe.plot; notebook glue:
# apiprobe.notebook; the fault lab: apiprobe.lab; demo data: apiprobe.demo.
# tests/snapshots/public_api/apiprobe.txt pins the list: changing it is a reviewed change.

# errors
from apiprobe.errors import ApiprobeError as ApiprobeError
from apiprobe.errors import DataFormatError as DataFormatError
from apiprobe.errors import EventStoreError as EventStoreError
from apiprobe.errors import InvalidParameterError as InvalidParameterError
from apiprobe.errors import InvalidTargetError as InvalidTargetError
from apiprobe.errors import LabError as LabError
from apiprobe.errors import ProbeWorkerError as ProbeWorkerError
from apiprobe.errors import PrometheusError as PrometheusError
from apiprobe.errors import ProfileFormatError as ProfileFormatError
from apiprobe.errors import ReportError as ReportError
from apiprobe.errors import SchemaError as SchemaError
from apiprobe.errors import TraceFormatError as TraceFormatError
from apiprobe.errors import WireFormatError as WireFormatError

# schema
from apiprobe.schema import conform as conform
from apiprobe.schema import validate as validate

# collect
from apiprobe.probe import aprobe_dns as aprobe_dns
from apiprobe.probe import aprobe_http as aprobe_http
from apiprobe.probe import aprobe_tcp as aprobe_tcp
from apiprobe.probe import probe_concurrency as probe_concurrency
from apiprobe.probe import probe_dns as probe_dns
from apiprobe.probe import probe_http as probe_http
from apiprobe.probe import probe_tcp as probe_tcp
from apiprobe.probe import probe_tls as probe_tls
from apiprobe.probe import read_prometheus as read_prometheus

# load
from apiprobe.load import GoTrace as GoTrace
from apiprobe.load import Profile as Profile
from apiprobe.load import ResolvConf as ResolvConf
from apiprobe.load import parse_certificates as parse_certificates
from apiprobe.load import parse_goroutines as parse_goroutines
from apiprobe.load import parse_har as parse_har
from apiprobe.load import parse_logs as parse_logs
from apiprobe.load import parse_metrics_text as parse_metrics_text
from apiprobe.load import parse_pprof as parse_pprof
from apiprobe.load import parse_resolv_conf as parse_resolv_conf
from apiprobe.load import parse_timeouts as parse_timeouts
from apiprobe.load import parse_traces as parse_traces
from apiprobe.load import read_certificates as read_certificates
from apiprobe.load import read_dns as read_dns
from apiprobe.load import read_goroutines as read_goroutines
from apiprobe.load import read_go_trace as read_go_trace
from apiprobe.load import read_har as read_har
from apiprobe.load import read_logs as read_logs
from apiprobe.load import read_metrics_text as read_metrics_text
from apiprobe.load import read_pings as read_pings
from apiprobe.load import read_pprof as read_pprof
from apiprobe.load import read_probes as read_probes
from apiprobe.load import read_resolv_conf as read_resolv_conf
from apiprobe.load import read_timeouts as read_timeouts
from apiprobe.load import read_traces as read_traces
from apiprobe.load import summarize_log_sources as summarize_log_sources
from apiprobe.load import open_events as open_events
from apiprobe.load import read_events as read_events
from apiprobe.scale import convert_logs as convert_logs
from apiprobe.load import write_table as write_table

# analyze: latency and DNS
from apiprobe.analyze import compare_latency as compare_latency
from apiprobe.analyze import detect_dns_faults as detect_dns_faults
from apiprobe.analyze import detect_latency_faults as detect_latency_faults
from apiprobe.analyze import expand_name as expand_name
from apiprobe.analyze import jitter_stats as jitter_stats
from apiprobe.analyze import select_probes as select_probes
from apiprobe.analyze import summarize_dns as summarize_dns
from apiprobe.analyze import summarize_latency as summarize_latency

# analyze: TLS
from apiprobe.analyze import TlsReport as TlsReport
from apiprobe.analyze import detect_tls_faults as detect_tls_faults
from apiprobe.analyze import diagnose_chain as diagnose_chain
from apiprobe.analyze import expiry_table as expiry_table
from apiprobe.analyze import go_error_causes as go_error_causes

# analyze: request bodies (Go encoding/json)
from apiprobe.analyze import UnmarshalResult as UnmarshalResult
from apiprobe.analyze import audit_payloads as audit_payloads
from apiprobe.analyze import audit_struct_tags as audit_struct_tags
from apiprobe.analyze import parse_go_structs as parse_go_structs
from apiprobe.analyze import simulate_marshal as simulate_marshal
from apiprobe.analyze import simulate_unmarshal as simulate_unmarshal

# analyze: logs, error kinds, status codes
from apiprobe.analyze import classify_error_text as classify_error_text
from apiprobe.analyze import classify_errors as classify_errors
from apiprobe.analyze import classify_status_misuse as classify_status_misuse
from apiprobe.analyze import compare_templates as compare_templates
from apiprobe.analyze import detect_error_faults as detect_error_faults
from apiprobe.analyze import detect_status_misuse as detect_status_misuse
from apiprobe.analyze import error_counts as error_counts
from apiprobe.analyze import error_summary as error_summary
from apiprobe.analyze import error_taxonomy as error_taxonomy
from apiprobe.analyze import mine_templates as mine_templates
from apiprobe.analyze import status_table as status_table

# analyze: traces
from apiprobe.analyze import critical_path as critical_path
from apiprobe.analyze import detect_span_faults as detect_span_faults
from apiprobe.analyze import join_logs_to_spans as join_logs_to_spans
from apiprobe.analyze import propagation_report as propagation_report
from apiprobe.analyze import service_self_time as service_self_time
from apiprobe.analyze import trace_coverage as trace_coverage
from apiprobe.analyze import trace_journeys as trace_journeys
from apiprobe.analyze import trace_summary as trace_summary

# analyze: profiles, goroutines, pools
from apiprobe.analyze import compare_dumps as compare_dumps
from apiprobe.analyze import detect_pool_exhaustion as detect_pool_exhaustion
from apiprobe.analyze import group_goroutines as group_goroutines
from apiprobe.analyze import label_pivot as label_pivot
from apiprobe.analyze import pool_sizing as pool_sizing
from apiprobe.analyze import detect_profile_faults as detect_profile_faults
from apiprobe.analyze import filter_profile as filter_profile
from apiprobe.analyze import profile_diff as profile_diff
from apiprobe.analyze import profile_top as profile_top
from apiprobe.analyze import top_diff as top_diff

# analyze: Go execution traces (go tool trace)
from apiprobe.analyze import detect_trace_faults as detect_trace_faults
from apiprobe.analyze import gc_pauses as gc_pauses
from apiprobe.analyze import mmu_curve as mmu_curve
from apiprobe.analyze import trace_profile as trace_profile

# analyze: metrics and SLOs (Prometheus)
from apiprobe.analyze import METRIC_NAMES as METRIC_NAMES
from apiprobe.analyze import SLO_ALERTS as SLO_ALERTS
from apiprobe.analyze import SloAlert as SloAlert
from apiprobe.analyze import detect_metric_faults as detect_metric_faults
from apiprobe.analyze import detect_slo_burn as detect_slo_burn
from apiprobe.analyze import error_budget as error_budget
from apiprobe.analyze import golden_signal_queries as golden_signal_queries
from apiprobe.analyze import golden_signals as golden_signals
from apiprobe.analyze import histogram_quantile as histogram_quantile
from apiprobe.analyze import metric_rate as metric_rate
from apiprobe.analyze import slo_alerts as slo_alerts
from apiprobe.analyze import slo_burn_rate as slo_burn_rate
from apiprobe.analyze import slo_from_samples as slo_from_samples

# analyze: resilience (retries, breakers, timeout budgets, fallbacks)
from apiprobe.analyze import BreakerReplay as BreakerReplay
from apiprobe.analyze import RetryBudget as RetryBudget
from apiprobe.analyze import RetryPolicy as RetryPolicy
from apiprobe.analyze import breaker_from_logs as breaker_from_logs
from apiprobe.analyze import breaker_what_if as breaker_what_if
from apiprobe.analyze import budget_tree as budget_tree
from apiprobe.analyze import deadline_chains as deadline_chains
from apiprobe.analyze import detect_breaker_faults as detect_breaker_faults
from apiprobe.analyze import detect_fallback as detect_fallback
from apiprobe.analyze import detect_resilience_faults as detect_resilience_faults
from apiprobe.analyze import detect_retry_storm as detect_retry_storm
from apiprobe.analyze import detect_timeout_faults as detect_timeout_faults
from apiprobe.analyze import fallback_share as fallback_share
from apiprobe.analyze import replay_breaker as replay_breaker
from apiprobe.analyze import retry_amplification as retry_amplification
from apiprobe.analyze import retry_attempts as retry_attempts
from apiprobe.analyze import retry_budget as retry_budget
from apiprobe.analyze import retry_decision as retry_decision
from apiprobe.analyze import retry_policy as retry_policy
from apiprobe.analyze import retry_schedule as retry_schedule
from apiprobe.analyze import retry_timeline as retry_timeline
from apiprobe.analyze import timeout_budget as timeout_budget

# triage: a folder of mixed evidence → one incident story
from apiprobe.incident import triage as triage
from apiprobe.load import read_evidence as read_evidence
from apiprobe.analyze import CAUSE_RULES as CAUSE_RULES
from apiprobe.analyze import CauseRule as CauseRule
from apiprobe.analyze import TriageResult as TriageResult
from apiprobe.analyze import incident_window as incident_window
from apiprobe.analyze import life_events as life_events
from apiprobe.analyze import postmortem as postmortem
from apiprobe.analyze import rank_hypotheses as rank_hypotheses
from apiprobe.analyze import service_calls as service_calls
from apiprobe.analyze import triage_timeline as triage_timeline

# report
from apiprobe.report import NotebookRun as NotebookRun
from apiprobe.report import run_report as run_report

__version__: str
