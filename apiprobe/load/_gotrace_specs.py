"""The Go execution trace wire format's event specs (``internal/trace/tracev2/events.go``), by version."""

from __future__ import annotations

import numpy as np

__all__ = ["EV", "LAST_TYPE", "SPECS", "spec_tables"]


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
