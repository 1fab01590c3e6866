"""Go's event order for an execution trace: a port of ``internal/trace``'s reader and ``order.go``.

Events are written per thread (M) and carry sequence numbers, not a global
order. Go's reader merges the per-M streams of a generation with a min-heap
keyed by each stream's next timestamp and emits an event only when its
preconditions hold (``GoStart g seq`` needs ``g`` runnable at ``seq - 1``,
``ProcStart`` the next sequence of its P, ``GCBegin``/``GCEnd`` the next GC
number, ...). It tracks which G and P each M is running, which gives every
event its context, adds the events Go synthesises (a ``GoSwitch`` becomes
``GoSwitch`` + ``GoBlock`` + ``GoStart``; a ``GoDestroySyscall`` that held a
P adds a ``ProcSteal``), injects CPU samples by time, emits a ``Sync`` event
at the start of each generation and at the end, and finally bumps any time
not greater than the previous one to ``previous + 1`` ns.

This module does the same, step for step, so that the times, contexts and
state transitions equal what ``go tool trace`` computes from. The heap is
Go's own (same sift rules, so ties between Ms resolve alike). Range
bookkeeping (GC sweeps and mark assists) is tracked only as far as the
stop-the-world kind on ``STWEnd`` needs; Go's extra consistency checks of
ranges are not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from apiprobe.errors import TraceFormatError
from apiprobe.load._gotrace_specs import (
    GC_MARK_ASSIST_ACTIVE,
    GC_SWEEP_ACTIVE,
    GO_CREATE,
    GO_CREATE_BLOCKED,
    GO_CREATE_SYSCALL,
    GO_DESTROY_SYSCALL,
    GO_START,
    GO_STATUS,
    GO_STATUS_STACK,
    GO_SWITCH,
    GO_SWITCH_DESTROY,
    GO_UNBLOCK,
    PROC_START,
    PROC_STATUS,
    PROC_STEAL,
    USER_REGION_BEGIN,
    USER_REGION_END,
    USER_TASK_BEGIN,
    USER_TASK_END,
    dense_codes,
    type_mask,
)

__all__ = ["Generation", "Ordered", "order_events"]

_NONE = -1  # NoGoroutine / NoProc / NoThread / NoTask
# events whose first argument is a goroutine / a proc
_G_ARG0 = (
    GO_START,
    GO_UNBLOCK,
    GO_CREATE,
    GO_CREATE_BLOCKED,
    GO_CREATE_SYSCALL,
    GO_STATUS,
    GO_STATUS_STACK,
    GO_SWITCH,
    GO_SWITCH_DESTROY,
    GC_MARK_ASSIST_ACTIVE,
)
_P_ARG0 = (PROC_START, PROC_STEAL, PROC_STATUS, GC_SWEEP_ACTIVE)


@dataclass
class Generation:
    """One generation's timed events, as the reader needs them.

    ``cursors`` lists ``(m, lo, hi)`` per thread in the order the thread's
    first batch appears: the thread's events are rows ``lo:hi`` of the
    trace-wide event arrays, in the order that thread wrote them.
    """

    gen: int
    min_ts: int  # ns, Go's time of the generation's earliest batch
    cursors: list[tuple[int, int, int]]
    cpu_t: list[int]  # CPU sample times (ns, sorted)
    cpu_idx: list[int]  # their rows in the trace-wide sample arrays
    strings: dict[int, str]


@dataclass
class Ordered:
    """The reader's output: one entry per emitted event, in Go's order.

    ``src`` is the event's row in the decoded arrays (CPU samples: the row in
    the sample arrays; synthesised events and syncs: -1); ``typ`` the wire type
    (``SYNC`` = -1); ``t`` the time in ns after the monotonic bump; ``g``,
    ``p``, ``m`` the context Go reports (-1 = none). ``x`` and ``y`` carry
    what Go smuggles into the event: the old state of ``GoStatus`` /
    ``ProcStatus`` / ``ProcSteal``, the new status of ``ProcStatus``, the
    stop-the-world kind string of ``STWEnd``, the goroutine of a synthesised
    ``GoStart`` or the proc of a synthesised ``ProcSteal``.
    """

    src: np.ndarray
    typ: np.ndarray
    t: np.ndarray
    g: np.ndarray
    p: np.ndarray
    m: np.ndarray
    x: np.ndarray
    y: np.ndarray
    error: str | None = None
    g_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # every goroutine id, sorted


def _dense(values: np.ndarray, rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense indices of ``values[rows]`` (others: -1) and the distinct values."""
    out = np.full(n, -1, np.int64)
    ids, inv = dense_codes(values[rows])
    out[rows] = inv
    return out, ids.astype(np.int64)


def order_events(
    gens: list[Generation],
    typ_a: np.ndarray,
    t_a: np.ndarray,
    args: np.ndarray,
    *,
    source: str,
    names: list[str],
) -> Ordered:
    """Merge the generations' per-thread streams the way Go's ``trace.Reader`` does.

    ``args`` has one row per event and (at least) three columns: the event's
    arguments after the time delta, in wire order. Where Go's reader would
    stop with an error, the events before it are kept and ``error`` says
    what went wrong; a trace that breaks before any event raises
    :class:`TraceFormatError`.
    """

    from apiprobe.load._gotrace_kernel import ERRORS, order_kernel  # numba: loaded on first read

    n = len(typ_a)
    typ = typ_a.astype(np.int64)
    a0, a1, a2 = (np.ascontiguousarray(args[:, k]) for k in range(3))
    g_rows = np.flatnonzero(type_mask(typ, _G_ARG0))
    gd, g_ids = _dense(a0, g_rows, n)
    pd_, p_ids = _dense(a0, np.flatnonzero(type_mask(typ, _P_ARG0)), n)
    td, _ = _dense(a0, np.flatnonzero(type_mask(typ, (USER_TASK_BEGIN, USER_TASK_END))), n)
    # threads: those with events, and those other events name (a steal's victim, a syscalling goroutine's)
    steal = np.flatnonzero(typ == PROC_STEAL)
    status = np.flatnonzero(type_mask(typ, (GO_STATUS, GO_STATUS_STACK)))
    cur_m_raw = np.array([m for g in gens for m, _, _ in g.cursors], dtype=np.int64)
    named = np.concatenate([a2[steal], a1[status], cur_m_raw])
    m_ids = np.unique(named[named != _NONE])
    md = np.full(n, -1, np.int64)
    for rows, col in ((steal, a2), (status, a1)):
        v = col[rows]
        md[rows] = np.where(v != _NONE, np.searchsorted(m_ids, v), -1)
    cur_m = np.where(cur_m_raw != _NONE, np.searchsorted(m_ids, cur_m_raw), -1) if len(m_ids) else cur_m_raw
    nm = _name_codes(gens, typ, a1, a2)
    cur_lo = np.array([lo for g in gens for _, lo, _ in g.cursors], dtype=np.int64)
    cur_hi = np.array([hi for g in gens for _, _, hi in g.cursors], dtype=np.int64)
    gen_cur = np.cumsum([0] + [len(g.cursors) for g in gens]).astype(np.int64)
    gen_num = np.array([g.gen for g in gens], dtype=np.int64)
    gen_min = np.array([g.min_ts for g in gens], dtype=np.int64)
    cpu_t = np.array([x for g in gens for x in g.cpu_t], dtype=np.int64)
    cpu_idx = np.array([x for g in gens for x in g.cpu_idx], dtype=np.int64)
    gen_cpu = np.cumsum([0] + [len(g.cpu_t) for g in gens]).astype(np.int64)
    extra = 2 * int(type_mask(typ, (GO_SWITCH, GO_SWITCH_DESTROY)).sum()) + int((typ == GO_DESTROY_SYSCALL).sum())
    out = np.empty((8, n + len(cpu_t) + extra + len(gens) + 2), np.int64)
    k, err, at, gen = order_kernel(
        typ,
        t_a.astype(np.int64),
        a0,
        a1,
        a2,
        gd,
        pd_,
        md,
        td,
        nm,
        cur_m,
        cur_lo,
        cur_hi,
        gen_cur,
        gen_num,
        gen_min,
        cpu_t,
        cpu_idx,
        gen_cpu,
        g_ids,
        p_ids,
        m_ids,
        out,
    )
    error = None
    if err:
        what = ERRORS[err]
        if at >= 0:
            name = names[int(typ[at])] if 0 <= typ[at] < len(names) else f"event type {int(typ[at])}"
            what = f"{name} at {int(t_a[at])} ns: {what}"
        error = f"{source}: broken trace (generation {gen}): {what}"
        if k == 0:
            raise TraceFormatError(error)
    o = out[:, :k]  # rows stay contiguous: no copies
    return Ordered(src=o[0], typ=o[1], t=o[2], g=o[3], p=o[4], m=o[5], x=o[6], y=o[7], error=error, g_ids=g_ids)


def _name_codes(gens: list[Generation], typ: np.ndarray, a1: np.ndarray, a2: np.ndarray) -> np.ndarray:
    """A code per region (name ``a1``) and task-begin (``a2``) event: equal codes for equal text, -1: no such string."""
    out = np.full(len(typ), -1, np.int64)
    region = type_mask(typ, (USER_REGION_BEGIN, USER_REGION_END))
    task = typ == USER_TASK_BEGIN
    if not (region.any() or task.any()):
        return out
    code: dict[str, int] = {}
    keys: list[int] = []
    vals: list[int] = []
    for g in gens:
        for sid, text in g.strings.items():
            keys.append((g.gen << 32) | sid)
            vals.append(code.setdefault(text, len(code)))
    karr = np.asarray(keys, np.int64)
    order = np.argsort(karr)
    karr, varr = karr[order], np.asarray(vals, np.int64)[order]
    gen_of = np.zeros(len(typ), np.int64)
    for g in gens:
        for _, lo, hi in g.cursors:
            gen_of[lo:hi] = g.gen
    for col, sel in ((a1, region), (a2, task)):
        rows = np.flatnonzero(sel)
        if not len(rows) or not len(karr):
            continue
        q = (gen_of[rows] << 32) | col[rows]
        at = np.minimum(np.searchsorted(karr, q), len(karr) - 1)
        hit = karr[at] == q
        out[rows[hit]] = varr[at[hit]]
    return out
