"""``drop_frames``/``keep_frames`` the way pprof applies them (``Profile.RemoveUninteresting`` / ``Prune``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from apiprobe.errors import ProfileFormatError
from apiprobe.load._pprof_profile import (
    Profile,
    distinct_indices,
)

_RESERVED = ("(anonymous namespace)", "operator()")
_BRACKET_RX = re.compile("|".join(re.escape(n) for n in (*_RESERVED, "(")))


def _simplify_func(f: str) -> str:
    name = f[1:] if f.startswith(".") else f
    for m in _BRACKET_RX.finditer(name):
        if m.group(0) not in _RESERVED:
            return name[: m.start()]
    return name


def _last_in_segments(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per CSR segment, the position (within it) of its last ``True`` flag, or -1."""
    hits = np.flatnonzero(flags)
    k = np.searchsorted(hits, offsets[1:], side="left") - 1
    if hits.size == 0:
        return np.full(offsets.shape[0] - 1, -1, dtype=np.int64)
    last = hits[np.maximum(k, 0)]
    return np.where((k >= 0) & (last >= offsets[:-1]), last - offsets[:-1], -1).astype(np.int64)


def apply_drop_frames(prof: Profile) -> None:
    try:
        drop = re.compile("^(" + prof.drop_frames + ")$")
        keep = re.compile("^(" + prof.keep_frames + ")$") if prof.keep_frames else None
    except re.error as exc:
        raise ProfileFormatError(f"{prof.source}: bad drop_frames/keep_frames regexp: {exc}") from exc

    def dropped(name: str) -> bool:
        fname = _simplify_func(name)
        return drop.match(fname) is not None and (keep is None or not keep.match(fname))

    table = prof._table()
    if table is None:
        _apply_drop_frames_objects(prof, dropped)
        return
    t = table
    # the outermost dropped frame of each location: frames from there inwards go
    nloc = t.n_locations
    has_fn = t.line_func >= 0
    name_idx = np.where(has_fn, t.func_name[np.maximum(t.line_func, 0)] if t.func_name.size else 0, 0)
    used = distinct_indices(name_idx[has_fn], len(t.strings))
    hit = np.zeros(len(t.strings), dtype=bool)
    for i in used.tolist():
        name = t.strings[i]
        hit[i] = bool(name) and dropped(name)
    matched = has_fn & hit[name_idx]
    last = _last_in_segments(matched, t.line_offsets)
    nlines = np.diff(t.line_offsets)
    beneath = last >= 0
    if not beneath.any():
        return
    prune = beneath & (last == nlines - 1)
    trim = beneath & ~prune
    if trim.any():
        line_loc = np.repeat(np.arange(nloc, dtype=np.int64), nlines)
        pos = np.arange(t.line_func.shape[0], dtype=np.int64) - t.line_offsets[:-1][line_loc]
        keep_line = ~(trim[line_loc] & (pos <= last[line_loc]))
        offsets = np.zeros(nloc + 1, dtype=np.int64)
        np.cumsum(np.bincount(line_loc[keep_line], minlength=nloc), out=offsets[1:])
        prof._set_table(
            t._replace(line_offsets=offsets, line_func=t.line_func[keep_line], line_number=t.line_number[keep_line])
        )
    _prune_stacks(prof, prune, beneath)


def _prune_stacks(prof: Profile, prune: np.ndarray, beneath: np.ndarray) -> None:
    """pprof's Prune on the stacks: going root → leaf, cut at the first dropped
    location that has a kept one above it (a pruned location goes too)."""
    off = prof.stack_offsets
    sl = prof.stack_locs
    n = off.shape[0] - 1
    marked = beneath[sl] if sl.size else np.zeros(0, dtype=bool)
    entry_stack = np.repeat(np.arange(n, dtype=np.int64), np.diff(off))
    j = np.arange(sl.shape[0], dtype=np.int64) - off[:-1][entry_stack]
    top_user = _last_in_segments(~marked, off)  # outermost kept location per stack
    qualifies = marked & (j < top_user[entry_stack])
    cut = _last_in_segments(qualifies, off)
    at = np.minimum(off[:-1] + np.maximum(cut, 0), max(sl.shape[0] - 1, 0))
    cut_pruned = prune[sl[at]] if sl.size else np.zeros(n, dtype=bool)
    first = np.where(cut >= 0, cut + cut_pruned, 0)
    keep_entry = j >= first[entry_stack]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(entry_stack[keep_entry], minlength=n), out=offsets[1:])
    prof.stack_offsets = offsets
    prof.stack_locs = sl[keep_entry].astype(np.int64)


def _apply_drop_frames_objects(prof: Profile, dropped: Callable[[str], bool]) -> None:
    prune: set[int] = set()
    beneath: set[int] = set()
    for idx, loc in enumerate(prof.locations):
        i = len(loc.lines) - 1
        while i >= 0:
            fr = loc.lines[i]
            if fr.function and dropped(fr.function):
                break
            i -= 1
        if i >= 0:
            beneath.add(idx)
            if i == len(loc.lines) - 1:
                prune.add(idx)
            else:
                prof.locations[idx] = loc._replace(lines=loc.lines[i + 1 :])
    if not prune and not beneath:
        return
    new_offsets = [0]
    new_locs: list[int] = []
    for st in prof.stacks:
        found_user = False
        out = st
        for i in range(len(st) - 1, -1, -1):
            li = st[i]
            if li not in prune and li not in beneath:
                found_user = True
                continue
            if not found_user:
                continue
            out = st[i + 1 :] if li in prune else st[i:]
            break
        new_locs.extend(out)
        new_offsets.append(len(new_locs))
    prof.stack_offsets = np.asarray(new_offsets, dtype=np.int64)
    prof.stack_locs = np.asarray(new_locs, dtype=np.int64)
