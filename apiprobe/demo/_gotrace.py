"""The demo's Go execution trace: a recording of ``tests/load/go/tracegen`` (Go 1.27, 2 CPUs, ``-scale 1``).

Unlike the other demo data this file is recorded, not generated: a trace
is the Go runtime's own output, and the demo must not need Go. The program
(``tests/load/go/tracegen/main.go``) runs the situations behind slow
requests inside ``runtime/trace`` tasks and regions: 16 goroutines making
HTTP calls through a client pool of 2 connections (``http.call`` inside
``handler``), 8 goroutines contending a mutex (``db.lock``), a channel
hand-off (``queue.handoff``), an fsync (``disk.fsync``) and allocation
churn that keeps the GC busy (``alloc.churn``). Notebook 12 reads it when
no ``trace_path`` is given; ``write_demo`` copies it to
``exectrace/checkout.trace``, where ``go tool trace`` can open it too.
"""

from __future__ import annotations

import gzip
import os
from importlib import resources
from pathlib import Path

__all__ = ["DEMO_TRACE_NAME", "demo_go_trace", "write_demo_go_trace"]

DEMO_TRACE_NAME = "checkout.trace"


def demo_go_trace() -> bytes:
    """The demo's recorded Go execution trace.

    Returns
    -------
    bytes
        The trace file (format go 1.26).
    """
    packed = resources.files("apiprobe.demo").joinpath("recorded", DEMO_TRACE_NAME + ".gz").read_bytes()
    return gzip.decompress(packed)


def write_demo_go_trace(out_dir: str | os.PathLike[str]) -> Path:
    """Write the demo trace as ``out_dir/checkout.trace``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder to write into (created if needed).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / DEMO_TRACE_NAME
    path.write_bytes(demo_go_trace())
    return path
