"""Which Go logger wrote a log: the dialect names and their detection from sample lines.

See the dialect table in :mod:`apiprobe.load.logs`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from apiprobe.load._log_text_dialects import TEXT_DIALECTS, detect_text_dialect
from apiprobe.load._logfmt import parse_logfmt

__all__ = ["DIALECTS", "JSON_DIALECTS", "TEXT_LINE", "detect_dialect"]


DIALECTS: tuple[str, ...] = (
    "zap",
    "zerolog",
    "logrus_json",
    "slog_json",
    "json",
    "logrus_text",
    "slog_text",
    "logfmt",
    *TEXT_DIALECTS,
    "text",
    "regex",
)
JSON_DIALECTS = frozenset({"zap", "zerolog", "logrus_json", "slog_json", "json"})
_LOGFMT_DIALECTS = frozenset({"logrus_text", "slog_text", "logfmt"})

TEXT_LINE = re.compile(
    r"^(?:(?P<source>\S+)\s+)?(?P<ts>\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)"
    r"\s+(?:\[?(?P<level>TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|PANIC|trace|debug|info|warn|warning"
    r"|error|fatal|panic)\]?:?\s+)?(?P<msg>.*)$"
)
_SAMPLE_LINES = 64


def detect_dialect(lines: Iterable[str]) -> str:
    """Guess the dialect of a log from some of its lines (see the table in :mod:`apiprobe.load.logs`).

    Parameters
    ----------
    lines : iterable of str
        Lines of the log; only the first 64 non-blank ones are looked at.

    Returns
    -------
    str
        One of :data:`DIALECTS` (never ``"regex"``); ``"json"`` for no lines.
    """
    sample = [ln.strip() for ln in lines if ln.strip()][:_SAMPLE_LINES]
    if not sample:
        return "json"
    objs: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    texts = 0
    non_json: list[str] = []
    for ln in sample:
        if ln.startswith("{"):
            try:
                obj = json.loads(ln)
            except (ValueError, RecursionError):  # broken, or nested past what the parser can follow
                obj = None
            if isinstance(obj, dict):
                objs.append(obj)
                continue
        non_json.append(ln)
    # the text formats with a fixed shape (zap/zerolog console, gin, nginx, Envoy, Go's log) first:
    # a generic reading would swallow their fields into the message
    if len(non_json) > len(objs):
        shaped = detect_text_dialect(non_json)
        if shaped is not None:
            return shaped
    for ln in non_json:
        if TEXT_LINE.match(ln):
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
