"""Go execution traces: Go's blocking profiles, per-goroutine states, GC utilization, and faults.

:func:`trace_profile` equals ``go tool trace -pprof=KIND``;
:func:`goroutine_states` and :func:`region_summary` say where time went;
:func:`mmu_curve` and :func:`gc_pauses` measure the collector;
:func:`detect_trace_faults` turns those into findings (handbook §3.1).
"""

from apiprobe.analyze.gotrace._detect import detect_trace_faults
from apiprobe.analyze.gotrace._gc import gc_pauses, mmu_curve
from apiprobe.analyze.gotrace._profiles import PROFILE_KINDS, trace_profile
from apiprobe.analyze.gotrace._states import CATEGORIES, goroutine_states, region_summary

__all__ = [
    "CATEGORIES",
    "PROFILE_KINDS",
    "detect_trace_faults",
    "gc_pauses",
    "goroutine_states",
    "mmu_curve",
    "region_summary",
    "trace_profile",
]
