"""Per-goroutine, per-region and per-task time breakdowns of a Go execution trace.

A port of ``internal/trace``'s ``Summarizer`` (``summary.go``), the code
behind ``go tool trace``'s goroutine analysis and its task and region pages:
it walks the ordered events once and accounts each goroutine's time to
execution, waiting to be scheduled, blocking (by reason), syscalls and
syscalls that blocked (the P was taken away), and snapshots those counters
when a region begins and ends. ``trace_profile`` uses the goroutines' first
start and end, exactly as ``go tool trace -pprof`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["GoStats", "TraceSummary", "summarize"]

_UNSET = None


@dataclass
class GoStats:
    """Time counters (ns) of a goroutine or a region, as Go's ``GoroutineExecStats``."""

    exec: int = 0
    sched_wait: int = 0
    block: dict[str, int] = field(default_factory=dict)
    syscall: int = 0
    syscall_block: int = 0
    total: int = 0
    ranges: dict[str, int] = field(default_factory=dict)

    def copy(self) -> GoStats:
        return GoStats(
            self.exec, self.sched_wait, dict(self.block), self.syscall, self.syscall_block, self.total,
            dict(self.ranges),
        )  # fmt: skip

    def minus(self, o: GoStats) -> GoStats:
        r = self.copy()
        r.exec -= o.exec
        r.sched_wait -= o.sched_wait
        for k in self.block:
            r.block[k] -= o.block.get(k, 0)
        r.syscall -= o.syscall
        r.syscall_block -= o.syscall_block
        r.total -= o.total
        for k in self.ranges:
            r.ranges[k] -= o.ranges.get(k, 0)
        return r


@dataclass
class _Region:
    task: int
    name: str
    goroutine: int
    start: int | None  # ns; None: began before the trace
    end: int | None = None  # None: still open at the end of the trace
    stats: GoStats = field(default_factory=GoStats)


@dataclass
class _G:
    id: int
    name: str = ""
    created_by: str = ""
    creation: int = 0
    start: int | None = None
    end: int | None = None
    stats: GoStats = field(default_factory=GoStats)
    live: bool = True
    last_start: int | None = None
    last_runnable: int | None = None
    last_block: int | None = None
    last_block_reason: str = ""
    last_syscall: int | None = None
    last_syscall_block: int | None = None
    last_range: dict[str, int] = field(default_factory=dict)
    active: list[_Region] = field(default_factory=list)
    regions: list[_Region] = field(default_factory=list)

    def snapshot(self, last_ts: int) -> GoStats:
        ret = self.stats.copy()
        if not self.live:
            return ret
        if ret.total == 0:
            ret.total = last_ts - self.creation
        if self.last_start is not None:
            ret.exec += last_ts - self.last_start
        if self.last_runnable is not None:
            ret.sched_wait += last_ts - self.last_runnable
        if self.last_block is not None:
            ret.block[self.last_block_reason] = ret.block.get(self.last_block_reason, 0) + last_ts - self.last_block
        if self.last_syscall is not None:
            ret.syscall += last_ts - self.last_syscall
        if self.last_syscall_block is not None:
            ret.sched_wait += last_ts - self.last_syscall_block
        for k, ts in self.last_range.items():
            ret.ranges[k] = ret.ranges.get(k, 0) + last_ts - ts
        return ret

    def finalize(self, last_ts: int, trigger_ts: int | None) -> None:
        if trigger_ts is not None:
            self.end = trigger_ts
        final = self.snapshot(last_ts)
        self.stats = final
        if not _is_system(self.name):
            for r in self.active:
                r.end = trigger_ts
                r.stats = final.minus(r.stats)
                self.regions.append(r)
        self.active = []
        self.live = False
        self.last_start = self.last_runnable = self.last_block = self.last_syscall = None
        self.last_syscall_block = None
        self.last_range = {}


def _is_system(entry: str) -> bool:
    return entry == "" or (entry != "runtime.main" and entry.startswith("runtime."))


@dataclass
class TraceSummary:
    """What :func:`summarize` found: goroutines, regions and tasks, in Go's terms."""

    goroutines: dict[int, _G]
    regions: list[_Region]
    tasks: dict[int, dict[str, object]]
    end_ts: int


_GS = {"undetermined": 0, "notexist": 1, "runnable": 2, "running": 3, "waiting": 4, "syscall": 5}
_RANGE_KINDS = {
    "STWBegin": ("begin", "g"),
    "STWEnd": ("end", "g"),
    "GCMarkAssistBegin": ("begin", "g"),
    "GCMarkAssistActive": ("active", "arg_g"),
    "GCMarkAssistEnd": ("end", "g"),
    "GCSweepBegin": ("begin", "p"),
    "GCSweepActive": ("active", "arg_p"),
    "GCSweepEnd": ("end", "p"),
}


def _range_name(kind: str, stw: object) -> str:
    if kind.startswith("STW"):
        return f"stop-the-world ({stw if isinstance(stw, str) else ''})"
    if kind.startswith("GCMarkAssist"):
        return "GC mark assist"
    return "GC incremental sweep"


def stack_names(stacks: pd.DataFrame) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]:
    """``(gen, stack id)`` → the root frame's function, and → the leaf frame's function."""
    if stacks.empty:
        return {}, {}
    keys = list(zip(stacks["gen"].tolist(), stacks["stack_id"].tolist(), strict=True))
    funcs = stacks["func"].tolist()
    depth = stacks["depth"].tolist()
    root: dict[tuple[int, int], str] = {}
    leaf: dict[tuple[int, int], str] = {}
    for k, f, d in zip(keys, funcs, depth, strict=True):
        root[k] = f or ""  # frames come leaf first: the last one wins
        if d == 0:
            leaf[k] = f or ""
    return root, leaf


def summarize(events: pd.DataFrame, stacks: pd.DataFrame) -> TraceSummary:  # noqa: C901, PLR0912, PLR0915
    """Walk the ordered events once, the way Go's ``Summarizer`` does."""
    root, leaf = stack_names(stacks)
    kinds = events["kind"].astype(str).to_numpy()
    interesting = np.isin(
        kinds,
        [
            "Sync", "UserRegionBegin", "UserRegionEnd", "UserTaskBegin", "UserTaskEnd", "UserLog",
            *(_RANGE_KINDS.keys()),
        ],
    ) | (events["state_goroutine"].to_numpy() >= 0) | (events["state_proc"].to_numpy() >= 0)  # fmt: skip
    rows = np.flatnonzero(interesting)
    sub = events.iloc[rows]

    def col(name: str, default: object = -1) -> list:  # type: ignore[type-arg]
        return sub[name].tolist() if name in sub else [default] * len(sub)

    K = kinds[rows].tolist()
    TS = col("ts")
    GEN = col("gen")
    CG = col("goroutine")
    CP = col("proc")
    SG = col("state_goroutine")
    SP = col("state_proc")
    FROM = sub["from_state"].astype(object).tolist()
    TO = sub["to_state"].astype(object).tolist()
    REASON = [r if isinstance(r, str) else "" for r in col("reason", None)]
    STACK = col("stack_id", 0)
    NEWSTACK = col("new_stack_id", 0)
    ARG_G = col("g")
    ARG_P = col("p")
    TASK = col("task")
    PARENT = col("parent_task")
    NAME = [n if isinstance(n, str) else "" for n in col("name", None)]
    STW = col("stw_kind", None)

    gs: dict[int, _G] = {}
    tasks: dict[int, dict[str, object]] = {}
    syscalling_p: dict[int, int] = {}
    syscalling_g: dict[int, int] = {}
    ranges_p: dict[tuple[int, str], int] = {}
    sync_ts: int | None = None
    last_ts = 0

    def task(tid: int) -> dict[str, object]:
        if tid not in tasks:
            tasks[tid] = {"name": "", "parent": -1, "start": None, "end": None, "goroutines": set(), "logs": 0}
        return tasks[tid]

    for i, kind in enumerate(K):
        ts = TS[i]
        if sync_ts is None:
            sync_ts = ts
        last_ts = ts
        if kind == "Sync":
            sync_ts = ts
            continue
        gid = SG[i]
        if gid >= 0:
            old, new = _GS[FROM[i]], _GS[TO[i]]
            if old == new:
                continue
            g = gs.get(gid)
            if old == 0 or old == 1 or g is None:  # undetermined / not exist: a new summary
                g = _G(id=gid, creation=sync_ts if old == 0 else ts)
                if old == 0:
                    d = ts - sync_ts
                    if new == 3:
                        g.stats.exec += d
                    elif new == 4:
                        g.stats.block[REASON[i]] = g.stats.block.get(REASON[i], 0) + d
                    elif new == 2:
                        g.stats.sched_wait += d
                    elif new == 5:
                        if CP[i] == -1:
                            g.stats.syscall_block += d
                        else:
                            g.stats.syscall += d
                else:
                    creator = gs.get(CG[i])
                    if creator is not None and creator.active:
                        g.active = [_Region(creator.active[-1].task, "", gid, ts)]
                    g.created_by = leaf.get((GEN[i], STACK[i]), "")
                gs[gid] = g
            elif old == 3:
                g.stats.exec += ts - (g.last_start if g.last_start is not None else ts)
                g.last_start = None
            elif old == 4:
                if g.last_block is not None:
                    g.stats.block[g.last_block_reason] = g.stats.block.get(g.last_block_reason, 0) + ts - g.last_block
                    g.last_block = None
            elif old == 2:
                if g.last_runnable is not None:
                    g.stats.sched_wait += ts - g.last_runnable
                    g.last_runnable = None
            elif old == 5:
                if g.last_syscall is not None:
                    if g.last_syscall_block is not None:
                        g.stats.syscall_block += ts - g.last_syscall_block
                        g.stats.syscall += g.last_syscall_block - g.last_syscall
                    else:
                        g.stats.syscall += ts - g.last_syscall
                    g.last_syscall = g.last_syscall_block = None
                    syscalling_p.pop(syscalling_g.get(gid, -2), None)
                    syscalling_g.pop(gid, None)
            if g.name == "":
                if kind in ("GoCreate", "GoCreateBlocked"):
                    sid = NEWSTACK[i]
                elif kind in ("GoStop", "GoBlock", "GoSyscallBegin", "GoStatusStack"):
                    sid = STACK[i]
                else:
                    sid = 0
                if sid:
                    g.name = root.get((GEN[i], sid), "")
            if new == 3:
                g.last_start = ts
                if g.start is None:
                    g.start = ts
            elif new == 2:
                g.last_runnable = ts
            elif new == 4 and REASON[i] != "forever":
                g.last_block = ts
                g.last_block_reason = REASON[i]
            elif new in (4, 1):
                g.finalize(ts, ts)
            elif new == 5:
                syscalling_p[CP[i]] = gid
                syscalling_g[gid] = CP[i]
                g.last_syscall = ts
            continue
        pid = SP[i]
        if pid >= 0:
            if FROM[i] != TO[i] and TO[i] == "idle" and pid in syscalling_p:
                gs[syscalling_p.pop(pid)].last_syscall_block = ts
            continue
        if kind in _RANGE_KINDS:
            what, scope = _RANGE_KINDS[kind]
            name = _range_name(kind, STW[i])
            if what in ("begin", "active"):
                if scope == "g":
                    g = gs.get(CG[i])
                elif scope == "arg_g":
                    g = gs.get(ARG_G[i])
                else:
                    g = gs.get(CG[i])
                    if g is not None:
                        ranges_p[(CP[i] if scope == "p" else ARG_P[i], name)] = CG[i]
                if g is None:
                    continue
                if what == "active":
                    if name in g.last_range:
                        g.stats.ranges[name] = g.stats.ranges.get(name, 0) + sync_ts - g.last_range[name]
                    g.last_range[name] = sync_ts
                else:
                    g.last_range[name] = ts
            else:
                if scope == "g":
                    g = gs.get(CG[i])
                else:
                    owner = ranges_p.pop((CP[i], name), None)
                    g = gs.get(owner) if owner is not None and owner == CG[i] else None
                if g is None or name not in g.last_range:
                    continue
                g.stats.ranges[name] = g.stats.ranges.get(name, 0) + ts - g.last_range.pop(name)
            continue
        if kind == "UserRegionBegin":
            g = gs[CG[i]]
            r = _Region(TASK[i], NAME[i], g.id, ts, stats=g.snapshot(ts))
            g.active.append(r)
            t = task(TASK[i])
            t["goroutines"].add(g.id)  # type: ignore[attr-defined]
        elif kind == "UserRegionEnd":
            g = gs[CG[i]]
            if g.active:
                r = g.active.pop()
            else:
                r = _Region(TASK[i], NAME[i], g.id, None)
                task(TASK[i])["goroutines"].add(g.id)  # type: ignore[attr-defined]
            r.stats = g.snapshot(ts).minus(r.stats)
            r.end = ts
            g.regions.append(r)
        elif kind in ("UserTaskBegin", "UserTaskEnd"):
            t = task(TASK[i])
            t["goroutines"].add(CG[i])  # type: ignore[attr-defined]
            if kind == "UserTaskBegin":
                t["name"] = NAME[i]
                t["start"] = ts
                parent = PARENT[i]
                if parent not in (0, -1) and t["parent"] == -1:
                    t["parent"] = parent
                    task(parent)
            else:
                t["end"] = ts
        elif kind == "UserLog":
            t = task(TASK[i])
            t["logs"] = int(t["logs"]) + 1  # type: ignore[call-overload]
            t["goroutines"].add(CG[i])  # type: ignore[attr-defined]
    for g in gs.values():
        if g.live:
            g.finalize(last_ts, None)
    regions = [r for g in gs.values() for r in g.regions]
    return TraceSummary(gs, regions, tasks, last_ts)
