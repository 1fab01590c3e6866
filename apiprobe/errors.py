"""The apiprobe exception tree, and the one rule for raising.

Observed failures (a timeout, a refused connection, a bad certificate) are
*data*: probes return them as rows with ``error_kind`` set. Exceptions are for
misuse and unreadable input only::

    ApiprobeError
    ├── InvalidParameterError(ValueError)  an argument out of range, of the wrong kind, or at odds with another
    │   └── InvalidTargetError             a URL or host:port that cannot be probed
    ├── SchemaError(ValueError)            a table that lacks a column or does not match its schema
    ├── DataFormatError(ValueError)        a file or text that cannot be read as the format asked for
    │   ├── ProfileFormatError             a pprof file that is legacy, corrupt or truncated
    │   ├── TraceFormatError               a Go execution trace that is pre-1.22, of an unknown version, or cut
    │   └── WireFormatError                protobuf bytes that are malformed or truncated
    ├── LabError(RuntimeError)             the fault lab could not start, or was used after it stopped
    ├── PrometheusError(RuntimeError)      a Prometheus server that is unreachable, not Prometheus, or refused a query
    ├── ProbeWorkerError(RuntimeError)     a probe worker process (``workers`` > 1) that died before returning its rows
    ├── EventStoreError(RuntimeError)      an evidence store that cannot be written (disk full, no permission)
    └── ReportError(RuntimeError)          a notebook run or export that failed

The rule
--------
* Every deliberate ``raise`` in a public function raises one of these classes.
  Each also inherits the matching builtin, so ``except ValueError`` keeps
  working for callers who do not know apiprobe.
* The message names the argument, column or file at fault and what is wrong
  with it (``"count must be ≥ 1, got 0"``, ``"cpu.pb.gz: truncated at byte 812"``).
* A missing column is always :class:`SchemaError`; checks go through
  :func:`apiprobe._frames.require_columns`.
* Third-party exceptions are wrapped at the boundary with ``raise ... from exc``.

``tests/test_errors.py`` checks the rule on the source: no bare builtin raise
outside private helpers that are caught before they reach a caller.
"""

from __future__ import annotations

__all__ = [
    "ApiprobeError",
    "DataFormatError",
    "EventStoreError",
    "InvalidParameterError",
    "InvalidTargetError",
    "LabError",
    "ProbeWorkerError",
    "ProfileFormatError",
    "PrometheusError",
    "ReportError",
    "SchemaError",
    "TraceFormatError",
    "WireFormatError",
]


class ApiprobeError(Exception):
    """Root of every exception apiprobe raises on purpose."""


class InvalidParameterError(ApiprobeError, ValueError):
    """An argument is out of range, of the wrong kind, or contradicts another argument.

    The message names the argument and the value it got.
    """


class InvalidTargetError(InvalidParameterError):
    """A probe target (URL, host:port) is malformed or uses an unsupported scheme."""


class SchemaError(ApiprobeError, ValueError):
    """A DataFrame lacks a column it needs or does not match the schema it claims to follow."""


class DataFormatError(ApiprobeError, ValueError):
    """A file cannot be read as the format asked for.

    The message names the file and, where known, the position.
    """


class ProfileFormatError(DataFormatError):
    """A file cannot be read as a pprof profile (legacy format, corrupt, truncated).

    The message names the file and what is wrong with it.
    """


class TraceFormatError(DataFormatError):
    """A file cannot be read as a Go (1.22+) execution trace: another format, an older or unknown version, cut."""


class WireFormatError(DataFormatError):
    """Protobuf bytes are malformed or truncated (the message gives the offset)."""


class LabError(ApiprobeError, RuntimeError):
    """The fault lab could not start or was used after it stopped."""


class PrometheusError(ApiprobeError, RuntimeError):
    """A Prometheus query failed: the server is unreachable, is not Prometheus, or refused the query.

    ``error_type`` and ``error`` carry Prometheus' own ``errorType`` and ``error``
    when it answered; ``query`` is the PromQL asked for.
    """

    def __init__(self, message: str, *, query: str = "", error_type: str = "", error: str = "") -> None:
        super().__init__(message)
        self.query = query
        self.error_type = error_type
        self.error = error


class ProbeWorkerError(ApiprobeError, RuntimeError):
    """A probe worker process (``workers`` > 1) died before it returned its rows."""


class EventStoreError(ApiprobeError, RuntimeError):
    """An evidence store (Parquet dataset) could not be written: the disk is full, a write was refused.

    The message names the file that failed and what the store still holds:
    every part listed in its manifest stays readable.
    """


class ReportError(ApiprobeError, RuntimeError):
    """A notebook run or HTML export failed."""
