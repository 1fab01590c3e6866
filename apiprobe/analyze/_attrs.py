"""Reading values out of the ``attrs`` column of an events or spans table, the one home of it.

``attrs`` holds dicts (or None), an Arrow map, or an Arrow struct, depending
on the reader; :func:`attr_groups` reads named keys from any of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["attr_groups"]


def attr_groups(attrs: pd.Series, groups: Mapping[str, Sequence[str]]) -> dict[str, list[Any]]:
    """Per group, the first non-empty value of its keys in each row's attrs (None where absent).

    Keys match case-insensitively, earlier keys win, and ``"a.b"`` also reads
    ``{"a": {"b": ...}}`` (the inner object may be JSON text, as an evidence
    store keeps it). ``attrs`` holds dicts (or None), an Arrow map, or
    an Arrow struct (read field by field, vectorised). One pass over the rows
    serves every group.
    """
    n = len(attrs)
    out: dict[str, list[Any]] = {g: [None] * n for g in groups}
    if n == 0:
        return out
    dtype = attrs.dtype
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        if pa.types.is_struct(dtype.pyarrow_dtype):
            return _struct_groups(attrs, groups)
    wanted: dict[str, list[tuple[str, int]]] = {}
    nested: dict[str, list[tuple[str, str, int]]] = {}
    for group, keys in groups.items():
        for rank, key in enumerate(keys):
            lower = key.lower()
            wanted.setdefault(lower, []).append((group, rank))
            if "." in lower:
                parent, child = lower.split(".", 1)
                nested.setdefault(parent, []).append((child, group, rank))
    hits_of: dict[Any, tuple[list[tuple[str, int]], list[tuple[str, str, int]]]] = {}
    for i, row in enumerate(attrs.tolist()):
        if type(row) is not dict:
            if isinstance(row, list | tuple):  # Arrow map: [(key, value), ...]
                try:
                    row = dict(row)
                except (TypeError, ValueError):
                    continue
            elif isinstance(row, Mapping):
                row = dict(row)
            else:
                continue
        found: dict[str, tuple[int, Any]] = {}
        for key, value in row.items():
            if value is None or (type(value) is str and not value):
                continue
            hits = hits_of.get(key)
            if hits is None:
                lower = key.lower() if isinstance(key, str) else str(key).lower()
                hits = hits_of[key] = (wanted.get(lower, []), nested.get(lower, []))
            for group, rank in hits[0]:
                if group not in found or rank < found[group][0]:
                    found[group] = (rank, value)
            inner = (value if isinstance(value, Mapping) else _json_object(value)) if hits[1] else None
            if inner is not None:
                for child, group, rank in hits[1]:
                    v = _dig(inner, child)
                    if v is not None and v != "" and (group not in found or rank < found[group][0]):
                        found[group] = (rank, v)
        for group, (_, value) in found.items():
            out[group][i] = value
    return out


def _json_object(value: Any) -> Mapping[Any, Any] | None:
    """A nested object kept as JSON text (an evidence store's map, a line parsed one by one), parsed; else None."""
    if type(value) is not str or not value.startswith("{"):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _dig(value: Mapping[Any, Any], path: str) -> Any:
    """``value["a"]["b"]`` for ``path`` ``"a.b"`` (keys case-insensitive); None when a step is missing."""
    current: Any = value
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = next((v for k, v in current.items() if str(k).lower() == part), None)
    return current


def _struct_groups(attrs: pd.Series, groups: Mapping[str, Sequence[str]]) -> dict[str, list[Any]]:
    """:func:`attr_groups` for an Arrow struct column: one vectorised read per field."""
    import pyarrow as pa

    def fields_of(series: pd.Series) -> dict[str, str]:
        t = series.dtype.pyarrow_dtype  # type: ignore[union-attr]
        return {t.field(i).name.lower(): t.field(i).name for i in range(t.num_fields)}

    top = fields_of(attrs)
    cache: dict[str, np.ndarray | None] = {}

    def column(key: str) -> np.ndarray | None:
        lower = key.lower()
        if lower in cache:
            return cache[lower]
        values: pd.Series | None = None
        if lower in top:
            values = attrs.struct.field(top[lower])
        elif "." in lower:
            values = attrs
            for part in lower.split("."):  # a.b.c: one struct level per part
                if not (isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_struct(values.dtype.pyarrow_dtype)):
                    values = None
                    break
                inner = fields_of(values)
                if part not in inner:
                    values = None
                    break
                values = values.struct.field(inner[part])
        arr = None
        if values is not None:
            if isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_struct(values.dtype.pyarrow_dtype):
                # an object logged as a field (zap.Any("body", v)): its JSON text, nulls dropped
                obj = pd.Series(
                    [
                        {k: x for k, x in v.items() if x is not None} if isinstance(v, Mapping) else None
                        for v in values.tolist()
                    ],
                    dtype=object,
                )
            else:
                obj = values.astype(object)
            arr = np.asarray(obj.where(obj.notna() & (obj != ""), None).to_numpy(dtype=object))
        cache[lower] = arr
        return arr

    out: dict[str, list[Any]] = {}
    for group, keys in groups.items():
        merged: np.ndarray | None = None
        for key in keys:
            arr = column(key)
            if arr is None:
                continue
            if merged is None:
                merged = arr.copy()
            else:
                holes = np.array([v is None for v in merged], dtype=bool)
                merged[holes] = arr[holes]
        out[group] = merged.tolist() if merged is not None else [None] * len(attrs)
    return out
