"""What a CPU profile says about the handbook's faults: garbage collection eating the CPU (§3.1, §5)."""

from __future__ import annotations

import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.profiles import profile_top
from apiprobe.load.pprof import Profile

__all__ = ["GC_ROOTS", "detect_profile_faults"]

#: Frames under which the Go runtime does garbage-collection work: background marking, sweeping,
#: and allocation (``mallocgc``, which also carries the assists a goroutine pays when it allocates
#: faster than the collector marks). They do not nest, so their cumulative shares add up.
GC_ROOTS: tuple[str, ...] = ("runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.mallocgc")


def detect_profile_faults(
    profile: Profile,
    *,
    gc_share: float = 0.25,
    gc_share_critical: float = 0.5,
    subject: str = "",
) -> pd.DataFrame:
    """Garbage collection's share of a CPU profile, as a ``gc_pressure`` finding when it is high.

    The share is the cumulative CPU under :data:`GC_ROOTS` over all CPU in the
    profile (``go tool pprof -top`` cum of those frames). Go's collector is
    designed to take a quarter of GOMAXPROCS while a cycle runs; a quarter of
    the whole profile means it ran most of the time, taking CPU from requests,
    and its assists add latency.

    Parameters
    ----------
    profile : Profile
        A CPU profile (sample types ``samples``/``cpu``); other profiles give no finding.
    gc_share, gc_share_critical : float, default 0.25, 0.5
        Shares of the CPU for a warning and for a critical finding.
    subject : str, optional
        What the finding is about; default the profile's source.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), timed by the profile's start and duration.
    """
    kinds = [t for t, _unit in profile.sample_types]
    if "cpu" not in kinds:
        return findings_frame([])
    table = profile_top(profile, sample_index="cpu")
    top = table.set_index("function")
    total = float(table["flat"].sum())
    if total <= 0:
        return findings_frame([])
    cum = top["cum"].astype("float64")
    parts = {f: float(cum[f]) for f in GC_ROOTS if f in cum.index}
    share = sum(parts.values()) / total
    if share < gc_share:
        return findings_frame([])
    start = profile.time
    seconds = profile.duration_ns / 1e9 if profile.duration_ns else None
    window = {} if start is None else {"ts_start": start, "ts_end": start + pd.Timedelta(seconds or 0, unit="s")}
    split = ", ".join(f"{f.removeprefix('runtime.')} {v / total:.0%}" for f, v in parts.items() if v)
    over = f" over {seconds:g} s" if seconds else ""
    row = finding(
        "detect_profile_faults",
        "gc_pressure",
        "critical" if share >= gc_share_critical else "warning",
        subject or str(profile.source or "CPU profile"),
        metric="gc_cpu_share",
        value=share,
        threshold=gc_share,
        evidence=(
            f"{share:.0%} of the CPU in the profile ({total / 1e9:.1f} s{over}) went to garbage collection ({split})."
        ),
        recommendation=(
            "Take a heap profile (alloc_space) to see what allocates on the hot path; reuse buffers, avoid "
            "[]byte↔string copies and per-row allocations, or give the collector room with GOGC/GOMEMLIMIT."
        ),
        handbook_ref="§3.1",
        **window,
    )
    return findings_frame([row])
