"""Figures: pure ``fig_*(df, ...) -> plotly.graph_objects.Figure`` builders.

Each takes an evidence table with column names as keyword parameters
(defaults match :mod:`apiprobe.schema`), never mutates it and never calls
``.show()``; widgets and headless reports draw the same figures.
"""

from __future__ import annotations

from apiprobe.plot.dns import fig_dns_latency, fig_resolver_matrix
from apiprobe.plot.errors import (
    KIND_COLORS,
    LAYER_COLORS,
    MAX_WINDOWS,
    fig_error_counts,
    fig_error_kinds,
    fig_template_changes,
)
from apiprobe.plot.latency import (
    ERROR_COLORS,
    MAX_POINTS,
    PHASE_COLORS,
    PHASE_LABELS,
    PHASES,
    fig_ecdf,
    fig_error_timeline,
    fig_histogram,
    fig_jitter_loss,
    fig_phase_breakdown,
    fig_smoke,
    fig_waterfall,
)
from apiprobe.plot.pool import fig_sizing, fig_sweep, fig_wait_sites
from apiprobe.plot.profiles import MAX_FLAME_NODES, fig_flame, fig_flame_diff, fig_top
from apiprobe.plot.status import STATUS_COLORS, fig_status_by_route, fig_status_timeline
from apiprobe.plot.tls import fig_chain, fig_expiry_timeline
from apiprobe.plot.traces import fig_service_self_time, fig_trace_coverage, fig_trace_waterfall

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
    "fig_chain",
    "fig_dns_latency",
    "fig_ecdf",
    "fig_error_counts",
    "fig_error_kinds",
    "fig_error_timeline",
    "fig_expiry_timeline",
    "fig_flame",
    "fig_flame_diff",
    "fig_histogram",
    "fig_jitter_loss",
    "fig_phase_breakdown",
    "fig_resolver_matrix",
    "fig_service_self_time",
    "fig_sizing",
    "fig_smoke",
    "fig_status_by_route",
    "fig_status_timeline",
    "fig_sweep",
    "fig_template_changes",
    "fig_top",
    "fig_trace_coverage",
    "fig_trace_waterfall",
    "fig_wait_sites",
    "fig_waterfall",
]
