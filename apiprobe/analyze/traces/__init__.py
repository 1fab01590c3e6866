"""Traces and trace-id propagation (handbook §3.2).

Pure functions over a ``spans`` table (:func:`apiprobe.load.traces.read_traces`)
and an ``events`` table (log lines):

* where the time of a request goes: :func:`critical_path` (the Jaeger UI's
  method), :func:`self_time`, :func:`service_self_time`, :func:`trace_summary`,
  :func:`span_tree`;
* where the trace id is lost: :func:`orphan_spans`, :func:`broken_traces`,
  :func:`trace_coverage`, :func:`propagation_report`;
* logs and spans together: :func:`join_logs_to_spans`; from logs alone:
  :func:`trace_journeys`;
* findings: :func:`detect_span_faults` (``propagation_gap`` and ``slow_span``).

Conventions: a span is identified by ``(trace_id, span_id)``; a span exported
twice is counted once (the first row wins). A span's *parent is missing* when
``parent_span_id`` is set but no span of the same trace has that id. Spans
without a start or end time take no part in timing (critical path, self time).
"""

from apiprobe.analyze.traces._detect import detect_span_faults
from apiprobe.analyze.traces._propagation import (
    broken_traces,
    join_logs_to_spans,
    orphan_spans,
    propagation_report,
    trace_coverage,
    trace_journeys,
)
from apiprobe.analyze.traces._spans import PEER_KEYS
from apiprobe.analyze.traces._structure import critical_path, self_time, service_self_time, span_tree, trace_summary

__all__ = [
    "PEER_KEYS",
    "broken_traces",
    "critical_path",
    "detect_span_faults",
    "join_logs_to_spans",
    "orphan_spans",
    "propagation_report",
    "self_time",
    "service_self_time",
    "span_tree",
    "trace_coverage",
    "trace_journeys",
    "trace_summary",
]
