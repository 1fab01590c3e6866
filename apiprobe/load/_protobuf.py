"""A minimal protobuf wire-format reader (no generated code), tuned for pprof.

Only what ``profile.proto`` needs: varints (wire type 0), fixed 64/32
(1, 5: skipped) and length-delimited fields (2). Truncated input raises
:class:`WireError`; callers turn it into a user-facing error.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["WireError", "fields", "np_varints", "packed_varints", "read_varint", "to_int64"]

_TWO63 = 1 << 63
_TWO64 = 1 << 64


class WireError(Exception):
    """Malformed or truncated protobuf bytes."""


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
                    raise WireError(f"varint too long at byte {pos}")
                return result, pos
            shift += 7
            if shift > 70:
                raise WireError(f"varint too long at byte {pos}")
    except IndexError:
        raise WireError(f"truncated varint at byte {pos}") from None


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
        raise WireError(f"truncated packed field at byte {pos}") from None
    if pos != end:
        raise WireError(f"packed field overruns its length at byte {end}")
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
            raise WireError(f"invalid field number 0 at byte {pos}")
        if wt == 0:
            v, pos = read_varint(buf, pos)
            yield fnum, 0, v, pos
        elif wt == 2:
            n, pos = read_varint(buf, pos)
            e = pos + n
            if e > end:
                raise WireError(f"field {fnum} length {n} runs past the end of its message at byte {pos}")
            yield fnum, 2, pos, e
            pos = e
        elif wt == 1:
            if pos + 8 > end:
                raise WireError(f"truncated fixed64 at byte {pos}")
            yield fnum, 1, pos, pos + 8
            pos += 8
        elif wt == 5:
            if pos + 4 > end:
                raise WireError(f"truncated fixed32 at byte {pos}")
            yield fnum, 5, pos, pos + 4
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wt} (field {fnum}) at byte {pos}")
    if pos != end:
        raise WireError(f"message overruns its length at byte {end}")


def np_varints(data: bytes) -> np.ndarray:
    """Decode a packed run of varints with numpy (uint64); the data must end on a varint."""
    if not data:
        return np.zeros(0, dtype=np.uint64)
    a = np.frombuffer(data, dtype=np.uint8)
    term = a < 0x80
    if not term[-1]:
        raise WireError("truncated varint at the end of a packed field")
    ends = np.flatnonzero(term)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lens = ends - starts + 1
    if lens.max() > 10:
        raise WireError("varint longer than 10 bytes")
    pos_in = np.arange(a.shape[0]) - np.repeat(starts, lens)
    contrib = (a & 0x7F).astype(np.uint64) << (7 * pos_in).astype(np.uint64)
    return np.add.reduceat(contrib, starts)
