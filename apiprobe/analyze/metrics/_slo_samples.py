"""The SLO of one service straight from a samples table: burn rates, budget and alerts in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from apiprobe._time import duration_seconds
from apiprobe.analyze.metrics._faults import METRIC_NAMES
from apiprobe.analyze.metrics._slo import SLO_ALERTS, error_budget, slo_alerts, slo_burn_rate
from apiprobe.schema import conform

__all__ = ["slo_from_samples"]


def slo_from_samples(
    samples: pd.DataFrame,
    *,
    objective: float = 0.999,
    service: str = "",
    names: Mapping[str, str] | None = None,
    start: Any = None,
    end: Any = None,
    step: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """Burn rate over every window of :data:`SLO_ALERTS`, the error budget and the alerts, from raw samples.

    Errors are the requests counter's series with a 5xx code label; the SLO is
    that of ``service`` (its service-label value) or of all traffic.

    Parameters
    ----------
    samples : pandas.DataFrame
        Schema ``metrics`` with label columns (:func:`apiprobe.read_metrics_text`).
    objective : float, default 0.999
        The SLO.
    service : str, optional
        The service-label value; empty: all traffic.
    names : mapping, optional
        Metric and label names (:data:`METRIC_NAMES` keys); default :data:`METRIC_NAMES`.
    start, end, step : optional
        The evaluation grid, as :func:`slo_burn_rate` takes it.

    Returns
    -------
    tuple
        ``(burn, budget, alerts)``: schema ``slo_burn``, :func:`error_budget`'s table (None
        without requests) and the alerts' findings.
    """
    names = {**METRIC_NAMES, **(names or {})}
    windows = sorted({a.long for a in SLO_ALERTS} | {a.short for a in SLO_ALERTS}, key=duration_seconds)
    svc_label, code_label = names["service_label"], names["code_label"]
    req = samples[samples["metric"] == names["requests"]]
    if service and svc_label in req.columns:
        req = req[req[svc_label] == service]
    if req.empty:
        return conform(None, "slo_burn"), None, conform(None, "findings")
    errs = req[req[code_label].astype(str).str.startswith("5")] if code_label in req.columns else req.iloc[:0]
    grid = {"start": start, "end": end, "step": step}
    burn = slo_burn_rate(errs, req, objective=objective, windows=windows, **grid)
    budget = error_budget(errs, req, objective=objective, **grid)
    alerts = slo_alerts(burn, objective=objective, budget=budget, subject=service or "all traffic")
    return burn, budget, alerts
