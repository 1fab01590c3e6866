"""Notebook glue for 06_pool_exhaustion: goroutine dumps, a concurrency sweep, and their display."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from apiprobe.analyze.pool import compare_dumps
from apiprobe.demo_goroutines import demo_dump_pair
from apiprobe.load.goroutines import read_goroutines
from apiprobe.notebook._display import show_table
from apiprobe.probe.concurrency import probe_concurrency

__all__ = [
    "PoolEvidence",
    "get_pool_evidence",
    "show_dump_comparison",
    "show_goroutine_groups",
    "show_pool_overview",
    "show_sweep",
]


@dataclass(frozen=True)
class PoolEvidence:
    """Goroutine dumps (and optionally a later one and a concurrency sweep) under review."""

    goroutines: pd.DataFrame
    later: pd.DataFrame | None
    sweep: pd.DataFrame | None
    source: str


def get_pool_evidence(
    *,
    dump_path: str | os.PathLike[str] = "",
    later_dump_path: str | os.PathLike[str] = "",
    sweep_url: str = "",
    levels: tuple[int, ...] = (1, 2, 4, 8, 16),
    requests_per_level: int = 24,
) -> PoolEvidence:
    """Read goroutine dumps and optionally sweep concurrency against one URL.

    Parameters
    ----------
    dump_path, later_dump_path
        debug=2 or debug=1 goroutine dumps; the later one is compared with the first.
    sweep_url
        A URL to sweep (bounded: ``levels`` × ``requests_per_level`` requests), ``"lab"``
        for the fault lab's pool-limited upstream, or ``""`` for no sweep.

    With no ``dump_path``, the demo dumps are used (38 goroutines waiting for an
    HTTP pool of 2, then 83 a few minutes later) and the fault lab's pool is swept.
    """
    later: pd.DataFrame | None
    if not dump_path:
        before, after = demo_dump_pair()
        goroutines = read_goroutines(before, source="demo dump (before)")
        later = read_goroutines(after, source="demo dump (after)")
        source = "the demo service's goroutine dumps, a few minutes apart"
        sweep_url = sweep_url or "lab"
    else:
        goroutines = read_goroutines(Path(dump_path))
        later = read_goroutines(Path(later_dump_path)) if later_dump_path else None
        source = f"goroutine dump {Path(dump_path).name}" + (
            f" and a later one, {Path(later_dump_path).name}" if later_dump_path else "")
    sweep = None
    if sweep_url == "lab":
        from apiprobe.lab import FaultLab

        with FaultLab(tls=False, dns=False) as lab:
            sweep = probe_concurrency(lab.url("pool"), levels=levels, requests_per_level=requests_per_level)
        source += "; concurrency sweep of the fault lab's pool-limited upstream (2 at a time, 50 ms each)"
    elif sweep_url:
        sweep = probe_concurrency(sweep_url, levels=levels, requests_per_level=requests_per_level)
        source += f"; concurrency sweep of {sweep_url}"
    return PoolEvidence(goroutines=goroutines, later=later, sweep=sweep, source=source)


def show_pool_overview(evidence: PoolEvidence, *, title: str = "") -> Any:
    """Display the data source and goroutine counts per wait site."""
    from IPython.display import HTML, display

    g = evidence.goroutines
    head = f"<h2>{html.escape(title)}</h2>" if title else ""
    total = int(g["count"].sum()) if len(g) else 0
    display(HTML(head + f"<p>Data: {html.escape(evidence.source)}; {total} goroutines in the first dump.</p>"))
    per_site = g.groupby("wait_site", dropna=False)["count"].sum().sort_values(ascending=False)
    return show_table(per_site.rename("goroutines").reset_index(), caption="Goroutines per wait site")


def show_goroutine_groups(evidence: PoolEvidence, *, max_rows: int = 30) -> Any:
    """Display the goroutines grouped by stack, largest group first, pool waits highlighted."""
    from apiprobe.analyze.pool import group_goroutines

    groups = group_goroutines(evidence.goroutines)
    cols = ["count", "wait_site", "states", "wait_minutes", "top_function", "app_function", "created_by"]
    shown = groups[[c for c in cols if c in groups.columns]]
    return show_table(shown, caption="Goroutines grouped by stack (largest first)", max_rows=max_rows,
                      highlight=groups["wait_site"].isin(["http_pool_wait", "sql_pool_wait", "pool_wait"]))


def show_dump_comparison(evidence: PoolEvidence) -> Any:
    """Display which groups are new or grew between the two dumps (or say there is one dump)."""
    from IPython.display import HTML, display

    if evidence.later is None:
        return display(HTML("<p><i>One dump only (parameter <code>later_dump_path</code>).</i></p>"))
    diff = compare_dumps(evidence.goroutines, evidence.later)
    changed = diff[diff["change"] != "same"]
    return show_table(changed, caption="Groups that changed between the dumps", max_rows=30,
                      highlight=changed["change"].isin(["new", "grown"]))


def show_sweep(evidence: PoolEvidence) -> Any:
    """Show the concurrency sweep figure and table (or say no sweep was run)."""
    from IPython.display import HTML, display

    from apiprobe.plot.pool import fig_sweep

    if evidence.sweep is None:
        return display(HTML("<p><i>No concurrency sweep (parameter <code>sweep_url</code>).</i></p>"))
    fig_sweep(evidence.sweep, knee=evidence.sweep.attrs.get("knee")).show()
    return show_table(evidence.sweep, caption="Per concurrency level", float_format="{:.1f}")
