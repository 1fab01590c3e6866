"""The Python model of Go values the decoder fills and the encoder reads.

Structs are dicts keyed by Go field name, arrays are lists, a non-nil pointer
is a one-element :class:`Ptr`, a non-nil slice a :class:`Slice` (backing array
and length, so reuse of the backing array is visible), nil is None.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from apiprobe.analyze.gojson._gosource import FLOAT_BITS, GoType, Package
from apiprobe.errors import DataFormatError

#: A valid json.Number text (Go's isValidNumber).
NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")


#: The value of a field whose type decodes itself (``UnmarshalJSON``, ``UnmarshalText``, a type
#: from another package such as ``time.Time``): Go fills it, the simulator does not know with what.
NOT_SIMULATED: Any = pd.NA


class Ptr(list[Any]):
    """A non-nil Go pointer: a one-element cell holding the pointee."""


class Slice:
    """A non-nil Go slice: backing array (its length is the capacity) and length."""

    def __init__(self, backing: list[Any], length: int) -> None:
        self.backing = backing
        self.length = length


def zero_value(pkg: Package, t: GoType) -> Any:
    """The model of Go's zero value of ``t``."""
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
    if u.kind == "unsupported" and "." in u.name:
        return NOT_SIMULATED  # time.Time, metav1.ObjectMeta: their zero value is not modelled
    if u.kind == "struct":
        return {f.name: zero_value(pkg, f.type) for f in u.fields}
    if u.kind == "array":
        assert u.elem is not None and u.length is not None
        return [zero_value(pkg, u.elem) for _ in range(u.length)]
    return None


def export_value(pkg: Package, t: GoType, v: Any) -> Any:
    """Model value -> plain Python value (unexported fields dropped; not simulated values stay NA)."""
    if v is NOT_SIMULATED:
        return v
    u = pkg.under(t)
    if u.kind == "ptr":
        assert u.elem is not None
        return None if v is None else export_value(pkg, u.elem, v[0])
    if u.kind == "struct":
        out: dict[str, Any] = {}
        for f in u.fields:
            if f.exported or (f.embedded and is_struct(pkg, f.type)):
                out[f.name] = export_value(pkg, f.type, v[f.name])
        return out
    if u.kind == "slice":
        assert u.elem is not None
        if v is None or isinstance(v, bytes):
            return v
        items = v.backing[: v.length]
        if is_bytes_slice(pkg, u):
            return bytes(items)
        return [export_value(pkg, u.elem, x) for x in items]
    if u.kind == "array":
        assert u.elem is not None
        return [export_value(pkg, u.elem, x) for x in v]
    if u.kind == "map":
        assert u.elem is not None
        return None if v is None else {k: export_value(pkg, u.elem, x) for k, x in v.items()}
    return v


def is_struct(pkg: Package, t: GoType) -> bool:
    """True when ``t`` (or what it points to) is a struct type; False for undeclared names."""
    if t.kind == "ptr":
        assert t.elem is not None
        t = t.elem
    try:
        return pkg.under(t).kind == "struct"
    except DataFormatError:
        return False


def is_bytes_slice(pkg: Package, u: GoType) -> bool:
    """True when the underlying type ``u`` is ``[]byte`` (encoded as base64)."""
    if u.kind != "slice" or u.elem is None:
        return False
    e = pkg.under(u.elem)
    return e.kind == "basic" and e.name == "uint8"
