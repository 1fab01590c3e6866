"""Metrics: PromQL's functions on samples tables, the handbook's production checks, SLO burn-rate alerts.

A samples table is what :func:`apiprobe.read_prometheus` and
:func:`apiprobe.read_metrics_text` return: ``ts``, ``metric``, ``value`` and one
column per label.
"""

from apiprobe.analyze.metrics._faults import METRIC_NAMES, detect_metric_faults, golden_signal_queries, golden_signals
from apiprobe.analyze.metrics._promql import histogram_quantile, label_columns, metric_rate, sum_by
from apiprobe.analyze.metrics._slo import (
    SLO_ALERTS,
    SloAlert,
    detect_slo_burn,
    error_budget,
    slo_alerts,
    slo_burn_rate,
)
from apiprobe.analyze.metrics._slo_samples import slo_from_samples

__all__ = [
    "METRIC_NAMES",
    "SLO_ALERTS",
    "SloAlert",
    "detect_metric_faults",
    "detect_slo_burn",
    "error_budget",
    "golden_signal_queries",
    "golden_signals",
    "histogram_quantile",
    "label_columns",
    "metric_rate",
    "slo_alerts",
    "slo_burn_rate",
    "slo_from_samples",
    "sum_by",
]
