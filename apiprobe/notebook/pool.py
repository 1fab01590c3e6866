"""Notebook glue for 06_pool_exhaustion: goroutine dumps, a concurrency sweep, and their display."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apiprobe.analyze.pool import compare_dumps
from apiprobe.load.goroutines import parse_goroutines, read_goroutines
from apiprobe.load.logs import read_logs
from apiprobe.notebook._common import heading
from apiprobe.notebook._display import show_table
from apiprobe.probe.concurrency import probe_concurrency
from apiprobe.schema import conform

__all__ = [
    "PoolEvidence",
    "get_pool_evidence",
    "show_dump_comparison",
    "show_goroutine_groups",
    "show_pool_logs",
    "show_pool_overview",
    "show_sweep",
]


@dataclass(frozen=True)
class PoolEvidence:
    """Goroutine dumps, pool-related log lines and a concurrency sweep under review (each may be absent).

    Attributes
    ----------
    goroutines : pandas.DataFrame
        The first dump, one row per goroutine, schema ``goroutines`` (empty without a dump).
    later : pandas.DataFrame or None
        A later dump to compare with, if any.
    sweep : pandas.DataFrame or None
        Per concurrency level of :func:`apiprobe.probe_concurrency`, if a sweep ran
        (its ``attrs["knee"]`` is the level where latency turns up).
    source : str
        Where the evidence came from, in words.
    events : pandas.DataFrame or None
        Log lines (schema ``events``), if logs were given.
    """

    goroutines: pd.DataFrame
    later: pd.DataFrame | None
    sweep: pd.DataFrame | None
    source: str
    events: pd.DataFrame | None = None


def get_pool_evidence(
    *,
    dump_path: str | os.PathLike[str] = "",
    later_dump_path: str | os.PathLike[str] = "",
    logs_path: str | os.PathLike[str] = "",
    sweep_url: str = "",
    levels: tuple[int, ...] = (1, 2, 4, 8, 16),
    requests_per_level: int = 24,
) -> PoolEvidence:
    """Read goroutine dumps and/or logs, and optionally sweep concurrency against one URL.

    Parameters
    ----------
    dump_path, later_dump_path
        debug=2 or debug=1 goroutine dumps; the later one is compared with the first.
    logs_path
        Service logs (any Go logger; a file, folder or glob): lines such as
        ``pg: connection pool timeout`` or ``request canceled while waiting
        for connection`` are pool waits.
    sweep_url
        A URL to sweep (bounded: ``levels`` × ``requests_per_level`` requests), ``"lab"``
        for the fault lab's pool-limited upstream, or ``""`` for no sweep.
    levels
        Concurrency levels of the sweep.
    requests_per_level
        Requests sent at each level.

    With no dump, logs or sweep, the demo dumps are used (38 goroutines waiting
    for an HTTP pool of 2, then 83 a few minutes later) and the fault lab's
    pool is swept.

    Returns
    -------
    PoolEvidence
        The dumps, logs and sweep (each possibly absent) and their source.
    """
    later: pd.DataFrame | None = None
    parts: list[str] = []
    if not dump_path and not logs_path and not sweep_url:
        from apiprobe.demo import demo_dump_pair

        before, after = demo_dump_pair()
        goroutines = parse_goroutines(before, source="demo dump (before)")
        later = parse_goroutines(after, source="demo dump (after)")
        parts.append("the demo service's goroutine dumps, a few minutes apart")
        sweep_url = "lab"
    elif dump_path:
        goroutines = read_goroutines(Path(dump_path))
        later = read_goroutines(Path(later_dump_path)) if later_dump_path else None
        parts.append(
            f"goroutine dump {Path(dump_path).name}"
            + (f" and a later one, {Path(later_dump_path).name}" if later_dump_path else "")
        )
    else:
        goroutines = conform(None, "goroutines")
    events = None
    if logs_path:
        events = read_logs(logs_path)
        parts.append(f"{len(events):,} log lines from {Path(logs_path).name}")
    sweep = None
    if sweep_url == "lab":
        from apiprobe.lab import FaultLab

        with FaultLab(tls=False, dns=False) as lab:
            sweep = probe_concurrency(lab.url("pool"), levels=levels, requests_per_level=requests_per_level)
        parts.append("concurrency sweep of the fault lab's pool-limited upstream (2 at a time, 50 ms each)")
    elif sweep_url:
        sweep = probe_concurrency(sweep_url, levels=levels, requests_per_level=requests_per_level)
        parts.append(f"concurrency sweep of {sweep_url}")
    return PoolEvidence(goroutines=goroutines, later=later, sweep=sweep, source="; ".join(parts), events=events)


def show_pool_logs(evidence: PoolEvidence) -> None:
    """Display pool waits found in the logs: per minute and service (or say no logs were given).

    Parameters
    ----------
    evidence : PoolEvidence
        What :func:`get_pool_evidence` returned.
    """
    from IPython.display import HTML, display

    from apiprobe.analyze.error_kinds import classify_errors, error_counts
    from apiprobe.plot.error_kinds import fig_error_counts

    if evidence.events is None or evidence.events.empty:
        display(HTML("<p><i>No logs (parameter <code>logs_path</code>).</i></p>"))
        return
    classified = classify_errors(evidence.events)
    pool = classified[
        classified["error_kind"].isin(["pool_timeout", "canceled", "deadline_exceeded"]).fillna(False).astype(bool)
    ]
    if pool.empty:
        display(HTML("<p>No pool waits, cancellations or deadline errors in the logs.</p>"))
        return
    fig_error_counts(
        error_counts(pool, by=("error_kind",)), title="Pool waits and the cancellations around them, per minute"
    ).show()
    table = (
        pool.groupby(["service", "error_kind"])
        .agg(lines=("ts", "size"), first=("ts", "min"), last=("ts", "max"))
        .reset_index()
    )
    show_table(table, caption="Pool-related log lines per service", float_format="{:.0f}")


def show_pool_overview(evidence: PoolEvidence, *, title: str = "") -> None:
    """Display the data source and goroutine counts per wait site.

    Parameters
    ----------
    evidence : PoolEvidence
        What :func:`get_pool_evidence` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    g = evidence.goroutines
    head = heading(title)
    if g.empty:
        display(HTML(head + f"<p>Data: {html.escape(evidence.source)}; no goroutine dump.</p>"))
        return
    total = int(g["count"].sum())
    display(HTML(head + f"<p>Data: {html.escape(evidence.source)}; {total} goroutines in the first dump.</p>"))
    per_site = g.groupby("wait_site", dropna=False)["count"].sum().sort_values(ascending=False)
    show_table(per_site.rename("goroutines").reset_index(), caption="Goroutines per wait site")


def show_goroutine_groups(evidence: PoolEvidence, *, max_rows: int = 30) -> None:
    """Display the goroutines grouped by stack, largest group first, pool waits highlighted.

    Parameters
    ----------
    evidence : PoolEvidence
        What :func:`get_pool_evidence` returned.
    max_rows : int, default 30
        Groups shown.
    """
    from IPython.display import HTML, display

    from apiprobe.analyze.pool import group_goroutines

    if evidence.goroutines.empty:
        display(HTML("<p><i>No goroutine dump (parameter <code>dump_path</code>).</i></p>"))
        return
    groups = group_goroutines(evidence.goroutines)
    cols = ["count", "wait_site", "states", "wait_minutes", "top_function", "app_function", "created_by"]
    shown = groups[[c for c in cols if c in groups.columns]]
    show_table(
        shown,
        caption="Goroutines grouped by stack (largest first)",
        max_rows=max_rows,
        highlight=groups["wait_site"].isin(["http_pool_wait", "sql_pool_wait", "pool_wait"]),
    )


def show_dump_comparison(evidence: PoolEvidence) -> None:
    """Display which groups are new or grew between the two dumps (or say there is one dump).

    Parameters
    ----------
    evidence : PoolEvidence
        What :func:`get_pool_evidence` returned.
    """
    from IPython.display import HTML, display

    if evidence.goroutines.empty:
        display(HTML("<p><i>No goroutine dump to compare (parameter <code>dump_path</code>).</i></p>"))
        return
    if evidence.later is None:
        display(HTML("<p><i>One dump only (parameter <code>later_dump_path</code>).</i></p>"))
        return
    diff = compare_dumps(evidence.goroutines, evidence.later)
    changed = diff[diff["change"] != "same"]
    show_table(
        changed,
        caption="Groups that changed between the dumps",
        max_rows=30,
        highlight=changed["change"].isin(["new", "grown"]),
    )


def show_sweep(evidence: PoolEvidence) -> None:
    """Show the concurrency sweep figure and table (or say no sweep was run).

    Parameters
    ----------
    evidence : PoolEvidence
        What :func:`get_pool_evidence` returned.
    """
    from IPython.display import HTML, display

    from apiprobe.plot.pool import fig_sweep

    if evidence.sweep is None:
        display(HTML("<p><i>No concurrency sweep (parameter <code>sweep_url</code>).</i></p>"))
        return
    fig_sweep(evidence.sweep, knee=evidence.sweep.attrs.get("knee")).show()
    show_table(evidence.sweep, caption="Per concurrency level", float_format="{:.1f}")
