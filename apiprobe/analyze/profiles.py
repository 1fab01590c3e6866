"""pprof analysis: ``go tool pprof -top`` tables, diffs, label pivots, flame trees.

Everything here takes a :class:`~apiprobe.load.pprof.Profile` and returns a
DataFrame (or a new Profile for :func:`profile_diff` and
:func:`filter_profile`); nothing is mutated except a cache of derived arrays
on the profile, which later calls (other sample types, focus, ignore) reuse.
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
from itertools import compress
from typing import Literal

import numpy as np
import pandas as pd

from apiprobe.analyze._profile_graph import (
    _BASE_LABEL,
    _EXACT_F64,
    _INLINE_MARKERS,
    Granularity,
    _base_mask,
    _cached,
    _graph,
    _pct,
    _sample_mask,
    _Structure,
    _structure,
    _total,
    _wsum,
)
from apiprobe.errors import InvalidParameterError
from apiprobe.load.pprof import Profile, concat_profiles, share_locations

__all__ = [
    "filter_profile",
    "flame_table",
    "format_percentage",
    "label_pivot",
    "profile_diff",
    "profile_top",
    "top_diff",
]


def filter_profile(
    profile: Profile, *, focus: str | None = None, ignore: str | None = None, tagfocus: str | None = None
) -> Profile:
    """The samples that ``-focus``, ``-ignore`` and ``-tagfocus`` keep, as a new profile.

    The selection of ``go tool pprof``, and the one :func:`profile_top`
    applies: whole samples are kept or dropped, never single frames, so
    every stack of the result is a stack of ``profile``. ``profile`` is not
    modified; the result shares its locations and stacks.

    Parameters
    ----------
    profile : Profile
        A profile from :func:`~apiprobe.load.pprof.read_pprof`.
    focus : str, optional
        Regex (``-focus``) searched in the function names, file names and
        mapping file of each location: keep the samples with a matching frame.
    ignore : str, optional
        Regex (``-ignore``), searched the same way: drop the samples with a
        matching frame (also when a frame matches ``focus`` too).
    tagfocus : str, optional
        ``key=regex`` (``-tagfocus``): keep the samples that have the string
        label ``key`` with a value the regex matches. Several regexes,
        comma-separated (``handler=/v1/charge,/v1/refunds``), keep a sample
        when *any* of them matches one of its values, as in pprof. Without
        ``key=`` each regex is matched against the sample's ``key:value``
        pairs and *every* regex must match one (pprof's rule for that form).
        Numeric label ranges (``bytes=1mb:``, ``:64kb``, ``1kb:4kb``, a bare
        number such as ``status=200``) are not supported: pprof reads such a
        value as a range over numeric labels, and it is refused rather than
        matched as text; write ``status=^200$`` to match the string label.

    Returns
    -------
    Profile
        The kept samples with their values and labels, in their order; the
        sample types, period, time and mappings of ``profile``. With no
        filter given, every sample.

    Raises
    ------
    re.error
        When a regex does not compile.
    InvalidParameterError
        When ``tagfocus`` is a numeric range.
    """
    mask = _sample_mask(profile, focus, ignore, tagfocus)
    return _subset(profile, np.ones(profile.n_samples, dtype=bool) if mask is None else mask, profile.values)


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
        with a matching frame, ``ignore`` drops them: the samples
        :func:`filter_profile` keeps. Percentages stay relative to the
        unfiltered total, as in pprof.
    tagfocus
        ``key=regex`` (``-tagfocus``): keep samples that have string label
        ``key`` with a matching value; with several comma-separated regexes
        (``key=re1,re2``) a sample is kept when *any* of them matches. Without
        ``key=``, every regex must match one of the sample's ``key:value``
        pairs. Numeric ranges (``bytes=1mb:``, ``status=200``) are not
        supported and raise :class:`~apiprobe.errors.InvalidParameterError`
        (see :func:`filter_profile`).
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
        pprof: ``|flat|`` descending, then name, then ``|cum|`` descending,
        then pprof's node text (rows of one file at ``files`` granularity,
        one per function start line, in Go 1.19's pprof order; the pprof in
        current Go leaves such rows in an unspecified order).
    """
    si = profile.sample_index(sample_index)
    total = _total(profile, si)
    g = _graph(profile, granularity)
    s = _cached(profile, ("structure", granularity), lambda: _structure(profile, g), stacks=True)
    # the filter (filter_profile's selection) only drops samples: the graph and the
    # stack structure stay the profile's own, cached on it
    mask = _sample_mask(profile, focus, ignore, tagfocus)
    w = profile.values[:, si]
    keep = w != 0
    if mask is not None:
        keep &= mask
    n_st = profile.n_stacks
    ss = profile.sample_stack[keep]
    # per-stack weight of the kept samples; a stack without any has weight 0
    # and adds nothing below, so all stacks are processed at once
    wk = w[keep]
    # every partial sum below is bounded by sum(|w|): below 2**53 float64 sums are exact
    exact = wk.size == 0 or float(np.abs(wk).sum(dtype=np.float64)) < _EXACT_F64
    sw = _wsum(ss, wk, n_st, exact)
    nn = g.n
    nonempty = s.leaf >= 0
    flat = _wsum(s.leaf[nonempty], sw[nonempty], nn, exact)
    cum = _wsum(s.pair_node, sw[s.pair_stack], nn, exact)
    inline_any = np.zeros(nn, dtype=bool)
    noinline_any = np.zeros(nn, dtype=bool)
    if s.edge_stack.size:
        present = np.zeros(n_st, dtype=bool)
        present[ss] = True
        _mark_inline(s, present, sw, int(flat.sum()), edge_fraction, inline_any, noinline_any)
    sel = np.flatnonzero((flat != 0) | (cum != 0))
    flat_s, cum_s = flat[sel], cum[sel]
    # pprof's FlatNameOrder: |flat| descending, the printed name, |cum| descending, the NodeInfo as text
    sel = sel[np.lexsort((g.info_rank[sel], -np.abs(cum_s), g.name_rank[sel], -np.abs(flat_s)))]
    flat_s, cum_s = flat[sel], cum[sel]
    marker = np.where(inline_any[sel], np.where(noinline_any[sel], 2, 1), 0)
    out = pd.DataFrame(
        {
            # (an empty table gets the column types pandas infers for no rows, as before)
            "function": g.names_array[sel] if sel.size else [],
            "flat": flat_s,
            "flat_pct": _pct(flat_s, total),
            "sum_pct": _pct(np.cumsum(flat_s), total),
            "cum": cum_s,
            "cum_pct": _pct(cum_s, total),
            "inline": _INLINE_MARKERS[marker] if sel.size else np.zeros(0, dtype="<U14"),
        }
    )
    out.attrs["total"] = total
    out.attrs["sample_type"] = profile.sample_types[si]
    return out


def _mark_inline(
    s: _Structure,
    present: np.ndarray,
    sw: np.ndarray,
    total_value: int,
    edge_fraction: float,
    inline_any: np.ndarray,
    noinline_any: np.ndarray,
) -> None:
    """Set ``inline_any``/``noinline_any`` of nodes that are the child of a kept, (not) all-inlined edge."""
    use = present[s.edge_stack]
    est, parent, child, inl = s.edge_stack[use], s.edge_parent[use], s.edge_child[use], s.edge_inline[use]
    if est.size == 0:
        return
    # pprof walks root -> leaf and keeps the first occurrence per sample: the
    # last one in our leaf-first order (lexsort is stable)
    order = np.lexsort((child, parent, est))
    e, p, c = est[order], parent[order], child[order]
    last = np.ones(e.shape[0], dtype=bool)
    last[:-1] = (e[1:] != e[:-1]) | (p[1:] != p[:-1]) | (c[1:] != c[:-1])
    idx = order[last]
    ep, ec, ew, einl = parent[idx], child[idx], sw[est[idx]], inl[idx]
    # edges parent -> child over all stacks: weight sum, inline only if every occurrence is
    order = np.lexsort((ec, ep))
    ep, ec, ew, einl = ep[order], ec[order], ew[order], einl[order]
    newgrp = np.ones(ep.shape[0], dtype=bool)
    newgrp[1:] = (ep[1:] != ep[:-1]) | (ec[1:] != ec[:-1])
    starts = np.flatnonzero(newgrp)
    weight = np.add.reduceat(ew, starts)
    all_inl = np.logical_and.reduceat(einl, starts)
    cutoff = abs(int(float(total_value) * edge_fraction))
    kept = np.abs(weight) >= cutoff
    dest = ec[starts][kept]
    inline_any[dest[all_inl[kept]]] = True
    noinline_any[dest[~all_inl[kept]]] = True


def _go_round(x: np.ndarray) -> np.ndarray:
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def profile_diff(base: Profile, new: Profile, *, normalize: bool = False) -> Profile:
    """``go tool pprof -diff_base=base new``: one profile, base samples negated.

    Base samples get the label ``pprof::base=true`` so totals and
    percentages are taken relative to the base, as pprof does. With
    ``normalize`` (``-normalize``) the *new* profile is scaled per sample
    type by ``base_total / new_total`` (Go's ``Profile.Normalize`` on the
    source profile, rounding half away from zero; zero samples dropped).
    Each sample is rounded as the file holds it, as current Go (1.20 and
    later) does; Go 1.19's pprof merged identical samples (same stack and
    labels) first, so its ``-normalize`` totals can differ by a unit per
    merged sample.

    Parameters
    ----------
    base : Profile
        The profile from before (the baseline).
    new : Profile
        The profile under review.
    normalize : bool, default False
        Scale ``new`` to the base's totals per sample type (``-normalize``).

    Returns
    -------
    Profile
        One profile: the new samples and the negated base samples, labelled ``pprof::base``.
    """
    if [t for t, _ in base.sample_types] != [t for t, _ in new.sample_types]:
        raise InvalidParameterError(f"incompatible sample types: {base.sample_types} vs {new.sample_types}")
    n = new
    if normalize:
        # pprof since google/pprof#729 (Go 1.20+) no longer merges a single source
        # profile before Normalize rounds each sample: round the samples as they are.
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
        key = (
            st,
            tuple(sorted((k, tuple(v)) for k, v in (lab or {}).items())),
            tuple(sorted((k, tuple(v)) for k, v in (nlab or {}).items())),
        )
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
    """The samples of ``p`` where ``keep`` (bool per sample), with ``values`` (rows per sample of ``p``).

    Stacks, locations and the arrays cached on ``p`` (which depend on those
    only) are shared; the label dicts are the same objects, in new lists.
    """
    if keep.all():
        labels, num_labels = list(p.labels), list(p.num_labels)
    else:  # itertools.compress walks the lists in C: no Python code per sample
        flags = keep.tolist()
        labels, num_labels = list(compress(p.labels, flags)), list(compress(p.num_labels, flags))
    out = Profile(
        sample_types=list(p.sample_types),
        default_sample_type=p.default_sample_type,
        locations=[],
        stack_offsets=p.stack_offsets,
        stack_locs=p.stack_locs,
        sample_stack=p.sample_stack[keep],
        values=values[keep],
        labels=labels,
        num_labels=num_labels,
        num_label_units=dict(p.num_label_units),
        period_type=p.period_type,
        period=p.period,
        time_ns=p.time_ns,
        duration_ns=p.duration_ns,
        comments=list(p.comments),
        drop_frames=p.drop_frames,
        keep_frames=p.keep_frames,
        mappings=p.mappings,
        source=p.source,
    )
    share_locations(out, p)
    # graphs and stack structures, validated by the identity of the shared locations and stacks
    out._cache = dict(p._cache)
    return out


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

    Parameters
    ----------
    base : Profile
        The profile from before.
    new : Profile
        The profile under review.
    sample_index : int or str, optional
        Sample type (index or name); default: the profile's default.
    value : {"flat", "cum"}, default "flat"
        Which value to compare.
    normalize : bool, default False
        Scale ``new`` to the base's total first (``-normalize``).
    granularity : str, default "functions"
        ``"functions"``, ``"files"``, ``"lines"`` or ``"addresses"``, as ``go tool pprof``.

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
    tn = profile_top(new, sample_index=new.sample_index(name), granularity=granularity).set_index("function")[value]
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

    Parameters
    ----------
    profile : Profile
        A profile from :func:`apiprobe.read_pprof`.
    key : str
        The pprof label to pivot by (e.g. ``"handler"``).
    sample_index : int or str, optional
        Sample type (index or name); default: the profile's default.

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
    profile : Profile
        A profile from :func:`apiprobe.read_pprof`.
    sample_index : int or str, optional
        Sample type (index or name such as ``"cpu"``); default: the profile's default.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (int, 0 = the root ``"root"``), ``parent`` (int, −1
        for the root), ``function``, ``depth`` (root = 0), ``value`` (cum,
        in the sample type's unit) and ``self_value`` (flat). Parents come
        before their children.
    """
    si = profile.sample_index(sample_index)
    g = _graph(profile, "functions")
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
        for li in reversed(locs[off[k] : off[k + 1]]):
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
    df = pd.DataFrame(
        {
            "id": np.arange(len(parent)),
            "parent": parent,
            "function": names,
            "depth": depth,
            "value": val,
            "self_value": selfv,
        }
    )
    total = abs(val[0]) or 1
    order = df.assign(_a=df["value"].abs()).sort_values(["_a", "depth"], ascending=[False, True], kind="stable")
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
