"""Every resilience check on whatever evidence there is: retries, breakers, timeout budgets, fallbacks."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from apiprobe.analyze._findings import findings_frame
from apiprobe.analyze.resilience._breaker import BreakerReplay
from apiprobe.analyze.resilience._breaker_faults import breaker_from_logs, detect_breaker_faults
from apiprobe.analyze.resilience._fallback import detect_fallback, fallback_share
from apiprobe.analyze.resilience._retry import RetryPolicy
from apiprobe.analyze.resilience._storm import detect_retry_storm
from apiprobe.analyze.resilience._timeouts import detect_timeout_faults

__all__ = ["breakers_by_subject", "detect_resilience_faults"]


def breakers_by_subject(breaker: BreakerReplay) -> list[tuple[str, BreakerReplay]]:
    """One replay per (service, breaker) the logs show, named ``"checkout → inventory breaker"``.

    Parameters
    ----------
    breaker : BreakerReplay
        :func:`apiprobe.analyze.breaker_from_logs` of all the logs.

    Returns
    -------
    list of (str, BreakerReplay)
        Only the breakers that changed state or rejected a call.
    """
    out = []
    rq, tr = breaker.requests, breaker.transitions
    keys = pd.concat([rq[["service", "breaker"]], tr[["service", "breaker"]]]).drop_duplicates()
    for svc, name in keys.itertuples(index=False):
        in_rq = (rq["service"].fillna("") == (svc if pd.notna(svc) else "")) & (
            rq["breaker"].fillna("") == (name if pd.notna(name) else "")
        )
        in_tr = (tr["service"].fillna("") == (svc if pd.notna(svc) else "")) & (
            tr["breaker"].fillna("") == (name if pd.notna(name) else "")
        )
        if not in_tr.any() and not (~rq.loc[in_rq, "allowed"]).any():
            continue  # calls with no breaker in sight
        subject = f"{svc} → {name} breaker" if pd.notna(name) else f"{svc} breaker"
        out.append((subject, BreakerReplay(rq[in_rq], tr[in_tr], breaker.settings)))
    return out


def detect_resilience_faults(
    *,
    events: pd.DataFrame | None = None,
    spans: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    breaker: BreakerReplay | None = None,
    policy: RetryPolicy | str | None = None,
) -> pd.DataFrame:
    """Retry storms, breaker faults, timeout budgets and fallbacks, in one findings table.

    What notebook 10 and the triage run: :func:`detect_retry_storm` on the logs
    and on the spans, :func:`detect_fallback` on the logs' fallback share,
    :func:`detect_breaker_faults` per breaker (10 s flapping window), and
    :func:`detect_timeout_faults` on spans, declared calls and logs.

    Parameters
    ----------
    events : pandas.DataFrame, optional
        Log lines (schema ``events``).
    spans : pandas.DataFrame, optional
        Schema ``spans``.
    calls : pandas.DataFrame, optional
        A declared call graph (:func:`apiprobe.read_timeouts`).
    breaker : BreakerReplay, optional
        Breakers to judge; default :func:`breaker_from_logs` of ``events``.
    policy : RetryPolicy or str, optional
        The callers' retry policy, for the backoff checks.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), most severe first.
    """
    parts: list[pd.DataFrame] = []
    has_events = events is not None and len(events) > 0
    if has_events:
        parts.append(detect_retry_storm(events, policy=policy))  # type: ignore[arg-type]
        parts.append(detect_fallback(fallback_share(events)))  # type: ignore[arg-type]
        if breaker is None:
            breaker = breaker_from_logs(events)  # type: ignore[arg-type]
    if spans is not None and len(spans):
        parts.append(detect_retry_storm(spans, policy=policy))
    if breaker is not None:
        for subject, replay in breakers_by_subject(breaker):
            parts.append(detect_breaker_faults(replay, window_s=10.0, subject=subject))
    parts.append(detect_timeout_faults(spans=spans, calls=calls, events=events))
    rows = [cast(dict[str, Any], r) for p in parts for r in p.to_dict("records")]
    return findings_frame(rows)
