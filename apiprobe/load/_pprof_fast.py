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


class SampleTable(NamedTuple):
    """Samples without labels: unique raw location-id byte strings, per-sample stack, values."""

    stack_raw: list[bytes]
    sample_stack: np.ndarray
    values: np.ndarray  # uint64, n_samples * n_types


def decode_samples(buf: bytes, spans: list[tuple[int, int]]) -> SampleTable | None:
    """Decode label-free ``Sample`` messages, or ``None`` for the general path.

    Handles any mix of packed and unpacked ``location_id`` (field 1) and
    ``value`` (field 2) fields, in any order; a sample with anything else
    (labels, other fields or wire types, misaligned varints) gives ``None``.
    Location-id bytes of a sample are concatenated in order as the stack key,
    and all value varints are returned in order, like the general loop does.
    """
    n = len(spans)
    if n == 0:
        return None
    data = b"".join([buf[a:b] for a, b in spans])
    lens = np.fromiter((b - a for a, b in spans), dtype=np.int64, count=n)
    if (lens < 2).any():
        return None
    msg_end = np.cumsum(lens)
    msg_start = msg_end - lens
    a = np.frombuffer(data, dtype=np.uint8)
    size = a.size
    term = a < 0x80
    if not term[msg_end - 1].all():
        return None
    tok_last = np.flatnonzero(term)
    tok_start = np.empty_like(tok_last)
    tok_start[0] = 0
    tok_start[1:] = tok_last[:-1] + 1
    tok_len = tok_last - tok_start + 1
    if tok_len.max() > 10:
        return None
    shift = (np.arange(size, dtype=np.int64) - np.repeat(tok_start, tok_len)) * 7
    contrib = (a & 0x7F).astype(np.uint64) << shift.astype(np.uint64)
    vals = np.add.reduceat(contrib, tok_start)
    tok_of_byte: np.ndarray = np.cumsum(term, dtype=np.int64) - term  # token index of each byte
    t_end_all: np.ndarray = tok_of_byte[msg_end - 1] + 1  # one past each message's last token
    cur: np.ndarray = tok_of_byte[msg_start]
    m_idx = np.arange(n, dtype=np.int64)
    loc_rs: list[np.ndarray] = []
    loc_re: list[np.ndarray] = []
    val_rs: list[np.ndarray] = []
    val_re: list[np.ndarray] = []
    for _ in range(4096):
        if cur.size == 0:
            break
        t_end = t_end_all[m_idx]
        if (cur + 2 > t_end).any():
            return None
        k = vals[cur]
        packed = (k == np.uint64(0x0A)) | (k == np.uint64(0x12))
        plain = (k == np.uint64(0x08)) | (k == np.uint64(0x10))
        if not (packed | plain).all():
            return None
        is_loc = (k == np.uint64(0x0A)) | (k == np.uint64(0x08))
        t1 = cur + 1
        rs = np.where(packed, tok_last[t1] + 1, tok_start[t1])
        ln = vals[t1]
        if (packed & (ln > np.uint64(size))).any():
            return None
        re_ = np.where(packed, rs + np.where(packed, ln, 0).astype(np.int64), tok_last[t1] + 1)
        mend = msg_end[m_idx]
        if (re_ > mend).any():
            return None
        if not ((re_ == rs) | term[np.maximum(re_ - 1, 0)]).all():
            return None
        loc_rs.append(rs[is_loc])
        loc_re.append(re_[is_loc])
        val_rs.append(rs[~is_loc])
        val_re.append(re_[~is_loc])
        nxt = np.where(re_ < mend, tok_of_byte[np.minimum(re_, size - 1)], t_end)
        more = nxt < t_end
        cur = nxt[more]
        m_idx = m_idx[more]
    else:
        return None

    def inside(starts: list[np.ndarray], ends: list[np.ndarray]) -> np.ndarray:
        rs_all = np.concatenate(starts)
        re_all = np.concatenate(ends)
        inc = np.bincount(rs_all, minlength=size + 1) - np.bincount(re_all, minlength=size + 1)
        return np.cumsum(inc[:size]) > 0

    in_loc = inside(loc_rs, loc_re)
    in_val = inside(val_rs, val_re)
    values = vals[in_val[tok_start]]
    loc_bytes = a[in_loc].tobytes()
    per = np.bincount(np.repeat(np.arange(n, dtype=np.int64), lens)[in_loc], minlength=n)
    ends = np.cumsum(per)
    starts = (ends - per).tolist()
    cache: dict[bytes, int] = {}
    setdefault = cache.setdefault
    ss = [setdefault(loc_bytes[x:y], len(cache)) for x, y in zip(starts, ends.tolist(), strict=True)]
    return SampleTable(list(cache), np.asarray(ss, dtype=np.int64), values)
