"""Per-goroutine, per-region and per-task time accounting of a Go execution trace.

A port of ``internal/trace``'s ``Summarizer`` (``summary.go``), the code
behind ``go tool trace``'s goroutine analysis and its task and region pages:
one pass over the ordered events accounts each goroutine's time to
execution, waiting to be scheduled, blocking (by reason), syscalls and
syscalls that blocked (the P was taken away), and snapshots those counters
when a region begins and ends. ``trace_profile`` uses the goroutines' first
start and end, exactly as ``go tool trace -pprof`` does.

The pass is :func:`summary_kernel`, compiled by numba like the reader's
(:mod:`._gotrace_kernel`). Of Go's range times only the GC mark assist is
kept (``gc_assist_ms``); stop-the-world and sweep ranges are not shown.
"""

# numba compiles these loops: `x == A or x == B` stays as written (numba types `in` on tuples less well),
# and the stats matrix keeps its short mathematical names.
# ruff: noqa: SIM109, N803, N806
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from apiprobe.load._gotrace_specs import (
    ASSIST,
    BLOCK0,
    EXEC,
    NOT_SET,
    SCHED,
    SYSBLOCK,
    SYSCALL,
    TOTAL,
    index_of,
    pair_codes,
    type_mask,
)

__all__ = ["ASSIST", "BLOCK0", "EXEC", "NOT_SET", "SCHED", "SYSBLOCK", "SYSCALL", "TOTAL", "TraceSummary", "summarize"]

_NS = -9223372036854775808

# columns of `pend`: since when a goroutine runs, is runnable, blocked (and why), in a syscall, in one that
# lost its P, in a mark assist (_NS: not)
_P_START, _P_RUN, _P_BLOCK, _P_REASON, _P_SYS, _P_SYSB, _P_ASSIST = 0, 1, 2, 3, 4, 5, 6

# event codes the kernel acts on (wire types; Sync is 255 here)
_SYNC = 255
_GO_CREATE, _GO_CREATE_BLOCKED = 14, 47
_MA_ACTIVE, _MA_BEGIN, _MA_END = 34, 35, 36
_REGION_BEGIN, _REGION_END = 42, 43
# state codes (as in _gotrace_kernel)
_UND, _NOTEXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALLS = 0, 1, 2, 3, 4, 5
_P_IDLE = 3


@njit(cache=True, nogil=True)
def _snapshot(S, g, ts, creation, pend, live):  # type: ignore[no-untyped-def]
    row = S[g].copy()
    if not live[g]:
        return row
    if row[TOTAL] == 0:
        row[TOTAL] = ts - creation[g]
    if pend[g, _P_START] != _NS:
        row[EXEC] += ts - pend[g, _P_START]
    if pend[g, _P_RUN] != _NS:
        row[SCHED] += ts - pend[g, _P_RUN]
    if pend[g, _P_BLOCK] != _NS:
        row[BLOCK0 + pend[g, _P_REASON]] += ts - pend[g, _P_BLOCK]
    if pend[g, _P_SYS] != _NS:
        row[SYSCALL] += ts - pend[g, _P_SYS]
    if pend[g, _P_SYSB] != _NS:
        row[SCHED] += ts - pend[g, _P_SYSB]
    if pend[g, _P_ASSIST] != _NS:
        row[ASSIST] += ts - pend[g, _P_ASSIST]
    return row


@njit(cache=True, nogil=True)
def _close_regions(h, row, t, system, r_prev, r_end, r_stats, r_done):  # type: ignore[no-untyped-def]
    """A goroutine's end closes its open regions (Go's finalize); a runtime goroutine's are dropped."""
    while h >= 0:
        if not system:
            r_end[h] = t
            r_stats[h] = row - r_stats[h]
            r_done[h] = True
        h = r_prev[h]


@njit(cache=True, nogil=True)
def summary_kernel(  # type: ignore[no-untyped-def]
    typ,
    ts,
    cg,
    cp,
    sg,
    sp,
    frm,
    to,
    reason,
    forever,
    root_sys,
    arg_g,
    task,
    name,
    n_g,
    n_p,
    n_reasons,
):
    """One pass of Go's Summarizer over dense arrays (goroutines ``0..n_g``, procs ``0..n_p``).

    Returns per goroutine: creation, start, end, the event that named it, the
    event that created it, system flag, stats rows; per region: task, name
    code, goroutine, start, end, stats rows; and the last time seen.
    """
    K = BLOCK0 + n_reasons
    S = np.zeros((n_g, K), np.int64)
    creation = np.zeros(n_g, np.int64)
    start = np.full(n_g, _NS, np.int64)
    end = np.full(n_g, _NS, np.int64)
    named_by = np.full(n_g, -1, np.int64)
    created_at = np.full(n_g, -1, np.int64)
    system = np.ones(n_g, np.bool_)
    live = np.zeros(n_g, np.bool_)
    seen = np.zeros(n_g, np.bool_)
    # what each goroutine is in since when (Go's goroutineSummary): one row per goroutine, _P_* columns
    pend = np.full((n_g, 7), _NS, np.int64)
    pend[:, _P_REASON] = 0
    sys_p = np.full(n_p + 1, -1, np.int64)  # proc -> goroutine in a syscall on it
    sys_g = np.full(n_g, -1, np.int64)  # goroutine -> its proc
    # regions: a pool, and a stack per goroutine (head index, links)
    cap = 16
    for i in range(len(typ)):
        if typ[i] == _REGION_BEGIN or typ[i] == _REGION_END or typ[i] == _GO_CREATE or typ[i] == _GO_CREATE_BLOCKED:
            cap += 1
    r_task = np.zeros(cap, np.int64)
    r_name = np.zeros(cap, np.int64)
    r_g = np.zeros(cap, np.int64)
    r_start = np.full(cap, _NS, np.int64)
    r_end = np.full(cap, _NS, np.int64)
    r_stats = np.zeros((cap, K), np.int64)
    r_prev = np.full(cap, -1, np.int64)
    r_done = np.zeros(cap, np.bool_)  # ended (or closed by the goroutine's end): reported
    head = np.full(n_g, -1, np.int64)
    nr = 0
    sync_ts = _NS
    last_ts = 0
    for i in range(len(typ)):
        t = ts[i]
        if sync_ts == _NS:
            sync_ts = t
        last_ts = t
        e = typ[i]
        if e == _SYNC:
            sync_ts = t
            continue
        g = sg[i]
        if g >= 0:
            old = frm[i]
            new = to[i]
            if old == new:
                continue
            if old == _UND or old == _NOTEXIST or not seen[g]:
                seen[g] = True
                live[g] = True
                S[g, :] = 0
                start[g] = _NS
                end[g] = _NS
                named_by[g] = -1
                system[g] = True
                pend[g, :] = _NS  # nothing pending (the block reason is read only with a block time)
                head[g] = -1
                if old == _UND:
                    creation[g] = sync_ts
                    d = t - sync_ts
                    if new == _RUNNING:
                        S[g, EXEC] += d
                    elif new == _WAITING:
                        S[g, BLOCK0 + reason[i]] += d
                    elif new == _RUNNABLE:
                        S[g, SCHED] += d
                    elif new == _SYSCALLS:
                        if cp[i] < 0:
                            S[g, SYSBLOCK] += d
                        else:
                            S[g, SYSCALL] += d
                else:
                    creation[g] = t
                    created_at[g] = i
                    c = cg[i]
                    if c >= 0 and head[c] >= 0:
                        r_task[nr] = r_task[head[c]]
                        r_name[nr] = -1  # the unnamed region of a goroutine created inside a region
                        r_g[nr] = g
                        r_start[nr] = t
                        head[g] = nr
                        nr += 1
            elif old == _RUNNING:
                S[g, EXEC] += t - pend[g, _P_START]
                pend[g, _P_START] = _NS
            elif old == _WAITING:
                if pend[g, _P_BLOCK] != _NS:
                    S[g, BLOCK0 + pend[g, _P_REASON]] += t - pend[g, _P_BLOCK]
                    pend[g, _P_BLOCK] = _NS
            elif old == _RUNNABLE:
                if pend[g, _P_RUN] != _NS:
                    S[g, SCHED] += t - pend[g, _P_RUN]
                    pend[g, _P_RUN] = _NS
            elif old == _SYSCALLS and pend[g, _P_SYS] != _NS:
                if pend[g, _P_SYSB] != _NS:
                    S[g, SYSBLOCK] += t - pend[g, _P_SYSB]
                    S[g, SYSCALL] += pend[g, _P_SYSB] - pend[g, _P_SYS]
                else:
                    S[g, SYSCALL] += t - pend[g, _P_SYS]
                pend[g, _P_SYS] = _NS
                pend[g, _P_SYSB] = _NS
                if sys_g[g] >= 0:
                    sys_p[sys_g[g]] = -1
                sys_g[g] = -1
            if named_by[g] < 0 and root_sys[i] >= 0:
                named_by[g] = i
                system[g] = root_sys[i] == 1
            if new == _RUNNING:
                pend[g, _P_START] = t
                if start[g] == _NS:
                    start[g] = t
            elif new == _RUNNABLE:
                pend[g, _P_RUN] = t
            elif new == _WAITING and not forever[i]:
                pend[g, _P_BLOCK] = t
                pend[g, _P_REASON] = reason[i]
            elif new == _WAITING or new == _NOTEXIST:
                # finalize: the goroutine ended (or blocked forever)
                end[g] = t
                row = _snapshot(S, g, t, creation, pend, live)
                S[g] = row
                _close_regions(head[g], row, t, system[g], r_prev, r_end, r_stats, r_done)
                head[g] = -1
                live[g] = False
                pend[g, :] = _NS  # nothing pending (the block reason is read only with a block time)
            elif new == _SYSCALLS:
                p = cp[i]
                if p >= 0:
                    sys_p[p] = g
                sys_g[g] = p
                pend[g, _P_SYS] = t
            continue
        p = sp[i]
        if p >= 0:
            if frm[i] != to[i] and to[i] == _P_IDLE and sys_p[p] >= 0:
                pend[sys_p[p], _P_SYSB] = t
                sys_p[p] = -1
            continue
        if e == _MA_BEGIN or e == _MA_ACTIVE or e == _MA_END:
            g = arg_g[i] if e == _MA_ACTIVE else cg[i]
            if g < 0 or not seen[g]:
                continue
            if e == _MA_ACTIVE:
                if pend[g, _P_ASSIST] != _NS:
                    S[g, ASSIST] += sync_ts - pend[g, _P_ASSIST]
                pend[g, _P_ASSIST] = sync_ts
            elif e == _MA_BEGIN:
                pend[g, _P_ASSIST] = t
            elif pend[g, _P_ASSIST] != _NS:
                S[g, ASSIST] += t - pend[g, _P_ASSIST]
                pend[g, _P_ASSIST] = _NS
            continue
        if (e == _REGION_BEGIN or e == _REGION_END) and cg[i] < 0:
            continue
        if e == _REGION_BEGIN:
            g = cg[i]
            r_task[nr] = task[i]
            r_name[nr] = name[i]
            r_g[nr] = g
            r_start[nr] = t
            r_stats[nr] = _snapshot(S, g, t, creation, pend, live)
            r_prev[nr] = head[g]
            head[g] = nr
            nr += 1
        elif e == _REGION_END:
            g = cg[i]
            h = head[g]
            if h >= 0:
                head[g] = r_prev[h]
            else:
                h = nr
                nr += 1
                r_task[h] = task[i]
                r_name[h] = name[i]
                r_g[h] = g
            row = _snapshot(S, g, t, creation, pend, live)
            r_stats[h] = row - r_stats[h]
            r_end[h] = t
            r_done[h] = True
    # Finalize: goroutines still alive, and their open regions (end unknown)
    for g in range(n_g):
        if seen[g] and live[g]:
            row = _snapshot(S, g, last_ts, creation, pend, live)
            S[g] = row
            _close_regions(head[g], row, _NS, system[g], r_prev, r_end, r_stats, r_done)  # end unknown
            live[g] = False
    keep = np.flatnonzero(r_done[:nr])
    return (
        creation,
        start,
        end,
        named_by,
        created_at,
        system,
        seen,
        S,
        r_task[keep],
        r_name[keep],
        r_g[keep],
        r_start[keep],
        r_end[keep],
        r_stats[keep],
        last_ts,
    )


@dataclass
class TraceSummary:
    """Go's per-goroutine and per-region accounting, as arrays (see :mod:`._gotrace_tables`).

    Times are ns since the trace's start; ``NOT_SET`` marks "never" (a
    goroutine that never ran has no ``start``, one still alive no ``end``;
    a region that began before the trace no ``start``, one still open no
    ``end``). Stats rows have the columns ``EXEC, SCHED, SYSCALL,
    SYSBLOCK, TOTAL, ASSIST`` then one per block reason (``reasons``).
    """

    goroutine: np.ndarray  # ids
    creation: np.ndarray
    start: np.ndarray
    end: np.ndarray
    name: list[str]
    created_by: list[str]
    system: np.ndarray
    stats: np.ndarray
    reasons: list[str]
    region_task: np.ndarray
    region_name: list[str]
    region_goroutine: np.ndarray
    region_start: np.ndarray
    region_end: np.ndarray
    region_stats: np.ndarray
    tasks: dict[int, dict[str, object]]
    end_ts: int


def summarize(
    a: dict[str, np.ndarray],
    roots: dict[tuple[int, int], str],
    leaves: dict[tuple[int, int], str],
    strings: dict[tuple[int, int], str],
) -> TraceSummary:
    """Summarise the reader's event arrays (``GoTrace._arrays``); ``roots``/``leaves`` name stacks."""
    typ, ts, gen = a["typ"], a["ts"], a["gen"]
    n = len(typ)
    sg_raw = a["state_goroutine"]
    gids = a["goroutine_ids"]  # sorted: every goroutine the reader saw

    def dense(v: np.ndarray) -> np.ndarray:
        return index_of(gids, v)

    sg = dense(sg_raw)
    cg = dense(a["goroutine"])
    arg_g = dense(a["g"])
    cp = a["proc"]
    sp = a["state_proc"]
    n_p = int(max(cp.max(initial=-1), sp.max(initial=-1))) + 1
    # block reasons: one code per text
    rid = a["reason_id"]
    reason_text: list[str] = [""]
    code: dict[str, int] = {"": 0}
    reason = np.zeros(n, np.int64)
    has = np.flatnonzero(rid > 0)
    if len(has):
        pg, pid, inv = pair_codes(gen[has], rid[has])
        lut = np.empty(len(pg), np.int64)
        for k, key in enumerate(zip(pg.tolist(), pid.tolist(), strict=True)):
            text = strings.get(key, "")
            lut[k] = code.setdefault(text, len(code))
            if lut[k] == len(reason_text):
                reason_text.append(text)
        reason[has] = lut[inv]
    forever = reason == code.get("forever", -5)
    # the stack that names a goroutine: a new goroutine's start stack, or the event's own stack
    name_stack = np.where(type_mask(typ, (_GO_CREATE, _GO_CREATE_BLOCKED)), a["new_stack_id"], 0)
    own = type_mask(typ, (19, 20, 22, 48))  # GoStop, GoBlock, GoSyscallBegin, GoStatusStack
    name_stack = np.where(own, a["stack_id"], name_stack)
    root_sys = np.full(n, -1, np.int64)
    hs = np.flatnonzero((name_stack > 0) & (sg >= 0))
    if len(hs):
        kg, kid, inv = pair_codes(gen[hs], name_stack[hs])
        flag = np.full(len(kg), -1, np.int64)
        for k, key in enumerate(zip(kg.tolist(), kid.tolist(), strict=True)):
            fn = roots.get(key, "")
            if fn:  # Go names a goroutine after the first stack whose root frame has a function
                flag[k] = 1 if fn != "runtime.main" and fn.startswith("runtime.") else 0
        root_sys[hs] = flag[inv]
    # region names: one code per text
    rname_code: dict[str, int] = {}
    rnames: list[str] = []
    name = np.full(n, -1, np.int64)
    rrows = np.flatnonzero(type_mask(typ, (_REGION_BEGIN, _REGION_END)))
    if len(rrows):
        rg_, rid_, inv = pair_codes(gen[rrows], a["name_id"][rrows])
        lut = np.empty(len(rg_), np.int64)
        for k, key in enumerate(zip(rg_.tolist(), rid_.tolist(), strict=True)):
            text = strings.get(key, "")
            if text not in rname_code:
                rname_code[text] = len(rnames)
                rnames.append(text)
            lut[k] = rname_code[text]
        name[rrows] = lut[inv]
    out = summary_kernel(
        typ,
        ts,
        cg,
        cp,
        sg,
        sp,
        a["from_state"],
        a["to_state"],
        reason,
        forever,
        root_sys,
        arg_g,
        a["task"],
        name,
        len(gids),
        n_p,
        len(reason_text),
    )
    creation, start, end, named_by, created_at, system, seen, S, rt, rn, rg, rs, re_, rst, last_ts = out
    sel = np.flatnonzero(seen)
    names = [roots.get((int(gen[i]), int(name_stack[i])), "") if i >= 0 else "" for i in named_by[sel].tolist()]
    created_by = [
        leaves.get((int(gen[i]), int(a["stack_id"][i])), "") if i >= 0 else "" for i in created_at[sel].tolist()
    ]
    return TraceSummary(
        goroutine=gids[sel],
        creation=creation[sel],
        start=start[sel],
        end=end[sel],
        name=names,
        created_by=created_by,
        system=system[sel],
        stats=S[sel],
        reasons=reason_text,
        region_task=rt,
        region_name=[rnames[c] if c >= 0 else "" for c in rn.tolist()],
        region_goroutine=gids[rg] if len(rg) else rg,
        region_start=rs,
        region_end=re_,
        region_stats=rst,
        tasks=_tasks(a, strings),
        end_ts=int(last_ts),
    )


def _tasks(a: dict[str, np.ndarray], strings: dict[tuple[int, int], str]) -> dict[int, dict[str, object]]:
    """Tasks from their begin, end and log events, and the goroutines that worked for them."""
    typ = a["typ"]
    tasks: dict[int, dict[str, object]] = {}

    def task(tid: int) -> dict[str, object]:
        if tid not in tasks:
            tasks[tid] = {"name": "", "parent": -1, "start": None, "end": None, "goroutines": set(), "logs": 0}
        return tasks[tid]

    # a goroutine works for a task when it begins, ends, logs in it or begins one of its regions
    every = np.flatnonzero(type_mask(typ, (40, 41, 42, 44)))
    if len(every):
        tg, tgid, _ = pair_codes(a["task"][every], a["goroutine"][every] + 1)
        for tid, gid in zip(tg.tolist(), (tgid - 1).tolist(), strict=True):
            task(tid)["goroutines"].add(gid)  # type: ignore[attr-defined]
    rows = np.flatnonzero(type_mask(typ, (40, 41, 44)))
    for i in rows.tolist():
        t = task(int(a["task"][i]))
        kind = int(typ[i])
        if kind == 40:
            t["name"] = strings.get((int(a["gen"][i]), int(a["name_id"][i])), "")
            t["start"] = int(a["ts"][i])
            parent = int(a["parent_task"][i])
            if parent not in (0, -1) and t["parent"] == -1:
                t["parent"] = parent
                task(parent)
        elif kind == 41:
            t["end"] = int(a["ts"][i])
        else:
            t["logs"] = int(t["logs"]) + 1  # type: ignore[call-overload]
    return tasks
