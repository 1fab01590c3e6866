"""The Go execution trace wire format's event specs (``internal/trace/tracev2/events.go``), by version."""

from __future__ import annotations

import numpy as np

__all__ = ["EV", "LAST_TYPE", "SPECS", "dense_codes", "index_of", "pair_codes", "spec_tables", "type_mask"]


# Event specs, in wire order (internal/trace/tracev2/events.go). Arguments:
# ``dt`` is the timestamp delta, ``*_string`` a string ID, ``stack`` /
# ``new_stack`` a stack ID. Structural events have ``None`` (not in event batches).
SPECS: list[tuple[str, tuple[str, ...] | None]] = [
    ("None", None),
    ("EventBatch", None),
    ("Stacks", None),
    ("Stack", None),
    ("Strings", None),
    ("String", None),
    ("CPUSamples", None),
    ("CPUSample", None),
    ("Frequency", None),
    ("ProcsChange", ("dt", "procs_value", "stack")),
    ("ProcStart", ("dt", "p", "p_seq")),
    ("ProcStop", ("dt",)),
    ("ProcSteal", ("dt", "p", "p_seq", "m")),
    ("ProcStatus", ("dt", "p", "pstatus")),
    ("GoCreate", ("dt", "new_g", "new_stack", "stack")),
    ("GoCreateSyscall", ("dt", "new_g")),
    ("GoStart", ("dt", "g", "g_seq")),
    ("GoDestroy", ("dt",)),
    ("GoDestroySyscall", ("dt",)),
    ("GoStop", ("dt", "reason_string", "stack")),
    ("GoBlock", ("dt", "reason_string", "stack")),
    ("GoUnblock", ("dt", "g", "g_seq", "stack")),
    ("GoSyscallBegin", ("dt", "p_seq", "stack")),
    ("GoSyscallEnd", ("dt",)),
    ("GoSyscallEndBlocked", ("dt",)),
    ("GoStatus", ("dt", "g", "m", "gstatus")),
    ("STWBegin", ("dt", "kind_string", "stack")),
    ("STWEnd", ("dt",)),
    ("GCActive", ("dt", "gc_seq")),
    ("GCBegin", ("dt", "gc_seq", "stack")),
    ("GCEnd", ("dt", "gc_seq")),
    ("GCSweepActive", ("dt", "p")),
    ("GCSweepBegin", ("dt", "stack")),
    ("GCSweepEnd", ("dt", "swept_value", "reclaimed_value")),
    ("GCMarkAssistActive", ("dt", "g")),
    ("GCMarkAssistBegin", ("dt", "stack")),
    ("GCMarkAssistEnd", ("dt",)),
    ("HeapAlloc", ("dt", "heapalloc_value")),
    ("HeapGoal", ("dt", "heapgoal_value")),
    ("GoLabel", ("dt", "label_string")),
    ("UserTaskBegin", ("dt", "task", "parent_task", "name_string", "stack")),
    ("UserTaskEnd", ("dt", "task", "stack")),
    ("UserRegionBegin", ("dt", "task", "name_string", "stack")),
    ("UserRegionEnd", ("dt", "task", "name_string", "stack")),
    ("UserLog", ("dt", "task", "key_string", "value_string", "stack")),  # last of Go 1.22
    ("GoSwitch", ("dt", "g", "g_seq")),
    ("GoSwitchDestroy", ("dt", "g", "g_seq")),
    ("GoCreateBlocked", ("dt", "new_g", "new_stack", "stack")),
    ("GoStatusStack", ("dt", "g", "m", "gstatus", "stack")),
    ("ExperimentalBatch", None),  # last of Go 1.23 (and 1.24)
    ("Sync", None),
    ("ClockSnapshot", ("dt", "mono", "sec", "nsec")),  # last of Go 1.25
    ("EndOfGeneration", None),  # Go 1.26
]
_EXPERIMENTAL: dict[int, tuple[str, tuple[str, ...]]] = {  # allocfree experiment (in event batches)
    128: ("Span", ("dt", "id", "npages_value", "kindclass")),
    129: ("SpanAlloc", ("dt", "id", "npages_value", "kindclass")),
    130: ("SpanFree", ("dt", "id")),
    131: ("HeapObject", ("dt", "id", "type")),
    132: ("HeapObjectAlloc", ("dt", "id", "type")),
    133: ("HeapObjectFree", ("dt", "id")),
    134: ("GoroutineStack", ("dt", "id", "order")),
    135: ("GoroutineStackAlloc", ("dt", "id", "order")),
    136: ("GoroutineStackFree", ("dt", "id")),
}
LAST_TYPE = {22: 44, 23: 49, 25: 51, 26: 52}  # version -> highest event type it may hold
EV = {name: i for i, (name, _) in enumerate(SPECS)}


def spec_tables(ver: int) -> tuple[np.ndarray, list[str], list[tuple[str, ...]]]:
    nargs = np.full(256, -1, dtype=np.int64)  # -1: not a timed event of this version
    names = [""] * 256
    args: list[tuple[str, ...]] = [()] * 256
    for i, (name, a) in enumerate(SPECS[: LAST_TYPE[ver] + 1]):
        if a is not None:
            nargs[i], names[i], args[i] = len(a), name, a
    if ver >= 23:
        for i, (name, a) in _EXPERIMENTAL.items():
            nargs[i], names[i], args[i] = len(a), name, a
    return nargs, names, args


def type_mask(typ: np.ndarray, types: tuple[int, ...] | list[int]) -> np.ndarray:
    """``np.isin(typ, types)`` for wire types, by table lookup (much faster on millions of events)."""
    lut = np.zeros(256, bool)
    lut[list(types)] = True
    return lut[typ]


def dense_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for int64 keys; by direct addressing when their range is small.

    Goroutine, proc and task ids, and (generation, string id) pairs, span
    a small range: a table over the range replaces a sort of millions of keys.
    """
    if len(keys) == 0:
        return keys.astype(np.int64), np.zeros(0, np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo > max(4 * len(keys), 1 << 22):
        uniq, inv = np.unique(keys, return_inverse=True)
        return uniq, inv.astype(np.int64)
    present = np.zeros(hi - lo + 1, bool)
    off = keys - lo
    present[off] = True
    uniq = np.flatnonzero(present) + lo
    rank = np.cumsum(present) - 1
    return uniq.astype(np.int64), rank[off].astype(np.int64)


def pair_codes(gen: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (generation, id) pairs -- string or stack ids are per generation -- and each row's pair.

    Returns ``(pair_gen, pair_id, inverse)``.
    """
    if len(ids) == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    g0 = int(gen.min())
    stride = max(int(ids.max()) + 1, 1)
    uniq, inv = dense_codes((gen - g0) * stride + ids)
    return uniq // stride + g0, uniq % stride, inv


def index_of(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in the sorted, distinct ``ids`` (-1: not there), by table when ids are compact."""
    if not len(ids):
        return np.full(len(values), -1, np.int64)
    lo, hi = int(ids[0]), int(ids[-1])
    if hi - lo <= max(8 * len(values), 1 << 24):
        table = np.full(hi - lo + 2, -1, np.int64)  # the last slot answers every value outside the range
        table[ids - lo] = np.arange(len(ids))
        off = values - lo
        off = np.where((off >= 0) & (off <= hi - lo), off, hi - lo + 1)
        return table[off]
    at = np.clip(np.searchsorted(ids, values), 0, len(ids) - 1)
    return np.where(ids[at] == values, at, -1)


# -- event types and states, as numbers (what the kernels compare against) -------------------------------

# wire event types
PROCS_CHANGE, PROC_START, PROC_STOP, PROC_STEAL, PROC_STATUS = 9, 10, 11, 12, 13
GO_CREATE, GO_CREATE_SYSCALL, GO_START, GO_DESTROY, GO_DESTROY_SYSCALL = 14, 15, 16, 17, 18
GO_STOP, GO_BLOCK, GO_UNBLOCK, GO_SYSCALL_BEGIN, GO_SYSCALL_END = 19, 20, 21, 22, 23
GO_SYSCALL_END_BLOCKED, GO_STATUS, STW_BEGIN, STW_END = 24, 25, 26, 27
GC_ACTIVE, GC_BEGIN, GC_END, GC_SWEEP_ACTIVE, GC_SWEEP_BEGIN, GC_SWEEP_END = 28, 29, 30, 31, 32, 33
GC_MARK_ASSIST_ACTIVE, GC_MARK_ASSIST_BEGIN, GC_MARK_ASSIST_END = 34, 35, 36
HEAP_ALLOC, HEAP_GOAL, GO_LABEL = 37, 38, 39
USER_TASK_BEGIN, USER_TASK_END, USER_REGION_BEGIN, USER_REGION_END, USER_LOG = 40, 41, 42, 43, 44
GO_SWITCH, GO_SWITCH_DESTROY, GO_CREATE_BLOCKED, GO_STATUS_STACK = 45, 46, 47, 48
CPU_SAMPLE = 7
SYNC = -1

# wire statuses (0: absent)
G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING = 1, 2, 3, 4
P_RUNNING, P_IDLE, P_SYSCALL, P_ABANDONED = 1, 2, 3, 4
# reported states
GS_UNDETERMINED, GS_NOTEXIST, GS_RUNNABLE, GS_RUNNING, GS_WAITING, GS_SYSCALL = 0, 1, 2, 3, 4, 5
PS_UNDETERMINED, PS_NOTEXIST, PS_RUNNING, PS_IDLE = 0, 1, 2, 3
GO_STATE = np.array([GS_UNDETERMINED, GS_RUNNABLE, GS_RUNNING, GS_SYSCALL, GS_WAITING], np.int64)
PROC_STATE = np.array([PS_UNDETERMINED, PS_RUNNING, PS_IDLE, PS_RUNNING, PS_RUNNING], np.int64)

# columns of a stats row (the summary's time counters), and "no time"
EXEC, SCHED, SYSCALL, SYSBLOCK, TOTAL, ASSIST, BLOCK0 = 0, 1, 2, 3, 4, 5, 6
NOT_SET = np.iinfo(np.int64).min
