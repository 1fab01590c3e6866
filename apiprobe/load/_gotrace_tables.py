"""The goroutine, region and task tables of a Go execution trace (from :mod:`._gotrace_summary`).

Time categories, in ms, that add up to the goroutine's (or region's) life:

``exec_ms``
    running on a P (Go's "Execution time"; GC mark assists included, also
    given alone as ``gc_assist_ms``);
``sched_wait_ms``
    runnable, waiting for a P ("Sched wait time"; after a syscall that lost
    its P too);
``block_net_ms``
    blocked on the network poller (reason ``network``, what ``-pprof=net`` counts);
``block_sync_ms``
    blocked on a channel, ``select``, a mutex or ``sync.Cond`` (reasons
    containing ``chan``, ``select`` or ``sync``, what ``-pprof=sync`` counts);
``block_syscall_ms``
    in a system call, whether or not it blocked ("Syscall execution time" +
    "Block time (syscall)");
``gc_ms``
    blocked because of the GC (reasons with ``GC``: mark assist waiting for
    work, waiting until the GC ends, ...);
``other_ms``
    the rest: other block reasons (``sleep``, ``preempted``, ...) and time
    Go cannot attribute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apiprobe.load._gotrace_summary import GoStats, TraceSummary

__all__ = ["BREAKDOWN", "goroutine_table", "is_sync_reason", "region_table", "task_table"]

BREAKDOWN = (
    "exec_ms",
    "sched_wait_ms",
    "block_net_ms",
    "block_sync_ms",
    "block_syscall_ms",
    "gc_ms",
    "other_ms",
)


def is_sync_reason(reason: str) -> bool:
    """The block reasons ``go tool trace -pprof=sync`` counts."""
    return "chan" in reason or "sync" in reason or "select" in reason


def _breakdown(s: GoStats) -> list[float]:
    net = s.block.get("network", 0)
    sync = sum(v for k, v in s.block.items() if is_sync_reason(k))
    gc = sum(v for k, v in s.block.items() if "GC" in k and not is_sync_reason(k))
    known = s.exec + s.sched_wait + net + sync + s.syscall + s.syscall_block + gc
    vals = [s.exec, s.sched_wait, net, sync, s.syscall + s.syscall_block, gc, s.total - known]
    return [v / 1e6 for v in vals]


def goroutine_table(summary: TraceSummary) -> pd.DataFrame:
    """One row per goroutine: ``goroutine, start_function, created_by, start, end, lifetime_ms``, the breakdown.

    ``start`` is when it first ran, ``end`` when it ended (ns since the
    trace's start; NA: never ran / still alive); ``creation`` when it was
    created or first seen; ``system`` marks runtime goroutines.
    """
    rows = []
    for g in summary.goroutines.values():
        s = g.stats
        rows.append(
            [g.id, g.name, g.created_by, g.creation, g.start, g.end, s.total / 1e6, *_breakdown(s),
             s.ranges.get("GC mark assist", 0) / 1e6, g.name == "" or (g.name != "runtime.main" and g.name.startswith("runtime."))]
        )  # fmt: skip
    cols = ["goroutine", "start_function", "created_by", "creation", "start", "end", "lifetime_ms", *BREAKDOWN,
            "gc_assist_ms", "system"]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    for c in ("creation", "start", "end"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    return df.sort_values("goroutine", kind="stable").reset_index(drop=True)


def region_table(summary: TraceSummary) -> pd.DataFrame:
    """One row per named region: ``task, task_id, region, goroutine, start, end, duration_ms``, the breakdown.

    ``start``/``end`` are ns since the trace's start, NA when the region
    began before the trace or had not ended when it stopped; ``duration_ms``
    then runs from the trace's start or to its end, as ``go tool trace``'s
    region pages measure it. ``depth`` is the nesting level on its
    goroutine (0: outermost); regions are sorted by start.
    """
    names = {tid: str(t["name"]) for tid, t in summary.tasks.items()}
    rows = []
    for r in summary.regions:
        if r.name == "":
            continue  # the pseudo-region of a goroutine created inside a region
        start = 0 if r.start is None else r.start
        end = summary.end_ts if r.end is None else r.end
        s = r.stats
        rows.append([names.get(r.task, ""), r.task, r.name, r.goroutine, r.start, r.end, (end - start) / 1e6,
                     *_breakdown(s)])  # fmt: skip
    cols = ["task", "task_id", "region", "goroutine", "start", "end", "duration_ms", *BREAKDOWN]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("start", "end"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    df["task_id"] = df["task_id"].astype(np.int64)
    df = df.sort_values(["start", "goroutine"], kind="stable", na_position="first").reset_index(drop=True)
    df.insert(4, "depth", _depth(df))
    return df


def _depth(df: pd.DataFrame) -> np.ndarray:
    """Nesting level of each region among the regions of its goroutine."""
    out = np.zeros(len(df), np.int64)
    start = df["start"].fillna(-1).to_numpy(np.int64)
    end = df["end"].fillna(np.iinfo(np.int64).max).to_numpy(np.int64)
    for _, idx in df.groupby("goroutine", sort=False).indices.items():
        open_ends: list[int] = []
        for i in idx:
            while open_ends and open_ends[-1] <= start[i]:
                open_ends.pop()
            out[i] = len(open_ends)
            open_ends.append(end[i])
    return out


def task_table(summary: TraceSummary) -> pd.DataFrame:
    """One row per task: ``task_id, task, parent_id, start, end, duration_ms, goroutines, regions, logs, complete``."""
    nreg: dict[int, int] = {}
    for r in summary.regions:
        if r.name:
            nreg[r.task] = nreg.get(r.task, 0) + 1
    rows = []
    for tid, t in summary.tasks.items():
        start, end = t["start"], t["end"]
        s = 0 if start is None else int(start)  # type: ignore[call-overload]
        e = summary.end_ts if end is None else int(end)  # type: ignore[call-overload]
        rows.append([tid, t["name"], t["parent"], start, end, (e - s) / 1e6, len(t["goroutines"]),  # type: ignore[arg-type]
                     nreg.get(tid, 0), t["logs"], start is not None and end is not None])  # fmt: skip
    cols = ["task_id", "task", "parent_id", "start", "end", "duration_ms", "goroutines", "regions", "logs", "complete"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("start", "end"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    return df.sort_values("task_id", kind="stable").reset_index(drop=True)
