"""What the incident cost, from the evidence: failed requests at the edge, budget burned, who was hit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from apiprobe.analyze.triage._window import error_mask

__all__ = ["incident_impact"]

_MONTH_S = 30 * 86400.0


def _in(ts: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    return ((ts >= window[0]) & (ts < window[1])).fillna(False).astype(bool)


def incident_impact(
    events: pd.DataFrame | None,
    incident: tuple[pd.Timestamp, pd.Timestamp] | None,
    baseline: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    *,
    edges: Iterable[str] = (),
    objective: float = 0.999,
) -> dict[str, Any]:
    """Failed requests, error-budget burn, duration, and the services and endpoints hit.

    Requests are the log lines with a status code; those of the ``edges``
    services (what users call) count as the users' requests. The budget: at
    the baseline's request rate, a 30-day ``objective`` SLO allows
    rate × 30 d × (1 − objective) failures; the share of that the incident's
    failed requests used up is ``budget_used``.

    Parameters
    ----------
    events : pandas.DataFrame or None
        Schema ``events``.
    incident, baseline : pair of pandas.Timestamp, optional
        The windows.
    edges : iterable of str, optional
        Services users call; empty: every service that logs requests and no one calls.
    objective : float, default 0.999
        The SLO the budget is measured against.

    Returns
    -------
    dict
        ``duration_s``, ``edges``, ``requests``, ``failed``, ``failed_share``,
        ``baseline_rate_per_s``, ``budget_used`` (a share of the month's budget; None when
        unknown), ``services`` (service → failures in the incident, for those whose failure
        rate rose) and ``endpoints`` (route → failures at the edge, the top ten).
    """
    out: dict[str, Any] = {
        "duration_s": None if incident is None else (incident[1] - incident[0]).total_seconds(),
        "edges": [],
        "requests": 0,
        "failed": 0,
        "failed_share": None,
        "baseline_rate_per_s": None,
        "budget_used": None,
        "objective": objective,
        "services": {},
        "endpoints": {},
    }
    if events is None or events.empty or incident is None:
        return out
    ev = events[events["ts"].notna()]
    failed = error_mask(ev)
    inc = _in(ev["ts"], incident)
    svc = ev["service"].astype("string").fillna("")
    for name in svc.unique():
        mine = svc == name
        now = float(failed[mine & inc].sum())
        before = float(failed[mine & _in(ev["ts"], baseline)].sum()) if baseline is not None else 0.0
        if baseline is not None:
            per_s_now = now / max(out["duration_s"], 1.0)
            per_s_before = before / max((baseline[1] - baseline[0]).total_seconds(), 1.0)
            if now >= 5 and per_s_now > 2 * per_s_before:
                out["services"][str(name)] = int(now)
        elif now >= 5:
            out["services"][str(name)] = int(now)
    requests = ev["status"].notna() if "status" in ev.columns else pd.Series(False, index=ev.index)
    edge_list = list(edges) or sorted(svc[requests].unique())
    out["edges"] = [str(e) for e in edge_list]
    at_edge = svc.isin(out["edges"]) & requests
    out["requests"] = int((at_edge & inc).sum())
    out["failed"] = int((at_edge & inc & failed).sum())
    if out["requests"]:
        out["failed_share"] = out["failed"] / out["requests"]
    if baseline is not None:
        base_n = int((at_edge & _in(ev["ts"], baseline)).sum())
        seconds = (baseline[1] - baseline[0]).total_seconds()
        if base_n and seconds > 0:
            rate = base_n / seconds
            out["baseline_rate_per_s"] = rate
            allowed = rate * _MONTH_S * (1 - objective)
            out["budget_used"] = out["failed"] / allowed if allowed > 0 else None
    if "route" in ev.columns:
        routes = ev.loc[at_edge & inc & failed, "route"].astype("string").fillna("(no route)")
        out["endpoints"] = {str(k): int(v) for k, v in routes.value_counts().head(10).items()}
    return out
