"""Predict the bytes ``json.Marshal(v)`` emits: :func:`simulate_marshal` (Go 1.19)."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from apiprobe.analyze.gojson._fields import struct_fields_of, type_fields
from apiprobe.analyze.gojson._gosource import FLOAT_BITS, GoType, Package, go_quote, load_struct
from apiprobe.analyze.gojson._scanner import check_valid
from apiprobe.analyze.gojson._values import NOT_SIMULATED, NUMBER_RE, is_bytes_slice, zero_value
from apiprobe.errors import DataFormatError

__all__ = ["simulate_marshal"]


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
    err = check_valid(raw)
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
        if t.kind == "unsupported" or (t.kind == "named" and t.name in self.pkg.custom_marshal):
            raise DataFormatError(
                f"type {self.pkg.type_string(t)} has custom JSON methods or comes from another package: not simulated"
            )
        if v is NOT_SIMULATED:
            raise DataFormatError(
                f"the value of type {self.pkg.type_string(t)} was not simulated (its UnmarshalJSON decides it)"
            )
        u = self.pkg.under(t)
        k = u.kind
        if k == "basic" and u.name in ("complex64", "complex128"):
            raise DataFormatError(f"json: unsupported type: {u.name}")
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
            if not NUMBER_RE.match(s):
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
            if is_bytes_slice(self.pkg, u):
                data = v.encode() if isinstance(v, str) else bytes(v)
                return '"' + base64.b64encode(data).decode() + '"'
            return "[" + ",".join(self.enc(x, u.elem) for x in v) + "]"
        if k == "array":
            assert u.elem is not None and u.length is not None
            items = list(v) if v is not None else []
            items += [zero_value(self.pkg, u.elem)] * (u.length - len(items))
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
                val = cur.get(sf.name, zero_value(self.pkg, sf.type)) if isinstance(cur, Mapping) else None
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
                cur = val if val is not None else zero_value(self.pkg, cur_t)
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
    go_source : str
        Go source declaring the struct and the types it uses.
    struct_name : str
        The struct type marshalled.
    values : mapping of str to object, optional
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
        Unparseable source (the line is named), or a value Go cannot marshal
        (NaN/Inf, chan/func fields) with Go's message.
    InvalidParameterError
        When ``struct_name`` is not a struct type of the source (the ones found are listed).
    """
    pkg, t = load_struct(go_source, struct_name)
    return _Encoder(pkg).enc(dict(values or {}), t)
