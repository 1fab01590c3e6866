"""logfmt: ``key=value`` lines as written by logrus (text), slog (text) and go-kit.

A line is a sequence of pairs separated by spaces. A value is a bare word or a
double-quoted string with Go backslash escapes (``strconv.Quote``); a key
with no ``=`` is a flag meaning true. A line counts as logfmt only when the
pairs cover it completely, at least one of the usual keys (time, level,
message) has a value, and most words are pairs, so a Go panic, a stack frame
or a sentence that happens to contain "time" is not mistaken for a record.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["LOGFMT_MARKERS", "parse_logfmt"]

#: Keys of which at least one must be present for a line to count as logfmt.
LOGFMT_MARKERS: frozenset[str] = frozenset({"ts", "time", "t", "timestamp", "level", "lvl", "msg", "message"})

_PAIR = re.compile(r"""\s*(?P<key>[^\s="]+)(?:=(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s"]*)))?""")
_GO_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")
_SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "'": "'",
}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    try:
        return str(json.loads(f'"{text}"'))
    except ValueError:
        pass

    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "xuU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return _SIMPLE_ESCAPES.get(esc, "\\" + esc)

    return _GO_ESCAPE.sub(one, text)


def parse_logfmt(line: str) -> dict[str, Any] | None:
    """Parse one logfmt line into a dict, or None when it is not logfmt.

    Values are strings (flags are True); converting numbers and times is the
    caller's job, per key.

    Examples
    --------
    >>> parse_logfmt('level=info msg="hello \\\\"you\\\\"" n=3 debug')
    {'level': 'info', 'msg': 'hello "you"', 'n': '3', 'debug': True}
    >>> parse_logfmt("goroutine 1 [running]:") is None
    True
    """
    line = line.rstrip("\r\n")
    out: dict[str, Any] = {}
    pos = 0
    end = len(line.rstrip())
    while pos < end:
        m = _PAIR.match(line, pos)
        if m is None or m.end() == pos:
            return None
        nxt = m.end()
        if nxt < end and not line[nxt].isspace():
            return None
        key = m.group("key")
        if m.group("quoted") is not None:
            out[key] = _unescape(m.group("quoted"))
        elif m.group("bare") is not None:
            out[key] = m.group("bare")
        else:
            out[key] = True
        pos = nxt
    valued = [k for k, v in out.items() if v is not True]
    # A marker must carry a value, and most words must be pairs: "... time limit exceeded" is prose.
    if not any(k in LOGFMT_MARKERS for k in valued) or len(valued) * 2 < len(out):
        return None
    return out
