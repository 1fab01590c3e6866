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

from apiprobe.errors import InvalidParameterError
from apiprobe.load._gotrace_specs import NOT_SET, index_of, pair_codes
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
    a = trace.arrays
    rows = np.flatnonzero(a["state_goroutine"] >= 0)
    gid = a["state_goroutine"][rows]
    ids = a["goroutine_ids"]
    dense = index_of(ids, gid)
    summary = trace.summary()
    end_ts = int(a["ts"][-1])
    at = np.searchsorted(summary.goroutine, ids)
    at = np.clip(at, 0, max(len(summary.goroutine) - 1, 0))
    known = (summary.goroutine[at] == ids) if len(summary.goroutine) else np.zeros(len(ids), bool)
    lo = np.where(known & (summary.start[at] != NOT_SET), summary.start[at], _NEVER) if len(ids) else ids
    hi = np.where(known & (summary.end[at] != NOT_SET), summary.end[at], end_ts) if len(ids) else ids
    hi = np.where(known, hi, -1)
    lo = np.where(known, lo, 0)
    code = {"runnable": 2, "running": 3, "waiting": 4, "syscall": 5}[state]
    to = a["to_state"][rows]
    starts = to == code
    if reason_ok is not None:
        texts = _reason_texts(trace, rows)
        starts &= np.array([bool(reason_ok(t)) for t in texts], dtype=np.bool_)  # type: ignore[operator]
    from apiprobe.load._gotrace_kernel import stretch_kernel  # numba: loaded on first use

    first, dur = stretch_kernel(dense.astype(np.int64), to, starts, a["ts"][rows], lo, hi, code, len(ids))
    src = rows[first]
    sid = a["stack_id"][src]
    gen = np.where(sid > 0, a["gen"][src], 0)
    return _build(gen, sid, dur, trace, kind)


def _reason_texts(trace: GoTrace, rows: np.ndarray) -> list[str]:
    rid = trace.arrays["reason_id"][rows]
    gen = trace.arrays["gen"][rows]
    cache: dict[tuple[int, int], str] = {}
    out = []
    for g, r in zip(gen.tolist(), rid.tolist(), strict=True):
        key = (g, r)
        if key not in cache:
            cache[key] = trace.strings.get(key, "") if r > 0 else ""
        out.append(cache[key])
    return out


def _build(gen: np.ndarray, sid: np.ndarray, dur: np.ndarray, trace: GoTrace, kind: str) -> Profile:
    """Merge samples by program counters into a :class:`Profile` (Go's ``stackMap`` and ``BuildProfile``).

    Each sample is one stretch, on the stack ``(gen, sid)`` of the event
    that began it (``sid`` 0: no stack). Go keys samples by the stack, then
    merges stacks with the same zero-padded program counters, and the
    merged record shows the frames of the stack sampled last.
    """
    ugen, usid, inv = pair_codes(gen, sid)
    count = np.bincount(inv, minlength=len(ugen))
    total = np.zeros(len(ugen), np.int64)
    np.add.at(total, inv, dur)
    last = np.full(len(ugen), -1, np.int64)
    np.maximum.at(last, inv, np.arange(len(inv)))
    frames = trace.stack_frames()
    merged: dict[tuple[int, ...], list[int]] = {}
    frames_of: dict[tuple[int, ...], tuple[int, list[tuple[int, str, str, int]]]] = {}
    for k, (g, s) in enumerate(zip(ugen.tolist(), usid.tolist(), strict=True)):
        fr = frames.get((g, s), [])[:_MAX_STACK] if s else []
        pcs = tuple(f[0] for f in fr)
        while pcs and pcs[-1] == 0:  # Go keys by a zero-padded [128]pc array: [0] is the same as no stack
            pcs = pcs[:-1]
        rec = merged.setdefault(pcs, [0, 0])
        rec[0] += int(count[k])
        rec[1] += int(total[k])
        if pcs not in frames_of or frames_of[pcs][0] < last[k]:
            frames_of[pcs] = (int(last[k]), fr)
    loc_of: dict[int, int] = {}
    locations: list[Location] = []
    offsets = [0]
    flat: list[int] = []
    values = []
    for pcs, (c, ns) in merged.items():
        for pc, fn, file, line in frames_of[pcs][1]:
            if pc not in loc_of:
                loc_of[pc] = len(locations)
                locations.append(Location(pc, "", (Frame(fn, fn, file, 0, line),)))
            flat.append(loc_of[pc])
        offsets.append(len(flat))
        values.append((c, ns))
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
