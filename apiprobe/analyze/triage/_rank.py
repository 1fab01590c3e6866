"""Findings → ranked hypotheses: grouped along the handbook's fault types, chained cause → consequence.

How a hypothesis is scored (every factor is written into its ``why``):

* **role** — what the fault is (:data:`ROLES`): an exhausted pool can be the root
  of an outage, a timeout is what its callers saw;
* **severity** — of its worst finding;
* **confidence** — independent kinds of evidence agree: 1 − Π(1 − w) over the
  kinds behind it (:data:`SOURCE_WEIGHTS`), a kind with only warnings counting 0.7 × w;
* **timing** — it overlaps the incident window (×1; snapshots with no time ×0.5;
  outside ×0.25; a trend far longer than the incident that was already there ×0.4), and
  an early onset beats a late one (×1 at the start, ×0.6 at the end);
* **reach** — it explains other hypotheses (×(1 + 0.15 per explained one, up to 6)).

A explains B when B's fault is among A's ``leads_to`` (:data:`CAUSE_RULES`), B
happens in A's service or in one that calls it (directly or not), and B starts
no earlier than A, give or take ``tolerance`` (clock skew between hosts, the
detectors' one-minute bins). Each hypothesis hangs under the best-scored one
that explains it; what nothing explains is a root. Roots come first, each
followed by its consequences in the order they began, then the contributing
factors, then what did not take part (background faults, or outside the window).

Roles: *root cause* (nothing explains it), *consequence* (``caused_by`` names its
cause), *unexplained symptom* (an effect whose cause is not in the evidence),
*possible cause* (a cause whose evidence carries no time, such as a pasted
certificate: triage cannot place it in the incident), *contributing factor*
(configuration, or a fault already there before), *unrelated*.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from apiprobe.analyze.triage._graph import downstream, mentioned_services, where
from apiprobe.analyze.triage._rules import (
    CALLER_KINDS,
    CALLER_SIDE,
    CANCELED_KINDS,
    CAUSE_RULES,
    KIND_FAULTS,
    ROLES,
    SOURCE_WEIGHTS,
    CauseRule,
)
from apiprobe.schema import conform

__all__ = ["rank_hypotheses"]

_SEVERITY = {"critical": 1.0, "warning": 0.6, "info": 0.3}
_KIND = re.compile(r"error_kind (\w+)")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class _Hyp:
    fault: str
    service: str
    subject: str
    label: str = ""
    error_kind: str = ""
    rows: list[int] = field(default_factory=list)
    score: float = 0.0
    base: float = 0.0
    confidence: float = 0.0
    timing: float = 1.0
    timing_note: str = ""
    onset: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    explains: set[int] = field(default_factory=set)
    parent: int | None = None
    role: str = ""
    rank: int = 0
    before: bool = False  # its evidence reaches back before the incident
    shown: pd.Timestamp | None = None  # the onset shown: the incident start when the evidence reaches back
    near: str = ""  # a restart, deploy or crash logged just before it began


def _text(value: Any) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) else str(value)


def _hypothesis_fault(row: Mapping[Any, Any]) -> str:
    fault = str(row["fault"])
    if fault in ("error_burst", "new_error"):
        kind = _KIND.search(_text(row.get("subject")))
        if kind and kind.group(1) in KIND_FAULTS:
            return KIND_FAULTS[kind.group(1)]
    return fault


_LAYER_NOTE = re.compile(r"\(\w+ layer\)")


def _group(
    findings: pd.DataFrame, reach: dict[str, set[str]], callers: dict[str, list[str]], services: Sequence[str]
) -> list[_Hyp]:
    groups: dict[tuple[str, str, str], _Hyp] = {}
    for i, row in enumerate(findings.to_dict("records")):
        fault = _hypothesis_fault(row)
        named = [s.strip() for s in _text(row.get("services")).split(",") if s.strip()]
        if not named:  # "(client layer)" names a layer, not a service called client
            text = _LAYER_NOTE.sub("", f"{_text(row.get('subject'))} {_text(row.get('evidence'))}")
            named = mentioned_services(text, services)
        service = where(named, reach, upstream=fault in CALLER_SIDE)
        kind = _KIND.search(_text(row.get("subject")))
        if kind and kind.group(1) in CANCELED_KINDS and callers.get(service):
            service = callers[service][0]  # the callee logs "context canceled": its caller gave up
        # causes and amplifiers are about one resource of one service; a symptom of another kind
        # (an error kind with no hypothesis of its own) keeps its subject apart
        keyed_by_subject = fault == row["fault"] and fault in ("error_burst", "new_error")
        key = (fault, service, _text(row.get("subject")) if keyed_by_subject else "")
        h = groups.get(key)
        if h is None:
            kind = _KIND.search(key[2])
            label = key[2]
            if label.startswith("template "):  # "template T4" says nothing: name the template itself
                label = _text(row.get("evidence")).split(":", 1)[0]
            h = groups[key] = _Hyp(fault, service, key[2], label=label, error_kind=kind.group(1) if kind else "")
        h.rows.append(i)
    return list(groups.values())


def _confidence(rows: pd.DataFrame) -> tuple[float, list[str]]:
    miss = 1.0
    kinds: list[str] = []
    for source, grp in rows.groupby(
        rows["source"].fillna("") if "source" in rows.columns else pd.Series("", rows.index)
    ):
        w = SOURCE_WEIGHTS.get(str(source), 0.3)
        if not (grp["severity"] == "critical").any():
            w *= 0.7
        miss *= 1 - w
        kinds.append(str(source) or "unknown")
    return 1 - miss, kinds


def _onset(rows: pd.DataFrame, incident: tuple[pd.Timestamp, pd.Timestamp] | None, tol: pd.Timedelta) -> pd.DataFrame:
    """The findings that date the hypothesis: the critical ones inside the incident, else any inside, else all.

    A retry storm that rose to critical at 10:00 began then, even if a few retries of bad input were
    logged all morning.
    """
    timed = rows[rows["ts_start"].notna()]
    if incident is None or timed.empty:
        return timed
    end = timed["ts_end"].fillna(timed["ts_start"])
    inside = timed[(end >= incident[0] - tol) & (timed["ts_start"] <= incident[1] + tol)]
    critical = inside[inside["severity"] == "critical"]
    return critical if len(critical) else inside if len(inside) else timed


def _timing(h: _Hyp, rows: pd.DataFrame, incident: tuple[pd.Timestamp, pd.Timestamp] | None, tol: pd.Timedelta) -> None:
    dating = _onset(rows, incident, tol)
    if len(dating):
        h.onset = dating["ts_start"].min()
        h.end = max(dating["ts_end"].fillna(dating["ts_start"]).max(), h.onset)
    if incident is None:
        h.timing, h.timing_note = (1.0, "") if h.onset is not None else (0.5, "it has no time")
        return
    if h.onset is None:
        h.timing, h.timing_note = 0.5, "its evidence carries no time"
        return
    assert h.end is not None
    if h.end < incident[0] - tol or h.onset > incident[1] + tol:
        h.timing, h.timing_note = 0.25, "it lies outside the incident window"
        return
    length = incident[1] - incident[0]
    spans = dating["ts_end"].fillna(dating["ts_start"]) - dating["ts_start"]
    if h.onset < incident[0] - tol and (spans > 3 * length).all():
        h.timing = 0.4
        h.timing_note = f"it is a trend that was already there at {h.onset:%H:%M:%S}, long before the incident"
        return
    clipped = ""
    if h.onset < incident[0] - tol:  # an aggregate over more than the incident: it was there when it began
        clipped = f" (its evidence reaches back to {h.onset:%H:%M:%S})"
        h.onset = incident[0] - tol
        h.before = True
        h.shown = incident[0]
    seconds = max((incident[1] - incident[0]).total_seconds(), 1.0)
    late = min(max((h.onset - incident[0]).total_seconds() / seconds, 0.0), 1.0)
    h.timing = 1.0 - 0.4 * late
    h.timing_note = (
        f"it began at {h.onset:%H:%M:%S} UTC, "
        + ("as the incident began" if late < 0.05 else f"{late:.0%} into the incident")
        + clipped
    )


def _explains(a: _Hyp, b: _Hyp, reach: dict[str, set[str]], rules: Mapping[str, CauseRule], tol: pd.Timedelta) -> bool:
    rule = rules.get(a.fault)
    if rule is None or b.fault not in rule.leads_to or a is b:
        return False
    if b.error_kind in CALLER_KINDS and a.fault not in CALLER_KINDS[b.error_kind]:
        return False
    if a.service and not b.service:  # a symptom of no known service may be anyone's
        return False
    if a.service and b.service and a.service != b.service and a.service not in reach.get(b.service, ()):
        return False
    if a.onset is None:
        return rule.role == "contributing" and b.onset is not None
    return b.onset is not None and b.onset >= a.onset - tol


def _title(h: _Hyp, rules: Mapping[str, CauseRule], rows: pd.DataFrame) -> str:
    rule = rules.get(h.fault)
    where_ = h.service or _text(rows["subject"].iloc[0])
    title = rule.title.format(where=where_) if rule else f"{where_}: {h.fault}"
    if h.label:
        title += f" ({h.label})"
    return title


def _evidence(rows: pd.DataFrame, limit: int = 4) -> str:
    parts = []
    for row in rows.head(limit).to_dict("records"):
        src = _text(row.get("files")) or _text(row.get("source"))
        parts.append(f"{_text(row['evidence'])}" + (f" [{src}]" if src else ""))
    more = len(rows) - limit
    return " · ".join(parts) + (f" · and {more} more finding{'s' if more > 1 else ''}" if more > 0 else "")


_NATURE_WORDS = {
    "cause": "fault that can start an incident",
    "amplifier": "fault that makes one worse",
    "symptom": "symptom",
    "contributing": "configuration that lets one happen",
    "background": "standing problem",
}


def _why(
    h: _Hyp, rank: int, hyps: list[_Hyp], kinds: list[str], rows: pd.DataFrame, rules: Mapping[str, CauseRule]
) -> str:
    sev = rows["severity"].iloc[0] if len(rows) else "info"
    place = _ordinal(rank)
    kind = rules[h.fault].role if h.fault in rules else ""
    parts = [f"Ranked {place}: {h.role or 'hypothesis'}, a {_NATURE_WORDS.get(kind, 'fault')}"]
    parts.append(
        f"{sev} in {len(kinds)} kind{'s' if len(kinds) != 1 else ''} of evidence ({', '.join(kinds)}), "
        f"confidence {h.confidence:.2f}"
    )
    if h.timing_note:
        parts.append(h.timing_note)
    if h.explains:
        names = [f"#{hyps[i].rank}" for i in sorted(h.explains, key=lambda j: hyps[j].rank)]
        parts.append(
            f"explains {len(h.explains)} other hypothes{'es' if len(h.explains) > 1 else 'is'} ({', '.join(names)})"
        )
    if h.parent is not None:
        parts.append(f"explained by #{hyps[h.parent].rank}")
    if h.near:
        parts.append(h.near)
    return "; ".join(parts) + "."


def _near_life_event(h: _Hyp, life: pd.DataFrame | None, reach: dict[str, set[str]]) -> str:
    """A restart, deploy or crash logged in the minute before ``h`` began, in its service or a neighbour."""
    if life is None or life.empty or h.onset is None or h.shown is not None:
        return ""
    near = life[
        life["kind"].isin(["crash", "stop", "start", "deploy", "version"])
        & (life["ts"] <= h.onset + pd.Timedelta(seconds=5))
        & (life["ts"] >= h.onset - pd.Timedelta(seconds=60))
    ]
    if h.service:
        related = {h.service, *reach.get(h.service, ())} | {s for s, below in reach.items() if h.service in below}
        near = near[near["service"].isin(related)]
    if near.empty:
        return ""
    ev = near.iloc[-1]
    return f"it began just after {ev['service']} logged “{str(ev['text'])[:80]}” ({ev['ts']:%H:%M:%S}, a {ev['kind']})"


def rank_hypotheses(
    findings: pd.DataFrame,
    *,
    incident: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    calls: pd.DataFrame | None = None,
    services: Sequence[str] = (),
    rules: Mapping[str, CauseRule] | None = None,
    notebooks: Mapping[str, Mapping[str, Any]] | None = None,
    tolerance: str | pd.Timedelta = "90s",
    life: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Group findings into hypotheses, chain causes to consequences and rank them (schema ``hypotheses``).

    Parameters
    ----------
    findings : pandas.DataFrame
        Schema ``findings``, optionally with ``source`` (the kind of evidence),
        ``files`` and ``services`` (comma-separated) per finding.
    incident : pair of pandas.Timestamp, optional
        The incident window; without it no timing factor applies.
    calls : pandas.DataFrame, optional
        ``caller``, ``callee`` between services (:func:`apiprobe.analyze.triage.service_calls`).
    services : sequence of str, optional
        The known services, to find them named in a finding's text when it has no ``services``.
    rules : mapping, optional
        Fault → :class:`CauseRule`; default :data:`CAUSE_RULES`.
    notebooks : mapping, optional
        Notebook name → its parameters, for the ``parameters`` column.
    tolerance : str or pandas.Timedelta, default "90s"
        How much earlier a consequence may seem to start than its cause (clock skew, binning).
    life : pandas.DataFrame, optional
        :func:`life_events` of the logs: a hypothesis that began within a minute after a restart,
        deploy or crash of its service (or one it calls, or that calls it) says so in its ``why``.

    Returns
    -------
    pandas.DataFrame
        Schema ``hypotheses``: ranked, each with its role, what explains it (``caused_by``)
        and why it is where it is.
    """
    rules = CAUSE_RULES if rules is None else rules
    tol = pd.Timedelta(tolerance)
    if findings.empty:
        return conform(None, "hypotheses")
    findings = findings.reset_index(drop=True)
    reach = downstream(calls) if calls is not None and len(calls) else {}
    callers: dict[str, list[str]] = {}
    if calls is not None:  # callers seen in spans and logs before those only declared
        seen_first = calls.assign(_declared=calls["source"] == "declared").sort_values("_declared", kind="stable")
        for a, b in seen_first[["caller", "callee"]].drop_duplicates().itertuples(index=False):
            callers.setdefault(str(b), []).append(str(a))
    hyps = _group(findings, reach, callers, services)
    details: list[tuple[pd.DataFrame, list[str]]] = []
    for h in hyps:
        rows = findings.iloc[h.rows]
        h.confidence, kinds = _confidence(rows)
        _timing(h, rows, incident, tol)
        role = rules[h.fault].role if h.fault in rules else "symptom"
        sev = max(_SEVERITY.get(str(s), 0.3) for s in rows["severity"])
        h.base = ROLES.get(role, 0.3) * sev * h.confidence * h.timing
        details.append((rows, kinds))
        h.near = _near_life_event(h, life, reach)
    for i, a in enumerate(hyps):
        for j, b in enumerate(hyps):
            if i != j and _explains(a, b, reach, rules, tol):
                a.explains.add(j)
    for h in hyps:
        h.score = h.base * (1 + 0.15 * min(len(h.explains), 6))
    order = sorted(range(len(hyps)), key=lambda k: (-hyps[k].score, str(hyps[k].onset), hyps[k].fault))
    position = {k: n for n, k in enumerate(order)}
    for k in order:
        parents = [p for p in order if k in hyps[p].explains and position[p] < position[k]]
        hyps[k].parent = parents[0] if parents else None
    children: dict[int | None, list[int]] = {}
    for k in order:
        children.setdefault(hyps[k].parent, []).append(k)

    roots = [k for k in order if hyps[k].parent is None]
    best = hyps[roots[0]].score if roots else 0.0

    def role_of(k: int) -> str:
        h = hyps[k]
        kind = rules[h.fault].role if h.fault in rules else "symptom"
        if h.parent is not None:
            return "consequence"
        if kind == "background" or h.timing <= 0.25:
            return "unrelated"
        if kind == "contributing" or h.timing < 0.5:  # configuration, or already there before the incident
            return "contributing factor" if h.explains or kind == "contributing" else "unrelated"
        if h.before and k != order[0]:  # there before the incident began: it made it worse, it did not start it
            return "contributing factor"
        if kind == "symptom":
            return "unexplained symptom"
        if h.onset is None and incident is not None:  # a snapshot with no time: cannot be placed in the incident
            return "possible cause"
        if k != roots[0] and h.score < 0.4 * best:  # a late or weakly supported cause beside a strong one
            return "possible cause"
        return "root cause"

    for k in range(len(hyps)):
        hyps[k].role = role_of(k)
    final: list[int] = []

    def walk(k: int) -> None:
        final.append(k)
        kids = sorted(children.get(k, []), key=lambda c: (str(hyps[c].onset), -hyps[c].score))
        for c in kids:
            walk(c)

    for wanted in ("root cause", "unexplained symptom", "possible cause", "contributing factor", "unrelated"):
        for k in children.get(None, []):
            if hyps[k].role == wanted:
                walk(k)
    for n, k in enumerate(final, start=1):
        hyps[k].rank = n
    out = []
    for k in final:
        h = hyps[k]
        rows, kinds = details[k]
        rule = rules.get(h.fault)
        notebook = rule.notebook if rule else ""
        files = sorted(
            {
                f.strip()
                for v in rows.get("files", pd.Series(dtype=str)).dropna()
                for f in str(v).split(",")
                if f.strip()
            }
        )
        recs = [r for r in dict.fromkeys(_text(x) for x in rows["recommendation"]) if r]
        out.append(
            {
                "rank": h.rank,
                "title": _title(h, rules, rows),
                "fault": h.fault,
                "confidence": round(h.confidence * min(h.timing * 2, 1.0), 2),
                "evidence": _evidence(rows),
                "confirm": rule.confirm if rule else "",
                "next": " ".join([rule.next if rule else "", *recs[:1]]).strip(),
                "handbook_ref": rule.handbook_ref if rule else _text(rows["handbook_ref"].iloc[0]),
                "role": h.role,
                "caused_by": None if h.parent is None else hyps[h.parent].rank,
                "service": h.service,
                "ts_start": h.shown if h.shown is not None else h.onset,
                "ts_end": h.end,
                "why": _why(h, h.rank, hyps, kinds, rows, rules),
                "sources": ", ".join(kinds),
                "files": ", ".join(files),
                "findings": ",".join(str(i) for i in h.rows),
                "notebook": notebook,
                "parameters": json.dumps(dict((notebooks or {}).get(notebook, {})), sort_keys=True),
            }
        )
    return conform(out, "hypotheses")
