"""A minimal protobuf wire-format reader (no generated code), tuned for pprof.

Only what ``profile.proto`` needs: varints (wire type 0), fixed 64/32
(1, 5: skipped) and length-delimited fields (2). Truncated input raises
:class:`~apiprobe.errors.WireFormatError`; callers turn it into a user-facing
error naming the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from apiprobe.errors import WireFormatError

__all__ = [
    "array_varints",
    "fields",
    "np_varints",
    "packed_varints",
    "read_varint",
    "segment_varints",
    "split_varints",
    "to_int64",
    "varint_values",
    "varints_at",
]

_TWO63 = 1 << 63
_TWO64 = 1 << 64


def to_int64(v: int) -> int:
    """Reinterpret an unsigned 64-bit varint value as a signed int64."""
    return v - _TWO64 if v >= _TWO63 else v


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode one varint at ``pos``; return ``(value, new_pos)``."""
    try:
        b = buf[pos]
        pos += 1
        if b < 0x80:
            return b, pos
        result = b & 0x7F
        shift = 7
        while True:
            b = buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                if shift > 63:
                    raise WireFormatError(f"varint too long at byte {pos}")
                return result, pos
            shift += 7
            if shift > 70:
                raise WireFormatError(f"varint too long at byte {pos}")
    except IndexError:
        raise WireFormatError(f"truncated varint at byte {pos}") from None


def packed_varints(buf: bytes, start: int, end: int) -> list[int]:
    """Decode a packed run of varints in ``buf[start:end]`` (unsigned)."""
    out: list[int] = []
    append = out.append
    pos = start
    try:
        while pos < end:
            b = buf[pos]
            pos += 1
            if b < 0x80:
                append(b)
                continue
            result = b & 0x7F
            shift = 7
            while True:
                b = buf[pos]
                pos += 1
                result |= (b & 0x7F) << shift
                if b < 0x80:
                    break
                shift += 7
            append(result)
    except IndexError:
        raise WireFormatError(f"truncated packed field at byte {pos}") from None
    if pos != end:
        raise WireFormatError(f"packed field overruns its length at byte {end}")
    return out


def fields(buf: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Iterate over the fields of one message in ``buf[start:end]``.

    Yields ``(field_number, wire_type, value, value_end)``: for wire type 0
    ``value`` is the varint; for wire type 2 ``value`` is the payload start
    and ``value_end`` its end; for fixed types both are the byte range.
    """
    pos = start
    while pos < end:
        key, pos = read_varint(buf, pos)
        fnum = key >> 3
        wt = key & 7
        if fnum == 0:
            raise WireFormatError(f"invalid field number 0 at byte {pos}")
        if wt == 0:
            v, pos = read_varint(buf, pos)
            yield fnum, 0, v, pos
        elif wt == 2:
            n, pos = read_varint(buf, pos)
            e = pos + n
            if e > end:
                raise WireFormatError(f"field {fnum} length {n} runs past the end of its message at byte {pos}")
            yield fnum, 2, pos, e
            pos = e
        elif wt == 1:
            if pos + 8 > end:
                raise WireFormatError(f"truncated fixed64 at byte {pos}")
            yield fnum, 1, pos, pos + 8
            pos += 8
        elif wt == 5:
            if pos + 4 > end:
                raise WireFormatError(f"truncated fixed32 at byte {pos}")
            yield fnum, 5, pos, pos + 4
            pos += 4
        else:
            raise WireFormatError(f"unsupported wire type {wt} (field {fnum}) at byte {pos}")
    if pos != end:
        raise WireFormatError(f"message overruns its length at byte {end}")


def np_varints(data: bytes) -> np.ndarray:
    """Decode a packed run of varints with numpy (uint64); the data must end on a varint."""
    if not data:
        return np.zeros(0, dtype=np.uint64)
    return array_varints(np.frombuffer(data, dtype=np.uint8))


def array_varints(a: np.ndarray) -> np.ndarray:
    """:func:`np_varints` on a uint8 array."""
    return split_varints(a)[0]


def split_varints(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode a packed run of varints in a uint8 array: (uint64 values, offset of each one's last byte)."""
    if a.size == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    term = a < 0x80
    if not term[-1]:
        raise WireFormatError("truncated varint at the end of a packed field")
    ends = np.flatnonzero(term)
    if ends.size == a.size:  # all one-byte varints
        return a.astype(np.uint64), ends
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lens = ends - starts + 1
    if int(lens.max()) > 10:
        raise WireFormatError("varint longer than 10 bytes")
    return varint_values(a, starts, lens), ends


_CHUNK = 1 << 16  # bytes per round of segment_varints: small temporaries, reused round after round


def segment_varints(a: np.ndarray, seg_end: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Decode a packed run of varints (uint8 array) cut into segments.

    ``seg_end`` are the segments' end offsets (non-decreasing, the last one
    ``a.size``). Returns the values as int64 and the number of varints in
    each segment, or ``None`` when a varint is longer than 9 bytes (its value
    may not fit).
    Works through the data in rounds of ``_CHUNK`` bytes: fresh memory is
    expensive to touch, the same few small buffers reused are not.
    """
    n = a.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(seg_end.shape[0], dtype=np.int64)
    if a[n - 1] >= 0x80:
        raise WireFormatError("truncated varint at the end of a packed field")
    parts: list[np.ndarray] = []
    before = np.zeros(seg_end.shape[0], dtype=np.int64)  # varints ending before each seg_end
    done = 0
    lo = 0
    while lo < n:
        hi = min(lo + _CHUNK, n)
        if hi < n:  # end the round on a varint boundary
            tail = np.flatnonzero(a[max(hi - 10, lo) : hi] < 0x80)
            if tail.size == 0:
                return None
            hi = max(hi - 10, lo) + int(tail[-1]) + 1
        sub = a[lo:hi]
        ends = np.flatnonzero(sub < 0x80)
        starts = np.empty_like(ends)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        lens = ends - starts + 1
        if int(lens.max()) > 9:
            return None
        parts.append(varint_values(sub, starts, lens).view(np.int64))
        b0, b1 = np.searchsorted(seg_end, [lo, hi], side="right")  # segments ending in (lo, hi]
        before[b0:b1] = done + np.searchsorted(ends, seg_end[b0:b1] - lo, side="left")
        done += ends.shape[0]
        lo = hi
    before[seg_end >= n] = done
    counts = np.diff(before, prepend=0)
    return (np.concatenate(parts) if len(parts) > 1 else parts[0]), counts


def varint_values(a: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Values (uint64) of the varints ``a[starts[i]:starts[i] + lens[i]]`` (lengths 1..10, known)."""
    if starts.size == 0:
        return np.zeros(0, dtype=np.uint64)
    maxlen = int(lens.max())
    if maxlen <= 8:
        # read the (up to) 8 bytes at each start as one little-endian word and
        # squeeze out the continuation bits; 32-bit words do for 4-byte varints
        width = 4 if maxlen <= 4 else 8
        wt: type[np.unsignedinteger[Any]] = np.uint32 if width == 4 else np.uint64
        padded = np.zeros(a.shape[0] + width, dtype=np.uint8)
        padded[: a.shape[0]] = a
        # a word at every byte offset (overlapping, unaligned view), then one gather
        words = np.ndarray(shape=(a.shape[0],), dtype=np.dtype(wt).newbyteorder("<"), buffer=padded, strides=(1,))
        word = words[starts].astype(wt)
        val = word & wt(0x7F)
        for k in range(1, maxlen):
            val |= (word >> wt(k)) & wt(0x7F << (7 * k))
        keep = np.array([(1 << (7 * k)) - 1 for k in range(maxlen + 1)], dtype=wt)
        val &= keep[lens]
        return val.astype(np.uint64)
    low = a & np.uint8(0x7F)
    val64 = low[starts].astype(np.uint64)
    for k in range(1, maxlen):
        m = np.flatnonzero(lens > k)
        val64[m] |= low[starts[m] + k].astype(np.uint64) << np.uint64(7 * k)
    return val64


_STOP_BITS = np.uint64(0x8080808080808080)
_LOW_BIT_OF = np.array([1 << (8 * k + 7) for k in range(8)], dtype=np.uint64)  # varint of k + 1 bytes
_KEEP_BITS = np.array([(1 << (7 * k)) - 1 for k in range(9)], dtype=np.uint64)


def varints_at(a: np.ndarray, pos: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode one varint at each of ``pos`` (vectorised), not reading at or past ``limit``.

    Returns ``(value, end, ok)``: uint64 values, the position just past each
    varint, and whether it was complete within its limit and at most 10 bytes.
    """
    n = pos.size
    val = np.zeros(n, dtype=np.uint64)
    end = pos.copy()
    ok = np.zeros(n, dtype=bool)
    size = a.shape[0]
    if n == 0 or size == 0:
        return val, end, ok
    live = pos < limit
    if size >= 8 and a.flags.c_contiguous:
        # up to 8 bytes: read the 8 bytes at each position as one word (an
        # overlapping, unaligned view), find the first byte without the
        # continuation bit and squeeze out the 7-bit groups below it
        fi = np.flatnonzero(live & (pos <= size - 8))
        if fi.size:
            words = np.ndarray(shape=(size - 7,), dtype=np.dtype(np.uint64).newbyteorder("<"), buffer=a, strides=(1,))
            w = words[pos[fi]].astype(np.uint64)
            stop = ~w & _STOP_BITS
            found = stop != 0
            length = np.searchsorted(_LOW_BIT_OF, stop & (~stop + np.uint64(1))) + 1  # lowest stop byte
            v = w & np.uint64(0x7F)
            for k in range(1, 8):
                v |= (w >> np.uint64(k)) & np.uint64(0x7F << (7 * k))
            v &= _KEEP_BITS[np.minimum(length, 8)]
            e = pos[fi] + length
            good = found & (e <= limit[fi])
            gi = fi[good]
            val[gi] = v[good]
            end[gi] = e[good]
            ok[gi] = True
            live[fi[found]] = False  # decided (complete, or crossing its limit)
    # the rest (near the end of the data, or longer than 8 bytes) byte by byte
    last = size - 1
    idx = np.flatnonzero(live)
    for k in range(10):
        if idx.size == 0:
            break
        q = pos[idx] + k
        inside = q < limit[idx]
        idx = idx[inside]
        q = q[inside]
        b = a[np.minimum(q, last)]
        val[idx] |= (b & np.uint8(0x7F)).astype(np.uint64) << np.uint64(7 * k)
        done = b < 0x80
        fin = idx[done]
        ok[fin] = True
        end[fin] = q[done] + 1
        idx = idx[~done]
    return val, end, ok
