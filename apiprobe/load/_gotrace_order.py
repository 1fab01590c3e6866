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

from dataclasses import dataclass

import numpy as np

from apiprobe.errors import TraceFormatError

# wire event types (internal/trace/tracev2/events.go)
_PROCS_CHANGE, _PROC_START, _PROC_STOP, _PROC_STEAL, _PROC_STATUS = 9, 10, 11, 12, 13
_GO_CREATE, _GO_CREATE_SYSCALL, _GO_START, _GO_DESTROY, _GO_DESTROY_SYSCALL = 14, 15, 16, 17, 18
_GO_STOP, _GO_BLOCK, _GO_UNBLOCK, _GO_SYSCALL_BEGIN, _GO_SYSCALL_END = 19, 20, 21, 22, 23
_GO_SYSCALL_END_BLOCKED, _GO_STATUS, _STW_BEGIN, _STW_END = 24, 25, 26, 27
_GC_ACTIVE, _GC_BEGIN, _GC_END, _GC_SWEEP_ACTIVE, _GC_SWEEP_BEGIN, _GC_SWEEP_END = 28, 29, 30, 31, 32, 33
_GC_MARK_ASSIST_ACTIVE, _GC_MARK_ASSIST_BEGIN, _GC_MARK_ASSIST_END = 34, 35, 36
_HEAP_ALLOC, _HEAP_GOAL, _GO_LABEL = 37, 38, 39
_USER_TASK_BEGIN, _USER_TASK_END, _USER_REGION_BEGIN, _USER_REGION_END, _USER_LOG = 40, 41, 42, 43, 44
_GO_SWITCH, _GO_SWITCH_DESTROY, _GO_CREATE_BLOCKED, _GO_STATUS_STACK = 45, 46, 47, 48
CPU_SAMPLE = 7
SYNC = -1  # emitted by the reader, not on the wire

# wire statuses
G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING = 1, 2, 3, 4
P_RUNNING, P_IDLE, P_SYSCALL, P_ABANDONED = 1, 2, 3, 4
# Go's reported states (trace.GoState / trace.ProcState)
GS_UNDETERMINED, GS_NOTEXIST, GS_RUNNABLE, GS_RUNNING, GS_WAITING, GS_SYSCALL = 0, 1, 2, 3, 4, 5
PS_UNDETERMINED, PS_NOTEXIST, PS_RUNNING, PS_IDLE = 0, 1, 2, 3
GO_STATE = (GS_UNDETERMINED, GS_RUNNABLE, GS_RUNNING, GS_SYSCALL, GS_WAITING)  # by wire status
PROC_STATE = (PS_UNDETERMINED, PS_RUNNING, PS_IDLE, PS_RUNNING, PS_RUNNING)

_NONE = -1  # NoGoroutine / NoProc / NoThread / NoTask
_GC_UNDETERMINED, _GC_NOT_RUNNING, _GC_RUNNING = 0, 1, 2


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


class _Broken(Exception):
    pass


def order_events(
    gens: list[Generation],
    typ_a: np.ndarray,
    t_a: np.ndarray,
    args: np.ndarray,
    *,
    source: str,
) -> Ordered:
    """Merge the generations' per-thread streams the way Go's ``trace.Reader`` does.

    ``args`` has one row per event and (at least) four columns: the event's
    arguments after the time delta, in wire order. A trace Go would reject
    raises :class:`TraceFormatError`, naming the generation and the event.
    """
    typs = typ_a.tolist()
    times = t_a.tolist()
    a0, a1, a2 = (args[:, k].tolist() for k in range(3))
    out_src: list[int] = []
    out_typ: list[int] = []
    out_t: list[int] = []
    out_g: list[int] = []
    out_p: list[int] = []
    out_m: list[int] = []
    out_x: list[int] = []
    out_y: list[int] = []
    last = [0]  # Go's reader starts from time 0: no event is emitted at or before it

    def emit(src: int, typ: int, t: int, g: int, p: int, m: int, x: int = -1, y: int = -1) -> None:
        if t <= last[0]:
            t = last[0] + 1
        last[0] = t
        out_src.append(src)
        out_typ.append(typ)
        out_t.append(t)
        out_g.append(g)
        out_p.append(p)
        out_m.append(m)
        out_x.append(x)
        out_y.append(y)

    # ordering state (order.go)
    g_status: dict[int, int] = {}
    g_seq: dict[int, tuple[int, int]] = {}
    g_regions: dict[int, list[tuple[int, str]]] = {}
    g_ranges: dict[int, list[tuple[int, int]]] = {}
    p_status: dict[int, int] = {}
    p_seq: dict[int, tuple[int, int]] = {}
    m_g: dict[int, int] = {}
    m_p: dict[int, int] = {}
    tasks: dict[int, tuple[str, int]] = {}
    gc = [0, _GC_UNDETERMINED]  # seq, state
    initial = gens[0].gen if gens else 0
    queue: list[tuple[int, int, int, int, int, int, int, int]] = []

    def need(cond: bool, what: str) -> None:
        if not cond:
            raise _Broken(what)

    def advance(i: int, m: int, gen: int, strings: dict[int, str]) -> bool:  # noqa: C901, PLR0911, PLR0912, PLR0915
        typ = typs[i]
        t = times[i]
        if m == _NONE:
            cur_g = cur_p = _NONE
        else:
            if m not in m_g:
                m_g[m] = _NONE
                m_p[m] = _NONE
            cur_g, cur_p = m_g[m], m_p[m]
        new_g, new_p = cur_g, cur_p
        has_m = m != _NONE

        def user(what: str) -> None:
            need(has_m, f"{what}: expected a thread but didn't have one")
            need(cur_p != _NONE, f"{what}: expected a proc but didn't have one")
            need(cur_g != _NONE, f"{what}: expected a goroutine but didn't have one")

        if typ == _GO_START:
            gid = a0[i]
            if g_status.get(gid) != G_RUNNABLE or g_seq[gid] != (gen, a1[i] - 1):
                return False
            need(has_m and cur_p != _NONE, "GoStart without a thread and proc")
            need(cur_g == _NONE, f"GoStart of goroutine {gid} on a thread already running goroutine {cur_g}")
            g_status[gid] = G_RUNNING
            g_seq[gid] = (gen, a1[i])
            new_g = gid
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ in (_GO_STOP, _GO_BLOCK, _GO_DESTROY):
            user("GoStop/GoBlock/GoDestroy")
            need(g_status.get(cur_g) == G_RUNNING, f"event {typ} for goroutine {cur_g} that is not running")
            if typ == _GO_DESTROY:
                del g_status[cur_g]
            else:
                g_status[cur_g] = G_RUNNABLE if typ == _GO_STOP else G_WAITING
            new_g = _NONE
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GO_UNBLOCK:
            gid = a0[i]
            if g_status.get(gid) != G_WAITING or g_seq[gid] != (gen, a1[i] - 1):
                return False
            g_status[gid] = G_RUNNABLE
            g_seq[gid] = (gen, a1[i])
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GO_CREATE or typ == _GO_CREATE_BLOCKED:
            need(has_m and cur_p != _NONE, "GoCreate without a thread and proc")
            need(g_status.get(cur_g, G_RUNNING) == G_RUNNING, "GoCreate by a goroutine that is not running")
            new = a0[i]
            need(new not in g_status, f"tried to create goroutine {new} that already exists")
            g_status[new] = G_RUNNABLE if typ == _GO_CREATE else G_WAITING
            g_seq[new] = (gen, 0)
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GO_SYSCALL_BEGIN:
            user("GoSyscallBegin")
            need(g_status.get(cur_g) == G_RUNNING, f"GoSyscallBegin for goroutine {cur_g} that is not running")
            g_status[cur_g] = G_SYSCALL
            need(cur_p in p_status, f"uninitialized proc {cur_p} found during GoSyscallBegin")
            p_status[cur_p] = P_SYSCALL
            need(p_seq[cur_p] == (gen, a0[i] - 1), f"GoSyscallBegin: can't make sequence for proc {cur_p}")
            p_seq[cur_p] = (gen, a0[i])
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GO_SYSCALL_END:
            user("GoSyscallEnd")
            need(g_status.get(cur_g) == G_SYSCALL, f"GoSyscallEnd for goroutine {cur_g} not in a syscall")
            g_status[cur_g] = G_RUNNING
            need(p_status.get(cur_p) == P_SYSCALL, f"GoSyscallEnd: proc {cur_p} not in a syscall")
            p_status[cur_p] = P_RUNNING
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GO_SYSCALL_END_BLOCKED:
            if cur_p != _NONE:
                need(cur_p in p_status, f"uninitialized proc {cur_p} found during GoSyscallEndBlocked")
                if p_status[cur_p] == P_SYSCALL:
                    return False
            need(has_m and cur_g != _NONE, "GoSyscallEndBlocked without a thread and goroutine")
            need(g_status.get(cur_g) == G_SYSCALL, f"GoSyscallEndBlocked for goroutine {cur_g} not in a syscall")
            new_g = _NONE
            g_status[cur_g] = G_RUNNABLE
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _PROC_START:
            pid = a0[i]
            if p_status.get(pid) != P_IDLE or p_seq[pid] != (gen, a1[i] - 1) or cur_p != _NONE:
                return False
            need(has_m, "ProcStart without a thread")
            p_status[pid] = P_RUNNING
            p_seq[pid] = (gen, a1[i])
            new_p = pid
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _PROC_STOP:
            need(cur_p in p_status, f"ProcStop for proc {cur_p} that doesn't exist")
            need(p_status[cur_p] in (P_RUNNING, P_SYSCALL), "ProcStop for a proc that's not running")
            need(has_m, "ProcStop without a thread")
            p_status[cur_p] = P_IDLE
            new_p = _NONE
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _PROC_STEAL:
            pid = a0[i]
            st = p_status.get(pid)
            if st not in (P_SYSCALL, P_ABANDONED) or p_seq[pid] != (gen, a1[i] - 1):
                return False
            need(has_m, "ProcSteal without a thread")
            p_status[pid] = P_IDLE
            p_seq[pid] = (gen, a1[i])
            if st == P_SYSCALL:
                mid = a2[i]
                if mid == m:
                    need(cur_p == pid, f"tried to self-steal proc {pid} (thread {mid}), but got proc {cur_p}")
                    new_p = _NONE
                else:
                    need(mid in m_p, f"stole proc from non-existent thread {mid}")
                    need(m_p[mid] == pid, f"tried to steal proc {pid} from thread {mid}, but it has {m_p[mid]}")
                    m_p[mid] = _NONE
            queue.append((i, typ, t, cur_g, cur_p, m, st, -1))
        elif typ == _GO_STATUS or typ == _GO_STATUS_STACK:
            gid, mid, status = a0[i], a1[i], a2[i]
            need(0 < status <= G_WAITING, f"invalid status for goroutine {gid}: {status}")
            old = GO_STATE[status]
            if gid in g_status:
                need(g_status[gid] == status, f"inconsistent status for goroutine {gid}")
                g_seq[gid] = (gen, 0)
            else:
                need(gen == initial, f"found goroutine status for new goroutine {gid} after the first generation")
                g_status[gid] = status
                g_seq[gid] = (gen, 0)
                old = GS_UNDETERMINED
            rep_g, rep_m = cur_g, m
            if status == G_RUNNING:
                new_g = gid
            elif status == G_SYSCALL:
                need(mid != _NONE, f"found goroutine {gid} in syscall without a thread")
                if mid == m:
                    need(gen == initial or cur_g == gid, f"inconsistent thread for syscalling goroutine {gid}")
                    new_g = gid
                else:
                    if mid in m_g:
                        need(m_g[mid] == gid, f"inconsistent thread for syscalling goroutine {gid}")
                        rep_g = m_g[mid]
                    else:
                        m_g[mid] = gid
                        m_p[mid] = _NONE
                    rep_m = mid
            queue.append((i, typ, t, rep_g, cur_p, rep_m, old, -1))
        elif typ == _PROC_STATUS:
            pid, status = a0[i], a1[i]
            need(0 < status <= P_ABANDONED, f"invalid status for proc {pid}: {status}")
            old = PROC_STATE[status]
            reported = status
            if pid in p_status:
                cur = p_status[pid]
                if status == P_ABANDONED and cur == P_SYSCALL:
                    old, reported = PS_RUNNING, P_SYSCALL
                elif status == P_ABANDONED and cur == P_ABANDONED:
                    old, reported = PS_IDLE, P_ABANDONED
                else:
                    need(cur == status, f"inconsistent status for proc {pid}")
                p_seq[pid] = (gen, 0)
            else:
                p_status[pid] = status
                p_seq[pid] = (gen, 0)
                old = PS_UNDETERMINED if gen == initial else PS_NOTEXIST
            if status in (P_RUNNING, P_SYSCALL):
                new_p = pid
            rep_m, rep_p, rep_g = m, cur_p, cur_g
            if status == P_ABANDONED and old == PS_RUNNING:
                found = [mm for mm, pp in m_p.items() if pp == pid]
                need(bool(found), f"failed to find sched context for proc {pid} that's about to be stolen")
                rep_m, rep_p, rep_g = found[-1], pid, m_g[found[-1]]
            queue.append((i, typ, t, rep_g, rep_p, rep_m, old, reported))
        elif typ == _GO_SWITCH or typ == _GO_SWITCH_DESTROY:
            user("GoSwitch")
            need(g_status.get(cur_g) == G_RUNNING, f"GoSwitch from goroutine {cur_g} that is not running")
            nxt = a0[i]
            if g_status.get(nxt) != G_WAITING or g_seq[nxt] != (gen, a1[i] - 1):
                return False
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
            if typ == _GO_SWITCH:
                g_status[cur_g] = G_WAITING
                queue.append((-1, _GO_BLOCK, t, cur_g, cur_p, m, -1, -1))
            else:
                del g_status[cur_g]
                queue.append((-1, _GO_DESTROY, t, cur_g, cur_p, m, -1, -1))
            g_status[nxt] = G_RUNNING
            g_seq[nxt] = (gen, a1[i])
            new_g = nxt
            queue.append((-1, _GO_START, t, _NONE, cur_p, m, nxt, a1[i]))
        elif typ == _GO_CREATE_SYSCALL:
            need(has_m and cur_g == _NONE, "GoCreateSyscall on a thread running a goroutine")
            new = a0[i]
            need(new not in g_status, f"tried to create goroutine {new} in syscall that already exists")
            g_status[new] = G_SYSCALL
            g_seq[new] = (gen, 0)
            new_g = new
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GO_DESTROY_SYSCALL:
            need(has_m and cur_g != _NONE, "GoDestroySyscall without a goroutine")
            need(g_status.get(cur_g) == G_SYSCALL, f"GoDestroySyscall for goroutine {cur_g} not in a syscall")
            del g_status[cur_g]
            new_g = _NONE
            if cur_p != _NONE:
                need(p_status.get(cur_p) == P_SYSCALL, f"proc {cur_p} in unexpected state during GoDestroySyscall")
                p_status[cur_p] = P_ABANDONED
                new_p = _NONE
                queue.append((-1, _PROC_STEAL, t, cur_g, cur_p, m, P_SYSCALL, cur_p))
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _USER_TASK_BEGIN:
            tid = a0[i]
            need(tid not in tasks, f"task ID conflict: {tid}")
            need(a2[i] in strings, f"invalid string ID {a2[i]} for UserTaskBegin")
            tasks[tid] = (strings[a2[i]], a1[i])
            user("UserTaskBegin")
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _USER_TASK_END:
            tasks.pop(a0[i], None)
            user("UserTaskEnd")
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _USER_REGION_BEGIN or typ == _USER_REGION_END:
            user("UserRegion")
            need(a1[i] in strings, f"invalid string ID {a1[i]} for a region")
            need(cur_g in g_status, f"region event without known state for goroutine {cur_g}")
            key = (a0[i], strings[a1[i]])
            stack = g_regions.setdefault(cur_g, [])
            if typ == _USER_REGION_BEGIN:
                stack.append(key)
            elif stack:
                need(stack[-1] == key, f"misuse of region in goroutine {cur_g}: region end {key} when {stack[-1]}")
                stack.pop()
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ in (_GC_ACTIVE, _GC_BEGIN, _GC_END):
            seq = a0[i]
            if typ == _GC_ACTIVE and gen == initial:
                need(gc[1] == _GC_UNDETERMINED, "GCActive in the first generation isn't first GC event")
                gc[0], gc[1] = seq, _GC_RUNNING
            elif typ == _GC_BEGIN and gc[1] == _GC_UNDETERMINED:
                gc[0], gc[1] = seq, _GC_RUNNING
            else:
                if seq != gc[0] + 1:
                    return False
                if typ == _GC_ACTIVE:
                    need(gc[1] == _GC_RUNNING, "encountered GCActive while GC was not in progress")
                elif typ == _GC_BEGIN:
                    need(gc[1] != _GC_RUNNING, "encountered GCBegin while GC was already in progress")
                else:
                    need(gc[1] == _GC_RUNNING, "encountered GCEnd when GC was not in progress")
                gc[0] = seq
                gc[1] = _GC_NOT_RUNNING if typ == _GC_END else _GC_RUNNING
                user("GC")
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ in (_PROCS_CHANGE, _GO_LABEL, _USER_LOG):
            user("annotation")
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ in (_HEAP_ALLOC, _HEAP_GOAL, _GC_SWEEP_BEGIN, _GC_SWEEP_END):
            need(has_m and cur_p != _NONE, "heap/sweep event without a thread and proc")
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GC_SWEEP_ACTIVE:
            need(a0[i] in p_status, f"encountered GCSweepActive for unknown proc {a0[i]}")
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ == _GC_MARK_ASSIST_ACTIVE:
            need(a0[i] in g_status, f"uninitialized goroutine {a0[i]} found during GCMarkAssistActive")
            if gen == initial:  # a mark assist already running when the trace started
                g_ranges.setdefault(a0[i], []).append((_GC_MARK_ASSIST_BEGIN, 0))
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ in (_STW_BEGIN, _GC_MARK_ASSIST_BEGIN):
            user("range begin")
            need(cur_g in g_status, f"range event without known state for goroutine {cur_g}")
            g_ranges.setdefault(cur_g, []).append((typ, a0[i] if typ == _STW_BEGIN else 0))
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        elif typ in (_STW_END, _GC_MARK_ASSIST_END):
            user("range end")
            need(cur_g in g_status, f"range event without known state for goroutine {cur_g}")
            begin = _STW_BEGIN if typ == _STW_END else _GC_MARK_ASSIST_BEGIN
            rs = g_ranges.get(cur_g, [])
            at = next((k for k, r in enumerate(rs) if r[0] == begin), -1)
            need(at >= 0, f"tried to end event {typ}, but not in-flight")
            desc = rs[at][1]
            rs[at] = rs[-1]
            rs.pop()
            queue.append((i, typ, t, cur_g, cur_p, m, desc, -1))
        elif typ >= 128:  # experimental alloc/free events
            need(has_m, "experimental event without a thread")
            queue.append((i, typ, t, cur_g, cur_p, m, -1, -1))
        else:
            raise _Broken(f"bad event type found while ordering: {typ}")
        if has_m:
            m_g[m] = new_g
            m_p[m] = new_p
        return True

    error = None
    try:
        for g in gens:
            _run_generation(g, times, emit, advance, queue)
    except _Broken as e:
        error = f"{source}: broken trace (generation {g.gen}): {e}"
    except TraceFormatError as e:
        error = str(e)
    if error is not None and not out_src:
        raise TraceFormatError(error)
    if error is None:
        emit(-1, SYNC, last[0], _NONE, _NONE, _NONE)  # the final sync, as Go's reader emits it
    arr = np.asarray
    return Ordered(
        src=arr(out_src, np.int64), typ=arr(out_typ, np.int64), t=arr(out_t, np.int64), g=arr(out_g, np.int64),
        p=arr(out_p, np.int64), m=arr(out_m, np.int64), x=arr(out_x, np.int64), y=arr(out_y, np.int64),
        error=error,
    )  # fmt: skip


def _run_generation(gen: Generation, times: list[int], emit, advance, queue) -> None:  # type: ignore[no-untyped-def]
    """One generation through the frontier heap (reader.go ``ReadEvent``)."""
    emit(-1, SYNC, gen.min_ts, _NONE, _NONE, _NONE)
    # a cursor: [time of its next event, m, next row, end row]
    heap: list[list[int]] = []
    for m, lo, hi in gen.cursors:
        if lo < hi:
            heap.append([times[lo], m, lo, hi])
            _sift_up(heap, len(heap) - 1)
    cpu_t, cpu_idx = gen.cpu_t, gen.cpu_idx
    ci, nc = 0, len(cpu_t)
    g, strings = gen.gen, gen.strings
    while heap or ci < nc:
        if ci < nc and (not heap or cpu_t[ci] < heap[0][0]):
            emit(cpu_idx[ci], CPU_SAMPLE, cpu_t[ci], _NONE, _NONE, _NONE)
            ci += 1
            continue
        k = 0
        if not advance(heap[0][2], heap[0][1], g, strings):
            heap.sort(key=lambda c: c[0])
            for k in range(1, len(heap)):
                if advance(heap[k][2], heap[k][1], g, strings):
                    break
            else:
                front = ", ".join(f"M {c[1]} at {c[0]} ns" for c in heap)
                raise _Broken(f"failed to advance: no thread's next event can happen next (frontier: {front})")
        cur = heap[k]
        cur[2] += 1
        if cur[2] < cur[3]:
            cur[0] = times[cur[2]]
            if _sift_up(heap, k) == k:
                _sift_down(heap, k)
        else:
            _remove(heap, k)
        for q in queue:
            emit(*q)
        queue.clear()


def _sift_up(heap: list[list[int]], i: int) -> int:
    while i > 0 and heap[(i - 1) // 2][0] > heap[i][0]:
        j = (i - 1) // 2
        heap[j], heap[i] = heap[i], heap[j]
        i = j
    return i


def _sift_down(heap: list[list[int]], i: int) -> None:
    n = len(heap)
    while True:
        m = i
        mt = heap[i][0] if i < n else 1 << 62
        for c in (2 * i + 1, 2 * i + 2):
            if c < n and heap[c][0] < mt:
                m, mt = c, heap[c][0]
        if m == i:
            return
        heap[i], heap[m] = heap[m], heap[i]
        i = m


def _remove(heap: list[list[int]], i: int) -> None:
    while i > 0:
        j = (i - 1) // 2
        heap[j], heap[i] = heap[i], heap[j]
        i = j
    heap[0], heap[-1] = heap[-1], heap[0]
    heap.pop()
    if heap:
        _sift_down(heap, 0)
