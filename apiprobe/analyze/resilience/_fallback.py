"""Fallback and degradation (handbook §4.4): how much traffic a fallback served, from when, against the primary.

A line marks a fallback when its message or error matches ``marker`` or one
of its fields says so (``fallback``, ``degraded``, ``served_from`` with a
truthy value other than ``primary``). The default pattern is
:data:`DEFAULT_FALLBACK_PATTERN`; pass your own for your services' wording.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe.analyze._attrs import attr_groups
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.resilience._storm import CALLEE_KEYS, REQUEST_KEYS, retry_attempts
from apiprobe.errors import InvalidParameterError
from apiprobe.schema import conform

__all__ = ["DEFAULT_FALLBACK_PATTERN", "detect_fallback", "fallback_share"]

#: What marks a fallback in a log message (case-insensitive).
DEFAULT_FALLBACK_PATTERN = (
    r"\bfall(?:ing)?[ -]?back\b|\bdegraded\b|served from (?:the )?(?:fallback|cache|stale)"
    r"|stale (?:cache|data|response)|default response|backup route"
)
_FIELDS = {"fallback": ("fallback", "degraded", "served_from", "fallback_source"), "req": REQUEST_KEYS}
_FALSY = {"", "false", "0", "no", "none", "primary", "off"}


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return str(value).strip().lower() not in _FALSY


def fallback_share(
    events: pd.DataFrame,
    *,
    marker: str = DEFAULT_FALLBACK_PATTERN,
    freq: str = "1s",
    service: str | None = None,
) -> pd.DataFrame:
    """Share of requests served by a fallback over time, beside the primary's error rate.

    Requests are a service's lines that answer a request (a ``status`` or
    ``route`` and no callee); fallbacks are lines that match ``marker`` or
    carry a fallback field, counted once per request id when there is one.
    The primary's error rate is the failure share of the service's outgoing
    call attempts (:func:`retry_attempts`).

    Parameters
    ----------
    events : pandas.DataFrame
        Log lines (schema ``events``).
    marker : str
        Regular expression (case-insensitive) that marks a fallback in ``msg`` or ``error``.
    freq : str, default "1s"
        Bin width (a pandas offset alias).
    service : str, optional
        Only this service.

    Returns
    -------
    pandas.DataFrame
        ``ts`` (bin start), ``service, requests, fallback, share`` (fallback /
        requests; NaN without requests), ``primary_calls, primary_errors,
        primary_error_rate``. ``attrs["periods"]`` lists ``(service, start,
        end)`` of each run of bins with fallbacks: when it kicked in and stopped.

    Raises
    ------
    InvalidParameterError
        A ``marker`` that is not a valid regular expression.
    """
    require_columns(events, ["ts", "service", "msg"], table="events")
    try:
        rx = re.compile(marker, re.IGNORECASE)
    except re.error as exc:
        raise InvalidParameterError(f"marker is not a valid regular expression: {exc}") from exc
    ev = events if service is None else events[events["service"] == service]
    n = len(ev)
    got = attr_groups(ev["attrs"], _FIELDS) if "attrs" in ev.columns else {k: [None] * n for k in _FIELDS}
    text = ev["msg"].astype("string").fillna("")
    if "error" in ev.columns:
        text = text + " " + ev["error"].astype("string").fillna("")
    marked = text.str.contains(rx, regex=True).fillna(False).to_numpy(dtype=bool)
    marked |= np.array([_flag(v) for v in got["fallback"]], dtype=bool)
    attempts = retry_attempts(ev)
    is_call = pd.Series(False, index=ev.index)
    if len(attempts):
        callee = attr_groups(ev["attrs"], {"c": CALLEE_KEYS})["c"] if "attrs" in ev.columns else [None] * n
        is_call = pd.Series([c is not None for c in callee], index=ev.index)
    answered = pd.Series(False, index=ev.index)
    for col in ("status", "route"):
        if col in ev.columns:
            answered |= ev[col].notna()
    answered &= ~is_call
    req = pd.Series([None if v is None else str(v) for v in got["req"]], index=ev.index, dtype="string")
    key = req.fillna(pd.Series(ev.index.astype(str), index=ev.index, dtype="string"))
    frame = pd.DataFrame(
        {"bin": ev["ts"].dt.floor(freq), "service": ev["service"].astype("string"), "key": key, "answered": answered}
    )
    frame["marked"] = marked
    served = frame[frame["answered"]].groupby(["bin", "service"])["key"].nunique().rename("requests")
    fell = frame[frame["marked"]].groupby(["bin", "service"])["key"].nunique().rename("fallback")
    out = pd.concat([served, fell], axis=1).fillna(0).astype(int)
    if len(attempts):
        att = attempts.assign(bin=attempts["ts"].dt.floor(freq), failed=~attempts["ok"].fillna(True).astype(bool))
        prim = att.groupby(["bin", "caller"]).agg(primary_calls=("failed", "size"), primary_errors=("failed", "sum"))
        prim.index = prim.index.set_names(["bin", "service"])
        out = out.join(prim, how="outer")
    else:
        out["primary_calls"], out["primary_errors"] = 0, 0
    out = out.fillna(0).reset_index().rename(columns={"bin": "ts"})
    for col in ("requests", "fallback", "primary_calls", "primary_errors"):
        out[col] = out[col].astype(int)
    out["share"] = out["fallback"] / out["requests"].where(out["requests"] > 0)
    out["primary_error_rate"] = out["primary_errors"] / out["primary_calls"].where(out["primary_calls"] > 0)
    out = out[(out["requests"] > 0) | (out["fallback"] > 0) | (out["primary_calls"] > 0)]
    out = out.sort_values(["service", "ts"], kind="stable").reset_index(drop=True)
    cols = ["ts", "service", "requests", "fallback", "share", "primary_calls", "primary_errors", "primary_error_rate"]
    out = conform(out[cols], "fallback_share")
    out.attrs["periods"] = _periods(out, pd.Timedelta(freq))
    return out


def _periods(table: pd.DataFrame, step: pd.Timedelta) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    periods = []
    for svc, grp in table[table["fallback"] > 0].groupby("service"):
        times = grp["ts"].sort_values().tolist()
        start = prev = times[0]
        for t in times[1:]:
            if t - prev > 2 * step:
                periods.append((str(svc), start, prev + step))
                start = t
            prev = t
        periods.append((str(svc), start, prev + step))
    return periods


def detect_fallback(share: pd.DataFrame, *, min_share: float = 0.05) -> pd.DataFrame:
    """Findings for each period in which a fallback served traffic.

    Parameters
    ----------
    share : pandas.DataFrame
        From :func:`fallback_share`.
    min_share : float, default 0.05
        Peak share below which a period is reported as info only.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``, fault ``fallback``).
    """
    require_columns(share, ["ts", "service", "requests", "fallback", "share"], table="fallback share")
    rows = []
    for svc, start, end in share.attrs.get("periods", []):
        part = share[(share["service"] == svc) & (share["ts"] >= start) & (share["ts"] < end)]
        served, total = int(part["fallback"].sum()), int(part["requests"].sum())
        peak = float(part["share"].max()) if part["share"].notna().any() else float("nan")
        err = part["primary_error_rate"].max() if "primary_error_rate" in part.columns else float("nan")
        rows.append(
            finding(
                "fallback",
                "fallback",
                "warning" if peak >= min_share else "info",
                str(svc),
                metric="peak share of requests served by the fallback",
                value=peak,
                threshold=min_share,
                evidence=(
                    f"fallback served {served} of {total} requests from {start:%H:%M:%S} to {end:%H:%M:%S} "
                    f"(peak {peak:.0%}); the primary's error rate peaked at "
                    + (f"{err:.0%}" if pd.notna(err) else "an unknown rate")
                ),
                recommendation=(
                    "Degraded answers hide an outage from users but not its cause: check the primary "
                    "dependency for the same window, and that cached data is fresh enough to serve"
                ),
                handbook_ref="§4.4",
                ts_start=start,
                ts_end=end,
            )
        )
    return findings_frame(rows)
