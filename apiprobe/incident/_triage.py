"""``triage(path)``: a folder of mixed evidence → one incident story."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.analyze.triage import (
    TriageResult,
    incident_impact,
    incident_window,
    life_events,
    rank_hypotheses,
    service_calls,
    triage_timeline,
)
from apiprobe.errors import DataFormatError
from apiprobe.incident._detectors import run_detectors
from apiprobe.incident._links import link_notebooks
from apiprobe.load.evidence import Evidence, read_evidence
from apiprobe.schema import conform

__all__ = ["triage"]


def _edges(calls: pd.DataFrame, events: pd.DataFrame | None, service: str, incident: Any) -> list[str]:
    """The services users call: given, or those that log requests and that no service with logs calls.

    Of those, the ones that failed in the incident (the edge that was hit), when any did.
    """
    if service:
        return [s.strip() for s in service.split(",") if s.strip()]
    if events is None or events.empty or "status" not in events.columns:
        return []
    answering = events[events["status"].notna()]
    logging = set(answering["service"].dropna().astype(str))
    seen = set(events["service"].dropna().astype(str))
    inner = calls[calls["caller"].isin(seen)] if len(calls) else calls
    called = set(inner["callee"].astype(str)) if len(inner) else set()
    edges = sorted(logging - called)
    if incident is not None and edges:
        inside = answering[(answering["ts"] >= incident[0]) & (answering["ts"] < incident[1])]
        hit = set(inside.loc[inside["status"] >= 500, "service"].dropna().astype(str))
        edges = [e for e in edges if e in hit] or edges
    return edges


def _coverage_notes(inv: pd.DataFrame, incident: Any, *, given: bool) -> list[str]:
    """Warnings about time: evidence in separate periods (two incidents in one folder?), a given window it misses."""
    timed = inv.dropna(subset=["ts_start"]).sort_values("ts_start")
    notes = []
    if len(timed):
        reach = timed["ts_end"].fillna(timed["ts_start"]).cummax().shift()
        gaps = timed[timed["ts_start"] - reach > pd.Timedelta(hours=6)]
        for row in gaps.itertuples():
            notes.append(
                f"the evidence covers separate periods: {row.path} starts at {row.ts_start:%Y-%m-%d %H:%M} UTC, "
                "more than 6 hours after everything before it; the incident window covers one of them "
                "(give --incident to choose, or triage the folders apart)"
            )
        if given and incident is not None:
            inside = timed[
                (timed["ts_start"] < incident[1]) & (timed["ts_end"].fillna(timed["ts_start"]) >= incident[0])
            ]
            if inside.empty:
                notes.append(
                    f"no file with timestamps covers the given incident window {incident[0]:%Y-%m-%d %H:%M}–"
                    f"{incident[1]:%H:%M} UTC: the evidence is from "
                    f"{timed['ts_start'].min():%Y-%m-%d %H:%M} to {timed['ts_end'].max():%Y-%m-%d %H:%M} UTC"
                )
    return notes


def _requests(ev: Evidence) -> pd.DataFrame | None:
    """Where the impact is counted: the logs' request lines, or a HAR's entries when no log has any."""
    if ev.events is not None and "status" in ev.events.columns and ev.events["status"].notna().any():
        return ev.events
    if ev.har is None or ev.har.empty:
        return ev.events
    har = ev.har
    return conform(
        pd.DataFrame(
            {
                "ts": har["ts"],
                "service": har["host"],
                "status": har["status"],
                "error_kind": har["error_kind"],
                "route": har["url"].astype("string").str.extract(r"^\w+://[^/]+([^?#]*)", expand=False),
            }
        ),
        "events",
    )


def triage(
    path: str | os.PathLike[str],
    *,
    incident: Any = None,
    baseline: Any = None,
    service: str | None = None,
    objective: float = 0.999,
    progress: bool = False,
) -> TriageResult:
    """Turn a folder of mixed evidence into one incident story: inventory, findings, timeline, ranked causes.

    1. **Inventory**: every file under ``path`` (recursively, ``.gz`` too) is
       recognised by its content and read by the loader of its kind; files it
       cannot use keep their row with the reason.
    2. **Windows**: the incident window is where the logs' failures step up
       (or the span of the critical findings) unless given; the baseline is the
       same length just before it.
    3. **Detectors**: every detector that applies runs, with the parameters of
       the per-type notebooks; all findings in the one ``findings`` schema.
    4. **Hypotheses**: the findings grouped along the handbook's fault types and
       chained cause → consequence through who calls whom
       (:func:`apiprobe.analyze.triage.rank_hypotheses`), each with its evidence,
       confidence and why it ranks where it does, what would confirm it, what to
       do now, and the notebook (with parameters) that looks deeper.
    5. **Timeline** across sources, and the **impact** for the postmortem
       (:func:`apiprobe.analyze.triage.postmortem`).

    Parameters
    ----------
    path : str or path-like
        The folder (or one file).
    incident, baseline : pair of times, optional
        ``(start, end)`` as ISO strings, datetimes or timestamps (naive = UTC).
    service : str, optional
        The service users call: its failures are the impact and its SLO is checked. Default: for the
        impact, the services at the top of the call graph that failed in the incident; for the SLO, the
        service with the most requests in the metrics.
    objective : float, default 0.999
        The SLO, for the error budget.
    progress : bool, default False
        A progress bar while reading files.

    Returns
    -------
    TriageResult

    Raises
    ------
    DataFormatError
        When ``path`` does not exist, is empty, or holds nothing apiprobe can read
        (the message lists what it found).
    InvalidParameterError
        When a window is not a ``(start, end)`` pair that starts before it ends.
    """
    ev = read_evidence(path, progress=progress)
    inv = ev.inventory
    if not inv["usable"].fillna(False).any():
        listing = "; ".join(f"{p}: {r}" for p, r in zip(inv["path"], inv["reason"], strict=True))
        raise DataFormatError(f"{path}: nothing here is evidence apiprobe can read ({listing})")
    inc, base, how = incident_window(ev.events, None, incident=incident, baseline=baseline)
    notes = _coverage_notes(inv, inc, given=incident is not None)
    run = run_detectors(ev, incident=inc, baseline=base, service=service or "", objective=objective)
    findings = run.findings
    if inc is None:
        inc, base, how = incident_window(None, findings, baseline=baseline)
    services = ev.services
    calls = service_calls(services=services, spans=ev.spans, events=ev.events, declared=ev.timeouts)
    edges = _edges(calls, ev.events, service or "", inc)
    if ev.har is not None and len(ev.har) and edges:  # the browser's host is the front door: the edge services
        hosts = sorted(set(ev.har["host"].dropna().astype(str)) - set(edges))
        browser = pd.DataFrame([(h, e, "har") for h in hosts for e in edges], columns=["caller", "callee", "source"])
        calls = pd.concat([calls, browser], ignore_index=True)
    life = life_events(ev.events) if ev.events is not None else None
    ranked = rank_hypotheses(findings, incident=inc, calls=calls, services=services, life=life)
    hypotheses, links = link_notebooks(
        ranked, ev, incident=inc, baseline=base, slo_service=run.slo_service, objective=objective
    )
    timeline = triage_timeline(
        events=ev.events,
        spans=ev.spans,
        signals=run.signals,
        burn=run.burn,
        breakers=run.breakers,
        findings=findings,
    )
    impact = incident_impact(_requests(ev), inc, base, edges=edges, objective=objective)
    return TriageResult(
        path=Path(path),
        inventory=inv,
        findings=findings,
        timeline=timeline,
        hypotheses=hypotheses,
        incident=inc,
        baseline=base,
        window_note=how,
        services=services,
        calls=calls,
        impact=impact,
        links=links,
        notes=[*notes, *run.notes],
    )
