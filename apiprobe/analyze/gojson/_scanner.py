"""Go's JSON syntax check, a tree parser for valid JSON, and Go's string unquoting.

* :func:`check_valid` ports encoding/json's scanner (``checkValid``): the whole
  payload is checked before anything is decoded, with Go's error wording;
* :class:`TreeParser` turns *valid* JSON bytes into :class:`Node` trees that
  keep duplicate keys, raw number text and raw bytes;
* :func:`unquote` is Go's ``unquoteBytes`` (invalid UTF-8 and lone surrogates
  become U+FFFD).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apiprobe.analyze.gojson._gosource import go_quote

# ====================================================================== JSON scanner (Go's)

_SCAN_CONTINUE, _SCAN_ERROR, _SCAN_END, _SCAN_SKIP = 0, 1, 2, 3
_PARSE_KEY, _PARSE_VALUE, _PARSE_ARRAY = 0, 1, 2


def _quote_char(c: int) -> str:
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    return "'" + go_quote(chr(c))[1:-1] + "'"


def _hex(c: int) -> bool:
    return 48 <= c <= 57 or 97 <= c <= 102 or 65 <= c <= 70


class _Scanner:
    """Port of encoding/json's scanner state machine (checkValid)."""

    def __init__(self) -> None:
        self.step: Callable[[int], int] = self.begin_value
        self.parse_state: list[int] = []
        self.err: str | None = None
        self.end_top = False

    def error(self, c: int, context: str) -> int:
        self.step = self.state_error
        self.err = f"invalid character {_quote_char(c)} {context}"
        return _SCAN_ERROR

    def state_error(self, c: int) -> int:
        return _SCAN_ERROR

    def eof(self) -> int:
        if self.err is not None:
            return _SCAN_ERROR
        if self.end_top:
            return _SCAN_END
        self.step(0x20)
        if self.end_top:
            return _SCAN_END
        if self.err is None:
            self.err = "unexpected end of JSON input"
        return _SCAN_ERROR

    def push(self, c: int, state: int) -> int:
        self.parse_state.append(state)
        if len(self.parse_state) > 10000:
            return self.error(c, "exceeded max depth")
        return _SCAN_CONTINUE

    def pop(self) -> None:
        self.parse_state.pop()
        if not self.parse_state:
            self.step = self.end_top_state
            self.end_top = True
        else:
            self.step = self.end_value

    def begin_value_or_empty(self, c: int) -> int:
        if c in (0x20, 0x09, 0x0A, 0x0D):
            return _SCAN_SKIP
        if c == 0x5D:
            return self.end_value(c)
        return self.begin_value(c)

    def begin_value(self, c: int) -> int:
        if c in (0x20, 0x09, 0x0A, 0x0D):
            return _SCAN_SKIP
        ch = chr(c)
        if ch == "{":
            self.step = self.begin_string_or_empty
            return self.push(c, _PARSE_KEY)
        if ch == "[":
            self.step = self.begin_value_or_empty
            return self.push(c, _PARSE_ARRAY)
        nxt = {
            '"': self.in_string,
            "-": self.neg,
            "0": self.zero,
            "t": self.lit("rue", "true"),
            "f": self.lit("alse", "false"),
            "n": self.lit("ull", "null"),
        }.get(ch)
        if nxt is not None:
            self.step = nxt
            return _SCAN_CONTINUE
        if 0x31 <= c <= 0x39:
            self.step = self.one
            return _SCAN_CONTINUE
        return self.error(c, "looking for beginning of value")

    def lit(self, rest: str, word: str, k: int = 0) -> Callable[[int], int]:
        def step(c: int) -> int:
            if c == ord(rest[k]):
                self.step = self.end_value if k + 1 == len(rest) else self.lit(rest, word, k + 1)
                return _SCAN_CONTINUE
            return self.error(c, f"in literal {word} (expecting {_quote_char(ord(rest[k]))})")

        return step

    def begin_string_or_empty(self, c: int) -> int:
        if c in (0x20, 0x09, 0x0A, 0x0D):
            return _SCAN_SKIP
        if c == 0x7D:
            self.parse_state[-1] = _PARSE_VALUE
            return self.end_value(c)
        return self.begin_string(c)

    def begin_string(self, c: int) -> int:
        if c in (0x20, 0x09, 0x0A, 0x0D):
            return _SCAN_SKIP
        if c == 0x22:
            self.step = self.in_string
            return _SCAN_CONTINUE
        return self.error(c, "looking for beginning of object key string")

    def end_value(self, c: int) -> int:
        if not self.parse_state:
            self.step = self.end_top_state
            self.end_top = True
            return self.end_top_state(c)
        if c in (0x20, 0x09, 0x0A, 0x0D):
            self.step = self.end_value
            return _SCAN_SKIP
        ps = self.parse_state[-1]
        if ps == _PARSE_KEY:
            if c == 0x3A:
                self.parse_state[-1] = _PARSE_VALUE
                self.step = self.begin_value
                return _SCAN_CONTINUE
            return self.error(c, "after object key")
        if ps == _PARSE_VALUE:
            if c == 0x2C:
                self.parse_state[-1] = _PARSE_KEY
                self.step = self.begin_string
                return _SCAN_CONTINUE
            if c == 0x7D:
                self.pop()
                return _SCAN_CONTINUE
            return self.error(c, "after object key:value pair")
        if c == 0x2C:
            self.step = self.begin_value
            return _SCAN_CONTINUE
        if c == 0x5D:
            self.pop()
            return _SCAN_CONTINUE
        return self.error(c, "after array element")

    def end_top_state(self, c: int) -> int:
        if c not in (0x20, 0x09, 0x0A, 0x0D):
            self.error(c, "after top-level value")
        return _SCAN_END

    def in_string(self, c: int) -> int:
        if c == 0x22:
            self.step = self.end_value
            return _SCAN_CONTINUE
        if c == 0x5C:
            self.step = self.in_string_esc
            return _SCAN_CONTINUE
        if c < 0x20:
            return self.error(c, "in string literal")
        return _SCAN_CONTINUE

    def in_string_esc(self, c: int) -> int:
        if chr(c) in 'bfnrt\\/"':
            self.step = self.in_string
            return _SCAN_CONTINUE
        if c == 0x75:
            self.step = self.esc_u(0)
            return _SCAN_CONTINUE
        return self.error(c, "in string escape code")

    def esc_u(self, k: int) -> Callable[[int], int]:
        def step(c: int) -> int:
            if _hex(c):
                self.step = self.in_string if k == 3 else self.esc_u(k + 1)
                return _SCAN_CONTINUE
            return self.error(c, "in \\u hexadecimal character escape")

        return step

    def neg(self, c: int) -> int:
        if c == 0x30:
            self.step = self.zero
            return _SCAN_CONTINUE
        if 0x31 <= c <= 0x39:
            self.step = self.one
            return _SCAN_CONTINUE
        return self.error(c, "in numeric literal")

    def one(self, c: int) -> int:
        if 0x30 <= c <= 0x39:
            return _SCAN_CONTINUE
        return self.zero(c)

    def zero(self, c: int) -> int:
        if c == 0x2E:
            self.step = self.dot
            return _SCAN_CONTINUE
        if c in (0x65, 0x45):
            self.step = self.exp
            return _SCAN_CONTINUE
        return self.end_value(c)

    def dot(self, c: int) -> int:
        if 0x30 <= c <= 0x39:
            self.step = self.dot0
            return _SCAN_CONTINUE
        return self.error(c, "after decimal point in numeric literal")

    def dot0(self, c: int) -> int:
        if 0x30 <= c <= 0x39:
            return _SCAN_CONTINUE
        if c in (0x65, 0x45):
            self.step = self.exp
            return _SCAN_CONTINUE
        return self.end_value(c)

    def exp(self, c: int) -> int:
        if c in (0x2B, 0x2D):
            self.step = self.exp_sign
            return _SCAN_CONTINUE
        return self.exp_sign(c)

    def exp_sign(self, c: int) -> int:
        if 0x30 <= c <= 0x39:
            self.step = self.exp0
            return _SCAN_CONTINUE
        return self.error(c, "in exponent of numeric literal")

    def exp0(self, c: int) -> int:
        if 0x30 <= c <= 0x39:
            return _SCAN_CONTINUE
        return self.end_value(c)


_FAST_STRING = re.compile(rb'[^"\\\x00-\x1f]*')


def check_valid(data: bytes) -> str | None:
    """Go's checkValid: the syntax error message, or None for valid JSON."""
    s = _Scanner()
    i, n = 0, len(data)
    while i < n:
        if s.step == s.in_string:  # fast path through plain string bytes
            m = _FAST_STRING.match(data, i)
            assert m is not None
            i = m.end()
            if i >= n:
                break
        if s.step(data[i]) == _SCAN_ERROR:
            return s.err
        i += 1
    if s.eof() == _SCAN_ERROR:
        return s.err
    return None


# ====================================================================== JSON tree (valid input only)


@dataclass
class Node:
    """One JSON value: its kind, its raw bytes, its decoded value and (for object members) its member id."""

    kind: str  # obj arr str num true false null
    raw: bytes
    value: Any = None  # str for str, text for num, list of (key, node) / nodes
    pid: int = 0


_WS = b" \t\r\n"


def _decode_rune(b: bytes, i: int) -> tuple[str, int]:
    c = b[i]
    n = 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
    if n and i + n <= len(b):
        try:
            return b[i : i + n].decode("utf-8"), n
        except UnicodeDecodeError:
            pass
    return "\ufffd", 1


def unquote(item: bytes) -> tuple[str, bool]:
    """Go's unquoteBytes: JSON string literal -> text (invalid UTF-8/surrogates -> U+FFFD)."""
    if len(item) < 2 or item[:1] != b'"' or item[-1:] != b'"':
        return "", False
    s = item[1:-1]
    out: list[str] = []
    r = 0
    esc = {0x22: '"', 0x5C: "\\", 0x2F: "/", 0x27: "'", 0x62: "\b", 0x66: "\f", 0x6E: "\n", 0x72: "\r", 0x74: "\t"}

    def getu4(j: int) -> int:
        if j + 6 > len(s) or s[j] != 0x5C or s[j + 1] != 0x75:
            return -1
        try:
            h = s[j + 2 : j + 6].decode("ascii")
            return int(h, 16) if re.fullmatch(r"[0-9a-fA-F]{4}", h) else -1
        except UnicodeDecodeError:
            return -1

    while r < len(s):
        c = s[r]
        if c == 0x5C:
            if r + 1 >= len(s):
                return "", False
            e = s[r + 1]
            if e in esc:
                out.append(esc[e])
                r += 2
            elif e == 0x75:
                rr = getu4(r)
                if rr < 0:
                    return "", False
                r += 6
                if 0xD800 <= rr < 0xE000:
                    rr1 = getu4(r)
                    if 0xD800 <= rr < 0xDC00 and 0xDC00 <= rr1 < 0xE000:
                        out.append(chr(0x10000 + ((rr - 0xD800) << 10) + (rr1 - 0xDC00)))
                        r += 6
                        continue
                    rr = 0xFFFD
                out.append(chr(rr))
            else:
                return "", False
        elif c == 0x22 or c < 0x20:
            return "", False
        elif c < 0x80:
            j = r
            while j < len(s) and 0x20 <= s[j] < 0x80 and s[j] not in (0x22, 0x5C):
                j += 1
            out.append(s[r:j].decode("ascii"))
            r = j
        else:
            ch, size = _decode_rune(s, r)
            out.append(ch)
            r += size
    return "".join(out), True


class TreeParser:
    """Parse JSON bytes already checked by :func:`check_valid` into a :class:`Node` tree."""

    def __init__(self, data: bytes) -> None:
        self.b = data
        self.i = 0
        self.pid = 0

    def ws(self) -> None:
        while self.i < len(self.b) and self.b[self.i] in _WS:
            self.i += 1

    def value(self) -> Node:
        self.ws()
        b, start = self.b, self.i
        c = b[start]
        if c == 0x7B:
            self.i += 1
            pairs: list[tuple[str, Node]] = []
            self.ws()
            if b[self.i] == 0x7D:
                self.i += 1
            else:
                while True:
                    self.ws()
                    k = self.string()
                    self.ws()
                    self.i += 1  # ':'
                    v = self.value()
                    self.pid += 1
                    v.pid = self.pid
                    pairs.append((unquote(k)[0], v))
                    self.ws()
                    if b[self.i] == 0x2C:
                        self.i += 1
                        continue
                    self.i += 1  # '}'
                    break
            return Node("obj", b[start : self.i], pairs)
        if c == 0x5B:
            self.i += 1
            items: list[Node] = []
            self.ws()
            if b[self.i] == 0x5D:
                self.i += 1
            else:
                while True:
                    items.append(self.value())
                    self.ws()
                    if b[self.i] == 0x2C:
                        self.i += 1
                        continue
                    self.i += 1
                    break
            return Node("arr", b[start : self.i], items)
        if c == 0x22:
            raw = self.string()
            return Node("str", raw, unquote(raw)[0])
        m = re.compile(rb"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null").match(b, start)
        assert m is not None
        self.i = m.end()
        raw = m.group()
        kind = raw.decode() if raw in (b"true", b"false", b"null") else "num"
        return Node(kind, raw, raw.decode())

    def string(self) -> bytes:
        b, start = self.b, self.i
        j = start + 1
        while True:
            c = b[j]
            if c == 0x5C:
                j += 2
                continue
            if c == 0x22:
                break
            j += 1
        self.i = j + 1
        return b[start : self.i]


def as_bytes(payload: str | bytes | bytearray) -> bytes:
    """A payload as bytes; text is UTF-8 encoded with lone surrogates kept (as Go would see them)."""
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogatepass")
    return bytes(payload)
