"""What a text file (or a JSON document) is: tables, JSON formats, PEM, dumps, Go source, configs, /metrics, logs.

The text half of :mod:`apiprobe.load._sniff`, which judges the bytes (gzip, magic numbers,
protobuf, DER) and hands text here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from apiprobe.load._log_dialects import JSON_DIALECTS, TEXT_LINE, detect_dialect
from apiprobe.load._log_text_dialects import TEXT_DIALECTS
from apiprobe.load._sniff_kinds import HEAD_BYTES, LEGACY_PROFILE, WEAK_KINDS, Sniffed, _Judged
from apiprobe.schema import columns

__all__ = ["describe_json", "judge_text", "table_kind"]

# --------------------------------------------------------------------------- tables


_TABLE_WORDS = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON lines"}


def table_kind(cols: list[str], fmt: str) -> Sniffed:
    """The apiprobe table (probes, pings, dns) or timeouts declaration whose columns ``cols`` are."""
    have = {str(c) for c in cols}
    if {"caller", "callee"} <= have and any(c.startswith("timeout") for c in have):
        return Sniffed("timeouts", f"a timeouts declaration ({_TABLE_WORDS[fmt]})", fmt)
    best, score = None, 0.0
    for kind in ("probes", "pings", "dns"):
        want = set(columns(kind))
        key = "target" if "target" in want else "name"
        if {"ts", key} <= have:
            jaccard = len(want & have) / len(want | have)
            if jaccard > score:
                best, score = kind, jaccard
    if best is not None and score >= 0.5:
        return Sniffed(best, f"a {best} table ({_TABLE_WORDS[fmt]})", fmt)
    shown = ", ".join(sorted(have)[:6]) + (", …" if len(have) > 6 else "")
    return Sniffed(None, f"a {_TABLE_WORDS[fmt]} table that is not an apiprobe table (columns {shown})", fmt)


# --------------------------------------------------------------------------- JSON


_LOG_KEYS = frozenset(
    {"level", "lvl", "msg", "message", "ts", "time", "timestamp", "@timestamp", "severity", "caller", "log.level"}
)
_TRACE_WORDS = {"otlp": "an OTLP JSON", "jaeger": "a Jaeger JSON", "zipkin": "a Zipkin v2 JSON"}


def _trace_format(doc: Any) -> str | None:
    if isinstance(doc, dict):
        if "resourceSpans" in doc or isinstance(doc.get("batches"), list):
            return "otlp"
        for wrapper in ("result", "trace"):
            inner = doc.get(wrapper)
            if isinstance(inner, dict) and ("resourceSpans" in inner or "batches" in inner):
                return "otlp"
        data = doc.get("data")
        if isinstance(data, list) and (
            any(isinstance(t, dict) and ("traceID" in t or "spans" in t) for t in data[:5])
            or (not data and {"total", "limit", "offset"} & set(doc))
        ):
            return "jaeger"
        if isinstance(data, dict) and "traceID" in data:
            return "jaeger"
        if "traceID" in doc and "spans" in doc:
            return "jaeger"
    if isinstance(doc, list) and doc:
        first = doc[0]
        if isinstance(first, list) and first:
            first = first[0]
        if isinstance(first, dict) and "traceId" in first and "id" in first:
            return "zipkin"
        if isinstance(first, dict) and "traceID" in first and ("spans" in first or "spanID" in first):
            return "jaeger"  # Jaeger traces, or bare Jaeger spans (jaeger's anonymizer, uiconv)
    return None


def _is_timeouts(doc: Any) -> bool:
    if isinstance(doc, dict) and isinstance(doc.get("calls"), list):
        doc = doc["calls"]
    if isinstance(doc, list):
        return bool(doc) and all(isinstance(e, dict) and "caller" in e and "callee" in e for e in doc[:20])
    if isinstance(doc, dict) and doc:
        specs = [s for callees in doc.values() if isinstance(callees, dict) for s in callees.values()]
        return bool(specs) and all(isinstance(s, dict) and any(k.startswith("timeout") for k in s) for s in specs)
    return False


def _judge_doc(doc: Any, line: str | None = None) -> Sniffed:
    """What one decoded JSON document is (``line``: its text, for the log dialect)."""
    if isinstance(doc, dict):
        log = doc.get("log")
        if isinstance(log, dict) and ("entries" in log or "creator" in log):
            bad = None if isinstance(log.get("entries"), list) else "no log.entries list"
            return Sniffed("har", "a HAR file", problem=bad)
    fmt = _trace_format(doc)
    if fmt is not None:
        return Sniffed("traces", f"{_TRACE_WORDS[fmt]} trace export", fmt)
    if isinstance(doc, dict) and "traceEvents" in doc:
        return Sniffed(None, "a Chrome trace-event JSON file")
    if _is_timeouts(doc):
        return Sniffed("timeouts", "a timeouts declaration (JSON)", "json")
    if isinstance(doc, dict):
        if len(_LOG_KEYS & set(doc)) >= 2:
            dialect = detect_dialect([line if line is not None else json.dumps(doc)])
            return Sniffed("logs", _log_words(dialect), dialect)
        return Sniffed("payloads", "a JSON request payload")
    if isinstance(doc, list) and doc and all(isinstance(d, dict) for d in doc[:50]):
        return Sniffed("payloads", "a JSON array of request payloads")
    return Sniffed(None, "a JSON document of no format apiprobe reads")


def describe_json(doc: Any) -> Sniffed:
    """What a decoded JSON document is, for the JSON formats apiprobe reads.

    Parameters
    ----------
    doc : Any
        A decoded JSON document.

    Returns
    -------
    Sniffed
        e.g. ``Sniffed("har", "a HAR file")``; ``kind`` None when it is none of them
        (a JSON object that is nothing else, which :func:`sniff_bytes` calls a payload, too).
    """
    found = _judge_doc(doc)
    return Sniffed(None, found.what) if found.kind in WEAK_KINDS else found


_HAR_START = re.compile(r'^\{\s*"log"\s*:\s*\{')


def _json_prefix(text: str, problem: str | None) -> _Judged:
    """A JSON document seen only in part (cut at the head, or broken): judged by its keys."""
    head = text[:HEAD_BYTES]
    if _HAR_START.match(text) and ('"entries"' in head or '"creator"' in head):
        return Sniffed("har", "a HAR file", problem=problem), "text"
    fmt = None
    if re.search(r'"(resourceSpans|batches|scopeSpans)"\s*:', head):
        fmt = "otlp"
    elif '"traceID"' in head and '"spans"' in head:
        fmt = "jaeger"
    elif text.startswith("[") and re.search(r'"traceId"\s*:', head):
        fmt = "zipkin"
    if fmt is not None:
        return Sniffed("traces", f"{_TRACE_WORDS[fmt]} trace export", fmt, problem), "text"
    return Sniffed(None, "a JSON document of no format apiprobe reads", problem=problem), "text"


def _judge_json(text: str, lines: list[str], complete: bool) -> _Judged | None:
    """A JSON document or JSON lines; None when most lines are not JSON (a log with some JSON lines)."""
    stripped = text.strip()
    try:
        first: Any = json.loads(lines[0])
    except (ValueError, RecursionError):
        first = None
    heads = lines[:10]
    if len(lines) > 1 and (
        isinstance(first, (dict, list)) or sum(ln.strip()[:1] == "{" and ln.strip()[-1:] == "}" for ln in heads) >= 2
    ):
        found = _json_lines(lines)
        return None if found is None else (found, "text")
    if not complete:
        return _json_prefix(stripped, None)
    try:
        doc = json.loads(stripped)
    except RecursionError:
        return Sniffed(None, "a JSON document nested too deeply to read"), "text"
    except ValueError as exc:
        where = f"line {exc.lineno} column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else exc
        return _json_prefix(stripped, f"not valid JSON: {where}")
    return _judge_doc(doc, stripped if "\n" not in stripped else None), "text"


def _json_object(line: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(line) if line.startswith("{") else None
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def _json_lines(lines: list[str]) -> Sniffed | None:
    """JSON lines (one object per line): a table, a trace export, a log or payloads; None when most lines are not."""
    sample = [ln.strip() for ln in lines if ln.strip()][:64]
    objs = [o for o in map(_json_object, sample) if o is not None]
    if not objs or len(objs) * 2 < len(sample):
        return None
    keys = sorted({k for o in objs for k in o})
    table = table_kind(keys, "jsonl")
    if table.kind in ("probes", "pings", "dns"):
        return table
    fmts = [_trace_format(o) for o in objs]
    if sum(f is not None for f in fmts) * 2 > len(objs):
        fmt = next(f for f in fmts if f is not None)
        return Sniffed("traces", f"{_TRACE_WORDS[fmt]} lines trace export", fmt)
    if sum(len(_LOG_KEYS & set(o)) >= 2 for o in objs) * 2 > len(objs):
        dialect = detect_dialect(sample)
        return Sniffed("logs", _log_words(dialect), dialect)
    if len(objs) == len(sample):
        return Sniffed("payloads", "a JSON-lines file of request payloads")
    return None


# --------------------------------------------------------------------------- text


_LOG_WORDS = {
    "zap": "a zap JSON log",
    "zerolog": "a zerolog JSON log",
    "logrus_json": "a logrus JSON log",
    "slog_json": "an slog JSON log",
    "json": "a JSON log",
    "logrus_text": "a logrus text log",
    "slog_text": "an slog text log",
    "logfmt": "a logfmt log",
    "zap_console": "a zap console log",
    "zerolog_console": "a zerolog console log",
    "gin": "a gin access log",
    "nginx": "an nginx access log",
    "envoy": "an Envoy access log",
    "stdlog": "a Go log-package log",
    "text": "a plain-text log",
}


def _log_words(dialect: str) -> str:
    return _LOG_WORDS.get(dialect, "a log")


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_PEM_OTHER = {
    "CERTIFICATE REQUEST": "a PEM certificate signing request",
    "NEW CERTIFICATE REQUEST": "a PEM certificate signing request",
    "PUBLIC KEY": "a PEM public key",
    "X509 CRL": "a PEM certificate revocation list",
}


def _pem_lines(lines: list[str]) -> int:
    inside = count = 0
    for ln in lines:
        inside += ln.startswith("-----BEGIN ")
        count += inside > 0
        inside -= inside > 0 and ln.startswith("-----END ")
    return count


def _pem(text: str, complete: bool) -> _Judged:
    kinds = _PEM.findall(text)
    certs = sum(1 for k in kinds if k in ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"))
    keys = sum(1 for k in kinds if k.endswith("PRIVATE KEY"))
    if certs:
        what = "a PEM certificate" if certs == 1 else f"a PEM certificate chain ({certs} certificates)"
        if keys:
            what += " with a private key (never share the key)"
        problem = None
        if complete and text.count("-----END ") < len(kinds):
            problem = "a PEM block has no END line"
        return Sniffed("certs", what, problem=problem), "text"
    if keys:
        return Sniffed(None, "a PEM private key (not evidence; never share it)"), "secret"
    label = kinds[0] if kinds else "?"
    return Sniffed(None, _PEM_OTHER.get(label, f"a PEM file ({label.lower()})")), "text"


_GOROUTINE = re.compile(r"^goroutine \d+ (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[")
_D1_TOTAL = re.compile(r"^goroutine profile: total \d+")
_D1_GROUP = re.compile(r"^\d+ @( 0x[0-9a-f]+)+\s*$")
_CRASH = re.compile(r"(panic: |fatal error: |SIG[A-Z]+|unexpected fault address|runtime: |\[signal )")


def _goroutines(lines: list[str]) -> Sniffed | None:
    first = lines[0].strip()
    if _D1_TOTAL.match(first) or _D1_GROUP.match(first):
        return Sniffed("goroutines", "a goroutine profile in text (debug=1)", "debug=1")
    if _GOROUTINE.match(first):
        return Sniffed("goroutines", "a goroutine dump (debug=2)", "debug=2")
    # a crash: the panic (after at most one line, a note) and a few lines more before the first goroutine
    header = next((i for i, ln in enumerate(lines[:64]) if _GOROUTINE.match(ln)), None)
    if header is not None and header <= 6 and any(_CRASH.match(ln.lstrip()) for ln in lines[:2]):
        return Sniffed("goroutines", "a Go panic with its goroutine stacks (debug=2)", "debug=2")
    return None


_LEGACY_TEXT = re.compile(
    r"(heap profile:|heap_v2/|--- (symbol|heap|contention|threadz|mutex)|(threadcreate|mutex|contention) profile:)"
)


def _pprof_text(text: str) -> _Judged | None:
    start = text.lstrip()
    if _LEGACY_TEXT.match(start):
        return Sniffed("pprof", "a legacy text pprof profile", problem=LEGACY_PROFILE), "text"
    if start.startswith("PeriodType:"):
        return Sniffed(None, "a pprof text rendering of a profile (go tool pprof -raw), not the profile"), "text"
    if "flat  flat%" in start[:4096]:
        return Sniffed(None, "a pprof text report (go tool pprof -top), not the profile"), "text"
    return None


_GO_PACKAGE = re.compile(r"^package\s+[A-Za-z_]\w*\s*(?://.*)?$")
_GO_STRUCT = re.compile(r"^\s*(?:type\s+)?[A-Za-z_]\w*(?:\[[^\]]*\])?\s+struct\s*\{", re.MULTILINE)


def _go_source(text: str, name: str, complete: bool) -> Sniffed | None:
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", text[:8192], flags=re.DOTALL).lstrip()
    first = code.split("\n", 1)[0].strip()
    if not (_GO_PACKAGE.match(first) or (name.endswith(".go") and first.startswith("package "))):
        return None
    if re.search(r"^type\s", text, re.MULTILINE) and _GO_STRUCT.search(text):
        return Sniffed("go_source", "a Go source file with struct types")
    if not complete:
        return Sniffed("go_source", "a Go source file")
    return Sniffed("go_source", "a Go source file without struct types", problem="no struct type in it")


_RESOLV_KEYS = frozenset({"nameserver", "search", "domain", "options", "sortlist"})


def _resolv_conf(lines: list[str], name: str) -> Sniffed | None:
    words = [ln.split()[0] for ln in lines if not ln.lstrip().startswith(("#", ";"))]
    if not words:
        return None
    known = sum(w in _RESOLV_KEYS for w in words)
    if known == len(words) or (Path(name).name.startswith("resolv") and known * 2 > len(words)):
        return Sniffed("resolv_conf", "a resolv.conf file")
    return None


def _timeouts_yaml(text: str, name: str) -> Sniffed | None:
    calls = re.search(r"^calls\s*:", text, re.MULTILINE) is not None
    caller = re.search(r"\bcaller\s*:", text) is not None and re.search(r"\bcallee\s*:", text) is not None
    named = "timeout" in Path(name).name.lower() and re.search(r"\btimeout(_s|_ms)?\s*:", text) is not None
    if (caller and (calls or "timeout" in text)) or named:
        return Sniffed("timeouts", "a timeouts declaration (YAML)", "yaml")
    return None


_METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_METRIC_VALUE = r"[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|NaN|Nan|nan|[+-]?Inf|[+-]?inf)"
_METRIC_SAMPLE = re.compile(
    rf"^{_METRIC_NAME}[ \t]*(?:\{{.*\}})?[ \t]+{_METRIC_VALUE}(?:[ \t]+[-+]?\d+(?:\.\d+)?)?[ \t]*(?:#.*)?$"
)
_METRIC_META = re.compile(rf"^#[ \t]+(?:HELP|TYPE|UNIT)[ \t]+{_METRIC_NAME}|^# EOF\s*$")


def _metrics(lines: list[str], text: str, name: str) -> Sniffed | None:
    meta = samples = other = 0
    for ln in lines[:400]:
        s = ln.strip()
        if _METRIC_META.match(s):
            meta += 1
        elif s.startswith("#"):
            continue
        elif _METRIC_SAMPLE.match(s):
            samples += 1
        else:
            other += 1
    content = meta + samples + other
    labelled = any("{" in ln or "_" in ln.split(" ", 1)[0] for ln in lines[:3])
    if (meta and (meta + samples) * 10 >= content * 8) or (
        samples and (samples >= 3 or labelled) and samples * 10 >= content * 9
    ):
        # OpenMetrics: "# EOF", "# UNIT", or a counter family whose samples add "_total" to its name
        counters = re.findall(rf"^# TYPE ({_METRIC_NAME}) counter", text, re.MULTILINE)
        totals = any(not c.endswith("_total") and re.search(rf"^{c}_total\b", text, re.MULTILINE) for c in counters)
        if totals or "# EOF" in text or "# UNIT " in text or "openmetrics" in name.lower():
            return Sniffed("metrics", "an OpenMetrics /metrics page", "openmetrics")
        return Sniffed("metrics", "a Prometheus /metrics page", "prometheus")
    return None


_CSV_HEADER = re.compile(r"[A-Za-z_][\w .\-/()%:@]*")


def _csv(lines: list[str]) -> Sniffed | None:
    if "," not in lines[0]:
        return None
    rows = list(csv.reader(io.StringIO("\n".join(lines[:20]))))
    header = [h.strip() for h in rows[0]]
    if len(header) < 2 or not all(_CSV_HEADER.fullmatch(h) for h in header):
        return None
    body = rows[1:]
    if body and sum(len(r) == len(header) for r in body) * 10 < len(body) * 8:
        return None
    return table_kind(header, "csv")


_OTHER_TIMES = re.compile(
    r"^(?:\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}"  # ISO, syslog
    r"|[IWEF]\d{4} \d{2}:\d{2}:\d{2}|\d{10}(?:\.\d+)?\s|\d{4}/\d{2}/\d{2} \d{2}:\d{2})"  # klog, epoch, Go log
)


def _logs(lines: list[str]) -> Sniffed | None:
    sample = [ln.strip() for ln in lines if ln.strip()][:64]
    dialect = detect_dialect(sample)
    if dialect in TEXT_DIALECTS or dialect in ("logrus_text", "slog_text", "logfmt"):
        return Sniffed("logs", _log_words(dialect), dialect)
    if dialect in JSON_DIALECTS:
        objs = _json_lines(sample)
        return objs if objs is not None and objs.kind == "logs" else None
    timed = [bool(TEXT_LINE.match(ln) or _OTHER_TIMES.match(ln)) for ln in sample]
    if timed and (timed[0] or sum(timed) * 4 >= len(timed)):
        return Sniffed("logs", _log_words("text"), "text")
    return None


def judge_text(text: str, name: str, complete: bool) -> _Judged:
    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut
    nonblank = [ln for ln in lines if ln.strip()]
    if not nonblank:
        return Sniffed(None, "a file of blank lines", problem="empty file"), "empty"
    if "-----BEGIN " in text and _pem_lines(nonblank) * 2 >= len(nonblank):
        return _pem(text, complete)
    found = _goroutines(nonblank)
    if found is not None:
        return found, "text"
    pprof_text = _pprof_text(text)
    if pprof_text is not None:
        return pprof_text
    judged = _judge_json(text, nonblank, complete) if text.lstrip()[:1] in ("{", "[") else None
    if judged is not None and (judged[0].kind is not None or judged[0].problem is None):
        return judged  # else not JSON after all: "[2024-03-14 …] …" is a log
    found = (  # dataclass instances are true: the first check that recognises the text wins
        _go_source(text, name, complete)
        or _resolv_conf(nonblank, name)
        or _timeouts_yaml(text, name)
        or _metrics(nonblank, text, name)
        or _csv(nonblank)
        or _logs(nonblank)
    )
    if found is not None:
        return found, "text"
    return judged or (Sniffed(None, "plain text without timestamps"), "prose")
