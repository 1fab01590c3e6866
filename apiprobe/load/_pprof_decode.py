"""Decode ``profile.proto`` bytes into a :class:`~apiprobe.load._pprof_profile.Profile`.

The wire format is read without generated code (:mod:`apiprobe.load._protobuf`),
with the vectorised paths of :mod:`apiprobe.load._pprof_fast` for the hot
fields (samples, locations, functions, strings) and a general path for
everything else. Malformed input raises :class:`~apiprobe.errors.WireFormatError`.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

from apiprobe.errors import WireFormatError
from apiprobe.load._pprof_fast import (
    decode_functions,
    decode_locations,
    decode_samples,
    gather,
    top_level_fields,
)
from apiprobe.load._pprof_names import pprof_function_name, pprof_name_indices
from apiprobe.load._pprof_profile import (
    Frame,
    Location,
    LocTable,
    Profile,
)
from apiprobe.load._protobuf import (
    array_varints,
    fields,
    packed_varints,
    read_varint,
    segment_varints,
    split_varints,
    to_int64,
)

_HOT_KEYS = (0x12, 0x22, 0x2A, 0x32)  # sample, location, function, string_table


def _value_type(buf: bytes, start: int, end: int) -> tuple[int, int]:
    """(type, unit) string indices of a ValueType message; a field of the wrong wire type is refused, as Go does."""
    t = u = 0
    for f2, w2, v2, _e2 in fields(buf, start, end):
        if f2 in (1, 2) and w2 != 0:
            raise WireFormatError(f"value type field {f2} at byte {start} has wire type {w2}, expected a varint")
        if f2 == 1:
            t = v2
        elif f2 == 2:
            u = v2
    return t, u


def decode_profile(buf: bytes, source: str) -> Profile:
    a = np.frombuffer(buf, dtype=np.uint8)
    top, generic = top_level_fields(buf, a)
    key, fstart, fend, fpos = top
    # a length-delimited field whose key took several bytes (a valid, if odd,
    # encoding) still counts; other fields are handled one by one below
    odd = [(p, it) for p, it in generic if it[1] == 2 and (it[0] << 3 | 2) in _HOT_KEYS]
    if odd:
        generic = [(p, it) for p, it in generic if not (it[1] == 2 and (it[0] << 3 | 2) in _HOT_KEYS)]
        key = np.concatenate([key, np.asarray([it[0] << 3 | 2 for _p, it in odd], dtype=np.uint8)])
        fstart = np.concatenate([fstart, np.asarray([it[2] for _p, it in odd], dtype=np.int64)])
        fend = np.concatenate([fend, np.asarray([it[3] for _p, it in odd], dtype=np.int64)])
        fpos = np.concatenate([fpos, np.asarray([p for p, _it in odd], dtype=np.int64)])
        order = np.argsort(fpos, kind="stable")
        key, fstart, fend, fpos = key[order], fstart[order], fend[order], fpos[order]
    is_hot = np.isin(key, _HOT_KEYS)
    cold = np.flatnonzero(~is_hot).tolist()
    items = generic + [
        (p, (k >> 3, 2, s0, e0))
        for p, k, s0, e0 in zip(
            fpos[cold].tolist(), key[cold].tolist(), fstart[cold].tolist(), fend[cold].tolist(), strict=True
        )
    ]
    items.sort(key=lambda it: it[0])

    def spans(k: int) -> tuple[np.ndarray, np.ndarray]:
        sel = key == k
        return fstart[sel], fend[sel]

    strings = _decode_strings(buf, a, *spans(0x32))
    sample_type_raw: list[tuple[int, int]] = []
    mapping_spans: list[tuple[int, int]] = []
    comments_raw: list[int] = []
    scalars: dict[int, int] = {}
    period_type_raw = (0, 0)
    for _p, (fnum, wt, va, vb) in items:
        if fnum == 3 and wt == 2:
            mapping_spans.append((va, vb))
        elif fnum == 1 and wt == 2:
            t, u = _value_type(buf, va, vb)
            sample_type_raw.append((t, u))
        elif fnum == 11 and wt == 2:
            t, u = _value_type(buf, va, vb)
            period_type_raw = (t, u)
        elif fnum == 13:
            if wt == 0:
                comments_raw.append(va)
            elif wt == 2:
                comments_raw.extend(packed_varints(buf, va, vb))
        elif wt == 0 and fnum in (7, 8, 9, 10, 12, 14, 15):
            scalars[fnum] = va
        elif wt == 2 and fnum not in (1, 2, 3, 4, 5, 6, 11, 13):
            continue  # unknown length-delimited field: ignore like protobuf does
        elif wt == 2:
            raise WireFormatError(f"field {fnum} has unexpected wire type {wt}")
    if not strings:
        strings = [""]
    if strings[0] != "":
        raise WireFormatError("string_table[0] must be the empty string")
    nstr = len(strings)

    def s(i: int) -> str:
        if not 0 <= i < nstr:
            raise WireFormatError(f"string index {i} out of range ({nstr} strings)")
        return strings[i]

    sample_types = [(s(t), s(u)) for t, u in sample_type_raw]
    ntypes = len(sample_types)

    # mappings
    mappings: list[dict[str, Any]] = []
    mapping_file: dict[int, str] = {}
    for va, vb in mapping_spans:
        m: dict[str, Any] = {
            "id": 0,
            "memory_start": 0,
            "memory_limit": 0,
            "file_offset": 0,
            "filename": "",
            "build_id": "",
        }
        for f2, w2, v2, _e2 in fields(buf, va, vb):
            if w2 != 0:
                if f2 <= 10:  # every known Mapping field is a varint (as Go's decoder, refuse the mismatch)
                    raise WireFormatError(f"mapping field {f2} at byte {va} has wire type {w2}, expected a varint")
                continue
            if f2 == 1:
                m["id"] = v2
            elif f2 == 2:
                m["memory_start"] = v2
            elif f2 == 3:
                m["memory_limit"] = v2
            elif f2 == 4:
                m["file_offset"] = v2
            elif f2 == 5:
                m["filename"] = s(v2)
            elif f2 == 6:
                m["build_id"] = s(v2)
        mappings.append(m)
        mapping_file[m["id"]] = m["filename"]

    # functions and locations: vectorised when the bytes allow it (see
    # _pprof_fast), else the general per-message loops.
    fn_s, fn_e = spans(0x2A)
    loc_s, loc_e = spans(0x22)
    fast = _fast_table(a, fn_s, fn_e, loc_s, loc_e, strings, mapping_file)
    locations: list[Location] = []
    table: LocTable | None = None
    if fast is not None:
        table, lid_arr = fast
    else:
        locations, loc_ids = _slow_locations(
            buf,
            list(zip(fn_s.tolist(), fn_e.tolist(), strict=True)),
            list(zip(loc_s.tolist(), loc_e.tolist(), strict=True)),
            s,
            mapping_file,
        )
        lid_arr = np.asarray(loc_ids, dtype=np.uint64)
    sorted_lids = np.sort(lid_arr)
    if (sorted_lids[1:] == sorted_lids[:-1]).any():
        raise WireFormatError("duplicate location ids")

    # samples: headers parsed for all samples at once; samples with labels or
    # anything unusual go through the general loop. A run of unpacked varints
    # has the same bytes as the packed form, so both encodings give one key.
    smp_s, smp_e = spans(0x12)
    nsamp = int(smp_s.shape[0])
    st = decode_samples(a, smp_s, smp_e)
    keys = [buf[x:y] for x, y in zip(st.loc_start.tolist(), st.loc_end.tolist(), strict=True)]
    labels: list[dict[str, list[str]] | None] = [None] * nsamp
    num_labels: list[dict[str, list[int]] | None] = [None] * nsamp
    num_label_units: dict[str, str] = {}
    irregular = np.flatnonzero(st.irregular).tolist()
    val_bytes = st.val_bytes
    if irregular:
        vparts: list[bytes] = []
        for i in irregular:
            keys[i], vb, labels[i], num_labels[i] = _general_sample(
                buf, int(smp_s[i]), int(smp_e[i]), s, num_label_units
            )
            vparts.append(vb)
        # splice their value bytes in where they belong (their regular length is 0)
        at = (np.cumsum(st.val_len) - st.val_len)[irregular]
        val_bytes = np.insert(
            val_bytes, np.repeat(at, [len(v) for v in vparts]), np.frombuffer(b"".join(vparts), dtype=np.uint8)
        )
    values_u = array_varints(val_bytes)
    if values_u.shape[0] != nsamp * ntypes:
        raise WireFormatError(f"{values_u.shape[0]} sample values for {nsamp} samples × {ntypes} sample types")
    values = values_u.view(np.int64).reshape(nsamp, ntypes)
    stack_cache: dict[bytes, int] = {}
    setdefault = stack_cache.setdefault
    sample_stack_arr = np.asarray([setdefault(k, len(stack_cache)) for k in keys], dtype=np.int64)
    unique_keys = keys if len(stack_cache) == nsamp else list(stack_cache)
    stack_bytes = np.frombuffer(b"".join(unique_keys), dtype=np.uint8)
    bend = np.cumsum(np.fromiter((len(r) for r in unique_keys), dtype=np.int64, count=len(unique_keys)))
    # number of varints per stack = number of varints ending before its end
    stack_offsets = np.zeros(len(unique_keys) + 1, dtype=np.int64)
    decoded = segment_varints(stack_bytes, bend)
    if decoded is not None:
        ids = decoded[0]
        np.cumsum(decoded[1], out=stack_offsets[1:])
    else:
        ids, id_last = split_varints(stack_bytes)
        stack_offsets[1:] = np.searchsorted(id_last, bend, side="left")
    stack_locs = _location_index(lid_arr, ids)

    prof = Profile(
        sample_types=sample_types,
        default_sample_type=s(scalars.get(14, 0)),
        locations=locations,
        stack_offsets=stack_offsets,
        stack_locs=stack_locs,
        sample_stack=sample_stack_arr,
        values=values,
        labels=labels,
        num_labels=num_labels,
        num_label_units=num_label_units,
        period_type=(s(period_type_raw[0]), s(period_type_raw[1])),
        period=to_int64(scalars.get(12, 0)),
        time_ns=to_int64(scalars.get(9, 0)),
        duration_ns=to_int64(scalars.get(10, 0)),
        comments=[s(c) for c in comments_raw],
        drop_frames=s(scalars.get(7, 0)),
        keep_frames=s(scalars.get(8, 0)),
        mappings=mappings,
        source=source,
    )
    if table is not None:
        prof._set_table(table)
    return prof


def _decode_strings(buf: bytes, a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """The string table: one ASCII decode and slicing when possible, else string by string."""
    if starts.shape[0] == 0:
        return []
    raw = gather(a, starts, ends).tobytes()
    if raw.isascii():
        text = raw.decode("ascii")
        off = np.zeros(starts.shape[0] + 1, dtype=np.int64)
        np.cumsum(ends - starts, out=off[1:])
        o = off.tolist()
        return [text[x:y] for x, y in pairwise(o)]
    return [buf[x:y].decode("utf-8", "replace") for x, y in zip(starts.tolist(), ends.tolist(), strict=True)]


def _location_index(lid_arr: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Location ids (uint64, or non-negative int64) → positions in ``lid_arr``; unknown ids raise."""
    nloc = lid_arr.shape[0]
    if not ids.shape[0]:
        return np.zeros(0, dtype=np.int64)
    if nloc and int(lid_arr.max()) <= 4 * nloc + 1024 and int(ids.max()) <= int(lid_arr.max()):
        # dense ids (the usual case): a direct lookup table instead of a search
        table = np.full(int(lid_arr.max()) + 1, -1, dtype=np.int64)
        table[lid_arr.astype(np.int64)] = np.arange(nloc, dtype=np.int64)
        looked = table[ids if ids.dtype == np.int64 else ids.astype(np.int64)]
        if int(looked.min()) >= 0:
            return looked
    if ids.dtype != np.uint64:
        ids = ids.astype(np.uint64)
    order = np.argsort(lid_arr, kind="stable")
    sorted_ids = lid_arr[order]
    at = np.searchsorted(sorted_ids, ids)
    at_c = np.minimum(at, max(len(sorted_ids) - 1, 0))
    if len(sorted_ids) == 0 or not np.array_equal(sorted_ids[at_c], ids):
        bad = ids[(at >= len(sorted_ids)) | (sorted_ids[at_c] != ids)][0] if len(sorted_ids) else ids[0]
        raise WireFormatError(f"sample refers to unknown location id {int(bad)}")
    return order[at_c].astype(np.int64)


def _general_sample(
    buf: bytes, a: int, b: int, s: Callable[[int], str], num_label_units: dict[str, str]
) -> tuple[bytes, bytes, dict[str, list[str]] | None, dict[str, list[int]] | None]:
    """One ``Sample`` message, any valid encoding: (location-id bytes, value bytes, labels, numeric labels)."""
    pos = a
    key_parts: list[bytes] = []
    value_raw: list[bytes] = []
    lab: dict[str, list[str]] | None = None
    nlab: dict[str, list[int]] | None = None
    while pos < b:
        k = buf[pos]
        pos += 1
        if k >= 0x80:
            k, pos = read_varint(buf, pos - 1)
        wt = k & 7
        if wt == 2:
            n, pos = read_varint(buf, pos)
            e = pos + n
            if e > b:
                raise WireFormatError(f"sample field overruns its message at byte {pos}")
            if k == 0x0A:
                key_parts.append(buf[pos:e])
            elif k == 0x12:
                value_raw.append(buf[pos:e])
            elif k == 0x1A:
                lk = ls = lnum = lunit = 0
                for f3, w3, v3, _e3 in fields(buf, pos, e):
                    if w3 == 0:
                        if f3 == 1:
                            lk = v3
                        elif f3 == 2:
                            ls = v3
                        elif f3 == 3:
                            lnum = to_int64(v3)
                        elif f3 == 4:
                            lunit = v3
                key = s(lk)
                if ls or not (lnum or lunit):
                    if lab is None:
                        lab = {}
                    lab.setdefault(key, []).append(s(ls))
                else:
                    if nlab is None:
                        nlab = {}
                    nlab.setdefault(key, []).append(lnum)
                    if lunit:
                        num_label_units.setdefault(key, s(lunit))
            pos = e
        elif wt == 0:
            vstart = pos
            _v, pos = read_varint(buf, pos)
            if k == 0x08:
                key_parts.append(buf[vstart:pos])
            elif k == 0x10:
                value_raw.append(buf[vstart:pos])
        elif wt == 1:
            pos += 8
        elif wt == 5:
            pos += 4
        else:
            raise WireFormatError(f"unsupported wire type {wt} in sample at byte {pos}")
    if pos != b:
        raise WireFormatError(f"sample overruns its length at byte {b}")
    rawkey = key_parts[0] if len(key_parts) == 1 else b"".join(key_parts)
    return rawkey, b"".join(value_raw), lab, nlab


def _fast_table(
    a: np.ndarray,
    fn_s: np.ndarray,
    fn_e: np.ndarray,
    loc_s: np.ndarray,
    loc_e: np.ndarray,
    strings: list[str],
    mapping_file: dict[int, str],
) -> tuple[LocTable, np.ndarray] | None:
    """Functions and locations via the vectorised decoder, with the location ids; ``None`` when it does not apply.

    Any irregularity (bad string index, unknown or zero function id, repeated
    ids) also returns ``None`` so the general path reports it precisely.
    """
    ft = decode_functions(a, fn_s, fn_e)
    if ft is None:
        return None
    lt = decode_locations(a, loc_s, loc_e)
    if lt is None:
        return None
    nstr = np.uint64(len(strings))
    for col in (ft.name, ft.system_name, ft.filename):
        if col.size and col.max() >= nstr:
            return None
    order = np.argsort(ft.id, kind="stable")
    sorted_ids = ft.id[order]
    if sorted_ids.size and (sorted_ids[0] == 0 or (sorted_ids[1:] == sorted_ids[:-1]).any()):
        return None
    lf = lt.line_function_id
    at = np.searchsorted(sorted_ids, lf)
    at_c = np.minimum(at, max(sorted_ids.size - 1, 0))
    has_fn = lf != 0
    if has_fn.any() and (sorted_ids.size == 0 or (sorted_ids[at_c[has_fn]] != lf[has_fn]).any()):
        return None
    if (lt.id == 0).any():
        return None
    fidx = np.where(has_fn, order[at_c] if sorted_ids.size else 0, -1).astype(np.int64)
    # mapping id -> index into the mapping file names (last: "" for no/unknown mapping)
    map_files = [*mapping_file.values(), ""]
    mids = np.fromiter(mapping_file.keys(), dtype=np.uint64, count=len(mapping_file))
    morder = np.argsort(mids, kind="stable")
    msorted = mids[morder]
    mat = np.minimum(np.searchsorted(msorted, lt.mapping_id), max(msorted.size - 1, 0))
    found = (msorted[mat] == lt.mapping_id) if msorted.size else np.zeros(lt.mapping_id.shape[0], dtype=bool)
    mapping = np.where(found, morder[mat] if msorted.size else 0, len(map_files) - 1).astype(np.int64)
    table = LocTable(
        strings=strings,
        address=lt.address,
        mapping=mapping,
        map_files=map_files,
        line_offsets=lt.line_offsets,
        line_func=fidx,
        line_number=lt.line_number,
        func_name=pprof_name_indices(strings, ft.name, ft.system_name),
        func_system_name=ft.system_name.astype(np.int64),
        func_file=ft.filename.astype(np.int64),
        func_start_line=ft.start_line,
    )
    return table, lt.id


def _slow_locations(
    buf: bytes,
    function_spans: list[tuple[int, int]],
    location_spans: list[tuple[int, int]],
    s: Callable[[int], str],
    mapping_file: dict[int, str],
) -> tuple[list[Location], list[int]]:
    """Decode functions and locations one message at a time (any valid encoding; precise errors)."""
    functions: dict[int, tuple[str, str, str, int]] = {}
    for a, b in function_spans:
        fv = [0, 0, 0, 0, 0, 0]
        pos = a
        while pos < b:
            k = buf[pos]
            v = buf[pos + 1]
            pos += 2
            if v >= 0x80:
                v2 = buf[pos]
                if v2 < 0x80:
                    v = (v & 0x7F) | (v2 << 7)
                    pos += 1
                else:
                    v, pos = read_varint(buf, pos - 1)
            if k & 7 or k >= 0x30:  # not a small varint field: generic path
                fv = [0, 0, 0, 0, 0, 0]
                for f2, w2, v2, _e2 in fields(buf, a, b):
                    if w2 == 0 and f2 <= 5:
                        fv[f2] = v2
                pos = b
                break
            fv[k >> 3] = v
        if pos > b:
            raise WireFormatError(f"function record overruns its length at byte {b}")
        functions[fv[1]] = (pprof_function_name(s(fv[2]), s(fv[3])), s(fv[3]), s(fv[4]), to_int64(fv[5]))
    locations: list[Location] = []
    loc_ids: list[int] = []
    funcs_get = functions.get
    for a, b in location_spans:
        lid = mid = address = 0
        lines: list[Frame] = []
        pos = a
        while pos < b:
            k = buf[pos]
            pos += 1
            if k >= 0x80:
                k, pos = read_varint(buf, pos - 1)
            wt = k & 7
            if wt == 0:
                v = buf[pos]
                pos += 1
                if v >= 0x80:
                    v, pos = read_varint(buf, pos - 1)
                f2 = k >> 3
                if f2 == 1:
                    lid = v
                elif f2 == 2:
                    mid = v
                elif f2 == 3:
                    address = v
            elif wt == 2:
                n = buf[pos]
                pos += 1
                if n >= 0x80:
                    n, pos = read_varint(buf, pos - 1)
                e = pos + n
                if e > b:
                    raise WireFormatError(f"location field overruns its message at byte {pos}")
                if k == 0x22:  # field 4: Line {1: function_id, 2: line}
                    func_id = line = 0
                    p3 = pos
                    while p3 < e:
                        k3 = buf[p3]
                        v3 = buf[p3 + 1]
                        p3 += 2
                        if v3 >= 0x80:
                            v4 = buf[p3]
                            if v4 < 0x80:
                                v3 = (v3 & 0x7F) | (v4 << 7)
                                p3 += 1
                            else:
                                v3, p3 = read_varint(buf, p3 - 1)
                        if k3 == 0x08:
                            func_id = v3
                        elif k3 == 0x10:
                            line = to_int64(v3)
                        elif k3 & 7 != 0 or k3 >= 0x80:
                            func_id, line = _slow_line(buf, pos, e)
                            break
                    if p3 > e:
                        raise WireFormatError(f"line record overruns its location at byte {e}")
                    fn = funcs_get(func_id)
                    if fn is None:
                        if func_id:
                            raise WireFormatError(f"location refers to unknown function id {func_id}")
                        lines.append(Frame("", "", "", 0, line))
                    else:
                        lines.append(Frame(fn[0], fn[1], fn[2], fn[3], line))
                pos = e
            elif wt == 1:
                pos += 8
            elif wt == 5:
                pos += 4
            else:
                raise WireFormatError(f"unsupported wire type {wt} in location at byte {pos}")
        if pos != b:
            raise WireFormatError(f"location overruns its length at byte {b}")
        if lid == 0:
            raise WireFormatError("location with id 0")
        loc_ids.append(lid)
        locations.append(Location(address, mapping_file.get(mid, ""), tuple(lines)))
    return locations, loc_ids


def _slow_line(buf: bytes, a: int, b: int) -> tuple[int, int]:
    func_id = line = 0
    for f3, w3, v3, _e3 in fields(buf, a, b):
        if w3 == 0 and f3 == 1:
            func_id = v3
        elif w3 == 0 and f3 == 2:
            line = to_int64(v3)
    return func_id, line
