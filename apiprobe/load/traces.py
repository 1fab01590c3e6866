"""Distributed traces (OTLP JSON, Jaeger JSON, Zipkin v2 JSON) as a ``spans`` table.

Three JSON dialects are read (REFERENCE §7), detected by their structure:

* **OTLP JSON** — an ``ExportTraceServiceRequest``: ``{"resourceSpans": [{"resource":
  {"attributes": [...]}, "scopeSpans": [{"spans": [...]}]}]}`` (older exporters write
  ``instrumentationLibrarySpans``; Grafana Tempo answers ``{"batches": [...]}``).
  The OpenTelemetry collector's file exporter writes one such request per
  line (JSON lines); that is read too. Ids are hex by the OTLP/JSON spec but
  some exporters write the protobuf bytes as base64: both are accepted.
  ``startTimeUnixNano`` may be a string or a number; ``kind`` an integer (1–5)
  or a name (``SPAN_KIND_SERVER``); ``status.code`` 0/1/2 or a name.
* **Jaeger JSON** — what the Jaeger UI downloads and ``/api/traces`` answers:
  ``{"data": [{"traceID", "spans": [...], "processes": {...}}]}``, or one bare
  trace object. The parent is the ``CHILD_OF`` reference (``FOLLOWS_FROM``
  when there is no ``CHILD_OF``); the kind is the ``span.kind`` tag; a span is
  an error when tagged ``error=true`` or ``otel.status_code=ERROR``.
* **Zipkin v2 JSON** — an array of spans (``/api/v2/spans`` input) or an
  array of traces, each an array of spans (``/api/v2/traces`` output). A span
  is an error when it has an ``error`` tag (whatever its value).

Ids are normalised to lower-case hex so spans from any of the three formats,
and trace ids found in logs, can be joined. A file may be gzip-compressed.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load._paths import evidence_files, refusal, skipped_list, warn_skipped
from apiprobe.load._sniff import describe_json, judge_bytes
from apiprobe.load._text import decode_text
from apiprobe.load._trace_values import (
    SPAN_KINDS,
    attr_http_status,
    int_or_none,
    jaeger_tags,
    kind_name,
    normalize_id,
    otlp_attributes,
    otlp_status,
    tag_status,
)
from apiprobe.load._zipkin_merge import merge_fragments
from apiprobe.schema import conform

__all__ = [
    "SPAN_KINDS",
    "TRACE_FORMATS",
    "normalize_id",
    "parse_traces",
    "read_traces",
]

TraceFormat = Literal["auto", "otlp", "jaeger", "zipkin"]

#: Formats :func:`read_traces` understands (besides ``"auto"``).
TRACE_FORMATS: tuple[str, ...] = ("otlp", "jaeger", "zipkin")


_TRACE_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz")
_MAX_BAD_LINES = 200


# --------------------------------------------------------------------------- parsers

_Row = dict[str, Any]


class _Ctx:
    """Where we are, for error messages."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.merged = 0  # Zipkin fragments folded into their span

    def fail(self, where: str, what: str) -> DataFormatError:
        return DataFormatError(f"{self.name}: {where}: {what}")


def _ids(ctx: _Ctx, where: str, trace: Any, span: Any, parent: Any) -> tuple[str, str, str | None]:
    try:
        tid = normalize_id(trace, what="trace id")
        sid = normalize_id(span, what="span id")
        pid = normalize_id(parent, what="parent span id")
    except ValueError as exc:
        raise ctx.fail(where, str(exc)) from None
    if tid is None:
        raise ctx.fail(where, "span without a trace id")
    if sid is None:
        raise ctx.fail(where, "span without a span id")
    return tid, sid, pid


def _row(
    tid: str,
    sid: str,
    pid: str | None,
    service: Any,
    name: Any,
    kind: str | None,
    start_ns: int | None,
    end_ns: int | None,
    status: str,
    attrs: dict[str, Any],
) -> _Row:
    return {
        "trace_id": tid,
        "span_id": sid,
        "parent_span_id": pid,
        "service": None if service in (None, "") else str(service),
        "name": None if name is None else str(name),
        "kind": kind,
        "start_ns": start_ns,
        "end_ns": end_ns,
        "status": status,
        "attrs": attrs,
        "http_status": attr_http_status(attrs),
    }


def _positive(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None


def _parse_otlp(doc: Mapping[str, Any], ctx: _Ctx) -> list[_Row]:
    resources = doc.get("resourceSpans", doc.get("batches"))
    if resources is None:
        raise ctx.fail("top level", "not OTLP JSON (no 'resourceSpans')")
    if not isinstance(resources, list):
        raise ctx.fail("top level", "'resourceSpans' is not a list")
    rows: list[_Row] = []
    for r, rs in enumerate(resources):
        if not isinstance(rs, Mapping):
            raise ctx.fail(f"resourceSpans[{r}]", "not an object")
        resource = otlp_attributes((rs.get("resource") or {}).get("attributes"))
        service = resource.get("service.name")
        scopes = rs.get("scopeSpans")
        scope_key = "scopeSpans"
        if scopes is None:
            scopes, scope_key = rs.get("instrumentationLibrarySpans") or [], "instrumentationLibrarySpans"
        for s, ss in enumerate(scopes):
            for i, span in enumerate((ss or {}).get("spans") or []):
                at = f"resourceSpans[{r}].{scope_key}[{s}].spans[{i}]"
                if not isinstance(span, Mapping):
                    raise ctx.fail(at, "span is not an object")
                tid, sid, pid = _ids(ctx, at, span.get("traceId"), span.get("spanId"), span.get("parentSpanId"))
                attrs = otlp_attributes(span.get("attributes"))
                rows.append(
                    _row(
                        tid,
                        sid,
                        pid,
                        service,
                        span.get("name"),
                        kind_name(span.get("kind")),
                        _positive(int_or_none(span.get("startTimeUnixNano"))),
                        _positive(int_or_none(span.get("endTimeUnixNano"))),
                        otlp_status(span.get("status")),
                        attrs,
                    )
                )
    return rows


def _jaeger_parent(span: Mapping[str, Any]) -> Any:
    refs = [r for r in span.get("references") or [] if isinstance(r, Mapping)]
    for wanted in ("CHILD_OF", "FOLLOWS_FROM"):
        for ref in refs:
            if str(ref.get("refType", "")).upper() == wanted and ref.get("spanID"):
                return ref["spanID"]
    parent = span.get("parentSpanID")
    return None if parent in (None, "", "0") else parent


def _micros_span(start_us: Any, duration_us: Any) -> tuple[int | None, int | None]:
    """Start and end in ns from a start time and a duration in µs (Jaeger, Zipkin); None where unknown."""
    start = _positive(int_or_none(start_us))
    dur = int_or_none(duration_us)
    start_ns = None if start is None else start * 1000
    end_ns = None if start_ns is None or dur is None or dur < 0 else start_ns + dur * 1000
    return start_ns, end_ns


def _parse_jaeger_trace(trace: Mapping[str, Any], ctx: _Ctx, where: str) -> list[_Row]:
    processes = trace.get("processes") or {}
    spans = trace.get("spans")
    if not isinstance(spans, list):
        raise ctx.fail(where, "Jaeger trace without a 'spans' list")
    rows: list[_Row] = []
    for i, span in enumerate(spans):
        at = f"{where}.spans[{i}]"
        if not isinstance(span, Mapping):
            raise ctx.fail(at, "span is not an object")
        tid, sid, pid = _ids(
            ctx, at, span.get("traceID", trace.get("traceID")), span.get("spanID"), _jaeger_parent(span)
        )
        process = span.get("process") or processes.get(span.get("processID")) or {}
        tags = jaeger_tags(span.get("tags"))
        start_ns, end_ns = _micros_span(span.get("startTime"), span.get("duration"))
        rows.append(
            _row(
                tid,
                sid,
                pid,
                process.get("serviceName"),
                span.get("operationName"),
                kind_name(tags.get("span.kind")),
                start_ns,
                end_ns,
                tag_status(tags, zipkin=False),
                tags,
            )
        )
    return rows


def _parse_jaeger(doc: Mapping[str, Any], ctx: _Ctx) -> list[_Row]:
    if "data" in doc:
        traces = doc["data"]
        if traces is None:
            return []
        if not isinstance(traces, list):
            raise ctx.fail("data", "Jaeger 'data' is not a list of traces")
        rows: list[_Row] = []
        for t, trace in enumerate(traces):
            if not isinstance(trace, Mapping):
                raise ctx.fail(f"data[{t}]", "trace is not an object")
            rows += _parse_jaeger_trace(trace, ctx, f"data[{t}]")
        return rows
    if "spans" in doc:
        return _parse_jaeger_trace(doc, ctx, "trace")
    raise ctx.fail("top level", "not Jaeger JSON (no 'data' or 'spans')")


def _zipkin_spans(doc: list[Any]) -> Iterator[tuple[str, Any]]:
    for i, item in enumerate(doc):
        if isinstance(item, list):  # /api/v2/traces: a list of traces
            for j, span in enumerate(item):
                yield f"[{i}][{j}]", span
        else:
            yield f"[{i}]", item


def _parse_zipkin(doc: Any, ctx: _Ctx) -> list[_Row]:
    if not isinstance(doc, list):
        raise ctx.fail("top level", "not Zipkin v2 JSON (expected an array of spans)")
    rows: list[_Row] = []
    spans, ctx.merged = merge_fragments(list(_zipkin_spans(doc)))
    for at, span in spans:
        if not isinstance(span, Mapping):
            raise ctx.fail(at, "span is not an object")
        tid, sid, pid = _ids(ctx, at, span.get("traceId"), span.get("id"), span.get("parentId"))
        tags = {str(k): v for k, v in (span.get("tags") or {}).items()}
        endpoint = span.get("localEndpoint") or {}
        start_ns, end_ns = _micros_span(span.get("timestamp"), span.get("duration"))
        row = _row(
            tid,
            sid,
            pid,
            endpoint.get("serviceName"),
            span.get("name"),
            kind_name(span.get("kind")),
            start_ns,
            end_ns,
            tag_status(tags, zipkin=True),
            tags,
        )
        row["_shared"] = bool(span.get("shared"))
        rows.append(row)
    return _unshare(rows)


def _unshare(rows: list[_Row]) -> list[_Row]:
    """Give the server half of a Zipkin shared span (B3 ``supportsJoin``) its own id.

    Brave and zipkin-go by default let the server report its side of an RPC
    under the client's span id (``"shared": true``). Like Jaeger's
    ``SpanIDDeduper``, the server span gets a new id (the next free value
    after the shared one) and becomes the child of the client span, so every
    (trace_id, span_id) names one span.

    The same server half exported twice (identical trace id, span id, kind,
    service, timestamp and duration — a retried export, or a file read
    twice) is one span: every copy gets the same new id, so the copies stay
    exact duplicates, which the analysis functions count once (and
    ``trace_summary`` reports as ``duplicate_spans``), as for any other span
    exported twice.
    """
    used: dict[str, set[str]] = {}
    clients: set[tuple[str, str]] = set()
    renamed: dict[tuple[Any, ...], str] = {}
    for row in rows:
        used.setdefault(row["trace_id"], set()).add(row["span_id"])
        if not row["_shared"] and row["kind"] != "server":
            clients.add((row["trace_id"], row["span_id"]))
    for row in rows:
        shared = row.pop("_shared")
        tid, sid = row["trace_id"], row["span_id"]
        if (shared or row["kind"] == "server") and (tid, sid) in clients:
            key = (tid, sid, row["kind"], row["service"], row["start_ns"], row["end_ns"])
            new: str = renamed.get(key) or sid
            if key not in renamed:
                value = int(sid, 16)
                while new in used[tid]:
                    value = (value + 1) % (1 << 64)
                    new = format(value, "016x")
                used[tid].add(new)
                renamed[key] = new
            row["span_id"], row["parent_span_id"] = new, sid
    return rows


def _unwrap(doc: Any) -> Any:
    """The trace document inside the wrappers today's backends put around it.

    * Jaeger v2 ``/api/v3/traces``: ``{"result": {"resourceSpans": …}}`` (OTLP inside);
    * Grafana Tempo ``/api/v2/traces/<id>``: ``{"trace": {"resourceSpans": …}}``
      (``/api/traces/<id>`` is ``{"batches": …}``, OTLP under another name, read as is);
    * the Jaeger UI / query API with one trace as an object: ``{"data": {"traceID": …, "spans": …}}``;
    * a bare list of Jaeger spans, each carrying its ``process`` (jaeger's anonymizer and ``uiconv``).
    """
    if isinstance(doc, Mapping):
        for key in ("result", "trace"):
            inner = doc.get(key)
            if isinstance(inner, Mapping) and ("resourceSpans" in inner or "batches" in inner):
                return inner
        data = doc.get("data")
        if isinstance(data, Mapping) and "spans" in data:
            return {**doc, "data": [data]}
    if isinstance(doc, list) and doc and all(isinstance(s, Mapping) and "spanID" in s and "traceID" in s for s in doc):
        return {
            "traceID": doc[0]["traceID"],
            "spans": doc,
        }  # a bare list of Jaeger spans, each with its own process (jaeger-anonymizer, uiconv)
    return doc


def _detect(doc: Any) -> str | None:
    """Format of one parsed JSON document, or None when it fits none."""
    if isinstance(doc, Mapping):
        if "resourceSpans" in doc or "batches" in doc:
            return "otlp"
        if "data" in doc and (doc["data"] is None or isinstance(doc["data"], list)):
            data = doc["data"] or []
            if all(isinstance(t, Mapping) and "spans" in t for t in data):
                return "jaeger"
        if "spans" in doc and ("traceID" in doc or "processes" in doc):
            return "jaeger"
        return None
    if isinstance(doc, list):
        spans = [s for _, s in _zipkin_spans(doc)]
        if all(isinstance(s, Mapping) for s in spans) and (not spans or any("traceId" in s for s in spans)):
            return "zipkin"
        if all(isinstance(t, Mapping) and "spans" in t and ("traceID" in t or "processes" in t) for t in doc):
            return "jaeger"  # a bare list of Jaeger traces
    return None


def _parse_doc(doc: Any, fmt: str, ctx: _Ctx) -> tuple[list[_Row], str]:
    doc = _unwrap(doc)
    detected = _detect(doc)
    if fmt == "auto":
        if detected is None:
            raise ctx.fail("top level", _describe_unknown(doc))
        fmt = detected
    if fmt == "otlp":
        if not isinstance(doc, Mapping):
            raise ctx.fail("top level", "not OTLP JSON (expected an object with 'resourceSpans')")
        return _parse_otlp(doc, ctx), fmt
    if fmt == "jaeger":
        if isinstance(doc, list):
            rows: list[_Row] = []
            for t, trace in enumerate(doc):
                if not isinstance(trace, Mapping):
                    raise ctx.fail(f"[{t}]", "not a Jaeger trace object")
                rows += _parse_jaeger_trace(trace, ctx, f"[{t}]")
            return rows, fmt
        if not isinstance(doc, Mapping):
            raise ctx.fail("top level", "not Jaeger JSON (expected an object)")
        return _parse_jaeger(doc, ctx), fmt
    return _parse_zipkin(doc, ctx), fmt


def _describe_unknown(doc: Any) -> str:
    other = describe_json(doc)
    if other.kind is not None and other.kind != "traces":
        return f"this is {other.what}, not a trace export: read it with {other.reader}"
    if isinstance(doc, Mapping) and "data" in doc and not isinstance(doc["data"], (list, Mapping, type(None))):
        return f"'data' is a {type(doc['data']).__name__}; Jaeger JSON has a list of traces (or one trace object) there"
    if isinstance(doc, Mapping):
        keys = ", ".join(repr(k) for k in list(doc)[:6]) or "none"
        return (
            f"JSON object with keys {keys} is none of OTLP ('resourceSpans'), Jaeger ('data' or "
            "'traceID' + 'spans') or Zipkin v2 (array of spans)"
        )
    if isinstance(doc, list):
        return "JSON array whose items are not Zipkin v2 spans (objects with 'traceId' and 'id')"
    return f"JSON {type(doc).__name__} is not a trace document"


# --------------------------------------------------------------------------- frame


_NS_MIN, _NS_MAX = int(np.iinfo("int64").min) + 1, int(np.iinfo("int64").max)


def _utc(ns: list[int | None]) -> pd.DatetimeIndex:
    """Exact UTC timestamps from integer nanoseconds (None → NaT), without a float round trip."""
    nat = np.iinfo("int64").min
    values = np.fromiter((nat if v is None else v for v in ns), dtype="int64", count=len(ns))
    return pd.DatetimeIndex(values.view("datetime64[ns]")).tz_localize("UTC")


def _fit_times(rows: list[_Row]) -> int:
    """Times nanoseconds cannot hold (year 9999, 2^63 ns) become None; the count of spans touched."""
    bad = 0
    for row in rows:
        hit = False
        for key in ("start_ns", "end_ns"):
            v = row[key]
            if v is not None and not _NS_MIN <= v <= _NS_MAX:
                row[key] = None
                hit = True
        bad += hit
    return bad


def _frame(rows: list[_Row], source: str | None) -> pd.DataFrame:
    if not rows:
        df = conform(None, "spans")
        df.attrs["bad_times"] = 0
        return df
    bad_times = _fit_times(rows)
    raw = pd.DataFrame.from_records(rows)
    start = _utc([r["start_ns"] for r in rows])  # from the rows: a frame column with None is float
    end = _utc([r["end_ns"] for r in rows])
    missing = np.asarray(start.isna()) | np.asarray(end.isna())
    dur = (np.asarray(end.asi8) - np.asarray(start.asi8)).astype("float64") / 1e6  # int ns first: exact
    dur[missing] = np.nan
    raw["start"] = start
    raw["end"] = end
    raw["duration_ms"] = dur
    raw["source_file"] = source
    attrs = pd.Series(list(raw["attrs"]), dtype=object)
    raw = raw.drop(columns=["start_ns", "end_ns", "attrs"])
    raw["attrs"] = attrs
    raw["http_status"] = pd.array(raw["http_status"].tolist(), dtype="Int64")
    df = conform(raw, "spans")
    df.attrs["bad_times"] = bad_times
    return df


# --------------------------------------------------------------------------- text


def _to_text(data: str | bytes, name: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return decode_text(data, name, what="JSON trace file")
    except DataFormatError as exc:
        message = refusal(name, *judge_bytes(data, name), "traces", "a trace export")
        if message is not None:
            raise DataFormatError(message) from exc
        raise


def _parse_text(text: str, fmt: str, name: str) -> pd.DataFrame:
    ctx = _Ctx(name)
    stripped = text.strip()
    if not stripped:  # the collector's file exporter creates its file before the first export
        df = _frame([], None)
        df.attrs.update({"format": "empty", "parse_errors": 0, "bad_lines": []})
        return df
    try:
        doc = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and stripped[0] in "{[":
            return _parse_json_lines(stripped, fmt, ctx)
        message = refusal(
            name, *judge_bytes(stripped[:65537].encode("utf-8", "replace"), name), "traces", "a trace export"
        )
        if message is not None:
            raise DataFormatError(message) from None
        raise DataFormatError(
            f"{name}: line {exc.lineno} column {exc.colno}: not JSON ({exc.msg}); expected OTLP, Jaeger or Zipkin JSON"
        ) from None
    except RecursionError:
        raise DataFormatError(
            f"{name}: JSON nested too deeply to read (thousands of levels); not a trace export"
        ) from None
    rows, detected = _parse_doc(doc, fmt, ctx)
    df = _frame(rows, None if name == "<text>" else name)
    df.attrs.update({"format": detected, "parse_errors": 0, "bad_lines": [], "merged_fragments": ctx.merged})
    return df


def _parse_json_lines(text: str, fmt: str, ctx: _Ctx) -> pd.DataFrame:
    """JSON lines: one export request (or trace document) per line, as the collector's file exporter writes."""
    rows: list[_Row] = []
    formats: set[str] = set()
    bad: list[tuple[int, str]] = []
    n_docs = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append((line_no, f"not JSON ({exc.msg})"))
            continue
        except RecursionError:
            bad.append((line_no, "JSON nested too deeply to read"))
            continue
        # JSON of the wrong structure raises: unlike a line cut short, it is not a truncated write
        got, detected = _parse_doc(doc, fmt, _Ctx(f"{ctx.name}: line {line_no}"))
        n_docs += 1
        formats.add(detected)
        rows += got
    if not n_docs:
        first = bad[0] if bad else (1, "no content")
        raise DataFormatError(f"{ctx.name}: line {first[0]}: {first[1]}; no line holds a trace document")
    name = None if ctx.name == "<text>" else ctx.name
    df = _frame(rows, name)
    df.attrs.update(
        {
            "format": "+".join(sorted(formats)) + "-jsonl",
            "parse_errors": len(bad),
            "bad_lines": bad[:_MAX_BAD_LINES],
        }
    )
    return df


# --------------------------------------------------------------------------- public


def _check_format(format: str) -> str:
    fmt = str(format).lower()
    if fmt not in ("auto", *TRACE_FORMATS):
        raise InvalidParameterError(f"format must be 'auto', 'otlp', 'jaeger' or 'zipkin', got {format!r}")
    return fmt


def parse_traces(
    obj_or_text: str | bytes | Mapping[str, Any] | list[Any] | IO[str] | IO[bytes],
    *,
    format: TraceFormat = "auto",
    source: str | None = None,
) -> pd.DataFrame:
    """Parse one trace document (already decoded JSON, JSON text, bytes or a file object).

    Each row is one span, with the ``spans`` columns listed under
    :func:`read_traces` (``start``/``end`` UTC, ``duration_ms`` in float ms).

    Parameters
    ----------
    obj_or_text : str, bytes, mapping, list or file object
        A decoded JSON document (dict or list), JSON or JSON-lines text,
        bytes (possibly gzip-compressed) or an open file.
    format : {"auto", "otlp", "jaeger", "zipkin"}, default "auto"
        ``"auto"`` detects from the structure; the others force one format.
    source : str, optional
        Name written to ``source_file`` and used in error messages.

    Returns
    -------
    pandas.DataFrame
        Schema ``spans``; ``attrs`` holds ``format``, ``parse_errors``,
        ``bad_lines`` and ``source``.

    Raises
    ------
    DataFormatError
        When the input is not JSON, or is JSON of none of the formats, or a
        span has no trace or span id; the message names ``source`` and where.
    InvalidParameterError
        When ``format`` is not one of the four.
    """
    fmt = _check_format(format)
    name = source or "<text>"
    if hasattr(obj_or_text, "read"):
        obj_or_text = obj_or_text.read()
    if isinstance(obj_or_text, (str, bytes)):
        df = _parse_text(_to_text(obj_or_text, name), fmt, name)
    else:
        ctx = _Ctx(name)
        rows, detected = _parse_doc(obj_or_text, fmt, ctx)
        df = _frame(rows, source)
        df.attrs.update({"format": detected, "parse_errors": 0, "bad_lines": []})
    df.attrs["source"] = source
    if df.attrs.get("bad_times"):
        warnings.warn(
            f"{name}: {df.attrs['bad_times']} span(s) have a time nanoseconds cannot hold; those times are NaT",
            stacklevel=2,
        )
    return df


def _read_one(path: Path, fmt: str, label: str) -> pd.DataFrame:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot read trace file: {exc.strerror or exc}") from exc
    df = _parse_text(_to_text(data, label), fmt, label)
    df["source_file"] = pd.array([label] * len(df), dtype="string")
    return df


def _labels(files: list[Path]) -> list[str]:
    names = [f.name for f in files]
    return names if len(set(names)) == len(names) else [str(f) for f in files]


def read_traces(path: str | PathLike[str], *, format: TraceFormat = "auto") -> pd.DataFrame:
    """Read spans from OTLP JSON, Jaeger JSON or Zipkin v2 JSON files.

    Each row is one span. Columns (schema ``spans``):

    * ``trace_id``, ``span_id`` (string): lower-case hex (base64 ids from
      some OTLP exporters are converted).
    * ``parent_span_id`` (string): the parent span; NA for a root span.
    * ``service`` (string): ``service.name`` of the resource (OTLP), the
      process ``serviceName`` (Jaeger) or ``localEndpoint.serviceName`` (Zipkin).
    * ``name`` (string): operation name.
    * ``kind`` (string): ``internal``, ``server``, ``client``, ``producer``
      or ``consumer``; NA when unspecified (Zipkin writes no kind for local
      spans, so they are NA there).
    * ``start``, ``end`` (datetime64[ns, UTC]): span start and end; NaT when
      the file has none (Zipkin spans without timestamp or duration).
    * ``duration_ms`` (float64): ``end − start`` in milliseconds.
    * ``status`` (string): ``ok``, ``error`` or ``unset``.
    * ``attrs`` (object): a dict per span of its attributes (OTLP, with
      typed values: ``intValue`` strings become ``int``, arrays lists,
      kvlists dicts) or tags (Jaeger, typed by their ``type``; Zipkin tags
      are strings). Resource / process attributes are not included.
    * ``http_status`` (Int64): ``http.status_code`` or ``http.response.status_code``.
    * ``source_file`` (string): the file the span came from.

    Spans are kept as written: duplicates (the same span exported twice) are
    not removed here; the analysis functions drop them.

    ``df.attrs``: ``format`` (``otlp``, ``jaeger``, ``zipkin``, with
    ``-jsonl`` for JSON lines), ``parse_errors`` and ``bad_lines``
    (``(file, line_no, reason)``: JSON-lines lines that were not JSON, such
    as a line truncated when the writer stopped), ``bad_times`` (spans whose
    start or end nanoseconds cannot hold — year 9999, 2^63 ns — kept with NaT),
    ``merged_fragments`` (Zipkin span fragments folded into their span, as the
    Zipkin UI does: see :mod:`apiprobe.load._zipkin_merge`),
    ``skipped_files`` (``(file, reason)`` for each file that could not be
    read: the others are still read, with a warning) and ``skipped`` (files
    of the folder that hold another kind of evidence, with one warning: dicts
    of ``file``, ``kind``, ``what`` and ``reader``, the function that reads it).

    Besides plain OTLP JSON (``resourceSpans``), the wrappers of today's
    backends are read: Jaeger v2 ``/api/v3/traces`` (``{"result": …}``),
    Grafana Tempo (``{"batches": …}``, ``{"trace": …}``) and the Jaeger
    query API / UI download (``{"data": [...]}``, or one trace object).

    Parameters
    ----------
    path : str or path-like
        A file, a directory (read recursively) or a glob pattern; several
        files are concatenated in name order. Each file is judged by its
        content: trace exports are read, files of other kinds skipped (see
        ``skipped`` above); a file of unknown content is tried when named
        ``*.json``, ``*.jsonl``, ``*.ndjson`` or ``*.gz``. Gzip-compressed
        files are recognised by their magic bytes.
    format : {"auto", "otlp", "jaeger", "zipkin"}, default "auto"
        ``"auto"`` detects each file's format from its structure; ``"otlp"``,
        ``"jaeger"`` or ``"zipkin"`` forces one.

    Returns
    -------
    pandas.DataFrame
        Schema ``spans``, the files concatenated in name order.

    Raises
    ------
    DataFormatError
        When no file can be read: not JSON, JSON of none of the formats
        (a HAR file or a goroutine dump says which function reads it), or a
        span without ids; the message names each file and the place in it.
        Also for a file named explicitly that holds another kind of evidence.
    InvalidParameterError
        When ``format`` is not one of the four.

    Examples
    --------
    >>> spans = read_traces("traces/")  # doctest: +SKIP
    >>> spans.groupby("service")["duration_ms"].describe()  # doctest: +SKIP
    """
    fmt = _check_format(format)
    files, other_kinds = evidence_files(
        path,
        kind="traces",
        what="trace",
        try_shapes=frozenset({"prose", "text", "empty"}),
        try_suffixes=_TRACE_SUFFIXES,
    )
    frames: list[pd.DataFrame] = []
    formats: list[str] = []
    bad: list[tuple[str, int, str]] = []
    skipped: list[tuple[str, str]] = []
    read: list[str] = []
    for file, label in zip(files, _labels(files), strict=True):
        try:
            df = _read_one(file, fmt, label)
        except DataFormatError as exc:  # one unreadable file must not lose the others
            skipped.append((label, str(exc)))
            continue
        read.append(label)
        formats.append(str(df.attrs.get("format")))
        bad += [(label, n, why) for n, why in df.attrs.get("bad_lines", [])]
        frames.append(df)
    if not frames:
        others = f"; and {len(other_kinds)} file(s) of other kinds: {skipped_list(other_kinds)}" if other_kinds else ""
        if len(skipped) == 1:
            raise DataFormatError(skipped[0][1] + others)
        raise DataFormatError(
            f"{path}: no readable trace file among {len(skipped)}: " + "; ".join(why for _, why in skipped) + others
        )
    kinds = warn_skipped(path, other_kinds, "trace")
    if skipped:
        warnings.warn(
            f"{path}: skipped {len(skipped)} unreadable file(s) of {len(files)} "
            f"(see df.attrs['skipped_files']): {skipped[0][1]}",
            stacklevel=2,
        )
    bad_times = sum(int(f.attrs.get("bad_times", 0)) for f in frames)
    if bad_times:
        warnings.warn(
            f"{path}: {bad_times} span(s) have a start or end time outside what nanoseconds can hold "
            "(year 9999, Go's zero time as a count); those times are NaT, the spans kept",
            stacklevel=2,
        )
    nonempty = [f for f in frames if len(f)]
    out = conform(pd.concat(nonempty, ignore_index=True) if nonempty else None, "spans")
    out.attrs.update(
        {
            "format": formats[0] if len(set(formats)) == 1 else "mixed",
            "formats": dict(zip(read, formats, strict=True)),
            "parse_errors": sum(int(f.attrs.get("parse_errors", 0)) for f in frames),
            "bad_lines": bad[:_MAX_BAD_LINES],
            "bad_times": bad_times,
            "merged_fragments": sum(int(f.attrs.get("merged_fragments", 0)) for f in frames),
            "skipped_files": skipped,
            "skipped": kinds,
            "source": str(path),
        }
    )
    return out
