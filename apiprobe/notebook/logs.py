"""Notebook glue for 09_logs_errors: logs of many services, classified, and their display."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apiprobe._time import utc_window
from apiprobe.analyze.error_kinds import classify_errors, detect_error_faults, error_summary, error_taxonomy
from apiprobe.analyze.templates import compare_templates
from apiprobe.errors import InvalidParameterError
from apiprobe.load.event_store import arrow_events_to_pandas, is_event_store, open_events, read_events, read_manifest
from apiprobe.load.logs import read_logs, summarize_log_sources
from apiprobe.notebook._common import DEMO_DIR, heading, split_commas, time_span
from apiprobe.notebook._display import show_table

__all__ = [
    "LogEvidence",
    "detect_log_faults",
    "get_log_evidence",
    "show_error_summary",
    "show_log_overview",
    "show_taxonomy",
    "show_template_changes",
    "show_unparsed",
]

Window = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class LogEvidence:
    """Classified log lines and the windows to compare.

    Attributes
    ----------
    events : pandas.DataFrame or str
        Log lines, schema ``events`` plus ``error_kind``, ``error_layer`` and
        ``retryable`` from :func:`apiprobe.analyze.classify_errors`; or the
        directory of an evidence store (:func:`apiprobe.convert_logs`), which
        the analyses query with DuckDB without reading it into memory.
    stats : pandas.DataFrame
        One row per file read: detected dialect, lines parsed and unparsed
        (:func:`apiprobe.load.summarize_log_sources`).
    incident : tuple of (pandas.Timestamp, pandas.Timestamp) or None
        The incident window (UTC, start inclusive, end exclusive), if given.
    baseline : tuple of (pandas.Timestamp, pandas.Timestamp) or None
        The baseline window, if given.
    source : str
        Where the lines came from, in words.
    """

    events: pd.DataFrame | str
    stats: pd.DataFrame
    incident: Window | None
    baseline: Window | None
    source: str


def _window(start: str, end: str, name: str) -> Window | None:
    """The window of notebook parameters ``<name>_start`` and ``<name>_end``, or None when both are empty."""
    if not start and not end:
        return None
    if not (start and end):
        raise InvalidParameterError(
            f"{name}_start and {name}_end: give both a start and an end time (or neither), "
            f"got {name}_start={start!r}, {name}_end={end!r}"
        )
    return utc_window((start, end), f"{name}_start/{name}_end")


def get_log_evidence(
    *,
    logs_path: str | os.PathLike[str] = "",
    service: str = "",
    incident_start: str = "",
    incident_end: str = "",
    baseline_start: str = "",
    baseline_end: str = "",
    format: str = "auto",
    regex: str = "",
) -> LogEvidence:
    """Read and classify logs; the demo incident (with its windows) when ``logs_path`` is empty.

    Parameters
    ----------
    logs_path
        A file, folder or glob of logs in any dialect :func:`apiprobe.read_logs` knows,
        or the directory of an evidence store written by :func:`apiprobe.convert_logs`
        (``apiprobe logs PATH --to DIR``) for logs too large for memory.
    service
        Keep only these services (comma-separated). With a store, their lines
        are read into memory.
    incident_start, incident_end, baseline_start, baseline_end
        The windows to compare (anything ``pd.Timestamp`` reads; naive = UTC).
        Without an incident window the busiest error minute stands in for it.
    format, regex
        Passed to :func:`apiprobe.read_logs` (``regex`` for plain-text logs).

    Returns
    -------
    LogEvidence
        The classified lines, per-file statistics and the windows. With the demo
        data, the demo's windows fill the ones not given.

    Raises
    ------
    InvalidParameterError
        When a window has a start but no end (or the other way round), or does
        not start before it ends.
    DataFormatError
        When the logs cannot be read.
    """
    if not logs_path:
        from apiprobe.demo import BASELINE, INCIDENT

        logs_path = DEMO_DIR / "logs"
        incident_start, incident_end = incident_start or INCIDENT[0], incident_end or INCIDENT[1]
        baseline_start, baseline_end = baseline_start or BASELINE[0], baseline_end or BASELINE[1]
        source = "the built-in demo incident (six services, six logger dialects)"
    else:
        source = f"logs from {Path(logs_path).name}"
    windows = {
        "incident": _window(incident_start, incident_end, "incident"),
        "baseline": _window(baseline_start, baseline_end, "baseline"),
    }
    if is_event_store(logs_path):
        return _store_evidence(str(logs_path), service, source, **windows)
    events = read_logs(logs_path, format=format, regex=regex or None)
    stats = summarize_log_sources(events)
    if service:
        keep = set(split_commas(service))
        events = events[events["service"].isin(keep)].reset_index(drop=True)
        source += f", services {', '.join(sorted(keep))}"
    return LogEvidence(events=classify_errors(events), stats=stats, source=source, **windows)


def _store_evidence(
    store: str, service: str, source: str, *, incident: Window | None, baseline: Window | None
) -> LogEvidence:
    """Evidence that stays in its store; with ``service``, those services' lines read into memory."""
    manifest = read_manifest(store)
    stats = pd.DataFrame(manifest["files"]).reindex(columns=_STAT_COLUMNS)
    source = f"the evidence store {Path(store).name} ({manifest['rows']:,} lines)"
    if not service:
        return LogEvidence(events=store, stats=stats, incident=incident, baseline=baseline, source=source)
    keep = sorted(set(split_commas(service)))
    where = "service in (" + ", ".join("'" + k.replace("'", "''") + "'" for k in keep) + ")"
    events = read_events(store, where=where)
    source += f", services {', '.join(keep)}"
    return LogEvidence(events=events, stats=stats, incident=incident, baseline=baseline, source=source)


_STAT_COLUMNS = ["source_file", "dialect", "lines", "blank", "parsed", "unparsed", "note", "status", "error"]


def show_log_overview(evidence: LogEvidence, *, title: str = "") -> None:
    """Display files, dialects and parse counts, then lines per service and level.

    Parameters
    ----------
    evidence : LogEvidence
        What :func:`get_log_evidence` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    ev = evidence.events
    head = heading(title)
    span = "no timestamps"
    if isinstance(ev, str):  # an evidence store: counted by DuckDB
        rel = open_events(ev)
        n_lines = int(rel.aggregate("count(*)").fetchall()[0][0])
        lo, hi = rel.aggregate("min(ts), max(ts)").fetchall()[0]
        if lo is not None:
            span = time_span(pd.Series(pd.to_datetime([lo, hi], utc=True)))
        levels = rel.aggregate("service, level, count(*) as n").df()
        levels = levels.pivot_table(index="service", columns="level", values="n", aggfunc="sum", fill_value=0)
    else:
        n_lines = len(ev)
        if ev["ts"].notna().any():
            span = time_span(ev["ts"])
        levels = ev.pivot_table(index="service", columns="level", values="line_no", aggfunc="size", fill_value=0)
    windows = ""
    for name, w in (("incident", evidence.incident), ("baseline", evidence.baseline)):
        if w is not None:
            windows += f" {name.capitalize()} window {w[0]:%H:%M}–{w[1]:%H:%M} UTC."
    display(
        HTML(
            head + f"<p>Data: {html.escape(evidence.source)}; {n_lines:,} lines, {html.escape(span)}."
            f"{html.escape(windows)}</p>"
        )
    )
    stats = evidence.stats.assign(source_file=evidence.stats["source_file"].map(lambda p: Path(str(p)).name))
    show_table(
        stats,
        caption="Files: detected dialect and lines parsed (unparsed lines are kept, see below)",
        float_format="{:.0f}",
        highlight=stats["unparsed"] > 0,
    )
    levels = levels.reindex(
        columns=[c for c in ("trace", "debug", "info", "warn", "error", "fatal") if c in levels.columns]
    ).reset_index()
    show_table(levels, caption="Lines per service and level", float_format="{:.0f}")


def show_unparsed(evidence: LogEvidence, *, max_rows: int = 12) -> None:
    """Display the lines that did not parse in their file's dialect (kept, never dropped).

    Parameters
    ----------
    evidence : LogEvidence
        What :func:`get_log_evidence` returned.
    max_rows : int, default 12
        Lines shown.
    """
    from IPython.display import HTML, display

    ev = evidence.events
    if isinstance(ev, str):  # an evidence store: only the lines shown come into memory
        rel = open_events(ev).filter("not coalesce(parse_ok, false)")
        n_bad = int(rel.aggregate("count(*)").fetchall()[0][0])
        bad = arrow_events_to_pandas(
            rel.select("source_file, line_no, raw").order("source_file, line_no").limit(max_rows).to_arrow_table()
        )
    else:
        bad = ev[~ev["parse_ok"].fillna(False).astype(bool)]
        n_bad = len(bad)
    if bad.empty:
        display(HTML("<p>Every line parsed.</p>"))
        return
    cols = ["source_file", "line_no", "raw"]
    shown = bad[cols].assign(source_file=bad["source_file"].map(lambda p: Path(str(p)).name))
    show_table(
        shown.sort_values(["source_file", "line_no"]),
        max_rows=max_rows,
        caption=f"{n_bad:,} lines did not parse (panics, stack traces, truncated writes)",
    )


def detect_log_faults(evidence: LogEvidence) -> pd.DataFrame:
    """Error bursts, new error kinds and templates, pool/timeout/retry signals in the logs.

    Parameters
    ----------
    evidence : LogEvidence
        What :func:`get_log_evidence` returned; its windows are compared.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``) of :func:`apiprobe.analyze.detect_error_faults`.
    """
    return detect_error_faults(evidence.events, incident=evidence.incident, baseline=evidence.baseline)


def show_error_summary(evidence: LogEvidence) -> None:
    """Display the error kinds found: count, layer, whether a retry can help, services, an example.

    Parameters
    ----------
    evidence : LogEvidence
        What :func:`get_log_evidence` returned.
    """
    summary = error_summary(evidence.events)
    cols = [
        c
        for c in (
            "error_kind",
            "count",
            "share",
            "layer",
            "retryable",
            "services",
            "first_seen",
            "last_seen",
            "example",
        )
        if c in summary.columns
    ]
    show_table(
        summary[cols], caption="Error kinds (retryable: True helps, False never, — it depends)", float_format="{:.2f}"
    )


def show_template_changes(evidence: LogEvidence, *, top: int = 20) -> None:
    """Display message templates that are new or grew in the incident window.

    Parameters
    ----------
    evidence : LogEvidence
        What :func:`get_log_evidence` returned; without both windows a note says so.
    top : int, default 20
        Templates shown.
    """
    from IPython.display import HTML, display

    if evidence.incident is None or evidence.baseline is None:
        display(HTML("<p><i>Give an incident and a baseline window to compare message templates.</i></p>"))
        return
    table = compare_templates(evidence.events, incident=evidence.incident, baseline=evidence.baseline)
    changed = table[table["is_new"] | table["grew"]]
    if changed.empty:
        display(HTML("<p>No message template is new or grew in the incident window.</p>"))
        return
    cols = ["template", "level", "baseline_count", "incident_count", "ratio", "is_new", "example"]
    show_table(
        changed[cols],
        caption="Message templates new or grown in the incident window",
        max_rows=top,
        float_format="{:.1f}",
        highlight=changed["is_new"],
    )


def show_taxonomy() -> None:
    """Display the rules that turn Go error strings into error kinds, most specific first."""
    show_table(error_taxonomy(), caption="How error strings are classified (first match wins)", max_rows=80)
