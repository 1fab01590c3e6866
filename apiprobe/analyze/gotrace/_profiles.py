"""Blocking and scheduling profiles of a Go execution trace, equal to ``go tool trace -pprof=KIND``.

A port of ``cmd/trace/pprof.go``: for every goroutine, each stretch spent
in one state (waiting on the network, waiting on a channel / mutex /
select, in a syscall, runnable but not running) is one sample on the stack
of the event that *began* the stretch, weighted by its length clipped to
the goroutine's life (first start to end, or to the end of the trace).
Samples are merged by their program counters, and the profile has Go's
two sample types, ``contentions/count`` and ``delay/nanoseconds``, so
:func:`~apiprobe.analyze.profiles.profile_top`, ``fig_flame`` and
``profile_diff`` take it like any pprof file.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from apiprobe.errors import InvalidParameterError
from apiprobe.load.gotrace import GoTrace
from apiprobe.load.pprof import Frame, Location, Profile

__all__ = ["PROFILE_KINDS", "trace_profile"]

ProfileKind = Literal["net", "sync", "syscall", "sched"]
PROFILE_KINDS: tuple[str, ...] = ("net", "sync", "syscall", "sched")
_MAX_STACK = 128
_NEVER = -(1 << 62)


def _tracks(kind: str) -> tuple[str, object]:
    if kind == "net":
        return "waiting", lambda r: r == "network"
    if kind == "sync":
        return "waiting", lambda r: "chan" in r or "sync" in r or "select" in r
    if kind == "syscall":
        return "syscall", None
    return "runnable", None


def trace_profile(trace: GoTrace, kind: ProfileKind) -> Profile:
    """The ``go tool trace -pprof=KIND`` profile of a trace.

    Parameters
    ----------
    trace : GoTrace
        From :func:`~apiprobe.load.read_go_trace`.
    kind : {"net", "sync", "syscall", "sched"}
        ``net``: time blocked on the network; ``sync``: blocked on channels,
        ``select``, mutexes and ``sync.Cond``; ``syscall``: in system calls;
        ``sched``: runnable, waiting for a P (scheduler latency).

    Returns
    -------
    Profile
        Sample types ``contentions/count`` and ``delay/nanoseconds``, one
        sample per distinct stack; the same functions and flat/cum values as
        Go's file read back with :func:`~apiprobe.load.read_pprof`.
    """
    if kind not in PROFILE_KINDS:
        raise InvalidParameterError(f"kind must be one of {', '.join(PROFILE_KINDS)}; got {kind!r}")
    state, reason_ok = _tracks(kind)
    ev = trace.events
    sel = np.flatnonzero(ev["state_goroutine"].to_numpy() >= 0)
    sub = ev.iloc[sel]
    gids = sub["state_goroutine"].tolist()
    to = sub["to_state"].astype(object).tolist()
    ts = sub["ts"].tolist()
    gen = sub["gen"].tolist()
    stack = sub["stack_id"].tolist()
    reasons = sub["reason"].astype(object).tolist() if "reason" in sub else [None] * len(sub)
    summary = trace.summary()
    end_ts = int(ev["ts"].iloc[-1])
    life = {
        g.id: (_NEVER if g.start is None else g.start, end_ts if g.end is None else g.end)
        for g in summary.goroutines.values()
    }
    tracking: dict[int, int] = {}
    acc: dict[tuple[int, int], list[int]] = {}  # (gen, stack id) -> [count, ns, last sample's rank]
    n_rec = 0
    for i, gid in enumerate(gids):
        start = tracking.get(gid)
        if start is None:
            if to[i] == state and (reason_ok is None or reason_ok(reasons[i] if isinstance(reasons[i], str) else "")):  # type: ignore[operator]
                tracking[gid] = i
            continue
        if to[i] == state:
            continue
        del tracking[gid]
        lo, hi = life.get(gid, (0, -1))
        a, b = ts[start], ts[i]
        if hi < a or b < lo:
            continue
        d = min(b, hi) - max(a, lo)
        if d > 0:
            key = (gen[start], stack[start]) if stack[start] else (0, 0)  # stacks are per generation; "none" is one
            rec = acc.setdefault(key, [0, 0, 0])
            rec[0] += 1
            rec[1] += d
            rec[2] = n_rec
            n_rec += 1
    return _build(acc, trace, kind)


def _frames(stacks: pd.DataFrame) -> dict[tuple[int, int], list[tuple[int, str, str, int]]]:
    out: dict[tuple[int, int], list[tuple[int, str, str, int]]] = {}
    if stacks.empty:
        return out
    cols = zip(
        stacks["gen"].tolist(), stacks["stack_id"].tolist(), stacks["pc"].tolist(),
        stacks["func"].tolist(), stacks["file"].tolist(), stacks["line"].tolist(), strict=True,
    )  # fmt: skip
    for g, sid, pc, fn, file, line in cols:
        out.setdefault((g, sid), []).append((int(pc), fn if isinstance(fn, str) else "", file if isinstance(file, str) else "", int(line)))
    return out


def _build(acc: dict[tuple[int, int], list[int]], trace: GoTrace, kind: str) -> Profile:
    """Merge samples by program counters and lay them out as a :class:`Profile` (Go's ``BuildProfile``)."""
    frames = _frames(trace.stacks) if acc else {}
    merged: dict[tuple[int, ...], list[int]] = {}
    frames_of: dict[tuple[int, ...], tuple[int, list[tuple[int, str, str, int]]]] = {}
    for key, (count, ns, rank) in acc.items():
        fr = frames.get(key, [])[:_MAX_STACK] if key[1] else []
        pcs = tuple(f[0] for f in fr)
        while pcs and pcs[-1] == 0:  # Go keys by a zero-padded [128]pc array: [0] is the same as no stack
            pcs = pcs[:-1]
        rec = merged.setdefault(pcs, [0, 0])
        rec[0] += count
        rec[1] += ns
        # stacks with the same pcs share one record, which shows the frames of the last one sampled
        if pcs not in frames_of or frames_of[pcs][0] < rank:
            frames_of[pcs] = (rank, fr)
    loc_of: dict[int, int] = {}
    locations: list[Location] = []
    offsets = [0]
    flat: list[int] = []
    values = []
    for pcs, (count, ns) in merged.items():
        for pc, fn, file, line in frames_of[pcs][1]:
            if pc not in loc_of:
                loc_of[pc] = len(locations)
                locations.append(Location(pc, "", (Frame(fn, fn, file, 0, line),)))
            flat.append(loc_of[pc])
        offsets.append(len(flat))
        values.append((count, ns))
    n = len(values)
    return Profile(
        sample_types=[("contentions", "count"), ("delay", "nanoseconds")],
        default_sample_type="",
        locations=locations,
        stack_offsets=np.asarray(offsets, np.int64),
        stack_locs=np.asarray(flat, np.int64),
        sample_stack=np.arange(n, dtype=np.int64),
        values=np.asarray(values, np.int64).reshape(n, 2),
        labels=[None] * n,
        num_labels=[None] * n,
        period_type=("trace", "count"),
        period=1,
        source=f"{trace.source} (-pprof={kind})",
    )
