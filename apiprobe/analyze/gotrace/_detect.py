"""Faults in a Go execution trace (handbook §3.1): slow regions and why, pile-ups, scheduler latency, GC."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.gotrace._gc import gc_pauses, mmu_curve
from apiprobe.analyze.gotrace._states import goroutine_states, region_summary
from apiprobe.load.goroutines import classify_wait_site
from apiprobe.load.gotrace import EV, GoTrace

__all__ = ["detect_trace_faults"]

_DETECTOR = "detect_trace_faults"
_REF = "§3.1"
_WHY = {
    "exec": "running on a CPU",
    "sched_wait": "runnable but waiting for a P (scheduler latency)",
    "block_net": "blocked on the network",
    "block_sync": "blocked on a channel, mutex or select",
    "block_syscall": "in system calls",
    "gc": "waiting on the garbage collector",
    "other": "sleeping or in waits the trace does not name",
}
_ADVICE = {
    "exec": "The time is CPU: profile it (pprof labels on the region, or a CPU profile) and look for the hot path.",
    "sched_wait": (
        "The goroutines were ready but no P ran them: compare GOMAXPROCS with the container's CPU limit and look "
        "for goroutines that hog a P (trace_profile(kind='sched') names where they waited)."
    ),
    "block_net": (
        "The time is the peer's: follow the call into the callee (its own traces and latency); check timeouts "
        "and whether requests queue behind each other on few connections (trace_profile(kind='net'))."
    ),
    "block_sync": (
        "They waited on each other: trace_profile(kind='sync') names the channel, mutex or select. A wait in "
        "net/http.(*Transport).getConn is the HTTP client pool (MaxConnsPerHost) being full."
    ),
    "block_syscall": (
        "The time is in system calls (disk, fsync, DNS via cgo): trace_profile(kind='syscall') names them; move "
        "them off the request path or batch them."
    ),
    "gc": (
        "The goroutines waited on the collector: reduce allocation on the hot path or give it room (GOGC/GOMEMLIMIT)."
    ),
    "other": "Look at the goroutine timeline of the slowest regions for sleeps and waits the trace cannot name.",
}
_POOLS = {
    "http_pool_wait": ("HTTP client pool", "MaxConnsPerHost"),
    "sql_pool_wait": ("database/sql pool", "SetMaxOpenConns"),
    "pool_wait": ("client pool", "the pool size"),
}


def detect_trace_faults(
    trace: GoTrace,
    *,
    tail_ratio: float = 3.0,
    min_tail_ms: float = 1.0,
    min_regions: int = 5,
    pileup_min: int = 8,
    sched_p99_ms: float = 1.0,
    sched_p99_critical_ms: float = 10.0,
    mmu_window_ms: float = 10.0,
    mmu_floor: float = 0.5,
    stw_max_ms: float = 10.0,
    subject: str = "",
) -> pd.DataFrame:
    """Findings from a Go execution trace.

    - ``slow_region``: a region name whose p99 is ``tail_ratio`` times its
      median (and at least ``min_tail_ms``), over at least ``min_regions``
      instances; the evidence says where the slowest tenth spent its time
      (running, waiting to be scheduled, blocked on network / sync /
      syscall, GC) and the recommendation follows the largest part.
    - ``goroutine_pileup`` (``pool_exhaustion`` when the stack is a pool
      wait, named as :func:`~apiprobe.analyze.detect_pool_exhaustion` names
      them): at least ``pileup_min`` goroutines blocked at the same time on
      the same stack.
    - ``sched_latency``: the p99 of runnable-to-running waits above
      ``sched_p99_ms`` (critical above ``sched_p99_critical_ms``), with
      GOMAXPROCS and the most goroutines runnable at once.
    - ``gc_pressure``: the minimum mutator utilization over
      ``mmu_window_ms`` below ``mmu_floor`` (critical below half of it), or a
      GC stop-the-world pause of ``stw_max_ms`` or more.

    Parameters
    ----------
    trace : GoTrace
        From :func:`~apiprobe.load.read_go_trace`.
    tail_ratio : float, default 3.0
        A region name is slow when its p99 is this many times its median...
    min_tail_ms : float, default 1.0
        ...and its p99 is at least this long.
    min_regions : int, default 5
        Region names seen fewer times are not judged.
    pileup_min : int, default 8
        Goroutines blocked at once on one stack for a pile-up (critical at four times as many).
    sched_p99_ms, sched_p99_critical_ms : float, default 1.0, 10.0
        p99 of runnable-to-running waits for a warning, and for a critical finding.
    mmu_window_ms : float, default 10.0
        The window of the minimum mutator utilization that is judged.
    mmu_floor : float, default 0.5
        The utilization below which the GC takes too much (critical below half of it).
    stw_max_ms : float, default 10.0
        A GC stop-the-world pause this long is a finding on its own.
    subject : str, optional
        Names the trace in findings (default: its file name).

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), handbook §3.1 (§2.5 for a pool). Each
        is timed by the trace's span on the wall clock when the trace has a
        clock snapshot (Go 1.25 and later); older traces give no times.
    """
    name = subject or str(trace.source).rsplit("/", 1)[-1]
    rows: list[dict[str, Any]] = []
    rows += _slow_regions(trace, name, tail_ratio, min_tail_ms, min_regions)
    states = goroutine_states(trace)
    rows += _pileups(trace, states, name, pileup_min)
    rows += _sched(trace, states, name, sched_p99_ms, sched_p99_critical_ms)
    rows += _gc(trace, name, mmu_window_ms, mmu_floor, stw_max_ms)
    if trace.wall_start is not None:
        for r in rows:
            r["ts_start"] = trace.wall_start
            r["ts_end"] = trace.wall_start + pd.Timedelta(trace.duration_ns, unit="ns")
    return findings_frame(rows)


def _slow_regions(trace: GoTrace, name: str, ratio: float, min_ms: float, min_n: int) -> list[dict[str, Any]]:
    out = []
    summary = region_summary(trace.regions)
    for r in summary.to_dict("records"):
        count, p50, p99 = int(r["count"]), float(r["p50_ms"]), float(r["p99_ms"])
        if count < min_n or p99 < min_ms or p99 < ratio * max(p50, 1e-9):
            continue
        shares = sorted(((c, float(r[f"share_{c}"])) for c in _WHY), key=lambda kv: kv[1], reverse=True)
        why = ", ".join(f"{s:.0%} {_WHY[c]}" for c, s in shares[:3] if s >= 0.05)
        out.append(
            finding(
                _DETECTOR,
                "slow_region",
                "critical" if p99 >= 3 * ratio * max(p50, 1e-9) else "warning",
                f"{name}: region {r['region']}",
                metric="region_p99_over_p50",
                value=p99 / max(p50, 1e-9),
                threshold=ratio,
                evidence=(
                    f"Region {r['region']!r} ({count} times): p99 {p99:.2f} ms against a median of "
                    f"{p50:.2f} ms (max {float(r['max_ms']):.2f} ms). The slowest tenth spent {why}."
                ),
                recommendation=_ADVICE[str(r["dominant"])],
                handbook_ref=_REF,
            )
        )
    return out


def _site(funcs: list[str]) -> str:
    """Where a goroutine waits, by name: the first frame outside the runtime, and its caller."""
    user = [f for f in funcs if not f.startswith(("runtime.", "internal/", "sync.runtime_"))]
    return " ← ".join(user[:2]) if user else (funcs[0] if funcs else "(no stack)")


def _max_concurrent(starts: np.ndarray, ends: np.ndarray) -> int:
    t = np.concatenate([starts, ends])
    d = np.concatenate([np.ones(len(starts), np.int64), -np.ones(len(ends), np.int64)])
    order = np.lexsort((d, t))  # at equal times, ends (-1) first
    return int(np.cumsum(d[order]).max(initial=0))


def _pileups(trace: GoTrace, states: pd.DataFrame, name: str, minimum: int) -> list[dict[str, Any]]:
    w = states[(states["state"] == "waiting") & (states["stack_id"] > 0)]
    if w.empty:
        return []
    funcs = {k: [f[1] for f in fr] for k, fr in trace.stack_frames().items()}
    keys = list(zip(w["gen"].tolist(), w["stack_id"].tolist(), strict=True))
    site_of = {k: _site(funcs.get(k, [])) for k in set(keys)}
    w = w.assign(site=[site_of[k] for k in keys])
    out = []
    for site, grp in w.groupby("site", sort=False):
        peak = _max_concurrent(grp["start"].to_numpy(), grp["end"].to_numpy())
        if peak < minimum:
            continue
        key = (int(grp["gen"].iloc[0]), int(grp["stack_id"].iloc[0]))
        kind = classify_wait_site("", funcs.get(key, []))
        total = float(grp["duration_ms"].sum())
        reason = grp["reason"].mode().iloc[0] if len(grp) else ""
        if kind in _POOLS:
            pool, knob = _POOLS[kind]
            fault, rec = (
                "pool_exhaustion",
                (
                    f"The {pool} is full: raise {knob} if the upstream can take it, or find who holds the connections "
                    "(slow responses, bodies not closed). Notebook 06 sizes the pool."
                ),
            )
            what = f"waiting for the {pool} ({site})"
        else:
            fault, rec = (
                "goroutine_pileup",
                (
                    "Many goroutines wait on the same thing: find what holds it (trace_profile(kind='sync') for "
                    "channels and locks) and whether the waiting grows with load."
                ),
            )
            what = f"blocked at {site}"
        out.append(
            finding(
                _DETECTOR,
                fault,
                "critical" if peak >= 4 * minimum else "warning",
                f"{name}: {site}",
                metric="goroutines_blocked",
                value=peak,
                threshold=minimum,
                evidence=(
                    f"Up to {peak} goroutines at once {what}, reason {reason!r}; {len(grp)} waits, "
                    f"{total:.1f} ms in all."
                ),
                recommendation=rec,
                handbook_ref=_REF if fault != "pool_exhaustion" else "§2.5",
            )
        )
    return out


def _gomaxprocs(trace: GoTrace) -> int:
    a = trace.arrays
    rows = np.flatnonzero(a["typ"] == EV["ProcsChange"])
    return int(a["value"][rows[-1]]) if len(rows) else int(a["proc"].max(initial=0)) + 1


def _sched(trace: GoTrace, states: pd.DataFrame, name: str, p99_ms: float, critical_ms: float) -> list[dict[str, Any]]:
    r = states[states["state"] == "runnable"]
    if len(r) < 20:
        return []
    d = r["duration_ms"].to_numpy()
    p99 = float(np.quantile(d, 0.99, method="nearest"))
    if p99 < p99_ms:
        return []
    procs = _gomaxprocs(trace)
    peak = _max_concurrent(r["start"].to_numpy(), r["end"].to_numpy())
    return [
        finding(
            _DETECTOR,
            "sched_latency",
            "critical" if p99 >= critical_ms else "warning",
            f"{name}: scheduler",
            metric="runnable_wait_p99_ms",
            value=p99,
            threshold=p99_ms,
            evidence=(
                f"Goroutines waited {p99:.2f} ms at p99 (median {float(np.median(d)):.3f} ms, max {d.max():.2f} ms) "
                f"between runnable and running, over {len(d)} waits; up to {peak} were runnable at once with "
                f"GOMAXPROCS={procs}."
            ),
            recommendation=_ADVICE["sched_wait"],
            handbook_ref=_REF,
        )
    ]


def _gc(trace: GoTrace, name: str, window_ms: float, floor: float, stw_ms: float) -> list[dict[str, Any]]:
    pauses = gc_pauses(trace)
    gcp = pauses[pauses["gc"]]
    curve = mmu_curve(trace, [window_ms, 10 * window_ms])
    mmu = float(curve["mmu"].iloc[0]) if len(curve) else 1.0
    worst = float(gcp["duration_ms"].max()) if len(gcp) else 0.0
    if mmu >= floor and worst < stw_ms:
        return []
    minutes = max(trace.duration_ns / 60e9, 1e-9)
    more = f"; over {10 * window_ms:g} ms it was {curve['mmu'].iloc[1]:.0%}" if len(curve) > 1 else ""
    return [
        finding(
            _DETECTOR,
            "gc_pressure",
            "critical" if mmu < floor / 2 or worst >= 10 * stw_ms else "warning",
            f"{name}: garbage collector",
            metric="mmu",
            value=mmu,
            threshold=floor,
            evidence=(
                f"In the worst {window_ms:g} ms the program had {mmu:.0%} of its CPU (minimum mutator "
                f"utilization){more}. {len(gcp)} GC stop-the-world pauses, {gcp['duration_ms'].sum():.2f} ms in "
                f"all ({gcp['duration_ms'].sum() / 1000 / minutes:.3f} s per minute), the longest {worst:.2f} ms."
            ),
            recommendation=(
                "Take a heap profile (alloc_space) to see what allocates on the hot path; reuse buffers and avoid "
                "per-request allocations, or give the collector room with GOGC/GOMEMLIMIT."
            ),
            handbook_ref=_REF,
        )
    ]
