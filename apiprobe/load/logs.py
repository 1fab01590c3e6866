"""Go service logs (zap, zerolog, logrus, slog, go-kit, any JSON, plain text) → ``events``.

One function for whatever a fleet writes: :func:`read_logs` takes files,
globs or directories (``.gz`` read transparently), detects each file's
dialect, maps the keys every logger spells differently onto the ``events``
schema and merges the files in time order (stable).

=================  ==============================================================
dialect            how it is recognised
=================  ==============================================================
``zap``            JSON, numeric ``ts`` (epoch seconds), ``msg``
``zerolog``        JSON, ``message`` (or ``time`` + lower-case ``level``, no ``msg``)
``logrus_json``    JSON, ``time`` + ``msg`` + lower-case level (``warning``)
``slog_json``      JSON, ``time`` + ``msg`` + upper-case ``level`` (``INFO+2``)
``json``           any other JSON object per line
``logrus_text``    logfmt with quoted ``time="…"`` and lower-case levels
``slog_text``      logfmt with upper-case levels
``logfmt``         other logfmt (go-kit: ``ts=… level=… msg=…``)
``text``           plain lines: an optional leading timestamp and level, then the message
``regex``          plain lines matched by a user regex with named groups
=================  ==============================================================

Nothing is lost: a line that does not parse in its file's dialect is tried in
the other family (JSON ↔ logfmt) and otherwise becomes a row with
``parse_ok=False`` and its text in ``raw``. Per-file counts are in
:func:`load_stats`.

Durations without a unit in the key are read in the unit the logger writes:
zap seconds (its default duration encoder), slog JSON nanoseconds,
zerolog milliseconds (its default ``DurationFieldUnit``); a Go duration
string such as ``"1.5s"`` or ``"350µs"`` is parsed wherever it appears.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from apiprobe._time import to_utc
from apiprobe.errors import DataFormatError
from apiprobe.load._jsonlines import (
    Chunk,
    iter_file_chunks,
    iter_line_chunks,
    read_json_chunk,
    read_json_file,
    rows_to_table,
)
from apiprobe.load._logfmt import parse_logfmt
from apiprobe.load._paths import expand_paths
from apiprobe.schema import columns, conform

__all__ = [
    "DIALECTS",
    "detect_dialect",
    "load_stats",
    "parse_go_duration",
    "parse_logs",
    "read_logs",
]

DIALECTS: tuple[str, ...] = (
    "zap",
    "zerolog",
    "logrus_json",
    "slog_json",
    "json",
    "logrus_text",
    "slog_text",
    "logfmt",
    "text",
    "regex",
)
_JSON_DIALECTS = frozenset({"zap", "zerolog", "logrus_json", "slog_json", "json"})
_LOGFMT_DIALECTS = frozenset({"logrus_text", "slog_text", "logfmt"})

# Keys, in order of preference, for each events column.
_KEYS: dict[str, tuple[str, ...]] = {
    "ts": ("ts", "time", "timestamp", "@timestamp", "t", "datetime", "date"),
    "level": ("level", "lvl", "severity", "@level", "loglevel", "L"),
    "msg": ("msg", "message", "@message", "M"),
    "logger": ("logger", "logger_name", "N", "component"),
    "trace_id": (
        "trace_id",
        "traceID",
        "traceId",
        "trace.id",
        "traceid",
        "TraceID",
        "X-Trace-ID",
        "x-trace-id",
        "x_trace_id",
        "trace",
        "dd.trace_id",
        "logging.googleapis.com/trace",
    ),
    "span_id": ("span_id", "spanID", "spanId", "span.id", "spanid", "SpanID", "dd.span_id"),
    "error": ("error", "err", "error.message", "error_message", "errorMessage", "exception"),
    "status": (
        "status",
        "status_code",
        "statusCode",
        "http.status_code",
        "http_status",
        "http.response.status_code",
        "resp_status",
        "code_http",
    ),
    "route": (
        "route",
        "http.route",
        "path",
        "url",
        "uri",
        "http.target",
        "url.path",
        "endpoint",
        "request_uri",
        "http.url",
    ),
    "attempt": ("attempt", "retry", "retries", "try", "attempts"),
    "caller": ("caller", "source", "func", "file"),
    "service": ("service", "service.name", "service_name", "svc", "app"),
}
# (key, factor to ms); the factor None means "the dialect's unit".
_LATENCY_KEYS: tuple[tuple[str, float | None], ...] = (
    ("latency_ms", 1.0),
    ("duration_ms", 1.0),
    ("elapsed_ms", 1.0),
    ("took_ms", 1.0),
    ("response_time_ms", 1.0),
    ("latency_us", 1e-3),
    ("duration_us", 1e-3),
    ("latency_ns", 1e-6),
    ("duration_ns", 1e-6),
    ("latency_s", 1e3),
    ("duration_s", 1e3),
    ("latency", None),
    ("duration", None),
    ("elapsed", None),
    ("took", None),
    ("response_time", None),
    ("resp_time", None),
)
# zap's default duration encoder writes seconds; slog's JSON handler and logrus's
# JSONFormatter (encoding/json) write a time.Duration as integer nanoseconds.
_DIALECT_DURATION_MS: dict[str, float] = {"zap": 1e3, "slog_json": 1e-6, "logrus_json": 1e-6}

_LEVEL_WORDS: dict[str, str] = {
    "trace": "trace",
    "trc": "trace",
    "debug": "debug",
    "dbg": "debug",
    "d": "debug",
    "info": "info",
    "inf": "info",
    "information": "info",
    "notice": "info",
    "i": "info",
    "warn": "warn",
    "warning": "warn",
    "wrn": "warn",
    "w": "warn",
    "error": "error",
    "err": "error",
    "eror": "error",
    "e": "error",
    "fatal": "fatal",
    "ftl": "fatal",
    "panic": "fatal",
    "dpanic": "fatal",
    "critical": "fatal",
    "crit": "fatal",
    "crt": "fatal",
    "emergency": "fatal",
    "alert": "fatal",
    "pnc": "fatal",
    "f": "fatal",
}
_SLOG_LEVELS = (("error", 8), ("warn", 4), ("info", 0), ("debug", -4))
_SLOG_OFFSET = re.compile(r"^(debug|info|warn|error)([+-]\d+)$")
_ZEROLOG_NUMERIC = {"-1": "trace", "0": "debug", "1": "info", "2": "warn", "3": "error", "4": "fatal", "5": "fatal"}

_GO_DURATION = re.compile(r"^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}

_TEXT_LINE = re.compile(
    r"^(?:(?P<source>\S+)\s+)?(?P<ts>\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"\s+(?:\[?(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|PANIC|trace|debug|info|warn|warning"
    r"|error|fatal|panic)\]?:?\s+)?(?P<msg>.*)$"
)
_SUFFIXES = (".gz", ".log", ".jsonl", ".ndjson", ".json", ".txt", ".out")
_STATS_KEY = "apiprobe.load_stats"
_SAMPLE_LINES = 64


# --------------------------------------------------------------------------- dialects


def detect_dialect(lines: Iterable[str]) -> str:
    """Guess the dialect of a log from some of its lines (see the module table)."""
    sample = [ln.strip() for ln in lines if ln.strip()][:_SAMPLE_LINES]
    if not sample:
        return "json"
    objs: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    texts = 0
    for ln in sample:
        if ln.startswith("{"):
            try:
                obj = json.loads(ln)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                objs.append(obj)
                continue
        if _TEXT_LINE.match(ln):
            texts += 1
            continue
        rec = parse_logfmt(ln)
        if rec is not None:
            pairs.append(rec)
    # The family most lines belong to; stack traces and panics belong to none.
    if objs and len(objs) >= max(len(pairs), texts):
        return _json_dialect(objs)
    if pairs and len(pairs) > texts:
        return _logfmt_dialect(sample, pairs)
    return "text"


def _json_dialect(objs: list[dict[str, Any]]) -> str:
    def share(pred: Callable[[dict[str, Any]], bool]) -> float:
        return sum(1 for o in objs if pred(o)) / len(objs)

    if share(lambda o: isinstance(o.get("ts"), (int, float)) and "msg" in o) > 0.5:
        return "zap"
    if share(lambda o: "message" in o and "msg" not in o) > 0.5:
        return "zerolog"
    levels = [str(o.get("level")) for o in objs if isinstance(o.get("level"), str)]
    upper = sum(1 for lv in levels if lv[:1].isupper())
    if share(lambda o: "time" in o and "msg" in o) > 0.5 and levels:
        if upper * 2 > len(levels):
            return "slog_json"
        return "logrus_json"
    if share(lambda o: "time" in o and "level" in o and "msg" not in o) > 0.5:
        return "zerolog"
    return "json"


def _logfmt_dialect(sample: list[str], pairs: list[dict[str, Any]]) -> str:
    levels = [str(p["level"]) for p in pairs if isinstance(p.get("level"), str)]
    upper = sum(1 for lv in levels if lv[:1].isupper())
    if levels and upper * 2 > len(levels) and any("time" in p for p in pairs):
        return "slog_text"
    if any(ln.startswith('time="') for ln in sample):
        return "logrus_text"
    return "logfmt"


# --------------------------------------------------------------------------- values


def parse_go_duration(text: str) -> float:
    """Milliseconds in a Go duration string (``time.Duration.String``), NaN if it is not one.

    Examples
    --------
    >>> parse_go_duration("1m2.5s")
    62500.0
    >>> parse_go_duration("350µs")
    0.35
    """
    text = text.strip()
    if text in ("0", "0s"):
        return 0.0
    m = _GO_DURATION.match(text)
    if m is None:
        return float("nan")
    total = sum(float(num) * _DURATION_MS[unit] for num, unit in _GO_DURATION_PART.findall(text))
    return -total if m.group(1) == "-" else total


def _normalise_level(value: str) -> str | None:
    v = value.strip().lower()
    if v in _LEVEL_WORDS:
        return _LEVEL_WORDS[v]
    m = _SLOG_OFFSET.match(v)
    if m:
        base = dict((name, num) for name, num in _SLOG_LEVELS)[m.group(1)] + int(m.group(2))
        for name, num in _SLOG_LEVELS:
            if base >= num:
                return name
        return "debug"
    if v in _ZEROLOG_NUMERIC:
        return _ZEROLOG_NUMERIC[v]
    return None


def _as_chunked(arr: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _to_string(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if (
        pa.types.is_large_string(t)
        or pa.types.is_null(t)
        or pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
    ):
        return pc.cast(arr, pa.string())
    if pa.types.is_timestamp(t):
        return (
            pc.strftime(arr, format="%Y-%m-%dT%H:%M:%SZ")
            if t.tz is None
            else pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S%z")
        )
    values = [None if v is None else json.dumps(v, sort_keys=True, default=str) for v in arr.to_pylist()]
    return pa.chunked_array([pa.array(values, pa.string())])


def _to_float(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    t = arr.type
    if pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_null(t):
        return pc.cast(arr, pa.float64(), safe=False)
    if pa.types.is_boolean(t):
        return pa.chunked_array([pa.nulls(len(arr), pa.float64())])
    num = pd.to_numeric(pd.Series(_to_string(arr).to_pylist(), dtype=object), errors="coerce")
    return pa.chunked_array([pa.array(num.to_numpy(dtype="float64"), pa.float64(), from_pandas=True)])


def _to_int(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    t = arr.type
    if pa.types.is_integer(t):
        return pc.cast(arr, pa.int64())
    f = _to_float(arr)
    whole = pc.and_(pc.is_finite(f), pc.equal(pc.floor(f), f))
    return pc.cast(pc.if_else(whole, f, pa.scalar(None, pa.float64())), pa.int64())


def _map_unique(arr: pa.ChunkedArray, fn: Callable[[str], Any], out_type: pa.DataType) -> pa.ChunkedArray:
    """Apply ``fn`` to each distinct string once (levels, durations)."""
    strings = _to_string(arr)
    uniq = pc.unique(strings)
    mapped = pa.array([None if u is None else fn(u) for u in uniq.to_pylist()], type=out_type)
    return pc.take(mapped, pc.index_in(strings, value_set=uniq))


def _epoch_to_timestamps(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Epoch numbers → ns UTC, each in the unit its size says (s, ms, µs, ns); out of range → NaT."""
    target = pa.timestamp("ns", tz="UTC")
    mag = np.abs(np.asarray(pc.fill_null(pc.cast(arr, pa.float64(), safe=False), np.nan).to_numpy(), dtype=np.float64))
    scale = np.select([mag < 1e11, mag < 1e14, mag < 1e17], [10**9, 10**6, 10**3], 1).astype(np.int64)
    limit = float(np.iinfo(np.int64).max)
    ok = np.isfinite(mag) & (mag * scale < limit)
    if pa.types.is_integer(arr.type):  # exact, even for epoch nanoseconds
        ints = np.asarray(pc.fill_null(pc.cast(arr, pa.int64()), 0).to_numpy(), dtype=np.int64)
        ns = np.where(ok, ints, 0) * np.where(ok, scale, 1)
    else:
        floats = np.asarray(pc.fill_null(pc.cast(arr, pa.float64()), 0.0).to_numpy(), dtype=np.float64)
        ns = np.round(np.where(ok, floats, 0.0) * np.where(ok, scale, 1)).astype(np.int64)
    return pa.chunked_array([pa.array(ns, pa.int64(), mask=~ok).cast(target)])


def _timestamps(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Any time column (epoch s/ms/µs/ns numbers or strings, RFC 3339, Go formats) → ns UTC."""
    target = pa.timestamp("ns", tz="UTC")
    t = arr.type
    if pa.types.is_timestamp(t):
        if t.tz is None:
            return pc.cast(pc.assume_timezone(arr, "UTC"), target)
        return pc.cast(arr, target)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return _epoch_to_timestamps(arr)
    strings = _to_string(arr)
    try:
        return pc.cast(strings, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    series = pd.Series(strings.to_pylist(), dtype=object)
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().mean() > 0.5:
        return _timestamps(pa.chunked_array([pa.array(numeric.to_numpy("float64"), from_pandas=True)]))
    parsed = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601").astype("datetime64[ns, UTC]")
    # "mixed" guesses; only let it see values that carry a full date (a year),
    # so a clock-only time such as zerolog's "5:41PM" stays NaT instead of today.
    missing = parsed.isna() & series.notna() & series.astype(str).str.contains(r"(?:^|\D)\d{4}(?:\D|$)")
    if missing.any():
        cleaned = series[missing].str.replace(r"(\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-]\d{4}) \w+$", r"\1\2", regex=True)
        parsed[missing] = pd.to_datetime(cleaned, utc=True, errors="coerce", format="mixed").astype(
            "datetime64[ns, UTC]"
        )
    return pa.chunked_array([pa.array(parsed.astype("datetime64[ns, UTC]"), type=target)])


def _caller(table: pa.Table, key: str) -> pa.ChunkedArray:
    arr = table.column(key)
    if pa.types.is_struct(arr.type):  # slog AddSource: {"function","file","line"}
        names = {f.name for f in arr.type}
        if "file" in names:
            file = _to_string(pc.struct_field(arr, "file"))
            if "line" in names:
                line = _to_string(pc.struct_field(arr, "line"))
                return pc.binary_join_element_wise(file, line, ":")
            return file
    if key == "func" and "file" in table.column_names:
        return _to_string(table.column("file"))
    return _to_string(arr)


# --------------------------------------------------------------------------- table mapping


_EVENT_TYPES: dict[str, pa.DataType] = {
    "ts": pa.timestamp("ns", tz="UTC"),
    "status": pa.int64(),
    "attempt": pa.int64(),
    "latency_ms": pa.float64(),
    "line_no": pa.int64(),
    "parse_ok": pa.bool_(),
}


def _find_keys(names: Sequence[str], candidates: Sequence[str], used: set[str]) -> list[str]:
    """Present keys among ``candidates``, in their order (exact spelling first, then any case)."""
    found: list[str] = []
    present = set(names) - used
    for c in candidates:
        if c in present and c not in found:
            found.append(c)
    lower: dict[str, str] = {}
    for n in names:
        if n not in used:
            lower.setdefault(n.lower(), n)
    for c in candidates:
        if len(c) <= 2:  # "M", "L", "t": only in exactly this spelling ("m" may be anything)
            continue
        match = lower.get(c.lower())
        if match is not None and match not in found:
            found.append(match)
    return found


def _coalesce(arrays: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    return arrays[0] if len(arrays) == 1 else pc.coalesce(*arrays)


def _events_table(
    table: pa.Table, *, dialect: str, service: str | None, default_service: str, source: str, line_nos: np.ndarray
) -> pa.Table:
    """Map a table of parsed records (one column per key) onto the events columns.

    When a file spells a field several ways (``trace_id`` on some lines,
    ``traceID`` on others), the spellings are coalesced in the order of
    :data:`_KEYS`.
    """
    n = table.num_rows
    names = table.column_names
    used: set[str] = set()
    out: dict[str, pa.ChunkedArray] = {}

    def column(col: str, convert: Callable[[pa.ChunkedArray], pa.ChunkedArray]) -> pa.ChunkedArray | None:
        keys = _find_keys(names, _KEYS[col], used)
        if not keys:
            return None
        merged = convert(table.column(keys[0]))
        used.add(keys[0])
        for k in keys[1:]:
            extra = table.column(k)
            # Another spelling fills the gaps; where both are set it stays in attrs, so nothing is lost.
            if pc.any(pc.and_(pc.is_valid(merged), pc.is_valid(extra))).as_py():
                continue
            merged = pc.coalesce(merged, convert(extra))
            used.add(k)
        return merged

    def null(col: str) -> pa.ChunkedArray:
        return pa.chunked_array([pa.nulls(n, _EVENT_TYPES.get(col, pa.string()))])

    ts_parts = []
    for key in _find_keys(names, _KEYS["ts"], used):
        parsed = _timestamps(table.column(key))
        ts_parts.append(parsed)
        if parsed.null_count == table.column(key).null_count:
            used.add(key)  # else some times did not parse (e.g. "5:41PM"): keep the text in attrs
    out["ts"] = _coalesce(ts_parts) if ts_parts else null("ts")
    svc = column("service", _to_string)
    if service is not None:
        out["service"] = pa.chunked_array([pa.repeat(service, n)])
    elif svc is not None:
        out["service"] = pc.fill_null(svc, default_service)
    else:
        out["service"] = pa.chunked_array([pa.repeat(default_service, n)])
    out["level"] = column("level", lambda a: _map_unique(a, _normalise_level, pa.string())) or null("level")
    out["msg"] = column("msg", _to_string) or null("msg")
    out["logger"] = column("logger", _to_string) or null("logger")
    out["trace_id"] = column("trace_id", lambda a: pc.utf8_lower(_to_string(a))) or null("trace_id")
    out["span_id"] = column("span_id", lambda a: pc.utf8_lower(_to_string(a))) or null("span_id")
    out["error"] = column("error", _to_string) or null("error")
    out["error_kind"] = null("error_kind")
    out["status"] = column("status", _to_int) or null("status")
    out["latency_ms"] = _latency(table, dialect, used)
    out["route"] = column("route", _to_string) or null("route")
    out["attempt"] = column("attempt", _to_int) or null("attempt")
    caller_keys = _find_keys(names, _KEYS["caller"], used)
    used.update(caller_keys)
    out["caller"] = _coalesce([_caller(table, k) for k in caller_keys]) if caller_keys else null("caller")
    rest = [c for c in names if c not in used]
    if rest:
        out["attrs"] = table.select(rest).to_struct_array()
    else:
        out["attrs"] = pa.chunked_array([pa.nulls(n, pa.struct([]))])
    out["raw"] = null("raw")
    out["line_no"] = pa.chunked_array([pa.array(line_nos, pa.int64())])
    out["source_file"] = pa.chunked_array([pa.repeat(source, n)])
    out["parse_ok"] = pa.chunked_array([pa.repeat(True, n)])
    return pa.table(out)


def _latency(table: pa.Table, dialect: str, used: set[str]) -> pa.ChunkedArray:
    parts: list[pa.ChunkedArray] = []
    for key, factor in _LATENCY_KEYS:
        for name in _find_keys(table.column_names, (key,), used):
            used.add(name)
            arr = table.column(name)
            unit = factor if factor is not None else _DIALECT_DURATION_MS.get(dialect, 1.0)
            as_number = pc.multiply(_to_float(arr), unit)
            if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                as_duration = _map_unique(arr, parse_go_duration, pa.float64())
                as_number = pc.if_else(pc.is_nan(as_duration), as_number, as_duration)
            parts.append(as_number)
    if not parts:
        return pa.chunked_array([pa.nulls(table.num_rows, pa.float64())])
    return _coalesce(parts)


def _unparsed_table(rows: list[tuple[int, str]], *, service: str, source: str) -> pa.Table:
    n = len(rows)
    out: dict[str, pa.Array] = {}
    for col in columns("events"):
        out[col] = pa.nulls(n, _EVENT_TYPES.get(col, pa.string()))
    out["attrs"] = pa.nulls(n, pa.struct([]))
    out["service"] = pa.array([service] * n, pa.string())
    out["raw"] = pa.array([text for _, text in rows], pa.string())
    out["line_no"] = pa.array([no for no, _ in rows], pa.int64())
    out["source_file"] = pa.array([source] * n, pa.string())
    out["parse_ok"] = pa.array([False] * n, pa.bool_())
    return pa.table(out)


# --------------------------------------------------------------------------- per file


class _FileLoad:
    """Loads one file: chunks → Arrow event tables, plus the per-file counts."""

    def __init__(
        self, *, source: str, dialect: str, service: str | None, default_service: str, regex: re.Pattern[str] | None
    ) -> None:
        self.source = source
        self.dialect = dialect
        self.service = service
        self.default_service = default_service
        self.regex = regex
        self.tables: list[pa.Table] = []
        self.lines = 0
        self.blank = 0
        self.unparsed = 0
        self.note: str | None = None

    def _emit(self, table: pa.Table, line_nos: np.ndarray) -> None:
        self.tables.append(
            _events_table(
                table,
                dialect=self.dialect,
                service=self.service,
                default_service=self.default_service,
                source=self.source,
                line_nos=line_nos,
            )
        )

    def _records(self, items: list[tuple[int, str]]) -> None:
        """Parse text lines one by one (text dialects, and lines the fast path left)."""
        rows: list[dict[str, Any]] = []
        nos: list[int] = []
        bad: list[tuple[int, str]] = []
        for no, text in items:
            rec = self._parse_line(text)
            if rec is None:
                bad.append((no, text))
            else:
                rows.append(rec)
                nos.append(no)
        if rows:
            self._emit(rows_to_table(rows), np.asarray(nos, dtype=np.int64))
        if bad:
            self.unparsed += len(bad)
            self.tables.append(_unparsed_table(bad, service=self.service or self.default_service, source=self.source))

    def _parse_line(self, text: str) -> dict[str, Any] | None:
        stripped = text.strip()
        if self.dialect == "regex":
            assert self.regex is not None
            m = self.regex.search(text)
            return None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}
        if stripped.startswith("{"):
            try:
                obj = json.loads(stripped)
            except ValueError:
                return None  # a truncated or broken object is not logfmt either
            return obj if isinstance(obj, dict) else None
        if self.dialect == "text":
            m = _TEXT_LINE.match(stripped)
            if m is not None:
                return {k: v for k, v in m.groupdict().items() if v is not None}
        return parse_logfmt(stripped)

    def add_chunk(self, chunk: Chunk) -> None:
        self.lines += len(chunk.starts)
        if self.dialect in _JSON_DIALECTS:
            res = read_json_chunk(chunk)
            self.blank += res.blank
            if res.table is not None:
                self._emit(res.table, res.line_nos)
            if res.other:
                self._records([(chunk.first_line + i, chunk.text(i)) for i in res.other])
            return
        items: list[tuple[int, str]] = []
        for i in range(len(chunk.starts)):
            text = chunk.text(i)
            if text.strip():
                items.append((chunk.first_line + i, text))
            else:
                self.blank += 1
        if items:
            self._records(items)

    def stats(self) -> dict[str, Any]:
        parsed = self.lines - self.blank - self.unparsed
        return {
            "source_file": self.source,
            "dialect": self.dialect,
            "lines": self.lines,
            "blank": self.blank,
            "parsed": parsed,
            "unparsed": self.unparsed,
            "note": self.note,
        }


_TOLERANT_STEP = 64 << 10


class _TolerantStream:
    """A compressed stream that ends where its data is cut or corrupt, instead of raising.

    A log rotated while the service crashed often leaves a truncated ``.gz``;
    the lines before the cut are evidence too. :attr:`error` says what
    stopped the stream.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.error: str | None = None

    def _guard(self, call: Callable[[], Any], empty: Any) -> Any:
        if self.error is not None:
            return empty
        try:
            return call()
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            self.error = str(exc) or type(exc).__name__
            return empty

    def read(self, size: int = -1) -> bytes:
        return bytes(self._guard(lambda: self.raw.read(size), b""))

    def readinto(self, buffer: Any) -> int:
        # Small steps: a read that hits the cut loses what it decompressed, so keep that little.
        view = memoryview(buffer).cast("B")
        total = 0
        while total < len(view) and self.error is None:
            piece = view[total : total + _TOLERANT_STEP]
            n = int(self._guard(lambda: self.raw.readinto(piece), 0))  # type: ignore[attr-defined]  # noqa: B023
            if not n:
                break
            total += n
        return total


@contextmanager
def _open_binary(path: Path) -> Iterator[tuple[IO[bytes], bool]]:
    """The file's bytes (gunzipped when it starts with the gzip magic) and whether it is plain."""
    try:
        fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    try:
        magic = fh.read(2)
        fh.seek(0)
        if magic == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                yield gz, False  # type: ignore[misc]
        else:
            yield fh, True
    finally:
        fh.close()


def _sample_text(stream: IO[bytes]) -> tuple[bytes, str]:
    head = stream.read(64 << 10)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head, "utf-16"
    return head, "utf-8"


def _service_from_path(path: Path) -> str:
    name = path.name
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return name


def _load_stream(
    stream: IO[bytes],
    *,
    source: str,
    format: str,
    service: str | None,
    default_service: str,
    regex: re.Pattern[str] | None,
    progress: Callable[[int], None] | None = None,
    whole_file: str | None = None,
) -> _FileLoad:
    """Detect the dialect from the first 64 KiB and load the stream.

    ``whole_file`` names an uncompressed file that pyarrow may read in one
    piece (the fast path when every line is a JSON object).
    """
    head, encoding = _sample_text(stream)
    rest: IO[bytes] = stream
    if encoding == "utf-16":
        data = (head + stream.read()).decode("utf-16", "replace").encode("utf-8")
        head, rest = data[: 64 << 10], io.BytesIO(data[64 << 10 :])
    if format == "auto":
        lines = head.decode("utf-8", "replace").splitlines()
        if len(head) >= (64 << 10) and len(lines) > 1:
            lines = lines[:-1]  # the last one may be cut (a single long line still tells the dialect)
        dialect = "regex" if regex is not None else detect_dialect(lines)
    else:
        if format not in DIALECTS:
            raise DataFormatError(f"{source}: unknown log format {format!r}; known: {', '.join(DIALECTS)}")
        if format == "regex" and regex is None:
            raise DataFormatError(f"{source}: format='regex' needs regex=… with named groups")
        dialect = format
    load = _FileLoad(source=source, dialect=dialect, service=service, default_service=default_service, regex=regex)
    sample_clean = all(
        ln.lstrip().startswith("{") and ln.rstrip().endswith("}")
        for ln in head.decode("utf-8", "replace").splitlines()[:-1]
    )
    if whole_file is not None and dialect in _JSON_DIALECTS and sample_clean:
        whole = read_json_file(whole_file)
        if whole is not None:
            table, n_lines = whole
            load.lines = n_lines
            load._emit(table, np.arange(1, n_lines + 1, dtype=np.int64))
            if progress is not None:
                progress(Path(whole_file).stat().st_size)
            return load
    chunks = (
        iter_file_chunks(whole_file)
        if whole_file is not None and encoding == "utf-8"
        else iter_line_chunks(rest, head=head)
    )
    for chunk in chunks:
        load.add_chunk(chunk)
        if progress is not None:
            progress(len(chunk.data))
    error = stream.error if isinstance(stream, _TolerantStream) else None
    if error is not None:
        if load.lines == 0:
            raise DataFormatError(f"{source}: truncated or corrupt gzip data: {error}")
        load.note = f"gzip data cut or corrupt after line {load.lines} ({error}); the lines before it are kept"
        warnings.warn(f"{source}: {load.note}", stacklevel=3)
    return load


# --------------------------------------------------------------------------- assembling


def _unify(tables: list[pa.Table]) -> pa.Table:
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    # Attribute keys whose type differs between files: keep them as strings.
    types: dict[str, set[pa.DataType]] = {}
    for t in tables:
        for f in t.schema.field("attrs").type:
            types.setdefault(f.name, set()).add(f.type)
    clash = {k for k, ts in types.items() if len({x for x in ts if not pa.types.is_null(x)}) > 1}
    fixed = []
    for t in tables:
        attrs = t.column("attrs")
        fields = list(attrs.type)
        arrays = [
            _to_string(pc.struct_field(attrs, f.name)) if f.name in clash else pc.struct_field(attrs, f.name)
            for f in fields
        ]
        if fields:
            struct = pa.chunked_array(
                [
                    pa.StructArray.from_arrays(
                        [a.combine_chunks() for a in arrays],
                        [f.name for f in fields],
                        mask=pc.is_null(attrs).combine_chunks(),
                    )
                ]
            )
        else:
            struct = attrs
        fixed.append(t.set_column(t.schema.get_field_index("attrs"), "attrs", struct))
    return pa.concat_tables(fixed, promote_options="permissive")


def _types_mapper(t: pa.DataType) -> Any:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.StringDtype("pyarrow")
    if pa.types.is_int64(t):
        return pd.Int64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_struct(t):
        return pd.ArrowDtype(t)
    return None


def _finish(loads: list[_FileLoad], since: Any, until: Any) -> pd.DataFrame:
    # Parsed rows first, then the kept unparsed lines: for a file in time order
    # that is already the final order, and nothing has to be moved.
    nonempty = [t for load in loads for t in load.tables if t.num_rows]
    tables = [t for t in nonempty if t.column("parse_ok")[0].as_py()] + [
        t for t in nonempty if not t.column("parse_ok")[0].as_py()
    ]
    if not tables:
        df = conform(None, "events")
    else:
        table = tables[0] if len(tables) == 1 else _unify(tables)
        if since is not None or until is not None:
            ts = table.column("ts")
            keep = pc.is_valid(ts)
            if since is not None:
                keep = pc.and_(keep, pc.greater_equal(ts, pa.scalar(to_utc(since), ts.type)))
            if until is not None:
                keep = pc.and_(keep, pc.less(ts, pa.scalar(to_utc(until), ts.type)))
            table = table.filter(keep)
        order = _time_order(table)
        if order is not None:
            table = _take(table, order)
        df = table.to_pandas(types_mapper=_types_mapper, split_blocks=True, self_destruct=True)
    df.attrs[_STATS_KEY] = [load.stats() for load in loads]
    return df


def _take(table: pa.Table, order: pa.Array) -> pa.Table:
    """``table.take(order)``, rebuilding columns that hold one value instead of moving their rows."""
    constant: dict[str, Any] = {}
    for name in ("source_file", "service"):
        col = table.column(name)
        if col.null_count == 0 and pc.count_distinct(col).as_py() == 1:
            constant[name] = col[0].as_py()
    moved = table.drop_columns(list(constant)).take(order)
    for name, value in constant.items():
        moved = moved.add_column(
            table.schema.get_field_index(name),
            table.schema.field(name),
            pa.chunked_array([pa.repeat(value, len(order))]),
        )
    return moved


def _time_order(table: pa.Table) -> pa.Array | None:
    """Row order by time, then file and line, or None when the rows already are in it.

    Lines without a time (a panic, a stack frame, a clock-only time) go last,
    in file and line order; ``sort_values(["source_file", "line_no"])`` puts
    them back among their neighbours.
    """
    never = np.iinfo(np.int64).max
    key = np.asarray(pc.fill_null(pc.cast(table.column("ts"), pa.int64()), never).to_numpy(), dtype=np.int64)
    files = np.asarray(
        pc.dictionary_encode(table.column("source_file")).combine_chunks().indices.to_numpy(), dtype=np.int64
    )
    line_no = np.asarray(table.column("line_no").to_numpy(), dtype=np.int64)
    # Equal times keep file order, then line order (recovered lines of a chunk are parsed after
    # its fast-path rows, so table order is not line order).
    dk, df, dl = np.diff(key), np.diff(files), np.diff(line_no)
    if bool(np.all((dk > 0) | ((dk == 0) & ((df > 0) | ((df == 0) & (dl >= 0)))))):
        return None
    return pa.array(np.lexsort((line_no, files, key)))


def _compile(regex: str | re.Pattern[str] | None) -> re.Pattern[str] | None:
    if regex is None:
        return None
    pattern = re.compile(regex) if isinstance(regex, str) else regex
    if not pattern.groupindex:
        raise DataFormatError(f"log regex {pattern.pattern!r} has no named groups (e.g. (?P<msg>.*))")
    return pattern


def read_logs(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    format: str = "auto",
    service: str | None = None,
    since: Any = None,
    until: Any = None,
    regex: str | re.Pattern[str] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Read Go service logs into an ``events`` table.

    Parameters
    ----------
    paths
        A file, a directory (read recursively), a glob, or a list of them.
        Gzip files are recognised by their magic bytes.
    format
        ``"auto"`` (detect per file from its first lines) or one of
        :data:`DIALECTS` for every file.
    service
        Service name for every line. By default a ``service`` field of the
        line, else the file name without its extensions.
    since, until
        Keep lines with ``since <= ts < until`` (anything ``pd.Timestamp``
        takes; naive times are UTC). Lines without a time are dropped then.
    regex
        For plain-text logs: a pattern with named groups (``ts``, ``level``,
        ``msg``, ``trace_id`` … any name; unknown names go to ``attrs``).
        Implies ``format="regex"``.
    progress
        Show a progress bar; by default only when there is more than 64 MB.

    Returns
    -------
    DataFrame
        Schema ``events``, sorted by ``ts`` (stable); lines without a time
        (unparsed lines among them) last, in file and line order.
        :func:`load_stats` on it gives the counts per file.

    Raises
    ------
    DataFormatError
        A path that does not exist or cannot be opened, an unknown format.
    """
    files = expand_paths(paths, what="log")
    pattern = _compile(regex)
    fmt = "regex" if pattern is not None and format == "auto" else format
    total = sum(f.stat().st_size for f in files)
    show = progress if progress is not None else total > (64 << 20)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, desc="reading logs", leave=False)
    loads: list[_FileLoad] = []
    try:
        for f in files:
            with _open_binary(f) as (raw, plain):
                stream = raw if plain else _TolerantStream(raw)
                size = f.stat().st_size
                counted = [0]

                def tick(n: int, size: int = size, counted: list[int] = counted) -> None:
                    if bar is not None:
                        step = min(n, max(size - counted[0], 0))
                        counted[0] += step
                        bar.update(step)

                try:
                    loads.append(
                        _load_stream(
                            stream,
                            source=str(f),
                            format=fmt,
                            service=service,  # type: ignore[arg-type]
                            default_service=_service_from_path(f),
                            regex=pattern,
                            progress=tick,
                            whole_file=str(f) if plain else None,
                        )
                    )
                except (OSError, EOFError, zlib.error) as exc:
                    raise DataFormatError(f"{f}: cannot read: {exc}") from exc
            if bar is not None:
                bar.update(max(size - counted[0], 0))
    finally:
        if bar is not None:
            bar.close()
    return _finish(loads, since, until)


def parse_logs(
    lines_or_file: str | bytes | Iterable[str] | IO[str] | IO[bytes],
    *,
    format: str = "auto",
    service: str | None = None,
    since: Any = None,
    until: Any = None,
    regex: str | re.Pattern[str] | None = None,
    source: str = "<lines>",
) -> pd.DataFrame:
    """Parse log lines already in memory (text, bytes, a list of lines or an open file).

    The same as :func:`read_logs` for one input; ``source`` names it in
    ``source_file`` and in errors, and is the default service when neither
    ``service`` nor a service field is given.
    """
    if isinstance(lines_or_file, bytes):
        data = lines_or_file
    elif isinstance(lines_or_file, str):
        data = lines_or_file.encode("utf-8")
    elif hasattr(lines_or_file, "read"):
        content = lines_or_file.read()
        data = content.encode("utf-8") if isinstance(content, str) else content
    else:
        data = "\n".join(ln.rstrip("\r\n") for ln in lines_or_file).encode("utf-8")
    stream: Any = io.BytesIO(data)
    if data[:2] == b"\x1f\x8b":
        stream = _TolerantStream(gzip.GzipFile(fileobj=stream, mode="rb"))  # type: ignore[arg-type]
    pattern = _compile(regex)
    fmt = "regex" if pattern is not None and format == "auto" else format
    load = _load_stream(
        stream,
        source=source,
        format=fmt,
        service=service,
        default_service=_service_from_path(Path(source)) if source != "<lines>" else "unknown",
        regex=pattern,
    )
    return _finish([load], since, until)


def load_stats(events: pd.DataFrame) -> pd.DataFrame:
    """Counts per file of the last :func:`read_logs`/:func:`parse_logs` that built ``events``.

    Columns: ``source_file, dialect, lines, blank, parsed, unparsed, note`` (``note``
    says when a compressed file was cut short and only its first lines could be read).
    Computed from the table itself when the load record is gone (e.g. after
    a filter that dropped ``DataFrame.attrs``).
    """
    stats = events.attrs.get(_STATS_KEY)
    if stats:
        return pd.DataFrame(stats)
    if events.empty:
        return pd.DataFrame(columns=["source_file", "dialect", "lines", "blank", "parsed", "unparsed", "note"])
    ok = events["parse_ok"].fillna(False).astype(bool)
    g = ok.groupby(events["source_file"], sort=True)
    out = pd.DataFrame({"lines": g.size(), "parsed": g.sum()}).astype("int64").reset_index()
    out.insert(1, "dialect", None)
    out.insert(3, "blank", None)
    out["unparsed"] = out["lines"] - out["parsed"]
    out["note"] = None
    return out
