"""pprof analysis: ``go tool pprof -top`` tables, diffs, label pivots, flame trees.

Everything here takes a :class:`~apiprobe.load.pprof.Profile` and returns a
DataFrame (or a new Profile for :func:`profile_diff`); nothing is mutated.
The numbers follow ``go tool pprof`` (graph building in
``internal/graph/graph.go``): a function's *flat* is the value of samples
whose leaf frame it is, its *cum* the value of samples whose stack contains
it (once per sample even under recursion), inlined frames are functions of
their own, percentages are of the total absolute value of the chosen sample
type (for a diff: of the base total), and rows are ordered by ``|flat|``
descending then name.
"""

from __future__ import annotations

import math
import re
from typing import Literal

import numpy as np
import pandas as pd

from apiprobe.load.pprof import Location, Profile, clean_path, concat_profiles

__all__ = ["flame_table", "format_percentage", "label_pivot", "profile_diff", "profile_top", "top_diff"]

Granularity = Literal["functions", "files", "lines", "addresses"]
_GRANULARITIES = ("functions", "files", "lines", "addresses")
_BASE_LABEL = "pprof::base"

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
    """Per-location node ids (CSR) for one granularity."""

    def __init__(self, profile: Profile, granularity: str) -> None:
        if granularity not in _GRANULARITIES:
            raise ValueError(f"granularity must be one of {_GRANULARITIES}, not {granularity!r}")
        if granularity == "functions":
            ids, flat, counts = _function_nodes(profile)
            self.keys = [(0, k, "", 0, "", 0) if isinstance(k, str) else k for k in ids]
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
            self.keys = list(key_ids)
            self.names = [_printable(k) for k in self.keys]
        counts_a = np.asarray(counts, dtype=np.int64)
        outer = np.zeros(int(counts_a.sum()), dtype=bool)
        outer[np.cumsum(counts_a) - 1] = True
        self.loc_count = counts_a
        self.loc_start = np.concatenate([[0], np.cumsum(counts_a)])[:-1].astype(np.int64)
        self.nodes = np.asarray(flat, dtype=np.int64)
        self.outer = outer


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


def _expand(profile: Profile, g: _Graph, stacks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node sequence (leaf first) of the given stacks: (stack, node, is_outer_frame)."""
    off = profile.stack_offsets
    lens = off[stacks + 1] - off[stacks]
    entry_stack = np.repeat(stacks, lens)
    first = np.repeat(off[stacks] - (np.cumsum(lens) - lens), lens)
    entry_loc = profile.stack_locs[np.arange(int(lens.sum())) + first] if lens.sum() else \
        np.zeros(0, dtype=np.int64)
    per = g.loc_count[entry_loc]
    e_first = np.repeat(np.cumsum(per) - per, per)
    src = np.repeat(g.loc_start[entry_loc], per) + (np.arange(int(per.sum())) - e_first)
    return np.repeat(entry_stack, per), g.nodes[src], g.outer[src]


def _location_matches(loc: Location, rx: re.Pattern[str]) -> bool:
    for fr in loc.lines:
        if (fr.function or fr.file or fr.system_name) and (rx.search(fr.function) or rx.search(fr.file)):
            return True
    return bool(loc.mapping) and rx.search(loc.mapping) is not None


def _sample_mask(profile: Profile, focus: str | None, ignore: str | None,
                 tagfocus: str | None) -> np.ndarray:
    keep = np.ones(profile.n_samples, dtype=bool)
    if tagfocus:
        key, _, val = tagfocus.partition("=") if "=" in tagfocus else ("", "", tagfocus)
        rxs = [re.compile(v) for v in val.split(",")]

        def ok(lab: dict[str, list[str]] | None) -> bool:
            if not lab:
                return False
            if key:
                vals = lab.get(key, [])
                return all(any(r.search(v) for v in vals) for r in rxs)
            return all(any(r.search(f"{k}:{v}") for k, vs in lab.items() for v in vs) for r in rxs)

        keep &= np.fromiter((ok(lab) for lab in profile.labels), dtype=bool, count=profile.n_samples)
    if focus or ignore:
        frx = re.compile(focus) if focus else None
        irx = re.compile(ignore) if ignore else None
        state = np.zeros(len(profile.locations), dtype=np.int8)  # 0 none, 1 focus, 2 ignore
        for i, loc in enumerate(profile.locations):
            if irx is not None and _location_matches(loc, irx):
                state[i] = 2
            elif frx is None or _location_matches(loc, frx):
                state[i] = 1
        st = state[profile.stack_locs]
        n = profile.n_stacks
        entry_stack = np.repeat(np.arange(n), np.diff(profile.stack_offsets))
        has_ign = np.bincount(entry_stack, weights=(st == 2), minlength=n) > 0
        has_foc = np.bincount(entry_stack, weights=(st == 1), minlength=n) > 0
        keep &= (has_foc & ~has_ign)[profile.sample_stack]
    return keep


def _total(profile: Profile, si: int) -> int:
    v = np.abs(profile.values[:, si])
    base = _base_mask(profile)
    if base is not None:
        bt = int(v[base].sum())
        if bt > 0:
            return bt
    return int(v.sum())


def _base_mask(profile: Profile) -> np.ndarray | None:
    if not any(lab and _BASE_LABEL in lab for lab in profile.labels):
        return None
    return np.fromiter((lab is not None and lab.get(_BASE_LABEL) == ["true"] for lab in profile.labels),
                       dtype=bool, count=profile.n_samples)


def _pct(v: np.ndarray, total: int) -> np.ndarray:
    if total == 0:
        return np.zeros(v.shape, dtype=float)
    return v.astype(float) / float(total) * 100.0


def profile_top(
    profile: Profile,
    *,
    sample_index: int | str | None = None,
    granularity: Granularity = "functions",
    focus: str | None = None,
    ignore: str | None = None,
    tagfocus: str | None = None,
    edge_fraction: float = 0.001,
) -> pd.DataFrame:
    """The ``go tool pprof -top -nodefraction=0 -nodecount=100000`` table.

    Each row is one node (a function at the default granularity; a file, a
    source line or an address otherwise) that appears in at least one sample.

    Parameters
    ----------
    profile
        A profile from :func:`~apiprobe.load.pprof.read_pprof`.
    sample_index
        Sample type by index or name (``-sample_index``); default: the
        profile's default type (``default_sample_type``, else the last).
    granularity
        ``functions`` (default), ``files``, ``lines`` or ``addresses``.
    focus, ignore
        Regexes (``-focus``/``-ignore``) searched in function names, file
        names and mapping files of each location: ``focus`` keeps samples
        with a matching frame, ``ignore`` drops them. Percentages stay
        relative to the unfiltered total, as in pprof.
    tagfocus
        ``key=regex`` (``-tagfocus``): keep samples whose string label
        ``key`` matches; without ``key=`` it is matched against ``key:value``.
    edge_fraction
        pprof's ``-edgefraction`` (default 0.001); it only affects the
        ``inline`` marker, which pprof derives from the kept call edges.

    Returns
    -------
    pandas.DataFrame
        Columns ``function`` (pprof's printed name), ``flat``, ``flat_pct``,
        ``sum_pct``, ``cum``, ``cum_pct`` (values in the unit of the sample
        type, int64; percentages in %, signed) and ``inline`` (``""``,
        ``"inline"`` or ``"partial-inline"``, pprof's suffix). Ordered like
        pprof: ``|flat|`` descending, then name, then ``|cum|`` descending.
    """
    si = profile.sample_index(sample_index)
    total = _total(profile, si)
    g = _Graph(profile, granularity)
    keep = _sample_mask(profile, focus, ignore, tagfocus)
    w = profile.values[:, si]
    keep &= w != 0
    n_st = profile.n_stacks
    ss = profile.sample_stack[keep]
    sw = np.zeros(n_st, dtype=np.int64)
    np.add.at(sw, ss, w[keep])
    present = np.zeros(n_st, dtype=bool)
    present[ss] = True
    stacks = np.flatnonzero(present)
    nn = len(g.keys)
    flat = np.zeros(nn, dtype=np.int64)
    cum = np.zeros(nn, dtype=np.int64)
    inline_any = np.zeros(nn, dtype=bool)
    noinline_any = np.zeros(nn, dtype=bool)
    if stacks.size:
        e_stack, e_node, e_outer = _expand(profile, g, stacks)
        stack_pos = np.zeros(n_st, dtype=np.int64)
        stack_pos[stacks] = np.arange(stacks.size, dtype=np.int64)
        lens = np.bincount(stack_pos[e_stack], minlength=stacks.size)
        nonempty = lens > 0
        starts = np.cumsum(lens) - lens
        leaf = e_node[starts[nonempty]]
        np.add.at(flat, leaf, sw[stacks[nonempty]])
        pair = _sorted_unique(e_stack * nn + e_node)
        np.add.at(cum, pair % nn, sw[pair // nn])
        # call edges parent -> child; child at j, parent at j + 1 (same stack)
        if e_node.size > 1:
            same = e_stack[:-1] == e_stack[1:]
            child = e_node[:-1][same]
            parent = e_node[1:][same]
            est = e_stack[:-1][same]
            inl = ~e_outer[:-1][same]
            ok = child != parent
            child, parent, est, inl = child[ok], parent[ok], est[ok], inl[ok]
            # pprof walks root -> leaf and keeps the first occurrence per sample:
            # the last one in our leaf-first order.
            key = (est * nn + parent) * nn + child
            # last occurrence of each key (stable sort keeps the original order)
            order = np.argsort(key, kind="stable")
            ks = key[order]
            last = np.ones(ks.size, dtype=bool)
            last[:-1] = ks[1:] != ks[:-1]
            idx = order[last]
            ekey = (parent[idx] * nn + child[idx])
            ew = sw[est[idx]]
            einl = inl[idx]
            order = np.argsort(ekey, kind="stable")
            ks = ekey[order]
            newgrp = np.ones(ks.size, dtype=bool)
            newgrp[1:] = ks[1:] != ks[:-1]
            uk = ks[newgrp]
            inv = np.empty(ks.size, dtype=np.int64)
            inv[order] = np.cumsum(newgrp) - 1
            weight = np.zeros(uk.size, dtype=np.int64)
            np.add.at(weight, inv, ew)
            all_inl = np.ones(uk.size, dtype=bool)
            np.logical_and.at(all_inl, inv, einl)
            total_value = int(flat.sum())
            cutoff = abs(int(float(total_value) * edge_fraction))
            kept = np.abs(weight) >= cutoff
            dest = uk[kept] % nn
            np.logical_or.at(inline_any, dest[all_inl[kept]], True)
            np.logical_or.at(noinline_any, dest[~all_inl[kept]], True)
    sel = np.flatnonzero((flat != 0) | (cum != 0))
    names = [g.names[i] for i in sel]
    df = pd.DataFrame({"function": names, "flat": flat[sel], "cum": cum[sel],
                       "_ia": inline_any[sel], "_na": noinline_any[sel]})
    df["_af"] = df["flat"].abs()
    df["_ac"] = df["cum"].abs()
    df = df.sort_values(["_af", "function", "_ac"], ascending=[False, True, False], kind="stable")
    df = df.reset_index(drop=True)
    df["flat_pct"] = _pct(df["flat"].to_numpy(), total)
    df["sum_pct"] = _pct(np.cumsum(df["flat"].to_numpy()), total)
    df["cum_pct"] = _pct(df["cum"].to_numpy(), total)
    df["inline"] = np.where(df["_ia"], np.where(df["_na"], "partial-inline", "inline"), "")
    out = df[["function", "flat", "flat_pct", "sum_pct", "cum", "cum_pct", "inline"]]
    out.attrs["total"] = total
    out.attrs["sample_type"] = profile.sample_types[si]
    return out


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    x = np.sort(a)
    if x.size == 0:
        return x
    keep = np.ones(x.size, dtype=bool)
    keep[1:] = x[1:] != x[:-1]
    return x[keep]


def _go_round(x: np.ndarray) -> np.ndarray:
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def profile_diff(base: Profile, new: Profile, *, normalize: bool = False) -> Profile:
    """``go tool pprof -diff_base=base new``: one profile, base samples negated.

    Base samples get the label ``pprof::base=true`` so totals and
    percentages are taken relative to the base, as pprof does. With
    ``normalize`` (``-normalize``) the *new* profile is scaled per sample
    type by ``base_total / new_total`` (Go's ``Profile.Normalize`` on the
    source profile, rounding half away from zero; zero samples dropped).
    """
    if [t for t, _ in base.sample_types] != [t for t, _ in new.sample_types]:
        raise ValueError(f"incompatible sample types: {base.sample_types} vs {new.sample_types}")
    n = new
    if normalize:
        # pprof merges identical samples (same stack and labels) while loading,
        # before Normalize rounds each one: do the same so the rounding agrees.
        n = _merge_identical(new)
        bt = base.values.sum(axis=0).astype(float)
        st = new.values.sum(axis=0).astype(float)
        ratio = np.where(st == 0, 0.0, bt / np.where(st == 0, 1.0, st))
        if not np.all(ratio == 1):
            vals = n.values.copy()
            cols = ratio != 1
            vals[:, cols] = _go_round(vals[:, cols].astype(float) * ratio[cols])
            keep = (vals[:, cols] != 0).any(axis=1)
            n = _subset(n, keep, vals)
    b = _subset(base, np.ones(base.n_samples, dtype=bool), -base.values)
    b.labels = [{**(lab or {}), _BASE_LABEL: ["true"]} for lab in b.labels]
    out = concat_profiles([n, b], source=f"diff({base.source} → {new.source})")
    out.time_ns, out.duration_ns = new.time_ns, new.duration_ns
    return out


def _merge_identical(p: Profile) -> Profile:
    groups: dict[tuple[object, ...], int] = {}
    first: list[int] = []
    inv = np.empty(p.n_samples, dtype=np.int64)
    for i, (st, lab, nlab) in enumerate(zip(p.sample_stack.tolist(), p.labels, p.num_labels, strict=True)):
        key = (st, tuple(sorted((k, tuple(v)) for k, v in (lab or {}).items())),
               tuple(sorted((k, tuple(v)) for k, v in (nlab or {}).items())))
        g = groups.get(key)
        if g is None:
            g = groups[key] = len(first)
            first.append(i)
        inv[i] = g
    vals = np.zeros((len(first), p.values.shape[1]), dtype=np.int64)
    np.add.at(vals, inv, p.values)
    keep = np.zeros(p.n_samples, dtype=bool)
    keep[first] = True
    out = _subset(p, keep, p.values)
    out.values = vals
    return out


def _subset(p: Profile, keep: np.ndarray, values: np.ndarray) -> Profile:
    return Profile(
        sample_types=list(p.sample_types), default_sample_type=p.default_sample_type,
        locations=p.locations, stack_offsets=p.stack_offsets, stack_locs=p.stack_locs,
        sample_stack=p.sample_stack[keep], values=values[keep],
        labels=[lab for lab, k in zip(p.labels, keep, strict=True) if k],
        num_labels=[lab for lab, k in zip(p.num_labels, keep, strict=True) if k],
        num_label_units=dict(p.num_label_units), period_type=p.period_type, period=p.period,
        time_ns=p.time_ns, duration_ns=p.duration_ns, comments=list(p.comments),
        drop_frames=p.drop_frames, keep_frames=p.keep_frames, mappings=p.mappings, source=p.source)


def top_diff(
    base: Profile,
    new: Profile,
    *,
    sample_index: int | str | None = None,
    value: Literal["flat", "cum"] = "flat",
    normalize: bool = False,
    granularity: Granularity = "functions",
) -> pd.DataFrame:
    """Per-function change between two profiles.

    Each row is one function present in either profile.

    Returns
    -------
    pandas.DataFrame
        Columns ``function``, ``base``, ``new``, ``delta`` (new − base, in
        the sample type's unit; ``flat`` or ``cum`` per ``value``) and
        ``delta_pct`` (delta as % of the base total, pprof's -diff_base
        percentage). Ordered by ``|delta|`` descending, then name.
    """
    si = base.sample_index(sample_index)
    name = base.sample_types[si][0]
    if normalize:
        d = profile_diff(base, new, normalize=True)
        is_base = _base_mask(d)
        assert is_base is not None
        new = _subset(d, ~is_base, d.values)
    tb = profile_top(base, sample_index=si, granularity=granularity).set_index("function")[value]
    tn = profile_top(new, sample_index=new.sample_index(name), granularity=granularity) \
        .set_index("function")[value]
    df = pd.concat({"base": tb, "new": tn}, axis=1).fillna(0).astype("int64")
    df["delta"] = df["new"] - df["base"]
    btotal = int(np.abs(base.values[:, si]).sum())
    df["delta_pct"] = _pct(df["delta"].to_numpy(), btotal)
    df = df.rename_axis("function").reset_index()
    df["_a"] = df["delta"].abs()
    df = df.sort_values(["_a", "function"], ascending=[False, True], kind="stable").drop(columns="_a")
    return df.reset_index(drop=True)


def label_pivot(profile: Profile, key: str, *, sample_index: int | str | None = None) -> pd.DataFrame:
    """Value per label value (``go tool pprof -tags`` for one key).

    Each row is one value of label ``key`` (``<none>`` for samples without it).

    Returns
    -------
    pandas.DataFrame
        Columns ``value`` (the label value, str), ``samples`` (number of
        samples), ``total`` (sum of the chosen sample type, its unit) and
        ``pct`` (% of the profile total), ordered by ``total`` descending.
    """
    si = profile.sample_index(sample_index)
    col: list[str] = []
    for lab, nlab in zip(profile.labels, profile.num_labels, strict=True):
        if lab and key in lab:
            col.append(",".join(lab[key]))
        elif nlab and key in nlab:
            col.append(",".join(str(v) for v in nlab[key]))
        else:
            col.append("<none>")
    df = pd.DataFrame({"value": col, "v": profile.values[:, si]})
    out = df.groupby("value", sort=False).agg(samples=("v", "size"), total=("v", "sum")).reset_index()
    tot = int(np.abs(profile.values[:, si]).sum())
    out["pct"] = _pct(out["total"].to_numpy(), tot)
    out = out.sort_values(["total", "value"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True).astype({"samples": "int64", "total": "int64"})


def flame_table(
    profile: Profile,
    *,
    sample_index: int | str | None = None,
    max_nodes: int = 2000,
    min_fraction: float = 0.0,
) -> pd.DataFrame:
    """Aggregated call tree (root first) for flame/icicle graphs.

    Each row is one call path: a function reached through one particular
    chain of callers (inlined frames are nodes of their own).

    Parameters
    ----------
    max_nodes
        Keep at most this many nodes, the heaviest ones (a parent always
        weighs at least as much as a child, so the tree stays connected).
    min_fraction
        Drop nodes lighter than this fraction of the total.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (int, 0 = the root ``"root"``), ``parent`` (int, −1
        for the root), ``function``, ``depth`` (root = 0), ``value`` (cum,
        in the sample type's unit) and ``self_value`` (flat). Parents come
        before their children.
    """
    si = profile.sample_index(sample_index)
    g = _Graph(profile, "functions")
    w = profile.values[:, si]
    sw = np.zeros(profile.n_stacks, dtype=np.int64)
    np.add.at(sw, profile.sample_stack, w)
    children: dict[tuple[int, int], int] = {}
    parent = [-1]
    func = [-1]
    depth = [0]
    val = [0]
    selfv = [0]
    off = profile.stack_offsets.tolist()
    locs = profile.stack_locs.tolist()
    ls = g.loc_start.tolist()
    lc = g.loc_count.tolist()
    nodes = g.nodes.tolist()
    for k in np.flatnonzero(sw).tolist():
        v = int(sw[k])
        cur = 0
        val[0] += v
        for li in reversed(locs[off[k]:off[k + 1]]):
            s0 = ls[li]
            for j in range(s0 + lc[li] - 1, s0 - 1, -1):
                fid = nodes[j]
                nxt = children.get((cur, fid))
                if nxt is None:
                    nxt = len(parent)
                    children[(cur, fid)] = nxt
                    parent.append(cur)
                    func.append(fid)
                    depth.append(depth[cur] + 1)
                    val.append(0)
                    selfv.append(0)
                val[nxt] += v
                cur = nxt
        selfv[cur] += v
    names = ["root"] + [g.names[f] for f in func[1:]]
    df = pd.DataFrame({"id": np.arange(len(parent)), "parent": parent, "function": names,
                       "depth": depth, "value": val, "self_value": selfv})
    total = abs(val[0]) or 1
    order = df.assign(_a=df["value"].abs()).sort_values(["_a", "depth"], ascending=[False, True],
                                                        kind="stable")
    order = order[(order["_a"] >= min_fraction * total) | (order["id"] == 0)]
    keep_ids = set(order["id"].head(max(int(max_nodes), 1)).tolist())
    keep_ids.add(0)
    # keep connectivity under ties / negative values
    par = df["parent"].tolist()
    for i in list(keep_ids):
        p = par[i]
        while p >= 0 and p not in keep_ids:
            keep_ids.add(p)
            p = par[p]
    out = df[df["id"].isin(keep_ids)].sort_values(["depth", "id"], kind="stable").reset_index(drop=True)
    out.attrs["total"] = val[0]
    out.attrs["sample_type"] = profile.sample_types[si]
    return out


def format_percentage(value: float) -> str:
    """pprof's ``measurement.Percentage`` rendering of a percentage (absolute)."""
    r = abs(value)
    if 99.95 <= r <= 100.05:
        return "  100%"
    if r >= 1.0:
        return f"{r:5.2f}%"
    return _go_g(r) + "%"


def _go_g(r: float) -> str:
    # Go's %5.2g
    if r == 0:
        s = "0"
    else:
        exp = math.floor(math.log10(r))
        s = f"{r:.2g}"
        if "e" in s:
            mant, e = s.split("e")
            s = f"{mant}e{int(e):+03d}"
        _ = exp
    return s.rjust(5)
