"""The call graph behind :mod:`apiprobe.analyze.profiles`: nodes per granularity, stack structure,
sample masks (focus/ignore/tagfocus) and totals, cached on the profile. Follows ``go tool pprof``'s
``internal/graph/graph.go``."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any, Literal, NamedTuple

import numpy as np

from apiprobe.errors import InvalidParameterError
from apiprobe.load.pprof import Location, LocTable, Profile, clean_path

Granularity = Literal["functions", "files", "lines", "addresses"]
_GRANULARITIES = ("functions", "files", "lines", "addresses")
_BASE_LABEL = "pprof::base"
_EXACT_F64 = float(2**53)  # integer sums below this are exact in float64 (np.bincount weights)
_INLINE_MARKERS = np.array(["", "inline", "partial-inline"], dtype=object)

# NodeInfo as pprof builds it: (address, name, file, lineno, objfile, start_line)
_NodeKey = tuple[int, str, str, int, str, int]


def _node_key(loc: Location, fr_index: int, granularity: str) -> _NodeKey:
    addr = loc.address if granularity == "addresses" else 0
    if not loc.lines:
        return (addr, "", "", 0, loc.mapping, 0)
    fr = loc.lines[fr_index]
    name = fr.function if granularity != "files" else ""
    if not fr.function and not fr.file and not fr.start_line and fr.line == 0 and not fr.system_name:
        # a Line without a function (function_id 0): pprof treats it as no function
        return (addr, "", "", 0, loc.mapping, 0)
    file = clean_path(fr.file) if granularity != "functions" else ""
    line = fr.line if granularity in ("lines", "addresses") else 0
    if name:
        return (addr, name, file, line, "", 0)
    return (addr, name, file, line, loc.mapping, fr.start_line)


def _node_info_text(key: _NodeKey) -> str:
    """``fmt.Sprint`` of pprof's NodeInfo for ``key``: pprof's last tie-break between nodes of one name.

    ``{Name OrigName Address File StartLine Lineno Columnno Objfile}`` (columns
    are not read: 0, the same for every node, so the order is that of both Go
    1.19's and current pprof).
    """
    addr, name, file, line, objfile, start = key
    return f"{{{name}  {addr} {file} {start} {line} 0 {objfile}}}"


def _printable(key: _NodeKey) -> str:
    addr, name, file, line, objfile, _start = key
    parts: list[str] = []
    if addr:
        parts.append(f"{addr:016x}")
    if name:
        parts.append(name)
    if line:
        parts.append(f"{file}:{line}")
    elif file:
        parts.append(file)
    elif name:
        pass
    elif objfile:
        parts.append("[" + objfile.rstrip("/").rsplit("/", 1)[-1] + "]")
    else:
        parts.append("<unknown>")
    return " ".join(parts)


class _Graph:
    """Per-location node ids (CSR) for one granularity.

    Location ``k`` has the frames ``loc_start[k]`` to ``loc_start[k] +
    loc_count[k]`` (innermost first; a location without lines has one);
    ``nodes[f]`` is the node of frame ``f`` and ``outer[f]`` whether it is
    its location's last (not inlined) frame. Node ids follow the first
    appearance of each node in location order; ``names`` are pprof's.
    """

    names: list[str]
    #: per node, the text pprof breaks ties between equal names with (None: names are unique)
    infos: list[str] | None = None
    nodes: np.ndarray
    outer: np.ndarray
    loc_count: np.ndarray
    loc_start: np.ndarray
    _rank_cache: np.ndarray | None = None
    _info_cache: np.ndarray | None = None
    _names_cache: np.ndarray | None = None

    def __init__(self, profile: Profile, granularity: str) -> None:
        if granularity not in _GRANULARITIES:
            raise InvalidParameterError(f"granularity must be one of {_GRANULARITIES}, not {granularity!r}")
        table = profile._table()
        if granularity == "functions" and table is not None:
            flat_a, counts_a, self.names = _function_nodes_table(table)
        else:
            if granularity == "functions":
                ids, flat, counts = _function_nodes(profile)
                self.names = [k if isinstance(k, str) else _printable(k) for k in ids]
            else:
                key_ids: dict[_NodeKey, int] = {}
                flat = []
                counts = []
                for loc in profile.locations:
                    n = max(len(loc.lines), 1)
                    counts.append(n)
                    for i in range(n):
                        key = _node_key(loc, i, granularity)
                        nid = key_ids.get(key)
                        if nid is None:
                            nid = key_ids[key] = len(key_ids)
                        flat.append(nid)
                self.names = [_printable(k) for k in key_ids]
                self.infos = [_node_info_text(k) for k in key_ids]
            flat_a = np.asarray(flat, dtype=np.int64)
            counts_a = np.asarray(counts, dtype=np.int64)
        outer = np.zeros(int(counts_a.sum()), dtype=bool)
        outer[np.cumsum(counts_a) - 1] = True
        self.loc_count = counts_a
        self.loc_start = np.concatenate([[0], np.cumsum(counts_a)])[:-1].astype(np.int64)
        self.nodes = flat_a
        self.outer = outer

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.names)

    @property
    def names_array(self) -> np.ndarray:
        """``names`` as an object array."""
        if self._names_cache is None:
            arr = np.empty(len(self.names), dtype=object)
            arr[:] = self.names
            self._names_cache = arr
        return self._names_cache

    @property
    def name_rank(self) -> np.ndarray:
        """Position of each node's name in sorted order (equal names, equal rank)."""
        if self._rank_cache is None:
            self._rank_cache = _name_rank(self.names)
        return self._rank_cache

    @property
    def info_rank(self) -> np.ndarray:
        """Rank of each node's NodeInfo text (pprof's tie-break after the name); zeros when names are unique."""
        if self._info_cache is None:
            self._info_cache = _name_rank(self.infos) if self.infos is not None else np.zeros(self.n, dtype=np.int64)
        return self._info_cache


def _function_nodes(profile: Profile) -> tuple[dict[str | _NodeKey, int], list[int], list[int]]:
    """Node ids at function granularity, one Python pass over the frames.

    A frame with a function name is keyed by the name alone (its full
    ``_node_key`` is ``(0, name, "", 0, "", 0)``); other frames use
    :func:`_node_key`. Ids are assigned in order of first appearance.
    """
    ids: dict[str | _NodeKey, int] = {}
    get = ids.get
    flat: list[int] = []
    append = flat.append
    counts: list[int] = []
    count = counts.append
    for loc in profile.locations:
        lines = loc.lines
        if not lines:
            count(1)
            key: str | _NodeKey = _node_key(loc, 0, "functions")
            nid = get(key)
            if nid is None:
                nid = ids[key] = len(ids)
            append(nid)
            continue
        count(len(lines))
        for i, fr in enumerate(lines):
            key = fr.function or _node_key(loc, i, "functions")
            nid = get(key)
            if nid is None:
                nid = ids[key] = len(ids)
            append(nid)
    return ids, flat, counts


def _function_nodes_table(t: LocTable) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """:func:`_function_nodes` on the decoded arrays: (node per frame, frames per location, names).

    Frames with a function name are keyed by the name (string-table entries
    with equal text are one node); the others, like :func:`_node_key` at
    function granularity, by mapping file and the function's start line.
    """
    nlines = np.diff(t.line_offsets)
    counts = np.maximum(nlines, 1)
    if np.array_equal(counts, nlines):  # every location has lines: frames are the lines
        lf = t.line_func
        row_loc = None
    else:
        row_loc = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
        pos = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        has_line = nlines[row_loc] > 0
        line = np.where(has_line, t.line_offsets[:-1][row_loc] + pos, 0)
        lf = np.where(has_line, t.line_func[line], -1) if t.line_func.size else np.full(line.shape, -1)
    has_fn = lf >= 0
    fi = np.maximum(lf, 0)
    name = np.where(has_fn, t.func_name[fi], 0) if t.func_name.size else np.zeros(lf.shape, dtype=np.int64)
    strings = t.strings
    nstr = max(len(strings), 1)
    used = np.zeros(nstr, dtype=bool)
    used[name[has_fn]] = True
    # canonical string index per name text; "" is no name (-1)
    used_idx = np.flatnonzero(used)
    first_of: dict[str, int] = {}
    first = first_of.setdefault
    canon = np.full(nstr, -1, dtype=np.int64)
    canon[used_idx] = [first(strings[i], i) for i in used_idx.tolist()]  # first index with that text
    if "" in first_of:
        canon[canon == first_of[""]] = -1
    raw = np.where(has_fn, canon[name], -1)
    unnamed = np.flatnonzero(raw < 0)
    names_of_raw: dict[int, str] = {}  # names of the unnamed nodes (negative raw ids)
    if unnamed.size:
        # (mapping file, start line) of the unnamed frames -> negative raw ids
        loc_of = (
            row_loc[unnamed]
            if row_loc is not None
            else np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)[unnamed]
        )
        mp = t.mapping[loc_of]
        fl = lf[unnamed]
        sl = np.where(fl >= 0, t.func_start_line[np.maximum(fl, 0)] if t.func_start_line.size else 0, 0)
        rep, inv = _factorize(mp, sl.astype(np.int64))
        key_id: dict[_NodeKey, int] = {}
        pair_raw = np.empty(rep.shape[0], dtype=np.int64)
        for j, (m, s) in enumerate(zip(mp[rep].tolist(), sl[rep].tolist(), strict=True)):
            key = (0, "", "", 0, t.map_files[m], s)
            rid = key_id.setdefault(key, -1 - len(key_id))
            pair_raw[j] = rid
            names_of_raw[rid] = _printable(key)
        raw[unnamed] = pair_raw[inv]
    rep, inv = _factorize(raw)
    order = np.argsort(rep, kind="stable")  # node ids in order of first appearance
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0], dtype=np.int64)
    names = [strings[r] if r >= 0 else names_of_raw[r] for r in raw[rep[order]].tolist()]
    return rank[inv], counts.astype(np.int64), names


def _factorize(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by equal values in ``cols``: (first row of each group, group of each row)."""
    n = cols[0].shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(cols[::-1])  # stable: the first row of a group comes first
    new = np.ones(n, dtype=bool)
    if n > 1:
        diff = np.zeros(n - 1, dtype=bool)
        for c in cols:
            cs = c[order]
            diff |= cs[1:] != cs[:-1]
        new[1:] = diff
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return order[new], inv


def _cached(profile: Profile, key: tuple[Any, ...], build: Any, *, stacks: bool = False) -> Any:
    """``build()``, cached on the profile while its locations (and stacks) are unchanged.

    While the decoded arrays still describe the locations, they are the
    version: profiles sharing them (``filter_profile``'s) share the entries,
    also once one of them has built its Location objects.
    """
    table = profile._table()
    version: tuple[Any, ...] = (table if table is not None else profile._loc_version(),)
    if stacks:
        version += (profile.stack_offsets, profile.stack_locs)
    hit = profile._cache.get(key)
    if hit is not None and len(hit[0]) == len(version) and all(a is b for a, b in zip(hit[0], version, strict=True)):
        return hit[1]
    value = build()
    profile._cache[key] = (version, value)
    return value


def _graph(profile: Profile, granularity: str) -> _Graph:
    if granularity not in _GRANULARITIES:
        raise InvalidParameterError(f"granularity must be one of {_GRANULARITIES}, not {granularity!r}")
    graph: _Graph = _cached(profile, ("graph", granularity), lambda: _Graph(profile, granularity))
    return graph


class _Structure(NamedTuple):
    """What the top table needs of the stacks, whatever the weights.

    ``leaf[k]``: leaf node of stack ``k`` (-1 for an empty stack);
    ``pair_stack``/``pair_node``: each (stack, node) once; ``edge_*``: call
    edges parent → child (child at the leaf side) whose child is somewhere an
    inlined frame, one per occurrence, leaf first (the only edges that can
    make a node ``inline``).
    """

    leaf: np.ndarray
    pair_stack: np.ndarray
    pair_node: np.ndarray
    edge_stack: np.ndarray
    edge_parent: np.ndarray
    edge_child: np.ndarray
    edge_inline: np.ndarray


def _structure(profile: Profile, g: _Graph) -> _Structure:
    off = profile.stack_offsets
    sl = profile.stack_locs
    n_st = profile.n_stacks
    nn = g.n
    it = np.int32 if max(n_st, nn, sl.shape[0]) < 2**31 else np.int64
    entry_stack = np.repeat(np.arange(n_st, dtype=it), np.diff(off))
    # frames of a location, innermost first: its first frame, then the rest
    first_node = g.nodes[g.loc_start].astype(it)
    outer_node = g.nodes[g.loc_start + g.loc_count - 1]
    e_first = first_node[sl]
    leaf = np.full(n_st, -1, dtype=np.int64)
    nonempty = np.flatnonzero(np.diff(off) > 0)
    leaf[nonempty] = e_first[off[nonempty]]
    multi = np.flatnonzero((g.loc_count > 1)[sl])
    # the other frames of multi-frame locations: entry, frame index within the location
    extra = g.loc_count[sl[multi]] - 1
    x_entry = np.repeat(multi, extra)
    x_k = np.arange(int(extra.sum()), dtype=np.int64) - np.repeat(np.cumsum(extra) - extra, extra) + 1
    x_node = g.nodes[g.loc_start[sl[x_entry]] + x_k]
    pair_stack, pair_node = _unique_pairs(
        np.concatenate([entry_stack, entry_stack[x_entry]]), np.concatenate([e_first, x_node.astype(it)]), nn
    )
    # call edges into nodes that are somewhere an inlined frame (the others never get a marker)
    inl_node = np.zeros(nn, dtype=bool)
    inl_node[g.nodes[~g.outer]] = True
    if not inl_node.any():
        z = np.zeros(0, dtype=np.int64)
        return _Structure(leaf, pair_stack, pair_node, z, z, z, np.zeros(0, dtype=bool))
    # across locations: outer frame of entry j (child) called from the first frame of entry j + 1
    # (none with a single location entry; the edges within its location still count below)
    j = np.flatnonzero(inl_node[outer_node][sl[:-1]])
    j = j[entry_stack[j] == entry_stack[j + 1]]
    c_child = outer_node[sl[j]]
    c_parent = first_node[sl[j + 1]].astype(np.int64)
    c_sub = g.loc_count[sl[j]] - 1
    # within a location: frame k (inlined, the child) into frame k + 1
    w_child = g.nodes[g.loc_start[sl[x_entry]] + x_k - 1]
    child = np.concatenate([c_child, w_child])
    parent = np.concatenate([c_parent, x_node])
    entry = np.concatenate([j, x_entry])
    sub = np.concatenate([c_sub, x_k - 1])
    inline = np.concatenate([np.zeros(j.shape[0], dtype=bool), np.ones(x_entry.shape[0], dtype=bool)])
    keep = np.flatnonzero(inl_node[child] & (child != parent))
    sel = keep[np.lexsort((sub[keep], entry[keep]))]  # leaf-first frame order
    return _Structure(
        leaf, pair_stack, pair_node, entry_stack[entry[sel]].astype(np.int64), parent[sel], child[sel], inline[sel]
    )


def _unique_pairs(a: np.ndarray, b: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) pairs (``0 <= b < nb``), sorted."""
    if a.size == 0:
        return a.copy(), b.copy()
    span = (int(a.max()) + 1) * max(nb, 1)
    if span < 2**62:
        kt = np.dtype(np.int32 if span < 2**31 else np.int64)  # a combined key; 32 bits sort faster
        x: np.ndarray = a.astype(kt, copy=False) * np.asarray(nb, dtype=kt) + b.astype(kt, copy=False)
        x.sort()
        keep = np.ones(x.shape[0], dtype=bool)
        keep[1:] = x[1:] != x[:-1]
        x = x[keep]
        return x // nb, x % nb
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    keep = np.ones(a.shape[0], dtype=bool)
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


def _wsum(idx: np.ndarray, weights: np.ndarray, n: int, exact: bool) -> np.ndarray:
    """``out[idx[i]] += weights[i]`` over int64 weights (``exact``: float64 sums are exact)."""
    if not exact:
        out = np.zeros(n, dtype=np.int64)
        np.add.at(out, idx, weights)
        return out
    return np.bincount(idx, weights=weights, minlength=n).astype(np.int64)


def _location_match(profile: Profile, rx: re.Pattern[str]) -> np.ndarray:
    """Per location: does ``rx`` find a frame's function or file name, or the mapping file?"""
    table = profile._table()
    if table is None:
        return np.fromiter(
            (_location_matches(loc, rx) for loc in profile.locations), dtype=bool, count=len(profile.locations)
        )
    t = table
    strings = t.strings
    has = t.line_func >= 0
    fi = np.maximum(t.line_func, 0)
    if t.func_name.size:
        name, file, sysn = (np.where(has, col[fi], 0) for col in (t.func_name, t.func_file, t.func_system_name))
    else:
        name = file = sysn = np.zeros(t.line_func.shape[0], dtype=np.int64)
    nonempty = np.zeros(max(len(strings), 1), dtype=bool)
    found = np.zeros(max(len(strings), 1), dtype=bool)
    seen = np.zeros(max(len(strings), 1), dtype=bool)
    for col in (name, file, sysn):
        seen[col[has]] = True
    for i in np.flatnonzero(seen).tolist():
        nonempty[i] = bool(strings[i])
        found[i] = rx.search(strings[i]) is not None
    line_hit = has & (nonempty[name] | nonempty[file] | nonempty[sysn]) & (found[name] | found[file])
    nloc = t.n_locations
    line_loc = np.repeat(np.arange(nloc, dtype=np.int64), np.diff(t.line_offsets))
    hit = np.bincount(line_loc[line_hit], minlength=nloc) > 0
    map_hit = np.asarray([bool(m) and rx.search(m) is not None for m in t.map_files], dtype=bool)
    return hit | map_hit[t.mapping]


def _location_matches(loc: Location, rx: re.Pattern[str]) -> bool:
    for fr in loc.lines:
        if (fr.function or fr.file or fr.system_name) and (rx.search(fr.function) or rx.search(fr.file)):
            return True
    return bool(loc.mapping) and rx.search(loc.mapping) is not None


def _sample_mask(profile: Profile, focus: str | None, ignore: str | None, tagfocus: str | None) -> np.ndarray | None:
    """Per sample: do ``-focus``, ``-ignore`` and ``-tagfocus`` keep it? ``None`` when no filter is given.

    The one implementation of the selection, shared by ``filter_profile`` and
    ``profile_top``. ``focus``/``ignore`` are decided per unique stack, then
    looked up per sample; ``tagfocus`` per distinct label value (see
    :func:`_tag_mask`). Empty strings are no filter, as in pprof.
    """
    if not (focus or ignore or tagfocus):
        return None
    keep = _tag_mask(profile.labels, tagfocus) if tagfocus else np.ones(profile.n_samples, dtype=bool)
    if focus or ignore:
        frx = re.compile(focus) if focus else None
        irx = re.compile(ignore) if ignore else None
        table = profile._table()
        n_loc = table.n_locations if table is not None else len(profile.locations)
        ign = _location_match(profile, irx) if irx is not None else np.zeros(n_loc, dtype=bool)
        foc = _location_match(profile, frx) if frx is not None else np.ones(n_loc, dtype=bool)
        n = profile.n_stacks
        entry_stack = np.repeat(np.arange(n, dtype=np.int64), np.diff(profile.stack_offsets))
        # per stack: a location matching ignore drops it, else one matching focus keeps it
        has_ign = np.zeros(n, dtype=bool)
        has_ign[entry_stack[ign[profile.stack_locs]]] = True
        has_foc = np.zeros(n, dtype=bool)
        has_foc[entry_stack[foc[profile.stack_locs]]] = True
        keep &= (has_foc & ~has_ign)[profile.sample_stack]
    return keep


def _tag_mask(labels: list[dict[str, list[str]] | None], tagfocus: str) -> np.ndarray:
    """Per sample: does ``-tagfocus=tagfocus`` keep it? (pprof's ``compileTagFilter``, string labels).

    ``key=re1,re2``: the sample has label ``key`` and some regex matches one
    of its values (any regex, any value). Without ``key=``: every regex
    matches some ``key:value`` of the sample's labels. A value pprof reads as
    a numeric range (``1mb:``, ``:64kb``, ``12kb:64mb``, a bare number such as
    ``200``) is refused: pprof matches those against numeric labels only,
    which this does not implement. Empty values are not looked at: pprof
    drops a label whose value is the empty string (string index 0) when it
    reads the file, which is how Go writes one.
    """
    key, sep, value = tagfocus.partition("=")
    if not sep:
        key, value = "", tagfocus
    if _is_tag_range(value):
        raise InvalidParameterError(
            f"tagfocus {tagfocus!r}: go tool pprof reads {value!r} as a numeric range (matched against "
            "numeric labels such as bytes=1mb:), which apiprobe does not support; for a string label "
            f"write a regex that is not a number or range, e.g. {key + '=' if key else ''}^{value}$"
        )
    rxs = [re.compile(v) for v in value.split(",")]
    # the result depends only on the label values looked at: decide each distinct one once
    seen: dict[Any, bool] = {}
    out: list[bool] = []
    add = out.append
    if key:
        for lab in labels:
            vals = lab.get(key) if lab else None
            if vals is None:
                add(False)
                continue
            t = tuple(vals)
            hit = seen.get(t)
            if hit is None:
                hit = seen[t] = any(rx.search(v) is not None for rx in rxs for v in t if v)
            add(hit)
    else:
        for lab in labels:
            if not lab:
                add(False)
                continue
            items = tuple((k, tuple(vs)) for k, vs in lab.items())
            hit = seen.get(items)
            if hit is None:
                pairs = [f"{k}:{v}" for k, vs in items for v in vs if v]
                hit = seen[items] = all(any(rx.search(kv) is not None for kv in pairs) for rx in rxs)
            add(hit)
    return np.fromiter(out, dtype=bool, count=len(out))


# pprof's tagFilterRangeRx ([[:digit:]] and [[:alpha:]] are ASCII in Go's regexp)
_TAG_RANGE_RX = re.compile(r"([+-]?[0-9]+)([A-Za-z]+)?")
# pprof's measurement.UnitTypes: per unit type, (canonical name, aliases) and the default unit's name
_UNIT_TYPES: tuple[tuple[tuple[tuple[str, tuple[str, ...]], ...], str], ...] = (
    (
        (
            ("B", ("b", "byte")),
            ("kB", ("kb", "kbyte", "kilobyte")),
            ("MB", ("mb", "mbyte", "megabyte")),
            ("GB", ("gb", "gbyte", "gigabyte")),
            ("TB", ("tb", "tbyte", "terabyte")),
            ("PB", ("pb", "pbyte", "petabyte")),
        ),
        "B",
    ),
    (
        (
            ("ns", ("ns", "nanosecond")),
            ("us", ("\u03bcs", "us", "microsecond")),
            ("ms", ("ms", "millisecond")),
            ("s", ("s", "sec", "second")),
            ("hrs", ("hour", "hr")),
        ),
        "s",
    ),
    (
        (
            ("n*GCU", ("nanogcu",)),
            ("u*GCU", ("microgcu",)),
            ("m*GCU", ("milligcu",)),
            ("GCU", ("gcu",)),
            ("k*GCU", ("kilogcu",)),
            ("M*GCU", ("megagcu",)),
            ("G*GCU", ("gigagcu",)),
            ("T*GCU", ("teragcu",)),
            ("P*GCU", ("petagcu",)),
        ),
        "GCU",
    ),
)


def _is_tag_range(value: str) -> bool:
    """Whether pprof's ``parseTagFilterRange`` reads ``value`` as a numeric range (not as regexes).

    ``N[unit]`` (equal), ``N[unit]:`` (at least), ``:N[unit]`` (at most),
    ``N[unit]:M[unit]`` (between; only when both units scale to the same
    one). The whole value must be the range: ``/v1`` or ``1.5mb`` are regexes.
    """
    found = []
    for m in _TAG_RANGE_RX.finditer(value):
        found.append(m)
        if len(found) == 2:
            break
    if not found:
        return False
    first = found[0].group(0)
    if len(found) == 1:
        return value in (first, first + ":", ":" + first)
    if value != first + ":" + found[1].group(0):
        return False
    u1, u2 = found[0].group(2) or "", found[1].group(2) or ""
    unit = _scaled_unit(u1, u1)
    return _scaled_unit(u2, unit) == unit


def _scaled_unit(from_unit: str, to_unit: str) -> str:
    """The unit pprof's ``measurement.Scale(v, from_unit, to_unit)`` returns (never "minimum"/"auto" here)."""

    def sniff(units: tuple[tuple[str, tuple[str, ...]], ...], unit: str) -> str | None:
        unit = unit.lower()
        if len(unit) > 2 and unit.endswith("s"):
            unit = unit[:-1]
        return next((name for name, aliases in units if unit in aliases), None)

    for units, default in _UNIT_TYPES:
        if sniff(units, from_unit) is not None:
            return sniff(units, to_unit) or default
    return "" if to_unit in ("count", "sample", "unit", "minimum", "auto") else to_unit


def _total(profile: Profile, si: int) -> int:
    v = np.abs(profile.values[:, si])
    base = _base_mask(profile)
    if base is not None:
        bt = int(v[base].sum())
        if bt > 0:
            return bt
    return int(v.sum())


def _base_mask(profile: Profile) -> np.ndarray | None:
    if not any(profile.labels) or not any(lab and _BASE_LABEL in lab for lab in profile.labels):
        return None
    return np.fromiter(
        (lab is not None and lab.get(_BASE_LABEL) == ["true"] for lab in profile.labels),
        dtype=bool,
        count=profile.n_samples,
    )


def _pct(v: np.ndarray, total: int) -> np.ndarray:
    if total == 0:
        return np.zeros(v.shape, dtype=float)
    return v.astype(float) / float(total) * 100.0


def _name_rank(names: list[str]) -> np.ndarray:
    """Rank of each name in sorted order (equal names, equal rank).

    pyarrow sorts by UTF-8 bytes, which is code point order like Python's;
    names it cannot take (lone surrogates) are sorted by Python.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        ranks = pc.rank(pa.array(names, type=pa.string()), sort_keys="ascending", tiebreaker="dense")
        return np.asarray(ranks.to_numpy(zero_copy_only=False), dtype=np.int64)
    except (ImportError, ValueError, TypeError, UnicodeError):
        pass
    n = len(names)
    order = sorted(range(n), key=names.__getitem__)
    srt = [names[i] for i in order]
    new = np.ones(n, dtype=np.int64)
    new[0] = 0
    if n > 1:
        new[1:] = np.fromiter((a != b for a, b in pairwise(srt)), dtype=bool, count=n - 1)
    rank = np.empty(n, dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.cumsum(new)
    return rank
