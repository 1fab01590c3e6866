"""Notebook glue for 12_execution_trace: read a Go execution trace, show what it holds and where time went."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from apiprobe.analyze.gotrace import PROFILE_KINDS, region_summary, trace_profile
from apiprobe.analyze.profiles import profile_top
from apiprobe.errors import InvalidParameterError
from apiprobe.load.gotrace import GoTrace, parse_go_trace, read_go_trace
from apiprobe.notebook._common import heading
from apiprobe.notebook._display import show_table

__all__ = ["get_go_trace", "select_regions", "show_go_trace_overview", "show_go_trace_profiles", "show_region_table"]

_KIND_TEXT = {
    "net": "blocked on the network (go tool trace -pprof=net)",
    "sync": "blocked on channels, select, mutexes (go tool trace -pprof=sync)",
    "syscall": "in system calls (go tool trace -pprof=syscall)",
    "sched": "runnable, waiting for a P (go tool trace -pprof=sched)",
}


def get_go_trace(trace_path: str | os.PathLike[str] = "") -> GoTrace:
    """Read a Go execution trace; with no path, the demo's recorded trace.

    Parameters
    ----------
    trace_path : str or os.PathLike, optional
        The trace file; empty for the demo trace.

    Returns
    -------
    GoTrace
        The decoded trace.

    Raises
    ------
    TraceFormatError
        The file is not a Go 1.22+ execution trace (the message says what it looks like instead).
    """
    if trace_path:
        return read_go_trace(Path(trace_path))
    from apiprobe.demo import demo_go_trace

    return parse_go_trace(demo_go_trace(), source="demo checkout.trace")


def show_go_trace_overview(trace: GoTrace, *, title: str = "") -> None:
    """Display what the trace holds: version, span, goroutines, regions, tasks, and what could not be read.

    Parameters
    ----------
    trace : GoTrace
        From :func:`get_go_trace`.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    g = trace.goroutines
    user = int((~g["system"]).sum())
    regions, tasks = trace.regions, trace.tasks
    names = ", ".join(sorted(regions["region"].unique())[:12]) or "none"
    items = [
        f"format go 1.{trace.version}; {trace.duration_ns / 1e6:,.1f} ms in {trace.generations} generation(s); "
        f"{len(trace.arrays['ts']):,} events",
        f"{len(g):,} goroutines ({user:,} of the program, {len(g) - user:,} of the runtime)",
        f"{len(regions):,} regions ({html.escape(names)}); {len(tasks):,} tasks",
    ]
    notes = "".join(f"<li><b>Not read:</b> {html.escape(n)}</li>" for n in trace.notes)
    display(
        HTML(
            heading(title)
            + f"<p>Data: {html.escape(str(trace.source))}.</p><ul>"
            + "".join(f"<li>{i}</li>" for i in items)
            + notes
            + "</ul>"
        )
    )


def select_regions(trace: GoTrace, *, region: str = "", task: str = "") -> pd.DataFrame:
    """The trace's regions, narrowed to one region name and/or one task (by name or id).

    Parameters
    ----------
    trace : GoTrace
        From :func:`get_go_trace`.
    region : str, optional
        A region name; empty: all.
    task : str, optional
        A task name, or a task id in digits; empty: all.

    Returns
    -------
    pandas.DataFrame
        The matching rows of :attr:`GoTrace.regions`.

    Raises
    ------
    InvalidParameterError
        When the region or task is not in the trace (the message lists what is).
    """
    r = trace.regions
    if task:
        want = r["task"] == task
        if task.isdigit():
            want |= r["task_id"] == int(task)
        if not want.any():
            known = ", ".join(sorted(trace.tasks["task"].astype(str).unique())[:20])
            raise InvalidParameterError(f"no task {task!r} in the trace; tasks: {known or 'none'}")
        r = r[want]
    if region:
        if not (r["region"] == region).any():
            known = ", ".join(sorted(r["region"].unique())[:20])
            raise InvalidParameterError(
                f"no region {region!r} in the trace{' for that task' if task else ''}; regions: {known or 'none'}"
            )
        r = r[r["region"] == region]
    return r.reset_index(drop=True)


def show_region_table(regions: pd.DataFrame, *, n: int = 15) -> None:
    """The region names by p99, with where their slowest tenth spent its time.

    Parameters
    ----------
    regions : pandas.DataFrame
        From :func:`select_regions`.
    n : int, default 15
        Region names shown.
    """
    from IPython.display import HTML, display

    if regions.empty:
        display(
            HTML(
                "<p><i>The trace has no user regions (<code>trace.WithRegion</code>, "
                "<code>trace.StartRegion</code>).</i></p>"
            )
        )
        return
    summary = region_summary(regions)
    show_table(summary.head(n), caption=f"Region names by p99 (top {n})", float_format="{:.3f}")


def show_go_trace_profiles(trace: GoTrace, *, kinds: tuple[str, ...] = PROFILE_KINDS, n: int = 10) -> None:
    """For each blocking profile: its flame graph and top functions, as ``go tool trace -pprof`` gives them.

    Parameters
    ----------
    trace : GoTrace
        From :func:`get_go_trace`.
    kinds : tuple of str, default all four
        Which of ``net``, ``sync``, ``syscall``, ``sched``.
    n : int, default 10
        Functions listed per profile.
    """
    from IPython.display import HTML, display

    from apiprobe.plot.profiles import fig_flame

    for kind in kinds:
        prof = trace_profile(trace, kind)  # type: ignore[arg-type]
        total = prof.total("delay")
        display(HTML(f"<h3>{html.escape(kind)}: time {html.escape(_KIND_TEXT[kind])}</h3>"))
        if total == 0:
            display(HTML("<p><i>None in this trace.</i></p>"))
            continue
        fig_flame(prof, sample_index="delay", title=f"{kind}: {total / 1e6:,.1f} ms in all").show()
        top = profile_top(prof, sample_index="delay").head(n)
        top = top.assign(flat_ms=top["flat"] / 1e6, cum_ms=top["cum"] / 1e6)
        show_table(
            top[["function", "flat_ms", "flat_pct", "cum_ms", "cum_pct"]],
            caption=f"{kind}: top {n}",
            float_format="{:.2f}",
        )
