"""Plain-text log formats beside Go services: zap's and zerolog's console output, gin, Go's ``log``,
nginx ``combined`` and Envoy's default access log — one parser per format, line to record.

Each parser turns one line into a record with the keys the events table knows
(``ts``, ``level``, ``msg``, ``logger``, ``caller``, ``status``, ``route``,
``latency`` as a Go duration text or ``latency_ms``/``latency_s`` numbers, the
rest kept as attributes), or None when the line is not of that format (the
line is then kept as an unparsed row). :func:`detect_text_dialect` picks the
format most sample lines match.

========================  ==============================================================
dialect                   a line looks like
========================  ==============================================================
``zap_console``           ``2024-11-12T15:19:06.123Z<TAB>INFO<TAB>api<TAB>h.go:42<TAB>msg<TAB>{"k":1}``
``zerolog_console``       ``3:04PM INF h.go:42 > request done status=200 latency=12ms``
``gin``                   ``[GIN] 2024/11/12 - 15:19:06 | 200 |  953ms | 10.0.0.1 | PUT "/v1/x"``
``stdlog``                ``2009/11/10 23:00:00.123456 main.go:12: connection refused``
``nginx``                 ``10.0.0.1 - - [12/Nov/2024:15:19:06 +0000] "GET /x HTTP/1.1" 502 157 "-" "curl/8"``
``envoy``                 ``[2024-11-12T15:19:06.311Z] "POST /x HTTP/2" 503 UF 154 0 226 - "10.0.0.1" ...``
========================  ==============================================================

Access logs (gin, nginx, Envoy) carry no level: 5xx reads as ``error``, 4xx as
``warn``, the rest as ``info`` (Envoy: also ``error`` when a response flag such
as ``UF``/``UT`` is set).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

__all__ = ["TEXT_DIALECTS", "detect_text_dialect", "parse_text_line"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CALLER = re.compile(r"^\S+\.go:\d+$")
_EPOCH = re.compile(r"^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_ZAP_LEVELS = frozenset({"DEBUG", "INFO", "WARN", "ERROR", "DPANIC", "PANIC", "FATAL"})
_ZEROLOG_LEVELS = {"TRC": "trace", "DBG": "debug", "INF": "info", "WRN": "warn", "ERR": "error", "FTL": "fatal"}
_ZEROLOG = re.compile(
    # the time in ConsoleWriter's default time.Kitchen ("3:04PM") or any TimeFormat (time.StampMilli and
    # "2006-01-02 15:04:05" hold a space), "<nil>" when the event has none, or no time part at all
    r"^(?:(?P<ts>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)?|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?"
    r"|\S+) )?(?P<level>TRC|DBG|INF|WRN|ERR|FTL|PNC|\?\?\?)(?: (?P<caller>\S+:\d+) >)?(?: (?P<rest>.*))?$"
)
# one token of zerolog's console tail: a key=value pair (a quoted value may hold spaces), else a word
_TOKEN = re.compile(r'\s*(?:(?P<key>[\w.\-]+)=(?P<value>"(?:[^"\\]|\\.)*"|\S*)|(?P<word>\S+))')
_GIN = re.compile(
    r"^\[GIN\] (?P<date>\d{4}/\d{2}/\d{2}) - (?P<time>\d{2}:\d{2}:\d{2}) \|\s*(?P<status>\d{3})\s*\|"
    r"\s*(?P<latency>\S+)\s*\|\s*(?P<client_ip>\S*)\s*\|\s*(?P<method>[A-Z]+)\s+"
    r"(?:\"(?P<path>[^\"]*)\"|(?P<bare_path>\S+))\s*(?P<error>.*)$"  # gin before 1.5 did not quote the path
)
_GIN_DEBUG = re.compile(r"^\[GIN-(?P<kind>debug|warning)\] (?P<msg>.*)$")
_GIN_DEBUG_TAG = re.compile(r"^\[(WARNING|ERROR)\] ")
_STDLOG = re.compile(
    r"^(?P<prefix>.*?)(?P<date>\d{4}/\d{2}/\d{2}) (?P<time>\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?) "
    r"(?:(?P<caller>\S+\.go:\d+): )?(?P<msg>.*)$"
)
_NGINX = re.compile(
    # $remote_addr is one address, or (real_ip / a vhost prefix) a list such as "10.0.0.2, 10.0.0.1, 127.0.0.1"
    r"^(?P<remote_addr>.+?) - (?P<remote_user>\S+) \[(?P<ts>[^\]]+)\] \"(?P<request>[^\"]*)\" (?P<status>\d{3}) "
    r"(?P<bytes>\d+|-) \"(?P<referer>[^\"]*)\" \"(?P<user_agent>[^\"]*)\"(?P<extra>.*)$"
)
_ENVOY = re.compile(
    r"^\[(?P<ts>[^\]]+)\] \"(?P<method>[A-Z]+|-) (?P<path>\S+) (?P<protocol>[^\"]+)\" (?P<status>\d{3}) "
    r"(?P<flags>\S+) (?P<bytes_received>\d+|-) (?P<bytes_sent>\d+|-) (?P<duration>\d+|-) "
    r"(?P<upstream_time>\d+|-) \"(?P<forwarded_for>[^\"]*)\" \"(?P<user_agent>[^\"]*)\" "
    r"\"(?P<request_id>[^\"]*)\" \"(?P<authority>[^\"]*)\" \"(?P<upstream_host>[^\"]*)\"(?P<extra>.*)$"
)
_LEVEL_PREFIX = re.compile(
    r"^\[?(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|PANIC|trace|debug|info|warn|warning|error|fatal|panic)\]?:?\s+"
)
_REQUEST_TIME = re.compile(r"(?:^|\s)(?:rt|request_time|urt|upstream_response_time)=\"?(\d+(?:\.\d+)?)")


def _level_for_status(status: int) -> str:
    return "error" if status >= 500 else "warn" if status >= 400 else "info"


def _unquote(value: str) -> Any:
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value[1:-1]
    return None if value == "<nil>" else value


def _zap_console(line: str) -> dict[str, Any] | None:
    parts = _ANSI.sub("", line).split("\t")
    if len(parts) < 3 or parts[1].upper() not in _ZAP_LEVELS:
        return None
    ts: Any = parts[0]
    if _EPOCH.match(ts):  # zap's default EpochTimeEncoder: float seconds, e.g. 1.7314247485e+09
        try:
            ts = datetime.fromtimestamp(float(ts), tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            ts = None
    rec: dict[str, Any] = {"ts": ts, "level": parts[1].lower()}
    rest = parts[2:]
    if rest and rest[-1].startswith("{") and rest[-1].endswith("}"):
        try:
            fields = json.loads(rest[-1])
        except (ValueError, RecursionError):
            fields = None
        if isinstance(fields, dict):
            rest = rest[:-1]
            rec.update({k: v for k, v in fields.items() if k not in rec})
    if rest:
        rec["msg"] = rest[-1]
        for part in rest[:-1]:
            rec["caller" if _CALLER.match(part) else "logger"] = part
    return rec


def _zerolog_console(line: str) -> dict[str, Any] | None:
    m = _ZEROLOG.match(_ANSI.sub("", line))
    if m is None:
        return None
    rec: dict[str, Any] = {"ts": None if m.group("ts") == "<nil>" else m.group("ts")}  # "<nil>": no time
    if m.group("level") != "???":  # "???": an event without a level (zerolog's Log())
        rec["level"] = _ZEROLOG_LEVELS.get(m.group("level"), "panic")
    if m.group("caller"):
        rec["caller"] = m.group("caller")
    msg, pairs = _split_pairs(m.group("rest") or "")
    rec["msg"] = msg
    for key, value in pairs:
        rec.setdefault(key, _unquote(value))
    return rec


def _split_pairs(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The message and the ``key=value`` pairs that end a zerolog console line, in one pass.

    A single left-to-right scan (no backtracking between ways to split the
    pairs, which a regular expression does exponentially on ``a=a=a=…``).
    """
    pairs: list[tuple[str, str]] = []
    msg_end = 0  # where the message ends: before the run of pairs that reaches the end of the line
    pos, end = 0, len(text)
    while pos < end:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:  # only blanks left
            break
        if m.group("word") is not None:
            pairs, msg_end = [], m.end()
        else:
            pairs.append((m.group("key"), m.group("value")))
        pos = m.end()
    return text[:msg_end].strip(), pairs


def _gin(line: str) -> dict[str, Any] | None:
    clean = _ANSI.sub("", line)
    m = _GIN.match(clean)
    if m is not None:
        status = int(m.group("status"))
        path = m.group("path") if m.group("path") is not None else m.group("bare_path")
        rec: dict[str, Any] = {
            "ts": f"{m.group('date').replace('/', '-')}T{m.group('time')}",
            "level": _level_for_status(status),
            "msg": f"{m.group('method')} {path}",
            "status": status,
            "latency": m.group("latency"),
            "client_ip": m.group("client_ip"),
            "method": m.group("method"),
            "path": path,
        }
        if m.group("error").strip():
            rec["error"] = m.group("error").strip()
        return rec
    d = _GIN_DEBUG.match(clean)
    if d is not None:
        msg, level = d.group("msg"), "debug" if d.group("kind") == "debug" else "warn"
        tag = _GIN_DEBUG_TAG.match(msg)  # gin's debugPrintWARNING / debugPrintError: "[GIN-debug] [WARNING] ..."
        if tag is not None:
            level, msg = ("warn" if tag.group(1) == "WARNING" else "error"), msg[tag.end() :]
        return {"level": level, "msg": msg, "logger": "gin"}
    return None


def _stdlog(line: str) -> dict[str, Any] | None:
    m = _STDLOG.match(line)
    if m is None or len(m.group("prefix")) > 64:
        return None
    rec: dict[str, Any] = {"ts": f"{m.group('date').replace('/', '-')}T{m.group('time')}", "msg": m.group("msg")}
    lv = _LEVEL_PREFIX.match(m.group("msg"))
    if lv is not None:  # a level written by the application ("[ERROR] ...", "WARN: ...")
        rec["level"], rec["msg"] = lv.group(1).lower(), m.group("msg")[lv.end() :]
    if m.group("caller"):
        rec["caller"] = m.group("caller")
    if m.group("prefix").strip():
        rec["logger"] = m.group("prefix").strip().rstrip(":")
    return rec


def _nginx(line: str) -> dict[str, Any] | None:
    m = _NGINX.match(line)
    if m is None:
        return None
    status = int(m.group("status"))
    addr = m.group("remote_addr")
    client = re.split(r"[\s,\"]+", addr.strip('"').strip())[-1]  # the peer: the last address of a list
    rec: dict[str, Any] = {"level": _level_for_status(status), "status": status, "client_ip": client}
    if addr != client:
        rec["remote_addr"] = addr
    try:
        rec["ts"] = datetime.strptime(m.group("ts"), "%d/%b/%Y:%H:%M:%S %z").isoformat()
    except ValueError:
        rec["time_local"] = m.group("ts")
    request = m.group("request").split(" ")
    if not m.group("request"):
        rec["msg"] = ""  # nothing was sent before the connection closed (status 400)
    elif len(request) == 3:
        rec["method"], rec["path"], rec["protocol"] = request
        rec["msg"] = f"{request[0]} {request[1]}"
    else:
        rec["msg"] = m.group("request")
    if m.group("bytes") != "-":
        rec["bytes"] = int(m.group("bytes"))
    for key in ("referer", "user_agent", "remote_user"):
        if m.group(key) not in ("-", ""):
            rec[key] = m.group(key)
    rt = _REQUEST_TIME.search(m.group("extra"))
    if rt is not None:
        rec["latency_s"] = float(rt.group(1))
    return rec


def _envoy(line: str) -> dict[str, Any] | None:
    m = _ENVOY.match(line)
    if m is None:
        return None
    status = int(m.group("status"))
    flags = m.group("flags")
    rec: dict[str, Any] = {
        "ts": m.group("ts"),
        "level": "error" if status >= 500 or flags not in ("-", "") else _level_for_status(status),
        "msg": f"{m.group('method')} {m.group('path')}",
        "status": status,
        "method": m.group("method"),
        "path": m.group("path"),
        "protocol": m.group("protocol"),
        "response_flags": flags,
    }
    for key in ("bytes_received", "bytes_sent"):
        if m.group(key) != "-":
            rec[key] = int(m.group(key))
    if m.group("duration") != "-":
        rec["latency_ms"] = float(m.group("duration"))
    if m.group("upstream_time") != "-":
        rec["upstream_service_time_ms"] = float(m.group("upstream_time"))
    for key in ("forwarded_for", "user_agent", "request_id", "authority", "upstream_host"):
        if m.group(key) not in ("-", ""):
            rec[key] = m.group(key)
    return rec


_PARSERS: dict[str, Callable[[str], dict[str, Any] | None]] = {
    "zap_console": _zap_console,
    "zerolog_console": _zerolog_console,
    "gin": _gin,
    "nginx": _nginx,
    "envoy": _envoy,
    "stdlog": _stdlog,  # last: the most general of them
}
#: The dialects of this module, in detection order.
TEXT_DIALECTS: tuple[str, ...] = tuple(_PARSERS)


def parse_text_line(dialect: str, line: str) -> dict[str, Any] | None:
    """One line of ``dialect`` as a record, or None when it is not of that format.

    Parameters
    ----------
    dialect : str
        One of :data:`TEXT_DIALECTS`.
    line : str
        The line, without its line break.

    Returns
    -------
    dict or None
        The record (events keys and attributes).
    """
    return _PARSERS[dialect](line)


def detect_text_dialect(lines: Iterable[str]) -> str | None:
    """The dialect most of the sample lines are written in, or None when none fits most of them.

    Parameters
    ----------
    lines : iterable of str
        Non-blank sample lines that are not JSON objects.

    Returns
    -------
    str or None
        One of :data:`TEXT_DIALECTS`.
    """
    sample = list(lines)
    if not sample:
        return None
    best, best_n = None, 0
    for dialect, parse in _PARSERS.items():
        n = sum(1 for ln in sample if parse(ln) is not None)
        if n > best_n:
            best, best_n = dialect, n
    if best is None:
        return None
    # the strict shapes may share a file with stack traces and panics (a third is enough);
    # Go's log, the loosest, must be most of it
    share = 2 if best == "stdlog" else 3
    return best if best_n * share > len(sample) else None
