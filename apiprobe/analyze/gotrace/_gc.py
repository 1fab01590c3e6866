"""Garbage collection in a Go execution trace: stop-the-world pauses and the minimum mutator utilization curve.

Mutator utilization at a moment is the share of the Ps (GOMAXPROCS) free
for the program: a stop-the-world pause for the GC takes them all, a GC
background mark worker running takes its P, and a goroutine running a mark
assist takes its own. The minimum mutator utilization (MMU) for a window
``w`` is the worst mean utilization over any ``w``-long stretch of the
trace: "in the worst 10 ms, the program had 35 % of its CPU". This follows
the idea of ``go tool trace``'s MMU page (``internal/trace/gc.go``, with
STW, background workers and assists counted, sweeping not); its numbers
are not meant to match Go's to the nanosecond.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from apiprobe.analyze.gotrace._states import goroutine_states
from apiprobe.load.gotrace import EV, GoTrace

__all__ = ["DEFAULT_WINDOWS_MS", "gc_pauses", "mmu_curve"]

DEFAULT_WINDOWS_MS: tuple[float, ...] = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def gc_pauses(trace: GoTrace) -> pd.DataFrame:
    """Every stop-the-world pause in the trace.

    Parameters
    ----------
    trace : GoTrace
        From :func:`~apiprobe.load.read_go_trace`.

    Returns
    -------
    pandas.DataFrame
        ``kind`` (``GC mark termination`` …), ``start``, ``end`` (ns since
        the trace's start), ``duration_ms``, and ``gc``: True for the
        collector's own pauses (kinds starting with ``GC``); other pauses
        (starting the trace, ``GOMAXPROCS``, ``ReadMemStats``) are listed too.
    """
    a = trace.arrays
    typ = a["typ"]
    rows = np.flatnonzero(np.isin(typ, (EV["STWBegin"], EV["STWEnd"])))
    open_: dict[int, int] = {}
    out = []
    for i in rows.tolist():
        g = int(a["goroutine"][i])
        if typ[i] == EV["STWBegin"]:
            open_[g] = i
        elif g in open_:
            b = open_.pop(g)
            kind = trace.strings.get((int(a["gen"][b]), int(a["name_id"][b])), "")
            out.append((kind, int(a["ts"][b]), int(a["ts"][i])))
    df = pd.DataFrame(out, columns=["kind", "start", "end"])
    df["duration_ms"] = (df["end"] - df["start"]) / 1e6
    df["gc"] = df["kind"].str.startswith("GC")
    return df


def _procs(trace: GoTrace) -> tuple[np.ndarray, np.ndarray]:
    """GOMAXPROCS over time: (times, values) from ProcsChange events."""
    a = trace.arrays
    rows = np.flatnonzero(a["typ"] == EV["ProcsChange"])
    if not len(rows):
        n = int(a["proc"].max(initial=0)) + 1
        return np.array([0]), np.array([max(n, 1)])
    return a["ts"][rows], np.maximum(a["value"][rows], 1)


def _utilization(trace: GoTrace) -> tuple[np.ndarray, np.ndarray]:
    """Mutator utilization as a step function: (breakpoints, value on [b_i, b_i+1))."""
    end = trace.duration_ns
    changes: list[tuple[np.ndarray, np.ndarray]] = []  # (times, +/- busy Ps)
    g = trace.goroutines
    workers = g.loc[g["start_function"] == "runtime.gcBgMarkWorker", "goroutine"].to_numpy()
    if len(workers):
        st = goroutine_states(trace, workers)
        run = st[st["state"] == "running"]
        changes.append((run["start"].to_numpy(), np.ones(len(run))))
        changes.append((run["end"].to_numpy(), -np.ones(len(run))))
    a = trace.arrays
    typ = a["typ"]
    rows = np.flatnonzero(np.isin(typ, (EV["GCMarkAssistBegin"], EV["GCMarkAssistEnd"])))
    sign = np.where(typ[rows] == EV["GCMarkAssistBegin"], 1.0, -1.0)
    if len(rows):
        # an assist already running at the start ends without a begin: count it from 0
        bal: dict[int, float] = {}
        for gid, s in zip(a["goroutine"][rows].tolist(), sign.tolist(), strict=True):
            bal[gid] = bal.get(gid, 0) + s
        changes.append((a["ts"][rows], sign))
        opened = -sum(min(0.0, v) for v in bal.values())
        if opened:
            changes.append((np.array([0]), np.array([opened])))
    pt, pv = _procs(trace)
    pauses = gc_pauses(trace)
    stw = pauses[pauses["gc"]]
    cuts = [np.array([0, end]), pt, stw["start"].to_numpy(), stw["end"].to_numpy()]
    cuts += [t for t, _ in changes]
    b = np.unique(np.clip(np.concatenate(cuts), 0, end))
    busy = np.zeros(len(b))
    for t, d in changes:
        idx = np.searchsorted(b, np.clip(t, 0, end))
        np.add.at(busy, idx, d)
    busy = np.cumsum(busy)
    procs = pv[np.clip(np.searchsorted(pt, b, side="right") - 1, 0, len(pv) - 1)]
    util = 1.0 - np.clip(busy, 0, None) / procs
    in_stw = np.zeros(len(b), bool)
    for s, e in zip(stw["start"].tolist(), stw["end"].tolist(), strict=True):
        in_stw[(b >= s) & (b < e)] = True
    util[in_stw] = 0.0
    return b, np.clip(util, 0.0, 1.0)


def mmu_curve(trace: GoTrace, windows_ms: Sequence[float] | None = None) -> pd.DataFrame:
    """Minimum mutator utilization for each window size.

    Parameters
    ----------
    trace : GoTrace
        From :func:`~apiprobe.load.read_go_trace`.
    windows_ms : sequence of float, optional
        Window lengths (default :data:`DEFAULT_WINDOWS_MS`, 0.1 ms to 1 s);
        windows longer than the trace are left out.

    Returns
    -------
    pandas.DataFrame
        ``window_ms, mmu``: in the worst window of that length, the share of
        the CPU (0–1) the program had.
    """
    b, u = _utilization(trace)
    end = float(trace.duration_ns)
    wins = [w for w in (windows_ms or DEFAULT_WINDOWS_MS) if w * 1e6 <= end]
    if len(b) < 2:
        return pd.DataFrame({"window_ms": wins, "mmu": [1.0] * len(wins)})
    seg = np.diff(b) * u[:-1]
    integral = np.concatenate([[0.0], np.cumsum(seg)])  # integral of utilization at each breakpoint
    out = []
    for w in wins:
        wn = w * 1e6
        cand = np.concatenate([b, b - wn])
        cand = cand[(cand >= 0) & (cand + wn <= end)]
        vals = (np.interp(cand + wn, b, integral) - np.interp(cand, b, integral)) / wn
        out.append(float(vals.min()) if len(vals) else 1.0)
    return pd.DataFrame({"window_ms": wins, "mmu": out})
