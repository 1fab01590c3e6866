"""What each goroutine was doing, when: state intervals from a Go execution trace's transitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from apiprobe.load._gotrace_tables import is_sync_reason
from apiprobe.load.gotrace import GoTrace

__all__ = ["CATEGORIES", "goroutine_states", "region_summary"]

#: Time categories in display order (the breakdown columns without ``_ms``).
CATEGORIES = ("exec", "sched_wait", "block_net", "block_sync", "block_syscall", "gc", "other")
_STATE = {2: "runnable", 3: "running", 4: "waiting", 5: "syscall"}


def _category(state: int, reason: str) -> str:
    if state == 3:
        return "exec"
    if state == 2:
        return "sched_wait"
    if state == 5:
        return "block_syscall"
    if state == 4:
        if reason == "network":
            return "block_net"
        if is_sync_reason(reason):
            return "block_sync"
        if "GC" in reason:
            return "gc"
    return "other"


def goroutine_states(trace: GoTrace, goroutines: object = None) -> pd.DataFrame:
    """One row per stretch a goroutine spent in one state.

    Parameters
    ----------
    trace : GoTrace
        From :func:`~apiprobe.load.read_go_trace`.
    goroutines : list-like of int, optional
        Only these goroutines (default: all).

    Returns
    -------
    pandas.DataFrame
        ``goroutine, state`` (``running``, ``runnable``, ``waiting``,
        ``syscall``), ``category`` (one of :data:`CATEGORIES`, as the
        goroutine table's breakdown), ``reason`` (why it blocked), ``start``,
        ``end`` (ns since the trace's start; a stretch still open at the end
        of the trace ends there), ``duration_ms``, and ``gen``/``stack_id`` of
        the event that began it (the blocking stack).
    """
    a = trace.arrays
    rows = np.flatnonzero(a["state_goroutine"] >= 0)
    if goroutines is not None:
        want = np.asarray(list(goroutines), dtype=np.int64)  # type: ignore[call-overload]
        rows = rows[np.isin(a["state_goroutine"][rows], want)]
    g = a["state_goroutine"][rows]
    order = np.argsort(g, kind="stable")  # per goroutine, in Go's order
    rows, g = rows[order], g[order]
    ts = a["ts"][rows]
    to = a["to_state"][rows]
    nxt = np.append(ts[1:], 0)
    same = np.append(g[1:] == g[:-1], False)
    end = np.where(same, nxt, trace.duration_ns)
    keep = np.isin(to, list(_STATE)) & (end >= ts)
    rows, g, ts, to, end = rows[keep], g[keep], ts[keep], to[keep], end[keep]
    rid, gen = a["reason_id"][rows], a["gen"][rows]
    reasons = [trace.strings.get((x, y), "") if y > 0 else "" for x, y in zip(gen.tolist(), rid.tolist(), strict=True)]
    state = [_STATE[s] for s in to.tolist()]
    return pd.DataFrame(
        {
            "goroutine": g,
            "state": pd.Categorical(state, categories=list(_STATE.values())),
            "category": pd.Categorical(
                [_category(s, r) for s, r in zip(to.tolist(), reasons, strict=True)], categories=list(CATEGORIES)
            ),
            "reason": reasons,
            "start": ts,
            "end": end,
            "duration_ms": (end - ts) / 1e6,
            "gen": gen,
            "stack_id": a["stack_id"][rows],
        }
    )


def region_summary(regions: pd.DataFrame) -> pd.DataFrame:
    """Per region name: how many, median, p90, p99 and max duration, and where the slow ones' time went.

    Parameters
    ----------
    regions : pandas.DataFrame
        :attr:`GoTrace.regions`.

    Returns
    -------
    pandas.DataFrame
        ``region, count, p50_ms, p90_ms, p99_ms, max_ms``, then for the
        instances at or above the region's p90 the mean share of each time
        category (``share_exec`` …), and ``dominant``: the category with the
        largest share among those slow instances. Sorted by ``p99_ms``.
    """
    rows = []
    for name, grp in regions.groupby("region", sort=False):
        d = grp["duration_ms"].to_numpy()
        p50, p90, p99 = (float(np.quantile(d, q, method="nearest")) for q in (0.5, 0.9, 0.99))
        slow = grp[grp["duration_ms"] >= p90]
        parts = slow[[f"{c}_ms" for c in CATEGORIES]].sum()
        total = float(parts.sum())
        share = {f"share_{c}": (float(parts[f"{c}_ms"]) / total if total > 0 else 0.0) for c in CATEGORIES}
        dominant = max(CATEGORIES, key=lambda c: share[f"share_{c}"]) if total > 0 else "other"
        rows.append(
            {
                "region": name,
                "count": len(grp),
                "p50_ms": p50,
                "p90_ms": p90,
                "p99_ms": p99,
                "max_ms": float(d.max()),
                **share,
                "dominant": dominant,
            }
        )
    cols = ["region", "count", "p50_ms", "p90_ms", "p99_ms", "max_ms", *(f"share_{c}" for c in CATEGORIES), "dominant"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("p99_ms", ascending=False, kind="stable").reset_index(drop=True)
