"""Glue for notebook 00 (triage): the inventory, one timeline, ranked hypotheses, what to do now, the postmortem."""

from __future__ import annotations

import html
import json
import os
import shlex
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from apiprobe.analyze.triage import TriageResult, postmortem
from apiprobe.errors import InvalidParameterError
from apiprobe.incident import NOTEBOOK_TITLES, triage
from apiprobe.notebook._common import DEMO_DIR, heading
from apiprobe.notebook._display import show_findings, show_table

__all__ = [
    "get_triage",
    "show_hypotheses",
    "show_inventory",
    "show_next_steps",
    "show_postmortem",
    "show_triage_findings",
    "show_triage_overview",
    "show_triage_timeline",
]

_ROLE_COLORS = {
    "root cause": "#b42318",
    "consequence": "#b54708",
    "unexplained symptom": "#175cd3",
    "possible cause": "#0e9384",
    "contributing factor": "#6941c6",
    "unrelated": "#667085",
}


def _window(start: str, end: str, name: str) -> tuple[str, str] | None:
    if bool(start) != bool(end):
        raise InvalidParameterError(f"{name}_start and {name}_end: give both ends of the {name} window, or neither")
    return (start, end) if start else None


def get_triage(
    *,
    evidence_path: str | os.PathLike[str] = "",
    incident_start: str = "",
    incident_end: str = "",
    baseline_start: str = "",
    baseline_end: str = "",
    service: str = "",
    objective: float = 0.999,
) -> TriageResult:
    """Triage a folder of evidence; the demo incident folder when ``evidence_path`` is empty.

    Parameters
    ----------
    evidence_path
        A folder (or file) of logs, dumps, profiles, traces, HAR, certificates, metrics, ...
    incident_start, incident_end, baseline_start, baseline_end
        The windows (ISO times, naive = UTC); empty: inferred from the evidence.
    service
        The service users call (impact and SLO); empty: the top of the call graph.
    objective
        The SLO, for the error budget.

    Returns
    -------
    TriageResult
        What :func:`apiprobe.triage` found.

    Raises
    ------
    InvalidParameterError
        When a window has only one end, or does not start before it ends.
    DataFormatError
        When the folder is missing, empty, or holds nothing apiprobe reads.
    """
    path = Path(evidence_path) if evidence_path else DEMO_DIR / "incident"
    return triage(
        path,
        incident=_window(incident_start, incident_end, "incident"),
        baseline=_window(baseline_start, baseline_end, "baseline"),
        service=service or None,
        objective=objective,
    )


def _when(ts: Any, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "—" if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime(fmt)


def show_triage_overview(result: TriageResult, *, title: str = "") -> None:
    """Display what was read, the incident window and where it came from, and the top hypothesis.

    Parameters
    ----------
    result : TriageResult
        From :func:`get_triage`.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    inv = result.inventory
    used = int(inv["usable"].fillna(False).sum())
    window = (
        f"{_when(result.incident[0])} → {_when(result.incident[1], '%H:%M:%S')} UTC ({html.escape(result.window_note)})"
        if result.incident is not None
        else html.escape(result.window_note or "no incident window")
    )
    base = (
        f"{_when(result.baseline[0])} → {_when(result.baseline[1], '%H:%M:%S')} UTC"
        if result.baseline is not None
        else "none"
    )
    top = result.root_cause
    verdict = (
        f"<p style='font-size:1.15em'><b>Most likely:</b> {html.escape(str(top['title']))} "
        f"(confidence {top['confidence']:.2f}).</p>"
        if top is not None
        else "<p><b>No hypothesis:</b> the evidence holds no finding.</p>"
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    display(
        HTML(
            heading(title)
            + f"<p>Evidence: <code>{html.escape(str(result.path))}</code>: {used} of {len(inv)} files used, "
            f"{len(result.findings)} findings, {len(result.hypotheses)} hypotheses. Services: "
            f"{html.escape(', '.join(result.services) or '—')}.</p>"
            f"<p>Incident: {window}.<br>Baseline: {base}.</p>"
            + verdict
            + (f"<p>Detectors that could not run:</p><ul>{notes}</ul>" if notes else "")
        )
    )


def show_inventory(result: TriageResult) -> None:
    """Display one row per file: what it is, what it covers, and why a file could not be used.

    Parameters
    ----------
    result : TriageResult
        From :func:`get_triage`.
    """
    inv = result.inventory
    table = pd.DataFrame(
        {
            "file": inv["path"],
            "kind": inv["kind"].fillna("—"),
            "what": inv["what"],
            "services": inv["services"],
            "from": inv["ts_start"].map(lambda t: _when(t, "%m-%d %H:%M:%S")),
            "to": inv["ts_end"].map(lambda t: _when(t, "%m-%d %H:%M:%S")),
            "rows": inv["rows"],
            "used": inv["usable"].map({True: "yes", False: "no"}).fillna("no"),
            "reason": inv["reason"],
        }
    )
    show_table(
        table,
        caption="Evidence found (files that could not be used are tinted, with the reason)",
        max_rows=200,
        highlight=~inv["usable"].fillna(False).astype(bool),
    )


def show_triage_timeline(result: TriageResult) -> None:
    """Display every source on one time axis, the incident shaded.

    Parameters
    ----------
    result : TriageResult
        From :func:`get_triage`.
    """
    from apiprobe.plot.triage import fig_triage_timeline

    fig_triage_timeline(result.timeline, incident=result.incident, baseline=result.baseline).show()


def _page_link(notebook: str, links: dict[str, str]) -> str:
    name = links.get(notebook)
    label = html.escape(NOTEBOOK_TITLES.get(notebook, notebook))
    return f"<a href='{html.escape(name)}.html'>{label}</a>" if name else label


def show_hypotheses(result: TriageResult, *, top: int = 12) -> None:
    """Display the ranked hypotheses as cards: cause first, its consequences indented under it.

    Parameters
    ----------
    result : TriageResult
        From :func:`get_triage`.
    top : int, default 12
        Cards shown; the rest are summed up in a line.
    """
    from IPython.display import HTML, display

    hyp = result.hypotheses
    if hyp.empty:
        display(HTML("<p><i>No hypothesis: no detector found anything in this evidence.</i></p>"))
        return
    pages = {link.notebook: link.name for link in result.links}
    cards = []
    for row in (SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in hyp.head(top).to_dict("records")):
        color = _ROLE_COLORS.get(str(row.role), "#667085")
        indent = "2.2em" if row.role == "consequence" else "0"
        cause = f" of #{int(row.caused_by)}" if pd.notna(row.caused_by) else ""
        nb_link = _page_link(str(row.notebook), pages) if isinstance(row.notebook, str) else "—"
        cards.append(
            f"<div style='border-left:4px solid {color};margin:0.5em 0 0.5em {indent};padding:0.3em 0.8em'>"
            f"<b>#{row.rank} {html.escape(str(row.title))}</b> "
            f"<span style='color:{color}'>{html.escape(str(row.role))}{cause}</span> · confidence "
            f"{row.confidence:.2f} · {html.escape(str(row.handbook_ref))}"
            f"<br><small>{html.escape(str(row.why))}</small>"
            f"<br><b>Evidence:</b> {html.escape(textwrap.shorten(str(row.evidence), 900, placeholder=' …'))}"
            f"<br><b>Confirm or refute:</b> {html.escape(str(row.confirm))}"
            f"<br><b>Now:</b> {html.escape(str(row.next))}"
            f"<br><b>Deeper:</b> {nb_link}</div>"
        )
    more = len(hyp) - top
    if more > 0:
        cards.append(f"<p><i>{more} more hypotheses (mostly unrelated to the incident) in the table below.</i></p>")
    display(HTML("".join(cards)))
    if more > 0:
        show_table(
            hyp.iloc[top:][["rank", "role", "title", "confidence", "service", "sources"]],
            caption="The other hypotheses",
            float_format="{:.2f}",
        )


def show_next_steps(result: TriageResult) -> None:
    """Display the per-type notebooks to open next, with the parameters triage chose and how to run them.

    Parameters
    ----------
    result : TriageResult
        From :func:`get_triage`.
    """
    from IPython.display import HTML, display

    if not result.links:
        display(HTML("<p><i>No deeper notebook applies to this evidence.</i></p>"))
        return
    items = []
    for link in result.links:
        args = " ".join(
            f"-p {k} {shlex.quote(v if isinstance(v, str) else json.dumps(v))}"
            for k, v in link.parameters.items()
            if v not in ("", [], None)
        )
        items.append(
            f"<li><a href='{html.escape(link.name)}.html'>{html.escape(link.title)}</a> — "
            f"<code>apiprobe report {html.escape(link.notebook)} {html.escape(args)}</code></li>"
        )
    display(
        HTML(
            "<p>In a report made with <code>apiprobe triage</code> or <code>apiprobe report --triage</code> the links "
            "open the pages; otherwise run the command beside each.</p><ol>" + "".join(items) + "</ol>"
        )
    )


def show_triage_findings(result: TriageResult) -> None:
    """Display every finding of every detector (the report collects them into ``findings.json``).

    Parameters
    ----------
    result : TriageResult
        From :func:`get_triage`.
    """
    cols = [c for c in result.findings.columns if c not in ("source", "files", "services")]
    show_findings(result.findings[cols])


def show_postmortem(result: TriageResult) -> None:
    """Display the postmortem draft (Markdown) to copy into the postmortem document.

    Parameters
    ----------
    result : TriageResult
        From :func:`get_triage`.
    """
    from IPython.display import Markdown, display

    display(Markdown(postmortem(result)))
