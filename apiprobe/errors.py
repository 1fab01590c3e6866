"""The apiprobe exception tree.

Observed failures (a timeout, a refused connection, a bad certificate) are
*data*: probes return them as rows with ``error_kind`` set. Exceptions are for
misuse and unreadable input only::

    ApiprobeError
    ├── InvalidTargetError(ValueError)   a URL or host:port that cannot be probed
    ├── SchemaError(ValueError)          a table that does not match its schema
    ├── DataFormatError(ValueError)      a file that cannot be read as the format asked for
    │   └── ProfileFormatError           a pprof file that is legacy, corrupt or truncated
    ├── LabError(RuntimeError)           the fault lab could not start
    └── ReportError(RuntimeError)        a notebook run or export that failed

Each class also inherits the matching builtin, so ``except ValueError`` keeps
working for callers who do not know apiprobe.
"""

from __future__ import annotations


class ApiprobeError(Exception):
    """Root of every exception apiprobe raises on purpose."""


class InvalidTargetError(ApiprobeError, ValueError):
    """A probe target (URL, host:port) is malformed or uses an unsupported scheme."""


class SchemaError(ApiprobeError, ValueError):
    """A DataFrame does not match the schema it claims to follow."""


class DataFormatError(ApiprobeError, ValueError):
    """A file cannot be read as the format asked for.

    The message names the file and, where known, the position.
    """


class ProfileFormatError(DataFormatError):
    """A file cannot be read as a pprof profile (legacy format, corrupt, truncated).

    The message names the file and what is wrong with it.
    """


class LabError(ApiprobeError, RuntimeError):
    """The fault lab could not start or was used after it stopped."""


class ReportError(ApiprobeError, RuntimeError):
    """A notebook run or HTML export failed."""
