"""One timeline across every source: failures and latency per service, pool waits, breakers, burn rate,
restarts and deploys seen in the logs, and each finding as a marker (schema ``triage_timeline``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from apiprobe.analyze._attrs import attr_groups
from apiprobe.analyze.triage._window import error_mask
from apiprobe.schema import conform

__all__ = ["LIFE_EVENTS", "life_events", "triage_timeline"]

#: What a log line says about a process's life, as (kind, pattern on the message); the first match wins.
LIFE_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "crash",
        re.compile(r"^(?:panic:|fatal error:)|\bhttp: panic serving\b|\bpanic(?:ked)?\b.*\brecover", re.IGNORECASE),
    ),
    (
        "stop",
        re.compile(
            r"\b(?:shutting down|shutdown|graceful(?:ly)? (?:stop|shut)"
            r"|received (?:signal|terminated|interrupt|sigterm)|stopping (?:server|service))",
            re.IGNORECASE,
        ),
    ),
    (
        "start",
        re.compile(
            r"^(?:starting|started|listening|serving|server (?:started|listening)|service started)\b|\blistening on\b",
            re.IGNORECASE,
        ),
    ),
    ("deploy", re.compile(r"\b(?:deploy(?:ed|ing|ment)?|rollout|rolled out|new (?:version|release))\b", re.IGNORECASE)),
    ("config", re.compile(r"\b(?:config(?:uration)? (?:reload(?:ed)?|changed)|feature flag)\b", re.IGNORECASE)),
    (
        "job",
        re.compile(
            r"\b(?:job|cron|migration|backfill|reindex|batch)\b.*\b(?:start(?:ed|ing)?|finish(?:ed)?|complete(?:d)?|"
            r"cancel(?:l?ed)?|fail(?:ed)?|abort(?:ed)?)\b",
            re.IGNORECASE,
        ),
    ),
)

_VERSION_KEYS = {"version": ["version", "service.version", "app_version", "build", "commit", "git_sha"]}


def life_events(events: pd.DataFrame) -> pd.DataFrame:
    """Restarts, deploys, version changes, jobs and crashes in the logs: what changed, and when.

    Parameters
    ----------
    events : pandas.DataFrame
        Schema ``events``.

    Returns
    -------
    pandas.DataFrame
        ``ts``, ``service``, ``kind`` (a kind of :data:`LIFE_EVENTS`, or ``version``
        when a service logs a version it did not log before) and ``text``, in time order.
    """
    cols = ["ts", "service", "kind", "text"]
    if events is None or events.empty or "msg" not in events.columns:
        return pd.DataFrame(columns=cols)
    msg = events["msg"].astype("string").fillna("")
    rows: list[dict[str, object]] = []
    taken = pd.Series(False, index=events.index)
    for kind, pattern in LIFE_EVENTS:
        hit = msg.str.contains(pattern, regex=True) & ~taken
        if kind == "crash" and "level" in events.columns:
            hit |= (events["level"] == "fatal").fillna(False).astype(bool) & ~taken
        taken |= hit
        for ts, svc, text in zip(events.loc[hit, "ts"], events.loc[hit, "service"], msg[hit], strict=True):
            rows.append({"ts": ts, "service": svc, "kind": kind, "text": str(text)[:200]})
    if "attrs" in events.columns:
        versions = pd.Series(attr_groups(events["attrs"], _VERSION_KEYS)["version"], index=events.index)
        seen = events.assign(_v=versions)[versions.notna()]
        for svc, grp in seen.groupby("service", dropna=False, sort=False):
            grp = grp.sort_values("ts", kind="stable")
            changed = grp["_v"].astype(str) != grp["_v"].astype(str).shift()
            for ts, v in zip(grp.loc[changed, "ts"].iloc[1:], grp.loc[changed, "_v"].iloc[1:], strict=True):
                rows.append({"ts": ts, "service": svc, "kind": "version", "text": f"now logs version {v}"})
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("ts", kind="stable").reset_index(drop=True) if len(out) else out


def _rows(df: pd.DataFrame, source: str, signal: str) -> pd.DataFrame:
    return df.assign(source=source, signal=signal)


def _log_signals(events: pd.DataFrame, freq: str) -> list[pd.DataFrame]:
    ev = events[events["ts"].notna()]
    if ev.empty:
        return []
    out = []
    bins = ev["ts"].dt.floor(freq)
    svc = ev["service"].astype("string").fillna("")
    total = pd.DataFrame({"ts": bins, "service": svc}).value_counts().rename("value").reset_index()
    out.append(_rows(total.assign(series="lines"), "logs", "requests"))
    failed = error_mask(ev)
    kind = ev["error_kind"].astype("string").fillna("error") if "error_kind" in ev.columns else "error"
    errs = (
        pd.DataFrame({"ts": bins, "service": svc, "series": kind})[failed].value_counts().rename("value").reset_index()
    )
    out.append(_rows(errs, "logs", "errors"))
    if "latency_ms" in ev.columns and ev["latency_ms"].notna().any():
        lat = pd.DataFrame({"ts": bins, "service": svc, "v": ev["latency_ms"].astype("float64")}).dropna()
        p99 = lat.groupby(["ts", "service"])["v"].quantile(0.99).rename("value").reset_index()
        out.append(_rows(p99.assign(series="p99"), "logs", "latency_p99_ms"))
    if "error_kind" in ev.columns:
        pool = ev["error_kind"].isin(["pool_timeout"]).fillna(False).astype(bool)
        if pool.any():
            waits = pd.DataFrame({"ts": bins, "service": svc})[pool].value_counts().rename("value").reset_index()
            out.append(_rows(waits.assign(series="pool timeouts"), "logs", "pool_waits"))
    return out


def _span_signals(spans: pd.DataFrame, freq: str) -> list[pd.DataFrame]:
    sp = spans[spans["start"].notna() & spans["duration_ms"].notna()]
    if sp.empty:
        return []
    frame = pd.DataFrame(
        {"ts": sp["start"].dt.floor(freq), "service": sp["service"].astype("string").fillna(""), "v": sp["duration_ms"]}
    )
    p99 = frame.groupby(["ts", "service"])["v"].quantile(0.99).rename("value").reset_index()
    return [_rows(p99.assign(series="span p99"), "traces", "latency_p99_ms")]


def _metric_signals(signals: pd.DataFrame) -> list[pd.DataFrame]:
    wanted = {"error_ratio": "error_ratio", "p99": "latency_p99_ms", "pool_usage": "pool_usage"}
    sub = signals[signals["signal"].isin(list(wanted))]
    if sub.empty:
        return []
    frame = pd.DataFrame(
        {
            "ts": sub["ts"],
            "service": sub["service"].astype("string").fillna(""),
            "series": sub["signal"],
            "value": np.where(sub["signal"] == "p99", sub["value"] * 1000.0, sub["value"]),
        }
    )
    frame["signal"] = frame["series"].map(wanted)
    return [frame.assign(source="metrics")]


def triage_timeline(
    *,
    events: pd.DataFrame | None = None,
    spans: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
    burn: pd.DataFrame | None = None,
    breakers: pd.DataFrame | None = None,
    findings: pd.DataFrame | None = None,
    freq: str = "1min",
) -> pd.DataFrame:
    """Every source on one time axis, as one tidy table (schema ``triage_timeline``).

    Parameters
    ----------
    events : pandas.DataFrame, optional
        Schema ``events``: lines per service, failures by error kind, latency p99, pool
        timeouts per ``freq`` bin, and the restarts, deploys and jobs of :func:`life_events`.
    spans : pandas.DataFrame, optional
        Schema ``spans``: span duration p99 per service and bin.
    signals : pandas.DataFrame, optional
        Schema ``golden_signals``: error ratio, p99 (as ms) and pool usage.
    burn : pandas.DataFrame, optional
        Schema ``slo_burn``: burn rate per window.
    breakers : pandas.DataFrame, optional
        Schema ``breaker_transitions``: each state change as an event.
    findings : pandas.DataFrame, optional
        Schema ``findings``: each finding with a time as a marker at its ``ts_start``.
    freq : str, default "1min"
        Bin width of the counts.

    Returns
    -------
    pandas.DataFrame
        Schema ``triage_timeline``, in time order.
    """
    parts: list[pd.DataFrame] = []
    if events is not None and len(events):
        parts += _log_signals(events, freq)
        life = life_events(events)
        if len(life):
            parts.append(
                pd.DataFrame(
                    {"ts": life["ts"], "service": life["service"], "series": life["kind"], "text": life["text"]}
                ).assign(source="logs", signal="event")
            )
    if spans is not None and len(spans):
        parts += _span_signals(spans, freq)
    if signals is not None and len(signals):
        parts += _metric_signals(signals)
    if burn is not None and len(burn):
        parts.append(
            pd.DataFrame({"ts": burn["ts"], "series": burn["window"], "value": burn["burn_rate"]}).assign(
                source="metrics", signal="burn_rate", service=""
            )
        )
    if breakers is not None and len(breakers):
        svc = breakers["service"] if "service" in breakers.columns else ""
        parts.append(
            pd.DataFrame(
                {
                    "ts": breakers["ts"],
                    "service": svc,
                    "series": breakers["breaker"] if "breaker" in breakers.columns else "breaker",
                    "text": breakers["from_state"].astype(str) + " → " + breakers["to_state"].astype(str),
                }
            ).assign(source="logs", signal="breaker_state")
        )
    if findings is not None and len(findings):
        timed = findings[findings["ts_start"].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "ts": timed["ts_start"],
                    "service": timed["services"] if "services" in timed.columns else "",
                    "series": timed["fault"],
                    "text": timed["subject"].astype(str) + ": " + timed["evidence"].astype(str).str.slice(0, 160),
                    "severity": timed["severity"],
                }
            ).assign(source="findings", signal="finding")
        )
    frames = [p for p in parts if len(p)]
    out = conform(pd.concat(frames, ignore_index=True) if frames else None, "triage_timeline")
    return out.sort_values(["ts", "source", "signal"], kind="stable").reset_index(drop=True)
