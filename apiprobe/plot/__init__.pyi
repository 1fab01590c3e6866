# The public surface of `apiprobe.plot`, written once: one line per name, re-exported from the
# module that defines it. __init__.py reads this file to load each module lazily on first use
# (PEP 562), and type checkers read it as the package's stub. Pinned by
# tests/snapshots/public_api/apiprobe.plot.txt.

from apiprobe.plot._core import ERROR_COLORS as ERROR_COLORS
from apiprobe.plot._core import MAX_POINTS as MAX_POINTS
from apiprobe.plot._core import PHASE_COLORS as PHASE_COLORS
from apiprobe.plot.distribution import fig_ecdf as fig_ecdf
from apiprobe.plot.distribution import fig_histogram as fig_histogram
from apiprobe.plot.distribution import fig_jitter_loss as fig_jitter_loss
from apiprobe.plot.dns import fig_dns_latency as fig_dns_latency
from apiprobe.plot.dns import fig_resolver_matrix as fig_resolver_matrix
from apiprobe.plot.error_kinds import KIND_COLORS as KIND_COLORS
from apiprobe.plot.error_kinds import LAYER_COLORS as LAYER_COLORS
from apiprobe.plot.error_kinds import MAX_WINDOWS as MAX_WINDOWS
from apiprobe.plot.error_kinds import fig_error_counts as fig_error_counts
from apiprobe.plot.error_kinds import fig_error_kinds as fig_error_kinds
from apiprobe.plot.error_kinds import fig_template_changes as fig_template_changes
from apiprobe.plot.gotrace import fig_goroutine_timeline as fig_goroutine_timeline
from apiprobe.plot.gotrace import fig_mmu as fig_mmu
from apiprobe.plot.gotrace import fig_region_breakdown as fig_region_breakdown
from apiprobe.plot.latency import fig_error_timeline as fig_error_timeline
from apiprobe.plot.latency import fig_smoke as fig_smoke
from apiprobe.plot.metrics import fig_error_budget as fig_error_budget
from apiprobe.plot.metrics import fig_golden_signals as fig_golden_signals
from apiprobe.plot.metrics import fig_slo_burn as fig_slo_burn
from apiprobe.plot.phases import fig_phase_breakdown as fig_phase_breakdown
from apiprobe.plot.phases import fig_waterfall as fig_waterfall
from apiprobe.plot.pool import fig_sizing as fig_sizing
from apiprobe.plot.pool import fig_sweep as fig_sweep
from apiprobe.plot.pool import fig_wait_sites as fig_wait_sites
from apiprobe.plot.profiles import MAX_FLAME_NODES as MAX_FLAME_NODES
from apiprobe.plot.profiles import fig_flame as fig_flame
from apiprobe.plot.profiles import fig_flame_diff as fig_flame_diff
from apiprobe.plot.profiles import fig_top as fig_top
from apiprobe.plot.resilience import fig_breaker_states as fig_breaker_states
from apiprobe.plot.resilience import fig_fallback_share as fig_fallback_share
from apiprobe.plot.resilience import fig_retry_amplification as fig_retry_amplification
from apiprobe.plot.resilience import fig_retry_schedule as fig_retry_schedule
from apiprobe.plot.resilience import fig_retry_storm as fig_retry_storm
from apiprobe.plot.resilience import fig_timeout_budget as fig_timeout_budget
from apiprobe.plot.status import STATUS_COLORS as STATUS_COLORS
from apiprobe.plot.status import fig_status_by_route as fig_status_by_route
from apiprobe.plot.status import fig_status_timeline as fig_status_timeline
from apiprobe.plot.tls import fig_chain as fig_chain
from apiprobe.plot.tls import fig_expiry_timeline as fig_expiry_timeline
from apiprobe.plot.traces import fig_service_self_time as fig_service_self_time
from apiprobe.plot.traces import fig_trace_coverage as fig_trace_coverage
from apiprobe.plot.traces import fig_trace_waterfall as fig_trace_waterfall
from apiprobe.plot.triage import fig_triage_timeline as fig_triage_timeline
from apiprobe.schema import PHASE_LABELS as PHASE_LABELS
from apiprobe.schema import PHASES as PHASES
