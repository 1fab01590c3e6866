"""The compiled inner loop of Go's trace reader (see :mod:`._gotrace_order` for what it does and why).

One function, :func:`order_kernel`, written over plain int64 arrays so numba
can compile it (``cache=True``: once per machine); with ``NUMBA_DISABLE_JIT=1``
the same code runs as Python. Goroutines, procs, threads and tasks arrive as
dense indices (-1: none); the outputs carry the original ids.

Error codes (``ERRORS``) name what Go's reader would have refused; the
kernel stops there and returns how many events it emitted.
"""

# numba compiles these loops: `x == A or x == B` stays as written (numba types `in` on tuples less well),
# and the stats matrix keeps its short mathematical names.
# ruff: noqa: SIM109
from __future__ import annotations

import numpy as np
from numba import njit

from apiprobe.load._gotrace_specs import (  # noqa: F401  - constants the kernels compare against
    CPU_SAMPLE,
    G_RUNNABLE,
    G_RUNNING,
    G_SYSCALL,
    G_WAITING,
    GC_ACTIVE,
    GC_BEGIN,
    GC_END,
    GC_MARK_ASSIST_ACTIVE,
    GC_MARK_ASSIST_BEGIN,
    GC_MARK_ASSIST_END,
    GC_SWEEP_ACTIVE,
    GC_SWEEP_BEGIN,
    GC_SWEEP_END,
    GO_BLOCK,
    GO_CREATE,
    GO_CREATE_BLOCKED,
    GO_CREATE_SYSCALL,
    GO_DESTROY,
    GO_DESTROY_SYSCALL,
    GO_LABEL,
    GO_START,
    GO_STATE,
    GO_STATUS,
    GO_STATUS_STACK,
    GO_STOP,
    GO_SWITCH,
    GO_SWITCH_DESTROY,
    GO_SYSCALL_BEGIN,
    GO_SYSCALL_END,
    GO_SYSCALL_END_BLOCKED,
    GO_UNBLOCK,
    GS_NOTEXIST,
    GS_RUNNABLE,
    GS_RUNNING,
    GS_SYSCALL,
    GS_UNDETERMINED,
    GS_WAITING,
    HEAP_ALLOC,
    HEAP_GOAL,
    P_ABANDONED,
    P_IDLE,
    P_RUNNING,
    P_SYSCALL,
    PROC_START,
    PROC_STATE,
    PROC_STATUS,
    PROC_STEAL,
    PROC_STOP,
    PROCS_CHANGE,
    PS_IDLE,
    PS_NOTEXIST,
    PS_RUNNING,
    PS_UNDETERMINED,
    STW_BEGIN,
    STW_END,
    SYNC,
    USER_LOG,
    USER_REGION_BEGIN,
    USER_REGION_END,
    USER_TASK_BEGIN,
    USER_TASK_END,
)

ERRORS = (
    "",
    "expected a thread but didn't have one",
    "expected a proc but didn't have one",
    "expected a goroutine but didn't have one",
    "expected no proc but had one",
    "expected no goroutine but had one",
    "event for a goroutine that is not running",
    "tried to create a goroutine that already exists",
    "goroutine is not in a syscall",
    "proc is not in a syscall",
    "event for a proc that doesn't exist or is not running",
    "tried to steal a proc from a thread that doesn't have it",
    "invalid or inconsistent goroutine status",
    "invalid or inconsistent proc status",
    "goroutine status for a new goroutine after the first generation",
    "failed to find the thread of a proc that's about to be stolen",
    "task ID conflict",
    "invalid string ID",
    "region or range event for a goroutine without known state",
    "misuse of region: the end does not match the innermost region",
    "inconsistent GC state",
    "tried to end a range that is not in flight",
    "bad event type",
    "failed to advance: no thread's next event can happen next",
    "can't make a proc sequence for a syscall",
)


@njit(cache=True, nogil=True)
def _emit(out, k, last, src, typ, t, g, p, m, x, y):  # type: ignore[no-untyped-def]
    if t <= last:
        t = last + 1
    out[0, k] = src
    out[1, k] = typ
    out[2, k] = t
    out[3, k] = g
    out[4, k] = p
    out[5, k] = m
    out[6, k] = x
    out[7, k] = y
    return t


@njit(cache=True, nogil=True)
def order_kernel(  # type: ignore[no-untyped-def]
    typ,
    t,
    a0,
    a1,
    a2,  # per event: wire type, time (ns), raw arguments after the delta
    gd,
    pd,
    md,
    td,
    nm,  # per event: dense goroutine (a0), proc (a0), other thread, task (a0), name code
    cur_m,
    cur_lo,
    cur_hi,
    gen_cur,
    gen_num,
    gen_min_ts,  # cursors, per generation
    cpu_t,
    cpu_idx,
    gen_cpu,  # CPU samples, per generation
    g_ids,
    p_ids,
    m_ids,  # dense -> original ids
    out,  # (8, capacity): src, typ, t, g, p, m, x, y
):
    """Run Go's reader over every generation; returns ``(emitted, error code, failing event, generation)``."""
    ng, np_, nm_ = len(g_ids), len(p_ids), len(m_ids)
    g_status = np.zeros(ng, np.int64)
    g_sgen = np.zeros(ng, np.int64)
    g_seq = np.zeros(ng, np.int64)
    g_reg = np.full(ng, -1, np.int64)  # head of the goroutine's region stack in the pool below
    g_stw = np.zeros(ng, np.int64)  # STW range in flight (1) and its kind string
    g_stw_desc = np.zeros(ng, np.int64)
    g_assist = np.zeros(ng, np.int64)
    pool_task = np.zeros(len(typ) + 1, np.int64)
    pool_name = np.zeros(len(typ) + 1, np.int64)
    pool_prev = np.zeros(len(typ) + 1, np.int64)
    n_pool = 0
    p_status = np.zeros(np_, np.int64)
    p_sgen = np.zeros(np_, np.int64)
    p_seq = np.zeros(np_, np.int64)
    m_known = np.zeros(nm_, np.bool_)
    m_g = np.full(nm_, -1, np.int64)
    m_p = np.full(nm_, -1, np.int64)
    task_on = np.zeros(int(td.max()) + 2 if len(td) else 1, np.bool_)
    gc_seq = 0
    gc_state = 0  # 0 undetermined, 1 not running, 2 running
    initial = gen_num[0] if len(gen_num) else 0
    k = 0
    last = 0
    nc = len(cur_m)
    heap_t = np.zeros(nc, np.int64)
    heap_c = np.zeros(nc, np.int64)  # cursor index
    pos = np.zeros(nc, np.int64)
    for gi in range(len(gen_num)):
        gen = gen_num[gi]
        last = _emit(out, k, last, -1, SYNC, gen_min_ts[gi], -1, -1, -1, -1, -1)
        k += 1
        nh = 0
        for c in range(gen_cur[gi], gen_cur[gi + 1]):
            pos[c] = cur_lo[c]
            if cur_lo[c] < cur_hi[c]:
                heap_t[nh] = t[cur_lo[c]]
                heap_c[nh] = c
                i = nh
                nh += 1
                while i > 0 and heap_t[(i - 1) // 2] > heap_t[i]:
                    j = (i - 1) // 2
                    heap_t[i], heap_t[j] = heap_t[j], heap_t[i]
                    heap_c[i], heap_c[j] = heap_c[j], heap_c[i]
                    i = j
        ci = gen_cpu[gi]
        ce = gen_cpu[gi + 1]
        while nh > 0 or ci < ce:
            if ci < ce and (nh == 0 or cpu_t[ci] < heap_t[0]):
                last = _emit(out, k, last, cpu_idx[ci], CPU_SAMPLE, cpu_t[ci], -1, -1, -1, -1, -1)
                k += 1
                ci += 1
                continue
            hk = 0
            sorted_ = False
            while True:
                c = heap_c[hk]
                i = pos[c]
                mi = cur_m[c]
                # --- Advance(event i on thread mi) ---
                e = typ[i]
                ti = t[i]
                has_m = mi >= 0
                if has_m:
                    m_known[mi] = True
                    cg = m_g[mi]
                    cp = m_p[mi]
                else:
                    cg = -1
                    cp = -1
                ng_, np2 = cg, cp
                om = m_ids[mi] if has_m else -1
                ocg = g_ids[cg] if cg >= 0 else -1
                ocp = p_ids[cp] if cp >= 0 else -1
                ok = True
                err = 0
                user_ok = 0 if (has_m and cp >= 0 and cg >= 0) else (1 if not has_m else (2 if cp < 0 else 3))
                if e == GO_START:
                    g = gd[i]
                    if g < 0 or g_status[g] != G_RUNNABLE or g_sgen[g] != gen or g_seq[g] + 1 != a1[i]:
                        ok = False
                    elif not has_m:
                        err = 1
                    elif cp < 0:
                        err = 2
                    elif cg >= 0:
                        err = 5
                    else:
                        g_status[g] = G_RUNNING
                        g_seq[g] = a1[i]
                        ng_ = g
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GO_STOP or e == GO_BLOCK or e == GO_DESTROY:
                    if user_ok:
                        err = user_ok
                    elif g_status[cg] != G_RUNNING:
                        err = 6
                    else:
                        if e == GO_DESTROY:
                            g_status[cg] = 0
                        elif e == GO_STOP:
                            g_status[cg] = G_RUNNABLE
                        else:
                            g_status[cg] = G_WAITING
                        ng_ = -1
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GO_UNBLOCK:
                    g = gd[i]
                    if g < 0 or g_status[g] != G_WAITING or g_sgen[g] != gen or g_seq[g] + 1 != a1[i]:
                        ok = False
                    else:
                        g_status[g] = G_RUNNABLE
                        g_seq[g] = a1[i]
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GO_CREATE or e == GO_CREATE_BLOCKED:
                    g = gd[i]
                    if not has_m:
                        err = 1
                    elif cp < 0:
                        err = 2
                    elif cg >= 0 and g_status[cg] != 0 and g_status[cg] != G_RUNNING:
                        err = 6
                    elif g_status[g] != 0:
                        err = 7
                    else:
                        g_status[g] = G_RUNNABLE if e == GO_CREATE else G_WAITING
                        g_sgen[g] = gen
                        g_seq[g] = 0
                        g_reg[g] = -1
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GO_SYSCALL_BEGIN:
                    if user_ok:
                        err = user_ok
                    elif g_status[cg] != G_RUNNING:
                        err = 6
                    elif p_status[cp] == 0:
                        err = 10
                    else:
                        g_status[cg] = G_SYSCALL
                        p_status[cp] = P_SYSCALL
                        if p_sgen[cp] != gen or p_seq[cp] + 1 != a0[i]:
                            err = 24
                        else:
                            p_seq[cp] = a0[i]
                            last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                            k += 1
                elif e == GO_SYSCALL_END:
                    if user_ok:
                        err = user_ok
                    elif g_status[cg] != G_SYSCALL:
                        err = 8
                    elif p_status[cp] != P_SYSCALL:
                        err = 9
                    else:
                        g_status[cg] = G_RUNNING
                        p_status[cp] = P_RUNNING
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GO_SYSCALL_END_BLOCKED:
                    if cp >= 0 and p_status[cp] == 0:
                        err = 10
                    elif cp >= 0 and p_status[cp] == P_SYSCALL:
                        ok = False
                    elif not has_m:
                        err = 1
                    elif cg < 0:
                        err = 3
                    elif g_status[cg] != G_SYSCALL:
                        err = 8
                    else:
                        ng_ = -1
                        g_status[cg] = G_RUNNABLE
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == PROC_START:
                    p = pd[i]
                    if p < 0 or p_status[p] != P_IDLE or p_sgen[p] != gen or p_seq[p] + 1 != a1[i] or cp >= 0:
                        ok = False
                    elif not has_m:
                        err = 1
                    else:
                        p_status[p] = P_RUNNING
                        p_seq[p] = a1[i]
                        np2 = p
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == PROC_STOP:
                    if cp < 0 or (p_status[cp] != P_RUNNING and p_status[cp] != P_SYSCALL):
                        err = 10
                    elif not has_m:
                        err = 1
                    else:
                        p_status[cp] = P_IDLE
                        np2 = -1
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == PROC_STEAL:
                    p = pd[i]
                    if (
                        p < 0
                        or (p_status[p] != P_SYSCALL and p_status[p] != P_ABANDONED)
                        or p_sgen[p] != gen
                        or p_seq[p] + 1 != a1[i]
                    ):
                        ok = False
                    elif not has_m:
                        err = 1
                    else:
                        old = p_status[p]
                        p_status[p] = P_IDLE
                        p_seq[p] = a1[i]
                        if old == P_SYSCALL:
                            vm = md[i]
                            if vm == mi:
                                if cp != p:
                                    err = 11
                                else:
                                    np2 = -1
                            elif vm < 0 or not m_known[vm] or m_p[vm] != p:
                                err = 11
                            else:
                                m_p[vm] = -1
                        if err == 0:
                            last = _emit(out, k, last, i, e, ti, ocg, ocp, om, old, -1)
                            k += 1
                elif e == GO_STATUS or e == GO_STATUS_STACK:
                    g = gd[i]
                    st = a2[i]
                    if st < 1 or st > 4:
                        err = 12
                    else:
                        old = GO_STATE[st]
                        if g_status[g] != 0:
                            if g_status[g] != st:
                                err = 12
                            g_sgen[g] = gen
                            g_seq[g] = 0
                        elif gen == initial:
                            g_status[g] = st
                            g_sgen[g] = gen
                            g_seq[g] = 0
                            g_reg[g] = -1
                            old = GS_UNDETERMINED
                        else:
                            err = 14
                        rep_g, rep_m = ocg, om
                        if err == 0 and st == G_RUNNING:
                            ng_ = g
                        elif err == 0 and st == G_SYSCALL:
                            vm = md[i]
                            if vm < 0:
                                err = 12
                            elif vm == mi:
                                if gen != initial and cg != g:
                                    err = 12
                                else:
                                    ng_ = g
                            else:
                                if m_known[vm]:
                                    if m_g[vm] != g:
                                        err = 12
                                    else:
                                        rep_g = g_ids[m_g[vm]]
                                else:
                                    m_known[vm] = True
                                    m_g[vm] = g
                                    m_p[vm] = -1
                                rep_m = m_ids[vm]
                        if err == 0:
                            last = _emit(out, k, last, i, e, ti, rep_g, ocp, rep_m, old, -1)
                            k += 1
                elif e == PROC_STATUS:
                    p = pd[i]
                    st = a1[i]
                    if st < 1 or st > 4:
                        err = 13
                    else:
                        old = PROC_STATE[st]
                        rep = st
                        if p_status[p] != 0:
                            cur = p_status[p]
                            if st == P_ABANDONED and cur == P_SYSCALL:
                                old = PS_RUNNING
                                rep = P_SYSCALL
                            elif st == P_ABANDONED and cur == P_ABANDONED:
                                old = PS_IDLE
                                rep = P_ABANDONED
                            elif cur != st:
                                err = 13
                            p_sgen[p] = gen
                            p_seq[p] = 0
                        else:
                            p_status[p] = st
                            p_sgen[p] = gen
                            p_seq[p] = 0
                            old = PS_UNDETERMINED if gen == initial else PS_NOTEXIST
                        if st == P_RUNNING or st == P_SYSCALL:
                            np2 = p
                        rm, rp, rg = om, ocp, ocg
                        if err == 0 and st == P_ABANDONED and old == PS_RUNNING:
                            found = -1
                            for mm in range(nm_):
                                if m_known[mm] and m_p[mm] == p:
                                    found = mm
                            if found < 0:
                                err = 15
                            else:
                                rm, rp = m_ids[found], p_ids[p]
                                rg = g_ids[m_g[found]] if m_g[found] >= 0 else -1
                        if err == 0:
                            last = _emit(out, k, last, i, e, ti, rg, rp, rm, old, rep)
                            k += 1
                elif e == GO_SWITCH or e == GO_SWITCH_DESTROY:
                    g = gd[i]
                    if user_ok:
                        err = user_ok
                    elif g_status[cg] != G_RUNNING:
                        err = 6
                    elif g < 0 or g_status[g] != G_WAITING or g_sgen[g] != gen or g_seq[g] + 1 != a1[i]:
                        ok = False
                    else:
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                        if e == GO_SWITCH:
                            g_status[cg] = G_WAITING
                            last = _emit(out, k, last, -1, GO_BLOCK, ti, ocg, ocp, om, -1, -1)
                        else:
                            g_status[cg] = 0
                            last = _emit(out, k, last, -1, GO_DESTROY, ti, ocg, ocp, om, -1, -1)
                        k += 1
                        g_status[g] = G_RUNNING
                        g_seq[g] = a1[i]
                        ng_ = g
                        last = _emit(out, k, last, -1, GO_START, ti, -1, ocp, om, g_ids[g], a1[i])
                        k += 1
                elif e == GO_CREATE_SYSCALL:
                    g = gd[i]
                    if not has_m:
                        err = 1
                    elif cg >= 0:
                        err = 5
                    elif g_status[g] != 0:
                        err = 7
                    else:
                        g_status[g] = G_SYSCALL
                        g_sgen[g] = gen
                        g_seq[g] = 0
                        g_reg[g] = -1
                        ng_ = g
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GO_DESTROY_SYSCALL:
                    if not has_m:
                        err = 1
                    elif cg < 0:
                        err = 3
                    elif g_status[cg] != G_SYSCALL:
                        err = 8
                    else:
                        g_status[cg] = 0
                        ng_ = -1
                        if cp >= 0:
                            if p_status[cp] != P_SYSCALL:
                                err = 9
                            else:
                                p_status[cp] = P_ABANDONED
                                np2 = -1
                                last = _emit(out, k, last, -1, PROC_STEAL, ti, ocg, ocp, om, P_SYSCALL, ocp)
                                k += 1
                        if err == 0:
                            last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                            k += 1
                elif e == USER_TASK_BEGIN:
                    tk = td[i]
                    if task_on[tk]:
                        err = 16
                    elif nm[i] < 0:
                        err = 17
                    else:
                        task_on[tk] = True
                        if user_ok:
                            err = user_ok
                        else:
                            last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                            k += 1
                elif e == USER_TASK_END:
                    task_on[td[i]] = False
                    if user_ok:
                        err = user_ok
                    else:
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == USER_REGION_BEGIN or e == USER_REGION_END:
                    if user_ok:
                        err = user_ok
                    elif nm[i] < 0:
                        err = 17
                    elif g_status[cg] == 0:
                        err = 18
                    else:
                        if e == USER_REGION_BEGIN:
                            pool_task[n_pool] = a0[i]
                            pool_name[n_pool] = nm[i]
                            pool_prev[n_pool] = g_reg[cg]
                            g_reg[cg] = n_pool
                            n_pool += 1
                        elif g_reg[cg] >= 0:
                            h = g_reg[cg]
                            if pool_task[h] != a0[i] or pool_name[h] != nm[i]:
                                err = 19
                            else:
                                g_reg[cg] = pool_prev[h]
                        if err == 0:
                            last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                            k += 1
                elif e == GC_ACTIVE or e == GC_BEGIN or e == GC_END:
                    seq = a0[i]
                    if (e == GC_ACTIVE and gen == initial) or (e == GC_BEGIN and gc_state == 0):
                        if e == GC_ACTIVE and gc_state != 0:
                            err = 20
                        else:
                            gc_seq = seq
                            gc_state = 2
                    elif seq != gc_seq + 1:
                        ok = False
                    elif (
                        (e == GC_ACTIVE and gc_state != 2)
                        or (e == GC_BEGIN and gc_state == 2)
                        or (e == GC_END and gc_state != 2)
                    ):
                        err = 20
                    else:
                        gc_seq = seq
                        gc_state = 1 if e == GC_END else 2
                        err = user_ok
                    if ok and err == 0:
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == PROCS_CHANGE or e == GO_LABEL or e == USER_LOG:
                    if user_ok:
                        err = user_ok
                    else:
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == HEAP_ALLOC or e == HEAP_GOAL or e == GC_SWEEP_BEGIN or e == GC_SWEEP_END:
                    if not has_m:
                        err = 1
                    elif cp < 0:
                        err = 2
                    else:
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GC_SWEEP_ACTIVE:
                    if pd[i] < 0 or p_status[pd[i]] == 0:
                        err = 10
                    else:
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == GC_MARK_ASSIST_ACTIVE:
                    g = gd[i]
                    if g < 0 or g_status[g] == 0:
                        err = 18
                    else:
                        if gen == initial:
                            g_assist[g] = 1
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == STW_BEGIN or e == GC_MARK_ASSIST_BEGIN:
                    if user_ok:
                        err = user_ok
                    elif g_status[cg] == 0:
                        err = 18
                    else:
                        if e == STW_BEGIN:
                            g_stw[cg] = 1
                            g_stw_desc[cg] = a0[i]
                        else:
                            g_assist[cg] = 1
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                elif e == STW_END or e == GC_MARK_ASSIST_END:
                    if user_ok:
                        err = user_ok
                    elif g_status[cg] == 0:
                        err = 18
                    elif (e == STW_END and g_stw[cg] == 0) or (e == GC_MARK_ASSIST_END and g_assist[cg] == 0):
                        err = 21
                    else:
                        desc = -1
                        if e == STW_END:
                            g_stw[cg] = 0
                            desc = g_stw_desc[cg]
                        else:
                            g_assist[cg] = 0
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, desc, -1)
                        k += 1
                elif e >= 128:
                    if not has_m:
                        err = 1
                    else:
                        last = _emit(out, k, last, i, e, ti, ocg, ocp, om, -1, -1)
                        k += 1
                else:
                    err = 22
                if err != 0:
                    return k, err, i, gen
                if ok:
                    if has_m:
                        m_g[mi] = ng_
                        m_p[mi] = np2
                    break
                # could not advance: try the others in time order (Go sorts the frontier once)
                if not sorted_:
                    for a in range(1, nh):  # insertion sort: stable, as Go's for small frontiers
                        b = a
                        while b > 0 and heap_t[b - 1] > heap_t[b]:
                            heap_t[b - 1], heap_t[b] = heap_t[b], heap_t[b - 1]
                            heap_c[b - 1], heap_c[b] = heap_c[b], heap_c[b - 1]
                            b -= 1
                    sorted_ = True
                hk += 1
                if hk >= nh:
                    return k, 23, -1, gen
            # refresh the cursor that advanced
            c = heap_c[hk]
            pos[c] += 1
            if pos[c] < cur_hi[c]:
                heap_t[hk] = t[pos[c]]
                i = hk
                while i > 0 and heap_t[(i - 1) // 2] > heap_t[i]:
                    j = (i - 1) // 2
                    heap_t[i], heap_t[j] = heap_t[j], heap_t[i]
                    heap_c[i], heap_c[j] = heap_c[j], heap_c[i]
                    i = j
                if i == hk:
                    _sift_down(heap_t, heap_c, nh, hk)
            else:
                i = hk
                while i > 0:
                    j = (i - 1) // 2
                    heap_t[i], heap_t[j] = heap_t[j], heap_t[i]
                    heap_c[i], heap_c[j] = heap_c[j], heap_c[i]
                    i = j
                nh -= 1
                heap_t[0], heap_t[nh] = heap_t[nh], heap_t[0]
                heap_c[0], heap_c[nh] = heap_c[nh], heap_c[0]
                if nh > 0:
                    _sift_down(heap_t, heap_c, nh, 0)
    last = _emit(out, k, last, -1, SYNC, last, -1, -1, -1, -1, -1)
    return k + 1, 0, -1, -1


@njit(cache=True, nogil=True)
def _sift_down(heap_t, heap_c, n, i):  # type: ignore[no-untyped-def]
    while True:
        m = i
        mt = heap_t[i] if i < n else 9223372036854775807
        for c in (2 * i + 1, 2 * i + 2):
            if c < n and heap_t[c] < mt:
                m = c
                mt = heap_t[c]
        if m == i:
            return
        heap_t[i], heap_t[m] = heap_t[m], heap_t[i]
        heap_c[i], heap_c[m] = heap_c[m], heap_c[i]
        i = m


@njit(cache=True, nogil=True)
def decode_kernel(buf, bstart, bend, btime, bf, nargs):  # type: ignore[no-untyped-def]
    """Walk every event batch: each event's type, Go's time (ns), up to 4 arguments and its batch.

    ``buf`` holds the batch bodies back to back (``bstart``/``bend`` per
    batch); ``btime`` is each batch's base time in ticks and ``bf`` its
    generation's ns per tick; ``nargs[type]`` counts the arguments after the
    type byte, time delta included (-1: not an event of this version). Times
    follow Go's reader: ``last = trunc(btime * f)``, then per event
    ``last += trunc(delta * f)``. Returns ``(typ, t, args, batch, error
    byte)`` with the error byte -1, or the offset of an invalid event type or
    of a varint that runs past its batch.
    """
    cap = len(buf) // 2 + 1
    typ = np.empty(cap, np.int64)
    t = np.empty(cap, np.int64)
    args = np.zeros((cap, 4), np.int64)
    batch = np.empty(cap, np.int64)
    n = 0
    for b in range(len(bstart)):
        pos = bstart[b]
        end = bend[b]
        f = bf[b]
        last = np.int64(btime[b] * f)
        while pos < end:
            e = np.int64(buf[pos])
            k = nargs[e]
            if k < 0:
                return typ[:n], t[:n], args[:n], batch[:n], pos
            start = pos
            pos += 1
            for a in range(k):
                v = np.uint64(0)
                shift = np.uint64(0)
                while True:
                    if pos >= end or shift > 63:
                        return typ[:n], t[:n], args[:n], batch[:n], start
                    byte = np.uint64(buf[pos])
                    pos += 1
                    v |= (byte & np.uint64(0x7F)) << shift
                    if byte < 0x80:
                        break
                    shift += np.uint64(7)
                if a == 0:
                    last += np.int64(np.float64(v) * f)
                elif a <= 4:
                    args[n, a - 1] = np.int64(v)
            typ[n] = e
            t[n] = last
            batch[n] = b
            n += 1
    return typ[:n], t[:n], args[:n], batch[:n], -1


@njit(cache=True, nogil=True)
def arg_column_kernel(typ, args, pos, empty):  # type: ignore[no-untyped-def]
    """One named argument column: ``args[i, pos[typ[i]]]``, or ``empty`` where the event has no such argument."""
    out = np.empty(len(typ), np.int64)
    for i in range(len(typ)):
        k = pos[typ[i]]
        out[i] = args[i, k] if k >= 0 else empty
    return out


@njit(cache=True, nogil=True)
def stretch_kernel(g, to, starts, ts, lo, hi, state, n_g):  # type: ignore[no-untyped-def]
    """Go's tracking loop: each stretch in ``state`` -> (index of the event that began it, overlap with the life)."""
    tracking = np.full(n_g, -1, np.int64)
    first = np.empty(len(g), np.int64)
    dur = np.empty(len(g), np.int64)
    k = 0
    for i in range(len(g)):
        x = g[i]
        s = tracking[x]
        if s < 0:
            if starts[i]:
                tracking[x] = i
            continue
        if to[i] == state:
            continue
        tracking[x] = -1
        a = ts[s]
        b = ts[i]
        if hi[x] < a or b < lo[x]:
            continue
        d = min(b, hi[x]) - max(a, lo[x])
        if d > 0:
            first[k] = s
            dur[k] = d
            k += 1
    return first[:k], dur[:k]
