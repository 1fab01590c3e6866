"""Error taxonomy for log events: classify, aggregate over time, and detect bursts and new errors.

* :mod:`~apiprobe.analyze.error_kinds._rules` — the rules as data
  (:class:`ErrorRule`, :data:`ERROR_PATTERNS`, :data:`KIND_DEFAULTS`);
* :mod:`~apiprobe.analyze.error_kinds._classify` — :func:`classify_errors`,
  :func:`classify_error_text`, :func:`error_taxonomy`;
* :mod:`~apiprobe.analyze.error_kinds._aggregate` — :func:`error_counts`,
  :func:`error_summary`;
* :mod:`~apiprobe.analyze.error_kinds._detect` — :func:`detect_error_faults`,
  which compares an incident window with a baseline and reports bursts, new
  errors, pool exhaustion, timeouts, retry storms and breaker flapping
  (handbook §3.3 and the section of each kind).
"""

from __future__ import annotations

from apiprobe.analyze.error_kinds._aggregate import error_counts, error_summary
from apiprobe.analyze.error_kinds._classify import classify_error_text, classify_errors, error_taxonomy
from apiprobe.analyze.error_kinds._detect import detect_error_faults
from apiprobe.analyze.error_kinds._rules import ERROR_PATTERNS, KIND_DEFAULTS, ErrorRule

__all__ = [
    "ERROR_PATTERNS",
    "KIND_DEFAULTS",
    "ErrorRule",
    "classify_error_text",
    "classify_errors",
    "detect_error_faults",
    "error_counts",
    "error_summary",
    "error_taxonomy",
]
