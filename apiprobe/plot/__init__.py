"""Figures: pure ``fig_*(df, ...) -> plotly.graph_objects.Figure`` builders.

Each takes an evidence table with column names as keyword parameters
(defaults match :mod:`apiprobe.schema`), never mutates it and never calls
``.show()``; widgets and headless reports draw the same figures.

Modules: :mod:`~apiprobe.plot.latency` (latency and failures over time),
:mod:`~apiprobe.plot.distribution` (ECDF, histogram, jitter and loss),
:mod:`~apiprobe.plot.phases` (request waterfall, phase breakdown),
:mod:`~apiprobe.plot.error_kinds` (classified log errors, templates),
:mod:`~apiprobe.plot.status`, :mod:`~apiprobe.plot.dns`,
:mod:`~apiprobe.plot.tls`, :mod:`~apiprobe.plot.pool`,
:mod:`~apiprobe.plot.profiles`, :mod:`~apiprobe.plot.traces`,
:mod:`~apiprobe.plot.resilience` (retries, breakers, timeout budgets, fallbacks),
:mod:`~apiprobe.plot.metrics` (golden signals, SLO burn, error budget),
:mod:`~apiprobe.plot.triage` (every source on one incident timeline). Shared
machinery (look, colours, time binning, failure rule) lives in
``plot/_core.py``; shared parameter docs in ``plot/_doc.py``.
"""

from __future__ import annotations

from apiprobe.plot._core import ERROR_COLORS, MAX_POINTS, PHASE_COLORS
from apiprobe.plot.distribution import fig_ecdf, fig_histogram, fig_jitter_loss
from apiprobe.plot.dns import fig_dns_latency, fig_resolver_matrix
from apiprobe.plot.error_kinds import (
    KIND_COLORS,
    LAYER_COLORS,
    MAX_WINDOWS,
    fig_error_counts,
    fig_error_kinds,
    fig_template_changes,
)
from apiprobe.plot.latency import fig_error_timeline, fig_smoke
from apiprobe.plot.metrics import fig_error_budget, fig_golden_signals, fig_slo_burn
from apiprobe.plot.phases import fig_phase_breakdown, fig_waterfall
from apiprobe.plot.pool import fig_sizing, fig_sweep, fig_wait_sites
from apiprobe.plot.profiles import MAX_FLAME_NODES, fig_flame, fig_flame_diff, fig_top
from apiprobe.plot.resilience import (
    fig_breaker_states,
    fig_fallback_share,
    fig_retry_amplification,
    fig_retry_schedule,
    fig_retry_storm,
    fig_timeout_budget,
)
from apiprobe.plot.status import STATUS_COLORS, fig_status_by_route, fig_status_timeline
from apiprobe.plot.tls import fig_chain, fig_expiry_timeline
from apiprobe.plot.traces import fig_service_self_time, fig_trace_coverage, fig_trace_waterfall
from apiprobe.plot.triage import fig_triage_timeline
from apiprobe.schema import PHASE_LABELS, PHASES

__all__ = [
    "ERROR_COLORS",
    "KIND_COLORS",
    "LAYER_COLORS",
    "MAX_FLAME_NODES",
    "MAX_POINTS",
    "MAX_WINDOWS",
    "PHASES",
    "PHASE_COLORS",
    "PHASE_LABELS",
    "STATUS_COLORS",
    "fig_breaker_states",
    "fig_chain",
    "fig_dns_latency",
    "fig_ecdf",
    "fig_error_budget",
    "fig_error_counts",
    "fig_error_kinds",
    "fig_error_timeline",
    "fig_expiry_timeline",
    "fig_fallback_share",
    "fig_flame",
    "fig_flame_diff",
    "fig_golden_signals",
    "fig_histogram",
    "fig_jitter_loss",
    "fig_phase_breakdown",
    "fig_resolver_matrix",
    "fig_retry_amplification",
    "fig_retry_schedule",
    "fig_retry_storm",
    "fig_service_self_time",
    "fig_sizing",
    "fig_slo_burn",
    "fig_smoke",
    "fig_status_by_route",
    "fig_status_timeline",
    "fig_sweep",
    "fig_template_changes",
    "fig_timeout_budget",
    "fig_top",
    "fig_trace_coverage",
    "fig_trace_waterfall",
    "fig_triage_timeline",
    "fig_wait_sites",
    "fig_waterfall",
]
