"""A blameless postmortem draft in Markdown, written from a triage: an engineer edits it rather than writes it."""

from __future__ import annotations

import html
import textwrap
from types import SimpleNamespace
from typing import Any

import pandas as pd

from apiprobe._redact import redact_text
from apiprobe.analyze.triage._result import TriageResult

__all__ = ["postmortem"]

_MAX_TIMELINE = 25


def _rows(df: pd.DataFrame) -> list[Any]:
    """The rows as objects with one attribute per column (NA as pandas gives it)."""
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in df.to_dict("records")]


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (one line, pipes escaped)."""
    s = "" if text is None or (isinstance(text, float) and pd.isna(text)) or text is pd.NA else str(text)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _t(ts: Any, fmt: str = "%H:%M:%S") -> str:
    return "—" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime(fmt)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    m = seconds / 60
    return f"{m:.0f} minutes" if m >= 2 else f"{seconds:.0f} s"


def _summary(r: TriageResult) -> list[str]:
    hyp, imp = r.hypotheses, r.impact
    lines = ["## Summary", ""]
    if r.incident is None:
        lines.append("The evidence shows no incident window; give one (`--incident START/END`) to measure the impact.")
    else:
        start, end = _t(r.incident[0], "%Y-%m-%d %H:%M"), _t(r.incident[1], "%H:%M")
        span = f"From {start} to {end} UTC ({_minutes(imp.get('duration_s'))})"
        failed = imp.get("failed") or 0
        edges = ", ".join(imp.get("edges") or []) or "the services"
        if imp.get("requests"):
            lines.append(
                f"{span}, {failed:,} of {imp['requests']:,} requests to {edges} failed ({imp['failed_share']:.1%})."
            )
        else:
            lines.append(f"{span}; the evidence holds no request counts.")
    top = r.root_cause
    if top is not None:
        kids = hyp[hyp["caused_by"] == top["rank"]]
        label = "root cause" if top["role"] == "root cause" else f"explanation ({top['role']})"
        lines += [
            "",
            f"Most likely {label}: **{top['title']}** (confidence {top['confidence']:.2f}, from {top['sources']}).",
        ]
        if len(kids):
            shown = "; ".join(str(t) for t in kids["title"].head(6))
            more = f"; and {len(kids) - 6} more" if len(kids) > 6 else ""
            lines.append(f"It led to: {shown}{more}.")
    else:
        lines += ["", "No hypothesis stands out: every finding is unrelated to the incident, or there is none."]
    return [*lines, ""]


def _impact(r: TriageResult) -> list[str]:
    imp = r.impact
    lines = ["## Impact", ""]
    lines.append(f"- Duration: {_minutes(imp.get('duration_s'))}.")
    if imp.get("requests"):
        lines.append(
            f"- Requests failed at the edge ({', '.join(imp['edges'])}): {imp['failed']:,} of "
            f"{imp['requests']:,} ({imp['failed_share']:.1%})."
        )
    if imp.get("budget_used") is not None:
        lines.append(
            f"- Error budget, from the logs' request counts: {imp['budget_used']:.1%} of a 30-day "
            f"{imp['objective']:.1%} SLO's budget (at the baseline's {imp['baseline_rate_per_s']:.2f} requests/s, "
            f"the month allows "
            f"{imp['baseline_rate_per_s'] * 30 * 86400 * (1 - imp['objective']):,.0f} failures)."
        )
    burn = r.findings[r.findings["fault"] == "slo_burn"] if len(r.findings) else r.findings
    for row in _rows(burn.head(3)):
        lines.append(f"- Burn-rate alert, from the metrics: {_cell(row.evidence)}")
    if imp.get("services"):
        lines.append(
            "- Services whose failures rose: "
            + ", ".join(f"{s} ({n:,})" for s, n in sorted(imp["services"].items(), key=lambda kv: -kv[1]))
            + "."
        )
    if imp.get("endpoints"):
        lines.append(
            "- Endpoints that failed most: " + ", ".join(f"`{e}` ({n:,})" for e, n in imp["endpoints"].items()) + "."
        )
    return [*lines, ""]


def _timeline(r: TriageResult) -> list[str]:
    rows: list[tuple[Any, str]] = []
    if r.incident is not None:
        rows.append((r.incident[0], f"Incident begins ({r.window_note or 'window given'})."))
        rows.append((r.incident[1], "Incident ends: failures back to the baseline."))
    tl = r.timeline
    if len(tl):
        events = tl[tl["signal"] == "event"]
        for row in _rows(events):
            rows.append((row.ts, f"{row.service}: {row.text} ({row.series})"))
    hyp = r.hypotheses
    for row in _rows(hyp) if len(hyp) else []:
        if pd.notna(row.ts_start) and row.role != "unrelated":
            rows.append((row.ts_start, f"#{row.rank} begins: {row.title}"))
    if r.incident is not None:
        lo, hi = r.incident[0] - (r.incident[1] - r.incident[0]), r.incident[1] + pd.Timedelta(minutes=5)
        rows = [x for x in rows if lo <= x[0] <= hi]
    rows.sort(key=lambda x: x[0])
    lines = ["## Timeline (UTC)", "", "| time | what |", "|---|---|"]
    lines += [f"| {_t(ts)} | {_cell(text)} |" for ts, text in rows[:_MAX_TIMELINE]]
    if len(rows) > _MAX_TIMELINE:
        lines.append(f"| … | {len(rows) - _MAX_TIMELINE} more in the triage timeline |")
    return [*lines, ""]


def _causes(r: TriageResult) -> list[str]:
    hyp = r.hypotheses
    lines = ["## Root-cause candidates", ""]
    if hyp.empty:
        return [*lines, "None found in the incident window.", ""]
    causes = hyp[hyp["role"].isin(["root cause", "unexplained symptom", "possible cause"])]
    effects = hyp[hyp["role"] == "consequence"]
    picked = pd.concat([causes.head(4), effects.head(6)]).sort_values("rank")
    if picked.empty:
        return [*lines, "None found in the incident window.", ""]
    for row in _rows(picked):
        head = f"### #{row.rank} {row.title}"
        if row.role == "consequence":
            head += f" — consequence of #{int(row.caused_by)}"
        lines += [
            head,
            "",
            f"- Confidence {row.confidence:.2f} ({row.sources}); handbook {row.handbook_ref}.",
            f"- Evidence: {row.evidence}",
            f"- Why it is ranked here: {row.why}",
            f"- To confirm or refute: {row.confirm}",
            "",
        ]
    return lines


def _factors(r: TriageResult) -> list[str]:
    hyp = r.hypotheses
    lines = ["## Contributing factors", ""]
    if len(hyp):
        for row in _rows(hyp[hyp["role"] == "contributing factor"]):
            lines.append(f"- #{row.rank} {row.title}: {textwrap.shorten(_cell(row.evidence), 300, placeholder=' …')}")
        amplified = hyp[(hyp["role"] == "consequence") & hyp["fault"].isin(_AMPLIFIERS)]
        for row in _rows(amplified):
            lines.append(
                f"- #{row.rank} {row.title} (a consequence of #{int(row.caused_by)}, listed above) made it worse."
            )
    if len(lines) == 2:
        lines.append("- None found in the evidence.")
    return [*lines, ""]


_AMPLIFIERS = ("retry_storm", "retry_misuse", "breaker_flapping", "orphaned_work")


def _went(r: TriageResult) -> list[str]:
    well: list[str] = []
    badly: list[str] = []
    imp, hyp, inv = r.impact, r.hypotheses, r.inventory
    if r.incident is not None and len(r.timeline):
        life = r.timeline[(r.timeline["signal"] == "event") & (r.timeline["ts"] <= r.incident[1])]
        life = life[life["ts"] >= r.incident[0]]
        if len(life):
            last = life.iloc[-1]
            well.append(
                f"Recovery followed an action: {last['service']} logged “{_cell(last['text'])}” at {_t(last['ts'])}, "
                f"and the failures ended by {_t(r.incident[1])}."
            )
    logging = set(r.timeline.loc[r.timeline["signal"] == "requests", "service"].dropna()) if len(r.timeline) else set()
    unaffected = sorted(logging - set(imp.get("services", {})) - set(imp.get("edges", [])))
    if imp.get("services") and unaffected:
        well.append(f"The blast radius stayed limited: {', '.join(unaffected)} showed no rise in failures.")
    burn = r.findings[r.findings["fault"] == "slo_burn"] if len(r.findings) else r.findings
    if r.incident is not None:
        timed = burn[burn["ts_start"].notna()]
        if len(timed):
            first = timed["ts_start"].min()
            delay = (first - r.incident[0]).total_seconds()
            (well if delay <= 300 else badly).append(
                f"A burn-rate alert would have fired at {_t(first)}, {_minutes(max(delay, 0))} after the start."
            )
        else:
            badly.append("No burn-rate alert in the evidence: nothing shows the incident was detected automatically.")
    for row in _rows(hyp) if len(hyp) else []:
        if row.fault in _AMPLIFIERS and row.role != "unrelated":
            badly.append(f"{row.title} made it worse (#{row.rank}).")
        if row.fault == "propagation_gap":
            badly.append(f"{row.title}: following requests across services was harder (#{row.rank}).")
    unusable = inv[~inv["usable"].fillna(False).astype(bool)] if len(inv) else inv
    if len(unusable):
        badly.append(
            f"{len(unusable)} of {len(inv)} evidence files could not be used: "
            + "; ".join(f"{p} ({_cell(why)})" for p, why in zip(unusable["path"], unusable["reason"], strict=True))
            + "."
        )
    lines = ["## What went well", ""] + [f"- {x}" for x in well or ["Nothing the evidence shows; add it."]]
    lines += ["", "## What went badly", ""] + [f"- {x}" for x in badly or ["Nothing the evidence shows; add it."]]
    return [*lines, ""]


def _actions(r: TriageResult) -> list[str]:
    hyp = r.hypotheses
    lines = ["## Action items", "", "| # | action | owner | priority | handbook | from |", "|---|---|---|---|---|---|"]
    n = 0
    seen: set[str] = set()
    for row in _rows(hyp) if len(hyp) else []:
        action = _cell(row.next)
        if not action or action in seen:
            continue
        seen.add(action)
        n += 1
        priority = (
            "P1"
            if row.rank == 1
            else "P2"
            if row.role in ("root cause", "consequence", "contributing factor")
            else "P3"
        )
        lines.append(f"| {n} | {action} |  | {priority} | {_cell(row.handbook_ref)} | #{row.rank} {_cell(row.title)} |")
    if n == 0:
        lines.append(
            "| 1 | Add the evidence of the incident (logs, dumps, metrics) and run the triage again. |  | P1 |  |  |"
        )
    return [*lines, ""]


def _evidence(r: TriageResult) -> list[str]:
    inv = r.inventory
    lines = ["## Evidence", "", "| file | kind | covers | used |", "|---|---|---|---|"]
    for row in _rows(inv) if len(inv) else []:
        covers = ", ".join(
            x
            for x in (
                _cell(row.services),
                f"{_t(row.ts_start, '%m-%d %H:%M:%S')}–{_t(row.ts_end, '%H:%M:%S')}" if pd.notna(row.ts_start) else "",
                f"{int(row.rows):,} rows" if pd.notna(row.rows) else "",
            )
            if x
        )
        used = "yes" if row.usable is True else f"no: {_cell(row.reason)}"  # NA: not used
        lines.append(f"| `{_cell(row.path)}` | {_cell(row.what) or _cell(row.kind)} | {covers} | {used} |")
    return [*lines, ""]


def postmortem(result: TriageResult, *, title: str = "") -> str:
    """A blameless postmortem draft, in Markdown, from a triage.

    Summary; impact computed from the evidence (failed requests at the edge,
    error-budget burn, duration, services and endpoints hit); a timeline of the
    key events in UTC; the root-cause candidates with their evidence; contributing
    factors; what went well and badly as far as the evidence shows; action items
    from the hypotheses' next steps, owners left blank, with handbook
    references; and the evidence files.

    Parameters
    ----------
    result : TriageResult
        What :func:`apiprobe.triage` returned.
    title : str, optional
        The heading; default from the top hypothesis.

    Returns
    -------
    str
        Markdown.
    """
    top = result.root_cause
    heading = title or (f"Postmortem (draft): {top['title']}" if top is not None else "Postmortem (draft)")
    when = _t(result.incident[0], "%Y-%m-%d") if result.incident is not None else "date unknown"
    lines = [
        f"# {heading}",
        "",
        f"*Draft written by apiprobe triage from `{result.path.name or result.path}` ({when}). Blameless: it "
        "describes systems and decisions, not people. Every number comes from the evidence listed at the end; "
        "check it, then edit. Text quoted from logs is HTML-escaped.*",
        "",
    ]
    for part in (_summary, _impact, _timeline, _causes, _factors, _went, _actions, _evidence):
        lines += part(result)
    # evidence quotes logs and servers: no markup from them survives, and no secret
    return redact_text(html.escape("\n".join(lines).rstrip(), quote=False)) + "\n"
