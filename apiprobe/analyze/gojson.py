"""Go ``encoding/json`` rules for *your* structs and *your* payloads (handbook §2.3).

The handbook claims that a struct tag ``json:""`` hides a field. It does not:
Go falls back to the field name, matched case-insensitively. This module
knows the real rules of Go 1.19's encoding/json, ported from its source and
checked against a Go toolchain (``tests/analyze/test_gojson.py``):

* :func:`parse_go_structs` reads struct types from Go source;
* :func:`simulate_unmarshal` predicts what ``json.Unmarshal(payload, &v)``
  leaves in ``v``, the error it returns, and the fate of every payload key;
* :func:`simulate_marshal` predicts the bytes ``json.Marshal(v)`` emits;
* :func:`audit_struct_tags` lists struct-tag traps with the fix;
* :func:`audit_payloads` aggregates key fates over many real payloads.

Rules simulated (Go 1.19): syntax check of the whole payload before decoding
(Go's scanner messages), exact then case-insensitive key matching (ASCII,
Kelvin sign and long s exact; other Unicode approximated), duplicate keys
(last wins; objects decode into the existing value, so nested structs, maps
and pointers merge while slices reuse their backing array), ``-`` and ``-,``,
malformed/misspelled tags ignored, literal tag names, unexported fields
ignored, ``,string``, type mismatches and overflow keeping the zero value and
returning the first error (``,string`` misuse on a non-number aborts at once),
``null`` (no-op for values, nil for pointers/maps/slices/interfaces), embedded
promotion with Go's dominance rules, pointer allocation (embedded pointers
are allocated as soon as one of their keys appears), maps (string and integer
keys), arrays, ``interface{}`` (float64 numbers), ``[]byte`` (base64),
``json.RawMessage`` and ``json.Number``.

Not simulated: custom ``UnmarshalJSON``/``UnmarshalText``/``MarshalJSON``
methods and types from other packages (``time.Time``): their keys are reported
with outcome ``not_simulated``; generic type declarations; base64 error offsets
for some malformed inputs; non-ASCII case folding beyond Python's lower/upper.
"""

from __future__ import annotations

import base64
import math
import re
import struct
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import numpy as np
import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze._goparse import (
    FLOAT_BITS,
    INT_BITS,
    SCALAR_BASIC,
    UINT_BITS,
    GoField,
    GoStruct,
    GoType,
    JField,
    Package,
    fold_equal,
    go_quote,
    is_valid_tag_name,
    parse_package,
    read_tag,
    struct_fields_of,
    tag_get,
    type_fields,
)
from apiprobe.errors import DataFormatError

__all__ = [
    "GoField",
    "GoStruct",
    "GoType",
    "UnmarshalResult",
    "audit_payloads",
    "audit_struct_tags",
    "parse_go_structs",
    "simulate_marshal",
    "simulate_unmarshal",
]

_REF = "§2.3"
_FAULT = "serialization"

#: Outcomes of one payload key in :attr:`UnmarshalResult.keys`.
KEY_OUTCOMES: dict[str, str] = {
    "set": "the value was stored in the field",
    "set_nil": "null reset a pointer, map, slice or interface field to nil",
    "null_ignored": "null into a non-nullable field: Go leaves the field unchanged",
    "dropped_unknown": "no field has this key, even case-insensitively: silently dropped",
    "dropped_unexported": "the key names an unexported field: Go never fills it",
    "dropped_dash_tag": 'the field that looks like a match is tagged json:"-"',
    "ambiguous_embedded": "two embedded fields at the same depth claim this key: neither is filled",
    "type_error": "the JSON value does not fit the Go type: zero/previous value kept, error returned",
    "overwritten_by_later_key": "a later duplicate key (any casing) targets the same field: last wins; "
    "objects decode into the existing struct/map/pointer, so they merge",
    "not_reached": "Unmarshal stopped at an earlier fatal error before this key",
    "not_simulated": "the field's type has custom JSON methods or comes from another package",
}


# ====================================================================== parsing


def parse_go_structs(source: str) -> dict[str, GoStruct]:
    """Struct types declared in Go source.

    Parameters
    ----------
    source
        Go source text: a whole file or just the type declarations. Comments,
        ``type ( ... )`` groups, multi-name fields (``A, B int``), embedded
        fields, anonymous nested structs, pointer/slice/array/map types and
        ``interface{}``/``any`` are understood; functions, imports, constants
        and variables are skipped.

    Returns
    -------
    dict of str to GoStruct
        Struct types by name, in declaration order. Tags are kept verbatim,
        malformed ones included (see :func:`audit_struct_tags`).

    Raises
    ------
    DataFormatError
        When the source cannot be parsed; the message names the line.
    """
    return dict(parse_package(source).structs)


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


def _check_valid(data: bytes) -> str | None:
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
class _Node:
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


def _unquote(item: bytes) -> tuple[str, bool]:
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


class _TreeParser:
    def __init__(self, data: bytes) -> None:
        self.b = data
        self.i = 0
        self.pid = 0

    def ws(self) -> None:
        while self.i < len(self.b) and self.b[self.i] in _WS:
            self.i += 1

    def value(self) -> _Node:
        self.ws()
        b, start = self.b, self.i
        c = b[start]
        if c == 0x7B:
            self.i += 1
            pairs: list[tuple[str, _Node]] = []
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
                    pairs.append((_unquote(k)[0], v))
                    self.ws()
                    if b[self.i] == 0x2C:
                        self.i += 1
                        continue
                    self.i += 1  # '}'
                    break
            return _Node("obj", b[start : self.i], pairs)
        if c == 0x5B:
            self.i += 1
            items: list[_Node] = []
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
            return _Node("arr", b[start : self.i], items)
        if c == 0x22:
            raw = self.string()
            return _Node("str", raw, _unquote(raw)[0])
        m = re.compile(rb"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null").match(b, start)
        assert m is not None
        self.i = m.end()
        raw = m.group()
        kind = raw.decode() if raw in (b"true", b"false", b"null") else "num"
        return _Node(kind, raw, raw.decode())

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


def _as_bytes(payload: str | bytes | bytearray) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogatepass")
    return bytes(payload)


# ====================================================================== Go value model


class _Ptr(list[Any]):
    """A non-nil Go pointer: a one-element cell holding the pointee."""


class _Slice:
    """A non-nil Go slice: backing array (its length is the capacity) and length."""

    def __init__(self, backing: list[Any], length: int) -> None:
        self.backing = backing
        self.length = length


class _AbortError(Exception):
    """An error that makes encoding/json stop decoding at once."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _NotSimulatedError(Exception):
    pass


def _zero(pkg: Package, t: GoType) -> Any:
    u = pkg.under(t)
    if u.kind == "basic":
        if u.name == "bool":
            return False
        if u.name == "string":
            return ""
        if u.name in FLOAT_BITS:
            return 0.0
        return 0
    if u.kind == "number":
        return ""
    if u.kind == "struct":
        return {f.name: _zero(pkg, f.type) for f in u.fields}
    if u.kind == "array":
        assert u.elem is not None and u.length is not None
        return [_zero(pkg, u.elem) for _ in range(u.length)]
    return None


def _export(pkg: Package, t: GoType, v: Any) -> Any:
    """Model value -> plain Python value (unexported fields dropped)."""
    u = pkg.under(t)
    if u.kind == "ptr":
        assert u.elem is not None
        return None if v is None else _export(pkg, u.elem, v[0])
    if u.kind == "struct":
        out: dict[str, Any] = {}
        for f in u.fields:
            if f.exported or (f.embedded and _is_struct(pkg, f.type)):
                out[f.name] = _export(pkg, f.type, v[f.name])
        return out
    if u.kind == "slice":
        assert u.elem is not None
        if v is None or isinstance(v, bytes):
            return v
        items = v.backing[: v.length]
        if _is_bytes_slice(pkg, u):
            return bytes(items)
        return [_export(pkg, u.elem, x) for x in items]
    if u.kind == "array":
        assert u.elem is not None
        return [_export(pkg, u.elem, x) for x in v]
    if u.kind == "map":
        assert u.elem is not None
        return None if v is None else {k: _export(pkg, u.elem, x) for k, x in v.items()}
    return v


def _is_struct(pkg: Package, t: GoType) -> bool:
    if t.kind == "ptr":
        assert t.elem is not None
        t = t.elem
    try:
        return pkg.under(t).kind == "struct"
    except DataFormatError:
        return False


def _is_bytes_slice(pkg: Package, u: GoType) -> bool:
    if u.kind != "slice" or u.elem is None:
        return False
    e = pkg.under(u.elem)
    return e.kind == "basic" and e.name == "uint8"


# ====================================================================== decoder

_INT_RE = re.compile(r"-?[0-9]+\Z")
_UINT_RE = re.compile(r"[0-9]+\Z")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[+-]?(?:inf|infinity)\Z", re.IGNORECASE)
_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")


def _parse_float(s: str, bits: int) -> float | None:
    """strconv.ParseFloat(s, bits) for decimal and inf forms; None on error (syntax or range)."""
    if _INF_RE.match(s):
        return -math.inf if s.startswith("-") else math.inf
    if not _FLOAT_RE.match(s):
        return None
    f = float(s)
    if math.isinf(f):
        return None
    if bits == 32:
        try:
            f = struct.unpack("f", struct.pack("f", f))[0]
        except OverflowError:
            return None
        if math.isinf(f):
            return None
    return f


@dataclass
class _Row:
    key: str
    field: str | None
    go_type: str | None
    outcome: str
    explanation: str
    match: str | None = None
    obj: int = -1
    target: str | None = None
    pid: int = 0
    errors: list[str] = dc_field(default_factory=list)


class _Decoder:
    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg
        self.saved: str | None = None
        self.stack: list[str] = []
        self.struct_t: GoType | None = None
        self.rows: list[_Row] = []
        self.current: _Row | None = None
        self.obj_counter = 0
        self.entered: set[int] = set()
        self.prefix = ""  # payload path of the value being decoded
        self.fprefix = ""  # Go field path of the value being decoded

    # -- errors
    def ts(self, t: GoType) -> str:
        return self.pkg.type_string(t)

    def save(self, message: str) -> None:
        if self.current is not None:
            self.current.errors.append(message)
        if self.saved is None:
            self.saved = message

    def type_error(self, value: str, t: GoType) -> None:
        ts = self.ts(t)
        if self.struct_t is not None or self.stack:
            sname = self.struct_t.name if self.struct_t is not None and self.struct_t.kind == "named" else ""
            msg = f"json: cannot unmarshal {value} into Go struct field {sname}.{'.'.join(self.stack)} of type {ts}"
        else:
            msg = f"json: cannot unmarshal {value} into Go value of type {ts}"
        self.save(msg)

    def invalid_use(self, item: str, t: GoType) -> str:
        return f"json: invalid use of ,string struct tag, trying to unmarshal {go_quote(item)} into {self.ts(t)}"

    # -- pointers
    def check_simulated(self, t: GoType) -> None:
        if t.kind == "unsupported" or (t.kind == "named" and t.name in self.pkg.custom):
            raise _NotSimulatedError(self.ts(t))

    def indirect(
        self, t: GoType, cell: list[Any] | dict[Any, Any], key: Any, decoding_null: bool
    ) -> tuple[GoType, Any, Any]:
        while True:
            self.check_simulated(t)
            u = self.pkg.under(t)
            if u.kind != "ptr":
                return t, cell, key
            if decoding_null:
                return t, cell, key
            assert u.elem is not None
            if cell[key] is None:
                cell[key] = _Ptr([_zero(self.pkg, u.elem)])
            cell, key, t = cell[key], 0, u.elem

    # -- values
    def value(self, node: _Node, t: GoType | None, cell: Any, key: Any) -> None:
        if t is None:
            return
        if node.kind == "arr":
            self.array(node, t, cell, key)
        elif node.kind == "obj":
            self.object(node, t, cell, key)
        else:
            self.literal(node, t, cell, key, False)

    def generic(self, node: _Node) -> Any:
        if node.kind == "obj":
            return {k: self.generic(v) for k, v in node.value}
        if node.kind == "arr":
            return [self.generic(v) for v in node.value]
        if node.kind == "str":
            return node.value
        if node.kind == "num":
            f = _parse_float(node.value, 64)
            if f is None:
                self.type_error("number " + node.value, GoType("basic", "float64"))
            return f
        return {"true": True, "false": False, "null": None}[node.kind]

    def array(self, node: _Node, t: GoType, cell: Any, key: Any) -> None:
        t, cell, key = self.indirect(t, cell, key, False)
        u = self.pkg.under(t)
        if u.kind == "raw":
            cell[key] = node.raw
            return
        if u.kind == "iface" and not u.methods:
            cell[key] = self.generic(node)
            return
        if u.kind not in ("array", "slice"):
            self.type_error("array", t)
            return
        assert u.elem is not None
        items: list[_Node] = node.value
        if u.kind == "array":
            arr = cell[key]
            base_k, base_f = self.prefix, self.fprefix
            for i, item in enumerate(items):
                self.prefix, self.fprefix = f"{base_k}[{i}]", f"{base_f}[{i}]"
                if i < len(arr):
                    self.value(item, u.elem, arr, i)
            self.prefix, self.fprefix = base_k, base_f
            for i in range(len(items), len(arr)):
                arr[i] = _zero(self.pkg, u.elem)
            return
        sl = cell[key]
        if isinstance(sl, bytes):  # a []byte set earlier from a base64 string
            sl = _Slice(list(sl), len(sl))
            cell[key] = sl
        base_k, base_f = self.prefix, self.fprefix
        for i, item in enumerate(items):
            self.prefix, self.fprefix = f"{base_k}[{i}]", f"{base_f}[{i}]"
            if sl is None:
                sl = _Slice([], 0)
                cell[key] = sl
            if i >= len(sl.backing):
                newcap = max(len(sl.backing) + len(sl.backing) // 2, 4)
                backing = sl.backing[: sl.length] + [_zero(self.pkg, u.elem) for _ in range(newcap - sl.length)]
                sl.backing = backing
            if i >= sl.length:
                sl.length = i + 1
            self.value(item, u.elem, sl.backing, i)
        self.prefix, self.fprefix = base_k, base_f
        if sl is not None and len(items) < sl.length:
            sl.length = len(items)
        if not items:
            cell[key] = _Slice([], 0)

    def object(self, node: _Node, t: GoType, cell: Any, key: Any) -> None:
        t, cell, key = self.indirect(t, cell, key, False)
        u = self.pkg.under(t)
        if u.kind == "raw":
            cell[key] = node.raw
            return
        if u.kind == "iface" and not u.methods:
            cell[key] = self.generic(node)
            return
        fields = None
        if u.kind == "map":
            assert u.key is not None and u.elem is not None
            ku = self.pkg.under(u.key)
            if not (ku.kind == "basic" and (ku.name == "string" or ku.name in INT_BITS or ku.name in UINT_BITS)):
                self.type_error("object", t)
                return
            if cell[key] is None:
                cell[key] = {}
        elif u.kind == "struct":
            fields = type_fields(self.pkg, t)
        else:
            self.type_error("object", t)
            return
        self.obj_counter += 1
        obj_id = self.obj_counter
        self.entered.add(id(node))
        target = cell[key]
        orig_stack, orig_struct = len(self.stack), self.struct_t
        parent_row = self.current
        base_k, base_f = self.prefix, self.fprefix
        for name, sub in node.value:
            path = name if not base_k else f"{base_k}.{name}"
            row = _Row(path, None, None, "set", "", obj=obj_id, pid=sub.pid)
            self.rows.append(row)
            self.current = row
            self.prefix = path
            try:
                if fields is None:
                    self.map_entry(u, t, target, name, sub, row, base_f)
                else:
                    self.struct_entry(fields, t, target, name, sub, row, base_f)
            finally:
                self.current = parent_row
                self.prefix, self.fprefix = base_k, base_f
                del self.stack[orig_stack:]
                self.struct_t = orig_struct

    def map_entry(
        self, u: GoType, t: GoType, target: dict[Any, Any], name: str, sub: _Node, row: _Row, base_f: str
    ) -> None:
        assert u.key is not None and u.elem is not None
        row.field = f"{base_f or 'map'}[{name}]"
        self.fprefix = row.field
        row.go_type = self.ts(u.elem)
        row.target = f"{id(target)}:{name}"
        tmp = [_zero(self.pkg, u.elem)]
        self.value(sub, u.elem, tmp, 0)
        ku = self.pkg.under(u.key)
        k: Any = name
        if ku.name != "string":
            ok = (_INT_RE.match(name) if ku.name in INT_BITS else _UINT_RE.match(name)) is not None
            if ok:
                k = int(name)
                bits = INT_BITS.get(ku.name) or UINT_BITS[ku.name]
                ok = (-(1 << (bits - 1)) <= k < (1 << (bits - 1))) if ku.name in INT_BITS else k < (1 << bits)
                if ok and ku.name in INT_BITS and not -(1 << 63) <= k < (1 << 63):
                    ok = False
            if not ok:
                self.type_error("number " + name, u.key)
                row.outcome = "type_error"
                row.explanation = f"map key {name!r} is not a valid {self.ts(u.key)}: entry not stored"
                return
        target[k] = tmp[0]
        self.finish_row(row, sub, u.elem, "map entry")

    def struct_entry(
        self, fields: Any, t: GoType, target: dict[str, Any], name: str, sub: _Node, row: _Row, base_f: str
    ) -> None:
        f: JField | None = None
        match = "exact"
        if name in fields.name_index:
            f = fields.fields[fields.name_index[name]]
        else:
            for ff in fields.fields:
                if fold_equal(ff.name, name):
                    f = ff
                    match = "case_insensitive"
                    break
        if f is None:
            self.explain_drop(t, fields, name, row)
            return
        row.field = (base_f + "." if base_f else "") + ".".join(f.go_path)
        self.fprefix = row.field
        row.go_type = self.ts(f.field_type)
        row.match = match
        row.target = f"{id(target)}:{'.'.join(map(str, f.index))}"
        # walk the index path, allocating embedded pointers
        cur_t, cur = t, target
        cell: Any = None
        ckey: Any = None
        for depth, i in enumerate(f.index):
            sf = struct_fields_of(self.pkg, cur_t)[i]
            cell, ckey = cur, sf.name
            if depth == len(f.index) - 1:
                break
            ft = sf.type
            if self.pkg.under(ft).kind == "ptr":
                assert ft.kind == "ptr" and ft.elem is not None
                if cur[sf.name] is None:
                    if not sf.exported:
                        self.save(f"json: cannot set embedded pointer to unexported struct: {self.ts(ft.elem)}")
                        row.outcome = "type_error"
                        row.explanation = (
                            f"the key reaches a field promoted through the nil embedded pointer "
                            f"*{sf.name}, which Go cannot allocate because it is unexported"
                        )
                        return
                    cur[sf.name] = _Ptr([_zero(self.pkg, ft.elem)])
                cur = cur[sf.name][0]
                cur_t = ft.elem
            else:
                cur = cur[sf.name]
                cur_t = ft
        self.stack.append(f.name)
        self.struct_t = t
        before = len(row.errors)
        try:
            if f.quoted:
                self.destring(sub, f.field_type, cell, ckey)
            else:
                self.value(sub, f.field_type, cell, ckey)
        except _NotSimulatedError as exc:
            row.outcome = "not_simulated"
            row.explanation = (
                f"type {exc} has custom JSON methods or comes from another package; "
                "its decoding is not simulated (value left unchanged)"
            )
            return
        except _AbortError as exc:
            row.outcome = "type_error"
            row.errors.append(exc.message)
            row.explanation = f"fatal: {exc.message} — Unmarshal stops here, later keys are not decoded"
            raise
        how = "" if match == "exact" else f" (matched {f.name!r} case-insensitively)"
        via = f" via embedded {'.'.join(f.go_path[:-1])}" if len(f.go_path) > 1 else ""
        if len(row.errors) > before:
            row.outcome = "type_error"
            row.explanation = f"{row.errors[before]}; field keeps its previous value{how}"
            return
        self.finish_row(row, sub, f.field_type, f"field {'.'.join(f.go_path)}{via}{how}")

    def finish_row(self, row: _Row, sub: _Node, t: GoType, what: str) -> None:
        if row.errors:
            row.outcome = "type_error"
            row.explanation = f"{row.errors[0]}; value not stored"
            return
        u = self.pkg.under(t)
        if sub.kind == "null":
            if u.kind in ("ptr", "map", "slice", "iface"):
                row.outcome = "set_nil"
                row.explanation = f"null resets {what} to nil"
            elif u.kind == "raw":
                row.explanation = f"json.RawMessage {what} receives the text null"
            else:
                row.outcome = "null_ignored"
                row.explanation = f"null leaves {what} unchanged (no error)"
            return
        row.explanation = f"stored in {what}"

    def explain_drop(self, t: GoType, fields: Any, name: str, row: _Row) -> None:
        u = self.pkg.under(t)
        for cname, group in fields.conflicts.items():
            if cname == name or fold_equal(cname, name):
                row.outcome = "ambiguous_embedded"
                paths = ", ".join(".".join(g.go_path) for g in group)
                row.explanation = (
                    f"key {name!r} is claimed by {paths} at the same embedding depth: Go cancels "
                    "them and drops the key silently"
                )
                return
        for f in u.fields:
            tag = tag_get(f.tag, "json")
            tname = tag.partition(",")[0]
            if f.exported and tag == "-" and fold_equal(f.name, name):
                row.outcome = "dropped_dash_tag"
                row.explanation = f'field {f.name} is tagged json:"-": Go never decodes into it'
                return
            if not f.exported and not f.embedded and (fold_equal(f.name, name) or (tname and fold_equal(tname, name))):
                row.outcome = "dropped_unexported"
                row.explanation = f"field {f.name} is unexported: encoding/json ignores it, tag or not"
                return
        row.outcome = "dropped_unknown"
        hint = _drift_hint(name, [ff.name for ff in fields.fields])
        row.explanation = f"no field takes key {name!r} (not even case-insensitively): silently dropped" + (
            f"; did you mean {hint!r}? (camelCase/snake_case drift)" if hint else ""
        )

    def destring(self, sub: _Node, t: GoType, cell: Any, key: Any) -> None:
        if sub.kind in ("arr", "obj"):
            self.save(f"json: invalid use of ,string struct tag, trying to unmarshal unquoted value into {self.ts(t)}")
            return
        if sub.kind == "null":
            self.literal(sub, t, cell, key, False)
        elif sub.kind == "str":
            self.literal_store(sub.value, None, t, cell, key, True)
        else:
            if sub.kind == "num" and _parse_float(sub.value, 64) is None:
                self.type_error("number " + sub.value, GoType("basic", "float64"))
            self.save(f"json: invalid use of ,string struct tag, trying to unmarshal unquoted value into {self.ts(t)}")

    def literal(self, node: _Node, t: GoType, cell: Any, key: Any, from_quoted: bool) -> None:
        if node.kind == "str":
            self.literal_store('"', node.value, t, cell, key, from_quoted, raw=node.raw)
        else:
            self.literal_store(node.value, None, t, cell, key, from_quoted, raw=node.raw)

    def literal_store(
        self, item: str, sval: str | None, t: GoType, cell: Any, key: Any, from_quoted: bool, raw: bytes | None = None
    ) -> None:
        if not item:
            self.save(self.invalid_use(item, t))
            return
        is_null = item[0] == "n"
        t, cell, key = self.indirect(t, cell, key, is_null)
        u = self.pkg.under(t)
        if u.kind == "raw":
            cell[key] = raw if raw is not None else item.encode()
            return
        c = item[0]
        if c == "n":
            if from_quoted and item != "null":
                self.save(self.invalid_use(item, t))
                return
            if u.kind in ("iface", "ptr", "map", "slice"):
                cell[key] = None
            return
        if c in "tf":
            if from_quoted and item not in ("true", "false"):
                self.save(self.invalid_use(item, t))
                return
            b = c == "t"
            if (u.kind == "basic" and u.name == "bool") or (u.kind == "iface" and not u.methods):
                cell[key] = b
            elif from_quoted:
                self.save(self.invalid_use(item, t))
            else:
                self.type_error("bool", t)
            return
        if c == '"':
            if sval is None:  # from a ,string value: unquote it again
                sval, ok = _unquote(item.encode("utf-8", "surrogatepass"))
                if not ok:
                    raise _AbortError(self.invalid_use(item, t))
            if _is_bytes_slice(self.pkg, u):
                decoded = _b64decode(sval)
                if isinstance(decoded, str):
                    self.save(decoded)
                else:
                    cell[key] = decoded
            elif u.kind == "basic" and u.name == "string":
                cell[key] = sval
            elif u.kind == "number":
                if not _NUMBER_RE.match(sval):
                    quoted_item = raw.decode("utf-8", "replace") if raw is not None else item
                    raise _AbortError(
                        f"json: invalid number literal, trying to unmarshal {go_quote(quoted_item)} into Number"
                    )
                cell[key] = sval
            elif u.kind == "iface" and not u.methods:
                cell[key] = sval
            else:
                self.type_error("string", t)
            return
        if c != "-" and not c.isdigit():
            raise _AbortError(self.invalid_use(item, t))
        s = item
        if u.kind == "iface":
            f = _parse_float(s, 64)
            if f is None:
                self.type_error("number " + s, GoType("basic", "float64"))
                return
            if u.methods:
                self.type_error("number", t)
                return
            cell[key] = f
        elif u.kind == "basic" and u.name in INT_BITS:
            bits = INT_BITS[u.name]
            n = int(s) if _INT_RE.match(s) else None
            if n is None or not -(1 << (bits - 1)) <= n < (1 << (bits - 1)):
                self.type_error("number " + s, t)
                return
            cell[key] = n
        elif u.kind == "basic" and u.name in UINT_BITS:
            bits = UINT_BITS[u.name]
            n = int(s) if _UINT_RE.match(s) else None
            if n is None or n >= (1 << bits):
                self.type_error("number " + s, t)
                return
            cell[key] = n
        elif u.kind == "basic" and u.name in FLOAT_BITS:
            f = _parse_float(s, FLOAT_BITS[u.name])
            if f is None:
                self.type_error("number " + s, t)
                return
            cell[key] = f
        elif u.kind == "number":
            cell[key] = s
        elif from_quoted:
            raise _AbortError(self.invalid_use(item, t))
        else:
            self.type_error("number", t)


_B64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")


def _b64decode(s: str) -> bytes | str:
    """base64.StdEncoding.Decode (newlines ignored); an error message on bad input."""
    clean = s.replace("\r", "").replace("\n", "")
    if _B64_RE.match(clean) and len(clean) % 4 == 0:
        try:
            return base64.b64decode(clean, validate=True)
        except ValueError:
            pass
    pos = 0
    for i, ch in enumerate(clean):
        if not (ch.isascii() and (ch.isalnum() or ch in "+/")):
            pos = i
            break
    else:
        pos = len(clean) - len(clean) % 4 if len(clean) % 4 else len(clean)
    return f"illegal base64 data at input byte {pos}"


def _norm_name(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


def _drift_hint(key: str, names: Sequence[str]) -> str | None:
    nk = _norm_name(key)
    if not nk:
        return None
    for n in names:
        if _norm_name(n) == nk:
            return n
    return None


# ====================================================================== results


@dataclass(frozen=True)
class UnmarshalResult:
    """What ``json.Unmarshal(payload, &v)`` leaves behind, predicted.

    Attributes
    ----------
    values : dict
        The struct after decoding, keyed by Go field name: nested dicts for
        struct fields, embedded structs under their type name, unexported
        fields absent, zero values where Go leaves them ("" / 0 / 0.0 / False,
        None for nil pointers, slices, maps and interfaces; ``bytes`` for
        ``[]byte`` and ``json.RawMessage``).
    error : str or None
        The error Unmarshal returns, in Go's wording, or None.
    keys : pandas.DataFrame
        One row per payload key occurrence: ``key`` (payload path, array items
        as ``[i]``), ``field`` (Go field path, NA when none), ``go_type``,
        ``match`` (exact / case_insensitive), ``outcome`` (see ``KEY_OUTCOMES``)
        and ``explanation``.
    findings : pandas.DataFrame
        Findings (schema ``findings``, fault ``serialization``, §2.3).
    """

    values: dict[str, Any]
    error: str | None
    keys: pd.DataFrame
    findings: pd.DataFrame


_KEY_COLUMNS = ["key", "field", "go_type", "match", "outcome", "explanation"]


def _load(go_source: str | Package, struct_name: str) -> tuple[Package, GoType]:
    pkg = go_source if isinstance(go_source, Package) else parse_package(go_source)
    if struct_name not in pkg.structs:
        known = ", ".join(pkg.structs) or "none"
        raise DataFormatError(f"no struct type {struct_name!r} in the Go source (struct types: {known})")
    return pkg, GoType("named", struct_name)


def simulate_unmarshal(go_source: str, struct_name: str, payload: str | bytes | bytearray) -> UnmarshalResult:
    """Predict ``err := json.Unmarshal(payload, &v)`` for ``var v StructName`` (Go 1.19).

    Parameters
    ----------
    go_source
        Go source declaring ``struct_name`` and the types it uses. The
        ``package`` clause (default ``main``) names the types in error messages.
    struct_name
        The struct type decoded into (a zero value, like ``var v T``).
    payload
        Raw JSON text (str or bytes): kept raw so duplicate keys, number
        spellings and invalid UTF-8 behave as in Go.

    Returns
    -------
    UnmarshalResult
        Values, Go's error string, per-key fates and findings.

    Raises
    ------
    DataFormatError
        When the Go source cannot be parsed or has no such struct.
    """
    pkg, t = _load(go_source, struct_name)
    return _unmarshal(pkg, t, _as_bytes(payload))


def _unmarshal(pkg: Package, t: GoType, data: bytes) -> UnmarshalResult:
    root = [_zero(pkg, t)]
    syntax = _check_valid(data)
    if syntax is not None:
        keys = pd.DataFrame({c: pd.Series([], dtype="string") for c in _KEY_COLUMNS})
        values = _export(pkg, t, root[0])
        rows = [
            finding(
                "simulate_unmarshal",
                _FAULT,
                "critical",
                t.name,
                metric="syntax_error",
                value=1,
                threshold=None,
                evidence=f"payload is not valid JSON: Go returns {syntax!r} and fills nothing",
                recommendation="fix the client's JSON encoder; Go checks the whole body before decoding any field",
                handbook_ref=_REF,
            )
        ]
        return UnmarshalResult(values, syntax, keys, findings_frame(rows))
    tree = _TreeParser(data).value()
    dec = _Decoder(pkg)
    error: str | None
    try:
        dec.value(tree, t, root, 0)
        error = dec.saved
    except _AbortError as exc:
        error = exc.message
        _mark_not_reached(dec, tree)
    except _NotSimulatedError as exc:
        error = dec.saved
        del exc
    _mark_duplicates(dec.rows)
    keys = pd.DataFrame([{c: getattr(r, c) for c in _KEY_COLUMNS} for r in dec.rows], columns=_KEY_COLUMNS)
    keys = keys.astype({c: "string" for c in _KEY_COLUMNS})
    values = _export(pkg, t, root[0])
    return UnmarshalResult(values, error, keys, _unmarshal_findings(pkg, t, dec.rows, error))


def _mark_not_reached(dec: _Decoder, tree: _Node) -> None:
    seen = {r.pid for r in dec.rows}

    def walk(node: _Node, prefix: str) -> None:
        if node.kind == "obj":
            for k, v in node.value:
                path = f"{prefix}.{k}" if prefix else k
                if id(node) in dec.entered and v.pid not in seen:
                    dec.rows.append(
                        _Row(
                            path,
                            None,
                            None,
                            "not_reached",
                            "Unmarshal returned at an earlier fatal error before reaching this key",
                            pid=v.pid,
                        )
                    )
                walk(v, path)
        elif node.kind == "arr":
            for i, v in enumerate(node.value):
                walk(v, f"{prefix}[{i}]")

    walk(tree, "")


def _mark_duplicates(rows: list[_Row]) -> None:
    last: dict[tuple[int, str], _Row] = {}
    for r in rows:
        if r.target is None:
            continue
        k = (r.obj, r.target)
        prev = last.get(k)
        if prev is not None and prev.outcome in ("set", "set_nil", "null_ignored", "type_error"):
            prev.outcome = "overwritten_by_later_key"
            prev.explanation = (
                f"a later key {r.key!r} targets the same field; the last one wins (an object "
                "decodes into the existing struct/map/pointer, so their fields merge)"
            )
        last[k] = r


def _unmarshal_findings(pkg: Package, t: GoType, rows: list[_Row], error: str | None) -> pd.DataFrame:
    out: list[dict[str, Any]] = []
    det = "simulate_unmarshal"
    if error is not None:
        out.append(
            finding(
                det,
                _FAULT,
                "critical",
                t.name,
                metric="unmarshal_error",
                value=1,
                threshold=None,
                evidence=f"json.Unmarshal returns: {error}",
                recommendation="fix the payload type or the Go field type; the handler should "
                "reject the request with 400 rather than use half-filled values",
                handbook_ref=_REF,
            )
        )
    for r in rows:
        subject = f"{t.name}.{r.field}" if r.field else f"{t.name} key {r.key}"
        if r.outcome == "dropped_unknown":
            out.append(
                finding(
                    det,
                    _FAULT,
                    "warning",
                    subject,
                    metric="dropped_key",
                    value=1,
                    threshold=None,
                    evidence=r.explanation,
                    recommendation="rename the key or add a field/tag for it; use "
                    "Decoder.DisallowUnknownFields to make drops visible",
                    handbook_ref=_REF,
                )
            )
        elif r.outcome in ("dropped_unexported", "dropped_dash_tag", "ambiguous_embedded", "not_simulated"):
            out.append(
                finding(
                    det,
                    _FAULT,
                    "warning",
                    subject,
                    metric=r.outcome,
                    value=1,
                    threshold=None,
                    evidence=r.explanation,
                    recommendation="export the field / fix the tag / resolve the embedding conflict "
                    "with an explicit tagged field",
                    handbook_ref=_REF,
                )
            )
        elif r.outcome == "overwritten_by_later_key":
            out.append(
                finding(
                    det,
                    _FAULT,
                    "info",
                    subject,
                    metric="duplicate_key",
                    value=1,
                    threshold=None,
                    evidence=f"key {r.key!r}: {r.explanation}",
                    recommendation="send each key once; keys differing only in case count as duplicates for Go",
                    handbook_ref=_REF,
                )
            )
        elif r.match == "case_insensitive" and r.outcome == "set":
            out.append(
                finding(
                    det,
                    _FAULT,
                    "info",
                    subject,
                    metric="case_insensitive_match",
                    value=1,
                    threshold=None,
                    evidence=f"key {r.key!r} filled {r.field} only through Go's case-insensitive fallback",
                    recommendation="send the exact tag name; other decoders (and Go's "
                    "encoding/json/v2) match case-sensitively",
                    handbook_ref=_REF,
                )
            )
    return findings_frame(out)


# ====================================================================== marshal


def _go_float(f: float, bits: int) -> str:
    """floatEncoder: ES6-style number text, the way Go writes float32/float64."""
    if math.isinf(f) or math.isnan(f):
        text = "NaN" if math.isnan(f) else ("+Inf" if f > 0 else "-Inf")
        raise DataFormatError(f"json: unsupported value: {text}")
    a = abs(f)
    if bits == 32:
        x: Any = np.float32(f)
        a32 = np.float32(a)
        sci = a != 0 and bool(a32 < np.float32(1e-6) or a32 >= np.float32(1e21))
    else:
        x = np.float64(f)
        sci = a != 0 and (a < 1e-6 or a >= 1e21)
    if sci:
        return str(np.format_float_scientific(x, unique=True, trim="-", exp_digits=1))
    return str(np.format_float_positional(x, unique=True, trim="-"))


_HEX = "0123456789abcdef"


def _go_string(s: str | bytes, html: bool = True) -> str:
    """encodeState.string / stringBytes: JSON string the way Go writes it."""
    text = s.decode("utf-8", "replace") if isinstance(s, bytes) else s
    out = ['"']
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            if ch == "\\" or ch == '"':
                out.append("\\" + ch)
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\t":
                out.append("\\t")
            elif o < 0x20 or (html and ch in "<>&"):
                out.append("\\u00" + _HEX[o >> 4] + _HEX[o & 0xF])
            else:
                out.append(ch)
        elif 0xD800 <= o < 0xE000:
            out.append("\\ufffd")
        elif o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _compact(raw: bytes) -> str:
    err = _check_valid(raw)
    if err is not None:
        raise DataFormatError(f"json: error calling MarshalJSON for type json.RawMessage: {err}")
    out: list[str] = []
    text = raw.decode("utf-8", "replace")
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            if ch in "<>&":
                out.append(f"\\u00{ord(ch):02x}")
                continue
            if ch in "\u2028\u2029":
                out.append(f"\\u{ord(ch):04x}")
                continue
            out.append(ch)
        elif ch in " \t\r\n":
            continue
        else:
            if ch == '"':
                in_str = True
            out.append(ch)
    return "".join(out)


class _Encoder:
    def __init__(self, pkg: Package) -> None:
        self.pkg = pkg

    def enc(self, v: Any, t: GoType, quoted: bool = False) -> str:
        if t.kind == "unsupported" or (t.kind == "named" and t.name in self.pkg.custom):
            raise DataFormatError(
                f"type {self.pkg.type_string(t)} has custom JSON methods or comes from another package: not simulated"
            )
        u = self.pkg.under(t)
        k = u.kind
        if k == "basic":
            q = '"' if quoted else ""
            if u.name == "bool":
                return q + ("true" if v else "false") + q
            if u.name == "string":
                s = _go_string(v or "")
                return _go_string(s, html=False) if quoted else s
            if u.name in FLOAT_BITS:
                return q + _go_float(float(v or 0), FLOAT_BITS[u.name]) + q
            return q + str(int(v or 0)) + q
        if k == "number":
            s = str(v or "") or "0"
            if not _NUMBER_RE.match(s):
                raise DataFormatError(f"json: invalid number literal {go_quote(s)}")
            return f'"{s}"' if quoted else s
        if k == "raw":
            if v is None:
                return "null"
            return _compact(v.encode() if isinstance(v, str) else bytes(v))
        if k == "ptr":
            assert u.elem is not None
            return "null" if v is None else self.enc(v, u.elem, quoted)
        if k == "iface":
            return self.generic(v)
        if k == "struct":
            return self.struct(v or {}, t)
        if k == "map":
            assert u.elem is not None
            if v is None:
                return "null"
            items = sorted(((str(key), val) for key, val in v.items()), key=lambda kv: kv[0].encode())
            return "{" + ",".join(_go_string(key) + ":" + self.enc(val, u.elem) for key, val in items) + "}"
        if k == "slice":
            assert u.elem is not None
            if v is None:
                return "null"
            if _is_bytes_slice(self.pkg, u):
                data = v.encode() if isinstance(v, str) else bytes(v)
                return '"' + base64.b64encode(data).decode() + '"'
            return "[" + ",".join(self.enc(x, u.elem) for x in v) + "]"
        if k == "array":
            assert u.elem is not None and u.length is not None
            items = list(v) if v is not None else []
            items += [_zero(self.pkg, u.elem)] * (u.length - len(items))
            return "[" + ",".join(self.enc(x, u.elem) for x in items[: u.length]) + "]"
        raise DataFormatError(f"json: unsupported type: {self.pkg.type_string(t)}")

    def generic(self, v: Any) -> str:
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return _go_float(v, 64)
        if isinstance(v, str):
            return _go_string(v)
        if isinstance(v, (bytes, bytearray)):
            return '"' + base64.b64encode(bytes(v)).decode() + '"'
        if isinstance(v, Mapping):
            items = sorted(((str(k), x) for k, x in v.items()), key=lambda kv: kv[0].encode())
            return "{" + ",".join(_go_string(k) + ":" + self.generic(x) for k, x in items) + "}"
        if isinstance(v, (list, tuple)):
            return "[" + ",".join(self.generic(x) for x in v) + "]"
        raise DataFormatError(f"json: unsupported type: {type(v).__name__}")

    def struct(self, v: Mapping[str, Any], t: GoType) -> str:
        parts: list[str] = []
        for f in type_fields(self.pkg, t).fields:
            cur_t: GoType = t
            cur: Any = v
            skip = False
            for depth, i in enumerate(f.index):
                sf = struct_fields_of(self.pkg, cur_t)[i]
                val = cur.get(sf.name, _zero(self.pkg, sf.type)) if isinstance(cur, Mapping) else None
                if depth == len(f.index) - 1:
                    cur = val
                    break
                ft = sf.type
                if self.pkg.under(ft).kind == "ptr":
                    if val is None:
                        skip = True
                        break
                    assert self.pkg.under(ft).elem is not None
                    cur_t = self.pkg.under(ft).elem  # type: ignore[assignment]
                else:
                    cur_t = ft
                cur = val if val is not None else _zero(self.pkg, cur_t)
            if skip:
                continue
            if f.omit_empty and self._empty(cur, f.field_type):
                continue
            parts.append(_html_key(f.name) + ":" + self.enc(cur, f.field_type, f.quoted))
        return "{" + ",".join(parts) + "}"

    def _empty(self, v: Any, t: GoType) -> bool:
        u = self.pkg.under(t)
        if u.kind in ("ptr", "iface"):
            return v is None
        if u.kind in ("map", "slice", "raw"):
            return v is None or len(v) == 0
        if u.kind == "array":
            return u.length == 0
        if u.kind == "number":
            return not v
        if u.kind == "basic":
            return not v
        return False


def _html_key(name: str) -> str:
    esc = name.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    esc = esc.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'"{esc}"'


def simulate_marshal(go_source: str, struct_name: str, values: Mapping[str, Any] | None = None) -> str:
    """Predict the bytes ``json.Marshal(v)`` emits for a value of ``struct_name`` (Go 1.19).

    Parameters
    ----------
    go_source
        Go source declaring the struct and the types it uses.
    struct_name
        The struct type marshalled.
    values
        Field values keyed by Go field name, in the shape of
        :attr:`UnmarshalResult.values` (missing fields are zero values; None is
        nil for pointers, slices, maps and interfaces; embedded structs under
        their type name).

    Returns
    -------
    str
        Compact JSON exactly as Go writes it: fields in declaration order
        (promoted fields where the embedded struct sits), tag names,
        ``omitempty`` (false, 0, "", nil, empty slice/map/array; structs are
        never omitted), ``-`` hidden, ``,string`` quoting, HTML-safe escaping,
        map keys sorted, ``[]byte`` as base64, floats in Go's ES6 style.

    Raises
    ------
    DataFormatError
        Unparseable source, unknown struct, or a value Go cannot marshal
        (NaN/Inf, chan/func fields) with Go's message.
    """
    pkg, t = _load(go_source, struct_name)
    return _Encoder(pkg).enc(dict(values or {}), t)


# ====================================================================== audits

_OPTIONS = {"omitempty", "string"}


def _walk_structs(pkg: Package) -> Iterator[tuple[str, GoType, tuple[GoField, ...]]]:
    for name, s in pkg.structs.items():
        yield name, GoType("named", name), s.fields

        def nested(prefix: str, fields: tuple[GoField, ...]) -> Iterator[tuple[str, GoType, tuple[GoField, ...]]]:
            for f in fields:
                ft = f.type
                while ft.kind in ("ptr", "slice", "array", "map") and ft.elem is not None:
                    ft = ft.elem
                if ft.kind == "struct":
                    yield f"{prefix}.{f.name}", ft, ft.fields
                    yield from nested(f"{prefix}.{f.name}", ft.fields)

        yield from nested(name, s.fields)


def audit_struct_tags(go_source: str) -> pd.DataFrame:
    """Struct-tag traps in Go source, each with the fix (findings, §2.3).

    Reported: ``json:""`` (does not hide the field: Go uses the field name),
    malformed tags and misspelled keys (``json:sku``, ``jsn:"x"``: ignored),
    leading/trailing spaces and invalid characters in names, unknown options,
    duplicate JSON names and names differing only in case, tags on unexported
    fields, ``omitempty`` on struct values (never omitted), ``,string`` on
    non-scalar fields (ignored), ``json:"-,"`` (key "-", not hidden), and
    embedding conflicts (equal-depth names cancel, deeper ones are hidden).

    Parameters
    ----------
    go_source
        Go source text.

    Returns
    -------
    pandas.DataFrame
        A findings table (fault ``serialization``, handbook_ref ``§2.3``).

    Raises
    ------
    DataFormatError
        When the source cannot be parsed; the message names the line.
    """
    pkg = parse_package(go_source)
    rows: list[dict[str, Any]] = []
    det = "audit_struct_tags"

    def add(sev: str, subject: str, metric: str, evidence: str, fix: str, line: int | None = None) -> None:
        rows.append(
            finding(
                det,
                _FAULT,
                sev,
                subject,
                metric=metric,
                value=line,
                threshold=None,
                evidence=evidence + (f" (line {line})" if line else ""),
                recommendation=fix,
                handbook_ref=_REF,
            )
        )

    for sname, st, fields in _walk_structs(pkg):
        names: dict[str, list[str]] = {}
        for f in fields:
            subj = f"{sname}.{f.name}"
            if f.tag is None:
                if f.exported:
                    names.setdefault(f.name, []).append(f.name)
                continue
            parsed = read_tag(f.tag)
            keys = [k for k, _ in parsed.pairs]
            if parsed.malformed:
                add(
                    "warning",
                    subj,
                    "malformed_tag",
                    f'tag `{f.tag}` is not key:"value" syntax from {parsed.rest!r} on: reflect ignores the rest, '
                    f"so encoding/json uses the field name {f.name!r}",
                    'write it as json:"name" (quoted value, no space after the colon)',
                    f.line,
                )
            for k in keys:
                if k != "json" and _near(k.lower(), "json"):
                    add(
                        "warning",
                        subj,
                        "misspelled_tag_key",
                        f"tag key {k!r} is not 'json': encoding/json ignores it and uses {f.name!r}",
                        'rename the key to json:"..."',
                        f.line,
                    )
            if "json" not in keys:
                if f.exported:
                    names.setdefault(f.name, []).append(f.name)
                continue
            tag = tag_get(f.tag, "json")
            name, _, opts = tag.partition(",")
            optlist = [o for o in opts.split(",") if o] if opts else []
            if not f.exported and not f.embedded:
                add(
                    "warning",
                    subj,
                    "tag_on_unexported",
                    f"field {f.name} is unexported: its json tag {tag!r} has no effect, Go never encodes or decodes it",
                    f"export it ({f.name[:1].upper() + f.name[1:]}) to use it in JSON",
                    f.line,
                )
                continue
            if tag == "-":
                continue
            if tag == "-,":
                add(
                    "info",
                    subj,
                    "dash_comma",
                    'json:"-," does not hide the field: it uses the key "-"',
                    'use json:"-" to hide the field',
                    f.line,
                )
            if tag == "":
                add(
                    "warning",
                    subj,
                    "empty_tag_name",
                    f'json:"" does not hide {f.name} (the handbook is wrong here): Go uses the field name '
                    f"{f.name!r}, matched case-insensitively when decoding",
                    f'use json:"-" to hide it, or give the intended key json:"{_snake(f.name)}"',
                    f.line,
                )
            if name and not is_valid_tag_name(name):
                add(
                    "warning",
                    subj,
                    "invalid_tag_name",
                    f"tag name {name!r} has characters Go does not accept: it is ignored and the key is {f.name!r}",
                    "use letters, digits and ordinary punctuation only",
                    f.line,
                )
            elif name != name.strip():
                add(
                    "warning",
                    subj,
                    "space_in_tag_name",
                    f"tag name {name!r} has leading/trailing spaces: Go uses it literally, so the key "
                    f"{name.strip()!r} does not match",
                    f'write json:"{name.strip()}"',
                    f.line,
                )
            for o in optlist:
                if o not in _OPTIONS:
                    add(
                        "warning",
                        subj,
                        "unknown_tag_option",
                        f"option {o!r} is not an encoding/json option: ignored",
                        "valid options are omitempty and string"
                        + (" (spelled omitempty)" if _near(o.lower(), "omitempty") else ""),
                        f.line,
                    )
            ft = f.type
            fu: GoType
            try:
                fu = pkg.under(ft.elem if ft.kind == "ptr" and ft.elem is not None else ft)
            except DataFormatError:
                fu = GoType("unsupported", "?")
            if (
                "omitempty" in optlist
                and ft.kind != "ptr"
                and (fu.kind == "struct" or (fu.kind == "array" and (fu.length or 0) > 0))
            ):
                add(
                    "warning",
                    subj,
                    "omitempty_struct",
                    f"omitempty never omits {f.name}: a struct (or non-empty array) value is never 'empty' to "
                    "encoding/json",
                    f"make it a pointer (*{pkg.type_string(ft)}) or drop omitempty",
                    f.line,
                )
            if "string" in optlist and not ((fu.kind == "basic" and fu.name in SCALAR_BASIC) or fu.kind == "number"):
                add(
                    "warning",
                    subj,
                    "string_option_ignored",
                    f",string only applies to strings, numbers and bools: ignored on {f.name} ({pkg.type_string(ft)})",
                    "drop ,string",
                    f.line,
                )
            key = name if is_valid_tag_name(name) else f.name
            if not (f.embedded and not name and _is_struct(pkg, f.type)):
                names.setdefault(key, []).append(f.name)
        # duplicates and case-only differences at the top level of this struct
        for key, owners in names.items():
            if len(owners) > 1:
                add(
                    "critical",
                    f"{sname}.{owners[0]}",
                    "duplicate_json_name",
                    f"fields {', '.join(owners)} all use the JSON key {key!r}: Go cancels them, neither is "
                    "decoded nor encoded",
                    "give each field its own key (go vet's structtag check flags this)",
                )
        folded: dict[str, list[str]] = {}
        for key in names:
            folded.setdefault(key.lower(), []).append(key)
        for group in folded.values():
            if len(group) > 1:
                add(
                    "warning",
                    f"{sname}.{names[group[0]][0]}",
                    "case_only_difference",
                    f"JSON keys {', '.join(repr(g) for g in group)} differ only in case: a key in any other "
                    "casing fills whichever comes first in the struct",
                    "rename one of them",
                )
        if st.kind == "named":
            try:
                tf = type_fields(pkg, st)
            except DataFormatError:
                continue
            for key, conflicting in tf.conflicts.items():
                paths = ", ".join(".".join(g.go_path) for g in conflicting)
                if all(len(g.index) == 1 for g in conflicting):
                    continue  # already reported as duplicate_json_name
                add(
                    "warning",
                    f"{sname}.{key}",
                    "embedding_conflict",
                    f"key {key!r} is promoted from {paths} at the same depth: Go cancels them, the key is "
                    "silently dropped when decoding and missing when encoding",
                    "add an explicit field (or tag) for it in the outer struct",
                )
            for key, hidden_fields in tf.hidden.items():
                winner = tf.fields[tf.name_index[key]]
                add(
                    "info",
                    f"{sname}.{key}",
                    "embedding_shadowed",
                    f"key {key!r} goes to {'.'.join(winner.go_path)}; "
                    f"{', '.join('.'.join(h.go_path) for h in hidden_fields)} is hidden (shallower or tagged wins)",
                    "rename or tag the hidden field if it should receive data",
                )
    return findings_frame(rows)


def _near(a: str, b: str) -> bool:
    """Edit distance of at most 2 (and not equal): likely misspelling."""
    if a == b or abs(len(a) - len(b)) > 2:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 2


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def audit_payloads(
    go_source: str, struct_name: str, payloads: Iterable[str | bytes | Mapping[str, Any]] | pd.Series
) -> pd.DataFrame:
    """How often each payload key lands, is dropped or mistyped, over many payloads.

    Parameters
    ----------
    go_source
        Go source declaring ``struct_name``.
    struct_name
        The struct the handler decodes into.
    payloads
        Raw JSON texts (str/bytes) or already-decoded dicts (re-encoded with
        :func:`json.dumps`, so duplicate keys are lost), as a list or Series.

    Returns
    -------
    pandas.DataFrame
        One row per key path (array indices written ``[]``) and one per JSON
        field never filled: ``key``, ``field``, ``payloads`` (how many payloads
        were simulated), ``seen``, ``set``, ``dropped``, ``mistyped``,
        ``null``, ``other``, ``share_set``, ``never_filled``, ``outcomes``
        (counts by outcome) and ``suggestion`` (camelCase/snake_case drift,
        e.g. payload ``user_id`` vs tag ``userId``).
    """
    import json

    pkg, t = _load(go_source, struct_name)
    data: list[bytes] = []
    for p in payloads.tolist() if isinstance(payloads, pd.Series) else payloads:
        if isinstance(p, Mapping):
            data.append(json.dumps(p).encode())
        else:
            data.append(_as_bytes(p))
    per_key: dict[str, Counter[str]] = {}
    fields_of: dict[str, str] = {}
    filled: set[str] = set()
    errors = 0
    for d in data:
        res = _unmarshal(pkg, t, d)
        errors += res.error is not None
        for r in res.keys.itertuples(index=False):
            key = re.sub(r"\[\d+\]", "[]", str(r.key))
            per_key.setdefault(key, Counter())[str(r.outcome)] += 1
            if isinstance(r.field, str):
                fpath = re.sub(r"\[[^\]]*\]", "[]", r.field)
                fields_of.setdefault(key, fpath)
                if r.outcome in ("set", "overwritten_by_later_key"):
                    filled.add(fpath)
    tf = type_fields(pkg, t)
    names = [f.name for f in tf.fields]
    out: list[dict[str, Any]] = []
    for key, c in per_key.items():
        seen = sum(c.values())
        leaf = key.rsplit(".", 1)[-1].replace("[]", "")
        suggestion = None
        if c["dropped_unknown"]:
            hint = _drift_hint(leaf, names)
            if hint:
                suggestion = f"payload key {leaf!r} vs JSON name {hint!r}: naming drift (camelCase/snake_case)"
        out.append(
            {
                "key": key,
                "field": fields_of.get(key),
                "payloads": len(data),
                "seen": seen,
                "set": c["set"] + c["overwritten_by_later_key"],
                "dropped": sum(v for k, v in c.items() if k.startswith("dropped") or k == "ambiguous_embedded"),
                "mistyped": c["type_error"],
                "null": c["null_ignored"] + c["set_nil"],
                "other": c["not_reached"] + c["not_simulated"],
                "never_filled": False,
                "outcomes": ", ".join(f"{k}={v}" for k, v in sorted(c.items())),
                "suggestion": suggestion,
            }
        )
    for jf in tf.fields:
        path = ".".join(jf.go_path)
        if path not in filled:
            payload_keys = [
                k
                for k, c in per_key.items()
                if c["dropped_unknown"] and _norm_name(k.rsplit(".", 1)[-1]) == _norm_name(jf.name)
            ]
            out.append(
                {
                    "key": jf.name,
                    "field": path,
                    "payloads": len(data),
                    "seen": 0,
                    "set": 0,
                    "dropped": 0,
                    "mistyped": 0,
                    "null": 0,
                    "other": 0,
                    "never_filled": True,
                    "outcomes": "",
                    "suggestion": (
                        f"never filled; payloads send {', '.join(map(repr, payload_keys))} instead (naming drift)"
                        if payload_keys
                        else "never filled by any payload"
                    ),
                }
            )
    df = pd.DataFrame(
        out,
        columns=[
            "key",
            "field",
            "payloads",
            "seen",
            "set",
            "dropped",
            "mistyped",
            "null",
            "other",
            "never_filled",
            "outcomes",
            "suggestion",
        ],
    )
    df = df.astype(
        {"key": "string", "field": "string", "outcomes": "string", "suggestion": "string", "never_filled": "boolean"}
    )
    for col in ("payloads", "seen", "set", "dropped", "mistyped", "null", "other"):
        df[col] = df[col].astype("int64")
    df.insert(
        list(df.columns).index("never_filled"),
        "share_set",
        (df["set"] / df["seen"].where(df["seen"] > 0)).astype("float64"),
    )
    df.attrs["payloads_with_error"] = errors
    return df.sort_values(["never_filled", "key"], kind="stable").reset_index(drop=True)
