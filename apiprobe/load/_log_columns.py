"""Per-dialect normalisation: parsed log records (an arrow table) into ``events`` columns.

Which keys feed which column in each dialect, level words, Go durations and
timestamps; the vectorised conversions run on whole pyarrow columns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from apiprobe.schema import columns

__all__ = ["EVENT_TYPES", "events_table", "parse_go_duration", "to_string", "unparsed_table"]


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
# zap's console encoder uses the same encoder config (NewProductionEncoderConfig: seconds;
# NewDevelopmentEncoderConfig writes strings such as "1.2ms", read as Go durations).
_DIALECT_DURATION_MS: dict[str, float] = {"zap": 1e3, "zap_console": 1e3, "slog_json": 1e-6, "logrus_json": 1e-6}

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


# --------------------------------------------------------------------------- values


def parse_go_duration(text: str) -> float:
    """Milliseconds in a Go duration string (``time.Duration.String``), NaN if it is not one.

    Parameters
    ----------
    text : str
        A duration such as ``"1m2.5s"``, ``"350µs"`` or ``"-2h"``.

    Returns
    -------
    float
        The duration in ms; NaN when ``text`` is not a Go duration.

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


def to_string(arr: pa.ChunkedArray) -> pa.ChunkedArray:
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
    num = pd.to_numeric(pd.Series(to_string(arr).to_pylist(), dtype=object), errors="coerce")
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
    strings = to_string(arr)
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


_NS_MIN = pd.Timestamp.min.tz_localize("UTC")
_NS_MAX = pd.Timestamp.max.tz_localize("UTC")


def _as_ns(parsed: pd.Series) -> pd.Series:
    """UTC times of any resolution as ns; a time ns cannot hold (Go's zero time, year 9999) → NaT."""
    return parsed.where((parsed >= _NS_MIN) & (parsed <= _NS_MAX)).astype("datetime64[ns, UTC]")


def _timestamps(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Any time column (epoch s/ms/µs/ns numbers or strings, RFC 3339, Go formats) → ns UTC."""
    target = pa.timestamp("ns", tz="UTC")
    t = arr.type
    if pa.types.is_timestamp(t):
        # epoch counts in the column's own unit (UTC: a naive time is taken as UTC); a time that
        # nanoseconds cannot hold (Go's zero time 0001-01-01, year 9999) becomes NaT, the line stays
        per_unit = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[t.unit]
        counts = pc.cast(arr, pa.int64())
        limit = np.iinfo(np.int64).max // per_unit
        fits = pc.and_(pc.less_equal(counts, limit), pc.greater_equal(counts, -limit))
        ns = pc.multiply(pc.if_else(fits, counts, pa.scalar(None, pa.int64())), per_unit)
        return pc.cast(ns, target)
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return _epoch_to_timestamps(arr)
    strings = to_string(arr)
    try:
        return pc.cast(strings, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    series = pd.Series(strings.to_pylist(), dtype=object)
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().mean() > 0.5:
        return _timestamps(pa.chunked_array([pa.array(numeric.to_numpy("float64"), from_pandas=True)]))
    parsed = _as_ns(pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601"))
    # "mixed" guesses; only let it see values that carry a full date (a year),
    # so a clock-only time such as zerolog's "5:41PM" stays NaT instead of today.
    missing = parsed.isna() & series.notna() & series.astype(str).str.contains(r"(?:^|\D)\d{4}(?:\D|$)")
    if missing.any():
        cleaned = series[missing].str.replace(r"(\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-]\d{4}) \w+$", r"\1\2", regex=True)
        parsed[missing] = _as_ns(pd.to_datetime(cleaned, utc=True, errors="coerce", format="mixed"))
    return pa.chunked_array([pa.array(parsed.astype("datetime64[ns, UTC]"), type=target)])


def _caller(table: pa.Table, key: str) -> pa.ChunkedArray:
    arr = table.column(key)
    if pa.types.is_struct(arr.type):  # slog AddSource: {"function","file","line"}
        names = {f.name for f in arr.type}
        if "file" in names:
            file = to_string(pc.struct_field(arr, "file"))
            if "line" in names:
                line = to_string(pc.struct_field(arr, "line"))
                return pc.binary_join_element_wise(file, line, ":")
            return file
    if key == "func" and "file" in table.column_names:
        return to_string(table.column("file"))
    return to_string(arr)


# --------------------------------------------------------------------------- table mapping


#: Arrow types of the events columns that are not text.
EVENT_TYPES: dict[str, pa.DataType] = {
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


def events_table(
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
        return pa.chunked_array([pa.nulls(n, EVENT_TYPES.get(col, pa.string()))])

    ts_parts = []
    for key in _find_keys(names, _KEYS["ts"], used):
        parsed = _timestamps(table.column(key))
        ts_parts.append(parsed)
        if parsed.null_count == table.column(key).null_count:
            used.add(key)  # else some times did not parse (e.g. "5:41PM"): keep the text in attrs
    out["ts"] = _coalesce(ts_parts) if ts_parts else null("ts")
    svc = column("service", to_string)
    if service is not None:
        out["service"] = pa.chunked_array([pa.repeat(service, n)])
    elif svc is not None:
        out["service"] = pc.fill_null(svc, default_service)
    else:
        out["service"] = pa.chunked_array([pa.repeat(default_service, n)])
    out["level"] = column("level", lambda a: _map_unique(a, _normalise_level, pa.string())) or null("level")
    out["msg"] = column("msg", to_string) or null("msg")
    out["logger"] = column("logger", to_string) or null("logger")
    out["trace_id"] = column("trace_id", lambda a: pc.utf8_lower(to_string(a))) or null("trace_id")
    out["span_id"] = column("span_id", lambda a: pc.utf8_lower(to_string(a))) or null("span_id")
    out["error"] = column("error", to_string) or null("error")
    out["error_kind"] = null("error_kind")
    out["status"] = column("status", _to_int) or null("status")
    out["latency_ms"] = _latency(table, dialect, used)
    out["route"] = column("route", to_string) or null("route")
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


def unparsed_table(rows: list[tuple[int, str]], *, service: str, source: str) -> pa.Table:
    n = len(rows)
    out: dict[str, pa.Array] = {}
    for col in columns("events"):
        out[col] = pa.nulls(n, EVENT_TYPES.get(col, pa.string()))
    out["attrs"] = pa.nulls(n, pa.struct([]))
    out["service"] = pa.array([service] * n, pa.string())
    out["raw"] = pa.array([text for _, text in rows], pa.string())
    out["line_no"] = pa.array([no for no, _ in rows], pa.int64())
    out["source_file"] = pa.array([source] * n, pa.string())
    out["parse_ok"] = pa.array([False] * n, pa.bool_())
    return pa.table(out)
