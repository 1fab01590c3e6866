"""Vectorised decoding of pprof ``Function`` and ``Location`` messages.

Both messages (and ``Location``'s nested ``Line``) are made only of varint
fields, so the bytes of all of them, concatenated, are a plain run of
varints that pair up as ``(key, value)``; for the nested ``Line`` field the
"value" is its byte length and its own pairs follow. numpy decodes the run
in one go and the pairs are scattered into per-message arrays.

Anything unexpected (another wire type, an unknown nested field, a
repeated field, a structure that does not line up) makes these helpers
return ``None``: the caller then uses its general per-message loop, which
also produces the precise error messages for malformed input.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["FunctionTable", "LocationTable", "decode_functions", "decode_locations"]


class _Pairs(NamedTuple):
    msg: np.ndarray  # message index of each pair
    key: np.ndarray  # field key (field_number << 3 | wire_type)
    val: np.ndarray  # uint64 value (for wire type 2: the payload length)
    off: np.ndarray  # byte offset of the key in the concatenated bytes
    end: np.ndarray  # byte offset just past the value
    msg_end: np.ndarray  # byte offset just past each message


class FunctionTable(NamedTuple):
    """Functions as arrays (string-table indices; ``start_line`` signed)."""

    id: np.ndarray
    name: np.ndarray
    system_name: np.ndarray
    filename: np.ndarray
    start_line: np.ndarray


class LocationTable(NamedTuple):
    """Locations as arrays; lines in CSR form (``line_offsets`` per location)."""

    id: np.ndarray
    mapping_id: np.ndarray
    address: np.ndarray
    line_offsets: np.ndarray
    line_function_id: np.ndarray
    line_number: np.ndarray


def _pairs(buf: bytes, spans: list[tuple[int, int]]) -> _Pairs | None:
    """Tokenise the concatenated messages into (key, value) varint pairs."""
    data = b"".join([buf[a:b] for a, b in spans])
    lens = np.fromiter((b - a for a, b in spans), dtype=np.int64, count=len(spans))
    msg_end = np.cumsum(lens)
    a = np.frombuffer(data, dtype=np.uint8)
    term = a < 0x80
    nonempty = lens > 0
    if a.size and not term[msg_end[nonempty] - 1].all():
        return None  # a message ends inside a varint
    tok_last = np.flatnonzero(term)
    tok_start = np.empty_like(tok_last)
    if tok_last.size:
        tok_start[0] = 0
        tok_start[1:] = tok_last[:-1] + 1
    tok_len = tok_last - tok_start + 1
    if tok_len.size and tok_len.max() > 10:
        return None
    shift = (np.arange(a.size, dtype=np.int64) - np.repeat(tok_start, tok_len)) * 7
    contrib = (a & 0x7F).astype(np.uint64) << shift.astype(np.uint64)
    vals = np.add.reduceat(contrib, tok_start) if tok_start.size else np.zeros(0, dtype=np.uint64)
    tok_msg = np.repeat(np.arange(len(spans), dtype=np.int64), lens)[tok_start]
    per_msg = np.bincount(tok_msg, minlength=len(spans))
    if (per_msg & 1).any():
        return None  # not a pure run of (key, value) pairs
    key = vals[0::2]
    if (key >> np.uint64(3) == 0).any():
        return None
    return _Pairs(tok_msg[0::2], key, vals[1::2], tok_start[0::2], tok_last[1::2] + 1, msg_end)


def _last_per(n: int, idx: np.ndarray, values: np.ndarray, dtype: type) -> np.ndarray | None:
    """Scatter ``values`` to ``out[idx]`` (zeros elsewhere); ``None`` if an index repeats."""
    out: np.ndarray = np.zeros(n, dtype=dtype)
    if idx.size:
        if np.bincount(idx, minlength=n).max() > 1:
            return None
        out[idx] = values.astype(dtype, copy=False) if dtype is not np.int64 else values.view(np.int64)
    return out


def decode_functions(buf: bytes, spans: list[tuple[int, int]]) -> FunctionTable | None:
    """Decode all ``Function`` messages, or ``None`` to ask for the general path."""
    p = _pairs(buf, spans)
    if p is None or (p.key & np.uint64(7)).any():
        return None
    n = len(spans)
    cols: list[np.ndarray] = []
    for fnum in (1, 2, 3, 4, 5):
        sel = p.key == np.uint64(fnum << 3)
        col = _last_per(n, p.msg[sel], p.val[sel], np.int64 if fnum == 5 else np.uint64)
        if col is None:
            return None
        cols.append(col)
    return FunctionTable(*cols)


def decode_locations(buf: bytes, spans: list[tuple[int, int]]) -> LocationTable | None:
    """Decode all ``Location`` messages, or ``None`` to ask for the general path."""
    p = _pairs(buf, spans)
    if p is None:
        return None
    n = len(spans)
    wt = p.key & np.uint64(7)
    if ((wt != 0) & (wt != 2)).any():
        return None
    hdr = np.flatnonzero(wt == 2)
    if hdr.size and (p.key[hdr] != np.uint64(0x22)).any():
        return None  # only Line (field 4) may be length-delimited
    c_start = p.end[hdr]
    c_len = p.val[hdr]
    if c_len.size and c_len.max() > np.uint64(p.msg_end[-1]):
        return None
    c_end = c_start + c_len.astype(np.int64)
    # a Line must end exactly at its location's end or at the next pair
    if (c_end > p.msg_end[p.msg[hdr]]).any():
        return None
    at = np.searchsorted(p.off, c_end)
    at_c = np.minimum(at, max(p.off.size - 1, 0))
    on_pair = (at < p.off.size) & (p.off[at_c] == c_end)
    if not (on_pair | (c_end == p.msg_end[p.msg[hdr]])).all():
        return None
    # which pairs sit inside a Line
    # line index of every byte: the number of Line payloads started at or before it, minus one
    starts_at = np.zeros(int(p.msg_end[-1]) + 1 if p.msg_end.size else 1, dtype=np.int64)
    np.add.at(starts_at, c_start, 1)
    li = np.cumsum(starts_at)[p.off] - 1
    li_c = np.maximum(li, 0)
    inside = (li >= 0) & (p.off < c_end[li_c]) if hdr.size else np.zeros(p.off.size, dtype=bool)
    if (inside[hdr]).any():
        return None  # a Line nested in a Line
    outer = ~inside
    cols: list[np.ndarray] = []
    for fnum in (1, 2, 3):
        sel = outer & (p.key == np.uint64(fnum << 3))
        col = _last_per(n, p.msg[sel], p.val[sel], np.uint64)
        if col is None:
            return None
        cols.append(col)
    nl = hdr.size
    line_cols: list[np.ndarray] = []
    for fnum in (1, 2):
        sel = inside & (p.key == np.uint64(fnum << 3))
        col = _last_per(nl, li_c[sel], p.val[sel], np.uint64 if fnum == 1 else np.int64)
        if col is None:
            return None
        line_cols.append(col)
    counts = np.bincount(p.msg[hdr], minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return LocationTable(cols[0], cols[1], cols[2], offsets, line_cols[0], line_cols[1])
