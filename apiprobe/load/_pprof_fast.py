"""Vectorised decoding of pprof messages.

The top level of a profile is a run of fields, almost all length-delimited
with a one-byte key; :func:`top_level_fields` walks it with a small loop
that only records where each field starts and decodes the headers with
numpy afterwards.

``Sample``, ``Function`` and ``Location`` (with its nested ``Line``)
messages are then parsed field by field for all messages of a kind at once:
numpy over the messages, a Python loop over the field position (a handful
of rounds). Only field headers and varints are decoded there; the
location-id and value payloads of samples are gathered and decoded in bulk
afterwards.

Anything unexpected (another wire type, an unknown nested field, a
repeated field, a structure that does not line up) makes the function and
location helpers return ``None`` and marks a sample *irregular*: the
caller then uses its general per-message loop, which also produces the
precise error messages for malformed input.
"""

from __future__ import annotations

from itertools import repeat
from typing import NamedTuple

import numpy as np

from apiprobe.errors import WireFormatError
from apiprobe.load._protobuf import fields, read_varint, varints_at

__all__ = [
    "FunctionTable",
    "LocationTable",
    "SampleTable",
    "TopLevel",
    "decode_functions",
    "decode_locations",
    "decode_samples",
    "gather",
    "top_level_fields",
]


_MAX_FIELDS = 4096  # fields per message handled by the vectorised walkers


class TopLevel(NamedTuple):
    """Length-delimited top-level fields with a one-byte key, in file order."""

    key: np.ndarray  # key byte (field_number << 3 | 2)
    start: np.ndarray  # payload start (int64)
    end: np.ndarray  # payload end (int64)
    field_start: np.ndarray  # offset of the key byte (int64)


def top_level_fields(buf: bytes, a: np.ndarray) -> tuple[TopLevel, list[tuple[int, tuple[int, int, int, int]]]]:
    """Split the top-level message into its fields.

    Returns the length-delimited fields with one-byte keys as arrays and
    every other field as ``(offset, (field_number, wire_type, value,
    value_end))`` like :func:`~apiprobe.load._protobuf.fields` yields them.

    Raises
    ------
    WireFormatError
        When a field is truncated or runs past the end of the data.
    """
    starts: list[int] = []
    generic: list[tuple[int, tuple[int, int, int, int]]] = []
    nbuf = len(buf)
    pos = 0
    chunk = _FIRST_RUN
    while pos < nbuf:
        base = len(starts)
        chunk = min(chunk * 2, _MAX_RUN)
        pos = _speculate(buf, pos, chunk, starts)
        # the run assumed every field length-delimited with a one-byte key and
        # a one- or two-byte length: keep it up to the first field that is not
        st = np.asarray(starts[base:], dtype=np.int64)
        inside = st < nbuf
        at = np.minimum(st, max(nbuf - 1, 0))
        b1 = a[np.minimum(at + 1, max(nbuf - 1, 0))]
        b2 = a[np.minimum(at + 2, max(nbuf - 1, 0))]
        ok = inside & ((a[at] & 0x87) == 2) & (st + 1 < nbuf) & ((b1 < 0x80) | ((st + 2 < nbuf) & (b2 < 0x80)))
        if ok.all():
            continue
        j = int(np.argmin(ok))
        pos = int(st[j])
        del starts[base + j :]
        chunk = _FIRST_RUN
        if pos >= nbuf:
            break
        # that field the careful way
        k = buf[pos]
        if k & 7 == 2 and k < 0x80:
            starts.append(pos)
            n, p = read_varint(buf, pos + 1)
            pos = p + n
        else:
            for item in fields(buf, pos, nbuf):
                generic.append((pos, item))
                pos = item[3]
                break
    if pos > nbuf:
        n, p = read_varint(buf, starts[-1] + 1)
        raise WireFormatError(f"field {buf[starts[-1]] >> 3} length {n} runs past the end of the data at byte {p}")
    st = np.asarray(starts, dtype=np.int64)
    if st.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return TopLevel(np.zeros(0, dtype=np.uint8), z, z, z), generic
    # the lengths (complete: the scan read them); most take one byte
    length = a[st + 1].astype(np.int64)
    pstart = st + 2
    longer = np.flatnonzero(length >= 0x80)
    if longer.size:
        value, vend, _ok = varints_at(a, st[longer] + 1, np.full(longer.size, a.size, dtype=np.int64))
        length[longer] = value.astype(np.int64)
        pstart[longer] = vend
    return TopLevel(a[st], pstart, pstart + length, st), generic


_FIRST_RUN = 16  # fields per speculative run, doubling up to _MAX_RUN while all go well
_MAX_RUN = 1 << 15


def _speculate(buf: bytes, pos: int, count: int, starts: list[int]) -> int:
    """Append up to ``count`` field offsets from ``pos`` on, taking every field
    for length-delimited with a one-byte key and a one- or two-byte length;
    return the position after the last one. The caller checks the guess."""
    app = starts.append
    try:
        for _ in repeat(None, count):
            app(pos)
            n = buf[pos + 1]
            pos += n + 2 if n < 0x80 else ((n & 0x7F) | (buf[pos + 2] << 7)) + 3
    except IndexError:
        pass  # ran off the end: the last offsets fail the check
    return pos


def gather(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The bytes ``a[starts[i]:ends[i]]`` of all ranges, concatenated (uint8)."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint8)
    # 32-bit indices when they fit: half the memory traffic
    it = np.int32 if a.size < 2**31 else np.int64
    base = np.repeat((starts - (np.cumsum(lens) - lens)).astype(it), lens)
    base += np.arange(total, dtype=it)
    return a[base]


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


class _Scatter:
    """Varint fields ``1..nfields`` of ``n`` messages, each allowed once."""

    def __init__(self, n: int, nfields: int) -> None:
        self.n = n
        self.nfields = nfields
        self.seen = np.zeros((nfields + 1) * n, dtype=bool)
        self.val = np.zeros((nfields + 1) * n, dtype=np.uint64)

    def put(self, msg: np.ndarray, fnum: np.ndarray, val: np.ndarray) -> bool:
        """Record the fields (other field numbers ignored); ``False`` on a repeated field."""
        sel = fnum <= self.nfields
        at = fnum[sel].astype(np.int64) * self.n + msg[sel]
        if self.seen[at].any():
            return False
        self.seen[at] = True
        self.val[at] = val[sel]
        return True

    def column(self, fnum: int) -> np.ndarray:
        return self.val[fnum * self.n : (fnum + 1) * self.n]


# Function and Location messages are walked field by field for all messages
# at once: numpy over the messages, a Python loop over the field position.
# Only one-byte keys are accepted (fields 1-15: all that these messages have).


def decode_functions(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> FunctionTable | None:
    """Decode all ``Function`` messages, or ``None`` to ask for the general path."""
    n = starts.size
    out = _Scatter(n, 5)
    idx = np.flatnonzero(starts < ends)
    cur = starts[idx]
    for _ in range(_MAX_FIELDS):
        if cur.size == 0:
            break
        lim = ends[idx]
        k = a[cur]
        if ((k >= 0x80) | (k < 8) | ((k & 7) != 0)).any():
            return None  # not a one-byte varint key
        v, vend, ok = varints_at(a, cur + 1, lim)
        if not ok.all() or not out.put(idx, k >> 3, v):
            return None
        more = vend < lim
        cur = vend[more]
        idx = idx[more]
    else:
        return None
    return FunctionTable(out.column(1), out.column(2), out.column(3), out.column(4), out.column(5).view(np.int64))


def decode_locations(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> LocationTable | None:
    """Decode all ``Location`` messages, or ``None`` to ask for the general path.

    ``Line`` (field 4) is the only length-delimited field allowed; its own
    fields must be varints and end exactly at its end.
    """
    n = starts.size
    out = _Scatter(n, 3)
    idx = np.flatnonzero(starts < ends)
    cur = starts[idx]
    line_end = np.full(idx.size, -1, dtype=np.int64)  # end of the Line being read, per message
    line_of = np.full(idx.size, -1, dtype=np.int64)  # its serial number
    line_msg: list[np.ndarray] = []
    in_line: list[np.ndarray] = []
    in_fnum: list[np.ndarray] = []
    in_val: list[np.ndarray] = []
    nlines = 0
    for _ in range(_MAX_FIELDS):
        if cur.size == 0:
            break
        msg_end = ends[idx]
        inside = cur < line_end
        k = a[cur]
        is_line = k == 0x22
        if ((k >= 0x80) | (k < 8) | (((k & 7) != 0) & ~is_line) | (is_line & inside)).any():
            return None
        lim = np.where(inside, line_end, msg_end)
        v, vend, ok = varints_at(a, cur + 1, lim)
        if not ok.all():
            return None
        if is_line.any():
            length = v[is_line]
            if (length > (msg_end[is_line] - vend[is_line]).astype(np.uint64)).any():
                return None
            count = int(is_line.sum())
            line_msg.append(idx[is_line])
            line_end[is_line] = vend[is_line] + length.astype(np.int64)
            line_of[is_line] = np.arange(nlines, nlines + count, dtype=np.int64)
            nlines += count
            outer = ~inside & ~is_line
        else:
            outer = ~inside
        if not out.put(idx[outer], k[outer] >> 3, v[outer]):
            return None
        if inside.any():
            in_line.append(line_of[inside])
            in_fnum.append(k[inside] >> 3)
            in_val.append(v[inside])
        more = vend < msg_end
        cur = vend[more]
        idx = idx[more]
        line_end = line_end[more]
        line_of = line_of[more]
    else:
        return None
    # lines in location order (CSR); serial numbers follow the field position
    lmsg = np.concatenate(line_msg) if line_msg else np.zeros(0, dtype=np.int64)
    pos_of = np.empty(nlines, dtype=np.int64)
    pos_of[np.argsort(lmsg, kind="stable")] = np.arange(nlines, dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(lmsg, minlength=n), out=offsets[1:])
    lines = _Scatter(nlines, 2)
    if in_line and not lines.put(pos_of[np.concatenate(in_line)], np.concatenate(in_fnum), np.concatenate(in_val)):
        return None
    return LocationTable(
        out.column(1), out.column(2), out.column(3), offsets, lines.column(1), lines.column(2).view(np.int64)
    )


class SampleTable(NamedTuple):
    """Samples without labels: where their location ids are, and their value bytes.

    A regular sample's location-id varints are ``buf[loc_start[i]:loc_end[i]]``
    (one packed field or one unpacked varint; both empty without any);
    ``val_bytes`` holds the value varints of every regular sample in sample
    order (``val_len[i]`` bytes for sample ``i``, packed and unpacked fields
    alike). Irregular samples (labels, other fields, several location
    fields, anything odd) have empty ranges and must be decoded by the
    general loop.
    """

    irregular: np.ndarray  # bool per sample
    loc_start: np.ndarray  # int64 per sample
    loc_end: np.ndarray  # int64 per sample
    val_bytes: np.ndarray  # uint8
    val_len: np.ndarray  # int64 per sample


def decode_samples(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> SampleTable:
    """Split ``Sample`` messages into location-id ranges and value bytes, all samples at once.

    Handles packed or unpacked ``location_id`` (field 1, once) and any mix of
    packed and unpacked ``value`` fields (field 2), in any order. A sample
    with anything else (labels, other fields or wire types, lengths that do
    not line up) is marked irregular.
    """
    n = starts.size
    irregular = np.zeros(n, dtype=bool)
    rec_m: list[np.ndarray] = []
    rec_s: list[np.ndarray] = []
    rec_e: list[np.ndarray] = []
    rec_loc: list[np.ndarray] = []
    idx = np.flatnonzero(starts < ends)
    cur = starts[idx]
    last = max(a.size - 1, 0)
    for _ in range(_MAX_FIELDS):
        if cur.size == 0:
            break
        lim = ends[idx]
        k = a[cur]
        packed = (k == 0x0A) | (k == 0x12)
        is_loc = (k == 0x0A) | (k == 0x08)
        known = packed | is_loc | (k == 0x10)
        v, vend, ok = varints_at(a, cur + 1, lim)
        room = np.maximum(lim - vend, 0).astype(np.uint64)
        ok &= known & ~(packed & (v > room))
        length = np.where(packed & ok, v, np.uint64(0)).astype(np.int64)
        rs = np.where(packed, vend, cur + 1)
        re_ = np.where(packed, vend + length, vend)
        # a packed payload must end on a complete varint
        ok &= ~packed | (re_ == rs) | (a[np.minimum(np.maximum(re_ - 1, 0), last)] < 0x80)
        irregular[idx[~ok]] = True
        rec_m.append(idx[ok])
        rec_s.append(rs[ok])
        rec_e.append(re_[ok])
        rec_loc.append(is_loc[ok])
        nxt = re_[ok]
        idx = idx[ok]
        more = nxt < ends[idx]
        cur = nxt[more]
        idx = idx[more]
    else:
        irregular[idx] = True
    if rec_m:
        m_all = np.concatenate(rec_m)
        s_all = np.concatenate(rec_s)
        e_all = np.concatenate(rec_e)
        loc_all = np.concatenate(rec_loc)
    else:
        m_all = s_all = e_all = np.zeros(0, dtype=np.int64)
        loc_all = np.zeros(0, dtype=bool)
    irregular |= np.bincount(m_all[loc_all], minlength=n) > 1
    keep = ~irregular[m_all]
    lm = m_all[loc_all & keep]
    loc_start = np.zeros(n, dtype=np.int64)
    loc_end = np.zeros(n, dtype=np.int64)
    loc_start[lm] = s_all[loc_all & keep]
    loc_end[lm] = e_all[loc_all & keep]
    vsel = np.flatnonzero(~loc_all & keep)
    vm = m_all[vsel]
    if len(rec_m) > 1:
        # records are grouped by field position: restore sample order, keeping field order
        vsel = vsel[np.argsort(vm, kind="stable")]
        vm = m_all[vsel]
    rs, re_ = s_all[vsel], e_all[vsel]
    val_len = np.bincount(vm, weights=re_ - rs, minlength=n).astype(np.int64)
    return SampleTable(irregular, loc_start, loc_end, gather(a, rs, re_), val_len)
