"""What a file that a loader cannot read looks like, and which function reads it.

Every loader refuses files of the wrong kind with a message naming the
reader that would take it ("this is a text goroutine dump: use
read_goroutines"), instead of a parse error at some byte. The checks look at
the first bytes only, after gunzip when the data is compressed.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import Any

__all__ = ["describe_json", "sniff_bytes"]

_GOROUTINE = re.compile(rb"^\s*(goroutine \d+ (gp=\S+ m=\S+ )?\[|goroutine profile: total \d+)")
_PANIC = re.compile(rb"^\s*(panic: |fatal error: )")
_LOG_KEYS = frozenset({"level", "msg", "message", "ts", "time", "severity", "caller"})


def _head(data: bytes, size: int = 4096) -> bytes:
    """The first ``size`` bytes, inflated first when gzip-compressed (only as much as needed)."""
    if data[:2] == b"\x1f\x8b":
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[: 1 << 16], size)
        except zlib.error:
            return b""
    return data[:size]


def sniff_bytes(data: bytes) -> tuple[str, str] | None:
    """(what the data is, the apiprobe function that reads it), judged from its first bytes.

    Parameters
    ----------
    data : bytes
        The file's bytes (gzip-compressed or not).

    Returns
    -------
    tuple of (str, str) or None
        e.g. ``("a text goroutine dump", "read_goroutines")``; None when nothing is recognised.
    """
    head = _head(data).removeprefix(b"\xef\xbb\xbf")
    if _GOROUTINE.match(head) or (_PANIC.match(head) and b"\ngoroutine " in head):
        return "a text goroutine dump", "read_goroutines"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        text = stripped.decode("utf-8", "replace")
        first = text.split("\n", 1)[0]
        try:
            doc = json.loads(first)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict) and len(_LOG_KEYS & set(doc)) >= 2 and "\n" in text.strip():
            return "a JSON log (one object per line)", "read_logs"
        if '"log"' in text[:200] and '"entries"' in text:
            return "a HAR file", "read_har"
        if any(k in text[:2000] for k in ('"resourceSpans"', '"traceID"', '"traceId"', '"batches"')):
            return "a trace export (OTLP, Jaeger or Zipkin JSON)", "read_traces"
        return None
    if head[:1] in (b"\x0a", b"\x12", b"\x1a", b"\x22", b"\x2a") and data[:2] == b"\x1f\x8b":
        return "a gzip-compressed protobuf file (a pprof profile?)", "read_pprof"
    if re.match(rb"^\s*\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}", head) or re.match(rb'^\s*time="', head):
        return "a text log", "read_logs"
    return None


def describe_json(doc: Any) -> tuple[str, str] | None:
    """(what a decoded JSON document is, the function that reads it), for the JSON formats apiprobe reads.

    Parameters
    ----------
    doc : Any
        A decoded JSON document.

    Returns
    -------
    tuple of (str, str) or None
        e.g. ``("a HAR file", "read_har")``; None when it is none of them.
    """
    if isinstance(doc, dict):
        log = doc.get("log")
        if isinstance(log, dict) and "entries" in log:
            return "a HAR file", "read_har"
        if any(k in doc for k in ("resourceSpans", "batches", "traceID", "spans")) or (
            isinstance(doc.get("result"), dict) and "resourceSpans" in doc["result"]
        ):
            return "a trace export (OTLP, Jaeger or Zipkin JSON)", "read_traces"
        if len(_LOG_KEYS & set(doc)) >= 2:
            return "a JSON log line", "read_logs"
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and "traceId" in doc[0]:
        return "a trace export (Zipkin v2 JSON)", "read_traces"
    return None
