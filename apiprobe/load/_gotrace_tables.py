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

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from apiprobe.load._gotrace_specs import ASSIST, BLOCK0, EXEC, NOT_SET, SCHED, SYSBLOCK, SYSCALL, TOTAL

if TYPE_CHECKING:
    from apiprobe.load._gotrace_summary import TraceSummary

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


def _breakdown(stats: np.ndarray, reasons: list[str]) -> dict[str, np.ndarray]:
    """The time categories (ms) of stats rows (columns as in :class:`TraceSummary`)."""
    block = stats[:, BLOCK0:]
    net = np.array([r == "network" for r in reasons], bool)
    sync = np.array([is_sync_reason(r) for r in reasons], bool)
    gc = np.array(["GC" in r and not is_sync_reason(r) for r in reasons], bool)
    cols = {
        "exec_ms": stats[:, EXEC],
        "sched_wait_ms": stats[:, SCHED],
        "block_net_ms": block[:, net].sum(axis=1),
        "block_sync_ms": block[:, sync].sum(axis=1),
        "block_syscall_ms": stats[:, SYSCALL] + stats[:, SYSBLOCK],
        "gc_ms": block[:, gc].sum(axis=1),
    }
    cols["other_ms"] = stats[:, TOTAL] - sum(cols.values())
    return {k: v / 1e6 for k, v in cols.items()}


def _nullable(v: np.ndarray) -> pd.Series:
    return pd.Series(pd.array(v, dtype="Int64")).mask(v == NOT_SET).astype("Int64")


def goroutine_table(s: TraceSummary) -> pd.DataFrame:
    """One row per goroutine: ``goroutine, start_function, created_by, start, end, lifetime_ms``, the breakdown.

    ``start`` is when it first ran, ``end`` when it ended (ns since the
    trace's start; NA: never ran / still alive); ``creation`` when it was
    created or first seen; ``gc_assist_ms`` the part of ``exec_ms`` spent
    assisting the GC; ``system`` marks runtime goroutines.
    """
    df = pd.DataFrame(
        {
            "goroutine": s.goroutine,
            "start_function": s.name,
            "created_by": s.created_by,
            "creation": _nullable(s.creation),
            "start": _nullable(s.start),
            "end": _nullable(s.end),
            "lifetime_ms": s.stats[:, TOTAL] / 1e6,
            **_breakdown(s.stats, s.reasons),
            "gc_assist_ms": s.stats[:, ASSIST] / 1e6,
            "system": s.system,
        }
    )
    return df.sort_values("goroutine", kind="stable").reset_index(drop=True)


def region_table(s: TraceSummary) -> pd.DataFrame:
    """One row per named region: ``task, task_id, region, goroutine, depth, start, end, duration_ms``, the breakdown.

    ``start``/``end`` are ns since the trace's start, NA when the region
    began before the trace or had not ended when it stopped; ``duration_ms``
    then runs from the trace's start or to its end, as ``go tool trace``'s
    region pages measure it. ``depth`` is the nesting level on its
    goroutine (0: outermost); regions are sorted by start.
    """
    named = np.array([n != "" for n in s.region_name], bool)
    idx = np.flatnonzero(named)
    names = {tid: str(t["name"]) for tid, t in s.tasks.items()}
    start = s.region_start[idx]
    end = s.region_end[idx]
    dur = np.where(end == NOT_SET, s.end_ts, end) - np.where(start == NOT_SET, 0, start)
    df = pd.DataFrame(
        {
            "task": [names.get(int(t), "") for t in s.region_task[idx].tolist()],
            "task_id": s.region_task[idx].astype(np.int64),
            "region": [s.region_name[i] for i in idx.tolist()],
            "goroutine": s.region_goroutine[idx],
            "start": _nullable(start),
            "end": _nullable(end),
            "duration_ms": dur / 1e6,
            **_breakdown(s.region_stats[idx], s.reasons),
        }
    )
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


def task_table(s: TraceSummary) -> pd.DataFrame:
    """One row per task: ``task_id, task, parent_id, start, end, duration_ms, goroutines, regions, logs, complete``."""
    nreg: dict[int, int] = {}
    for t, n in zip(s.region_task.tolist(), s.region_name, strict=True):
        if n:
            nreg[t] = nreg.get(t, 0) + 1
    rows = []
    for tid, t in s.tasks.items():
        start, end = t["start"], t["end"]
        b = 0 if start is None else int(start)  # type: ignore[call-overload]
        e = s.end_ts if end is None else int(end)  # type: ignore[call-overload]
        rows.append(
            [
                tid,
                t["name"],
                t["parent"],
                start,
                end,
                (e - b) / 1e6,
                len(t["goroutines"]),  # type: ignore[arg-type]
                nreg.get(tid, 0),
                t["logs"],
                start is not None and end is not None,
            ]
        )
    cols = ["task_id", "task", "parent_id", "start", "end", "duration_ms", "goroutines", "regions", "logs", "complete"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("start", "end"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    return df.sort_values("task_id", kind="stable").reset_index(drop=True)
