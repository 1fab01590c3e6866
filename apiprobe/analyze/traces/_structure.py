"""Where the time of a request goes: span tree, critical path, self time, per-trace summary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe.analyze.traces._spans import _MS, _NAT, _critical_segments, _prep, _traces, _ts

# --------------------------------------------------------------------------- structure and time


def span_tree(spans: pd.DataFrame, trace_id: str | None = None) -> pd.DataFrame:
    """Spans in tree order (depth first, children by start time) with their depth.

    Parameters
    ----------
    spans
        A ``spans`` table.
    trace_id
        One trace; None for every trace (in order of first appearance).

    Returns
    -------
    pandas.DataFrame
        The spans (one row per ``(trace_id, span_id)``) with ``depth`` (0 for
        roots; a span whose parent is missing is a root) and
        ``parent_missing`` (bool), in drawing order.
    """
    df, trees = _traces(spans, trace_id)
    rows: list[int] = []
    depths: list[int] = []
    missing: list[bool] = []
    for _, tree in trees:
        for k, d in tree.depth_first():
            rows.append(int(tree.idx[k]))
            depths.append(d)
            missing.append(bool(tree.missing_parent[k]))
    cols = [c for c in spans.columns if c in df.columns]
    cols += [c for c in ("service", "name", "kind", "status") if c not in cols]
    out = df.iloc[rows][cols].reset_index(drop=True)
    out["depth"] = np.asarray(depths, dtype="int64")
    out["parent_missing"] = np.asarray(missing, dtype=bool)
    return out


def critical_path(spans: pd.DataFrame, trace_id: str | None = None) -> pd.DataFrame:
    """The critical path of a trace, computed as the Jaeger UI does (REFERENCE §7).

    Children are first clipped to their parent's interval (a child outliving
    its parent counts only until the parent ends; async children that start
    after the parent ended are dropped with their subtree). Then, from the
    root: follow the last-finishing child; the parent's time after that child
    is critical; step back to the child that finished before that one
    started (or exactly when it started: back-to-back calls are both
    critical, where the Jaeger UI credits the parent); recurse. Overlapping
    children that finish while a later child runs are not critical.

    The root is the span without a (present) parent that started first (the
    longest on a tie); other root subtrees are not walked. The ``spans``
    table keeps one parent and no reference type, so a Jaeger
    ``FOLLOWS_FROM`` child counts as a child here; the clipping drops the
    fire-and-forget ones, which start after their parent ended.

    Parameters
    ----------
    spans
        A ``spans`` table.
    trace_id
        The trace; None for every trace in the table.

    Returns
    -------
    pandas.DataFrame
        One row per critical segment, in time order within each trace:
        ``trace_id``, ``span_id``, ``service``, ``name``, ``start``, ``end``
        (the segment, UTC) and ``duration_ms``. A span appears once per
        segment (a parent's time before and after a child are two rows).
        The segments of a trace add up to its root's duration.
    """
    df, trees = _traces(spans, trace_id)
    pos: list[int] = []
    seg_s: list[int] = []
    seg_e: list[int] = []
    for _, tree in trees:
        for k, a, b in _critical_segments(tree):
            pos.append(int(tree.idx[k]))
            seg_s.append(a)
            seg_e.append(b)
    picked = df.iloc[pos]
    s_ns, e_ns = np.asarray(seg_s, dtype="int64"), np.asarray(seg_e, dtype="int64")
    out = pd.DataFrame(
        {
            "trace_id": picked["trace_id"].astype("string").to_numpy(),
            "span_id": picked["span_id"].astype("string").to_numpy(),
            "service": picked["service"].astype("string").to_numpy(),
            "name": picked["name"].astype("string").to_numpy(),
            "start": pd.DatetimeIndex(s_ns.view("datetime64[ns]")).tz_localize("UTC"),
            "end": pd.DatetimeIndex(e_ns.view("datetime64[ns]")).tz_localize("UTC"),
            "duration_ms": (e_ns - s_ns).astype("float64") / _MS,
        }
    )
    for col in ("trace_id", "span_id", "service", "name"):
        out[col] = out[col].astype("string")
    return out


def self_time(spans: pd.DataFrame) -> pd.DataFrame:
    """Per span: its duration minus the time covered by its children.

    Children's intervals are clipped to the span and merged (overlapping
    children count once), so ``self_ms`` is the time the span spent in its
    own code or waiting on something that has no span.

    A span naming itself as its parent is not its own child (it is a root,
    as in :func:`span_tree` and :func:`critical_path`). Spans on a longer
    parent cycle (a → b → a) are taken as written, each a child of the
    other; :func:`trace_summary` counts them in ``cycle_spans``.

    Parameters
    ----------
    spans : pandas.DataFrame
        A spans table.

    Returns
    -------
    pandas.DataFrame
        ``trace_id, span_id, parent_span_id, service, name, kind, start,
        duration_ms, children_ms, self_ms`` for every timed span (NaN
        ``children_ms``/``self_ms`` for spans without start or end).
    """
    df = _prep(spans)
    key = df["trace_id"].astype(str) + "/" + df["span_id"].astype(str)
    df["_key"] = key.to_numpy()
    timed = df[df["_ok"]]
    par = timed[["trace_id", "span_id", "_s", "_e"]].rename(
        columns={"span_id": "parent_span_id", "_s": "_ps", "_e": "_pe"}
    )
    not_self = (timed["parent_span_id"] != timed["span_id"]).fillna(True).to_numpy(dtype=bool)
    kids = timed.loc[not_self, ["trace_id", "parent_span_id", "_s", "_e"]].merge(par, on=["trace_id", "parent_span_id"])
    kids["_cs"] = np.maximum(kids["_s"].to_numpy(), kids["_ps"].to_numpy())
    kids["_ce"] = np.minimum(kids["_e"].to_numpy(), kids["_pe"].to_numpy())
    kids = kids[kids["_ce"] > kids["_cs"]]
    kids = kids.assign(_pkey=kids["trace_id"].astype(str) + "/" + kids["parent_span_id"].astype(str))
    kids = kids.sort_values(["_pkey", "_cs"], kind="stable")
    cummax = kids.groupby("_pkey", sort=False)["_ce"].cummax()
    prev = cummax.groupby(kids["_pkey"], sort=False).shift(1, fill_value=_NAT).to_numpy(dtype="int64")
    lo = np.maximum(kids["_cs"].to_numpy(dtype="int64"), prev)
    covered = pd.Series(np.clip(kids["_ce"].to_numpy(dtype="int64") - lo, 0, None), index=kids.index)
    union = covered.groupby(kids["_pkey"], sort=False).sum()
    dur = np.where(df["_ok"], (df["_e"] - df["_s"]).to_numpy(dtype="float64") / _MS, np.nan)
    child = df["_key"].map(union).fillna(0).to_numpy(dtype="float64") / _MS
    child = np.where(df["_ok"], child, np.nan)
    out = df[["trace_id", "span_id", "parent_span_id", "service", "name", "kind", "start"]].copy()
    out["duration_ms"] = dur
    out["children_ms"] = child
    out["self_ms"] = dur - child
    return out.reset_index(drop=True)


def service_self_time(spans: pd.DataFrame) -> pd.DataFrame:
    """Self time (:func:`self_time`) summed per service: which service's own code takes the time.

    Parameters
    ----------
    spans : pandas.DataFrame
        A spans table.

    Returns
    -------
    pandas.DataFrame
        ``service, spans, traces, self_ms`` (sum), ``mean_self_ms``,
        ``share`` (of all self time, 0–1), largest first. Spans without a
        service are grouped under ``"(unknown)"``.
    """
    st = self_time(spans)
    st = st[st["self_ms"].notna()]
    cols = ["service", "spans", "traces", "self_ms", "mean_self_ms", "share"]
    if st.empty:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "service" else "float64") for c in cols})
    svc = st["service"].astype("string").fillna("(unknown)")
    g = st.groupby(svc.rename("service"), sort=False)
    out = pd.DataFrame(
        {
            "spans": g.size(),
            "traces": g["trace_id"].nunique(),
            "self_ms": g["self_ms"].sum(),
            "mean_self_ms": g["self_ms"].mean(),
        }
    )
    total = float(out["self_ms"].sum())
    out["share"] = out["self_ms"] / total if total > 0 else np.nan
    out = out.sort_values(["self_ms", "spans"], ascending=False, kind="stable").reset_index()
    out["service"] = out["service"].astype("string")
    return out[cols]


def trace_summary(spans: pd.DataFrame) -> pd.DataFrame:
    """One row per trace: its root, extent, services and what is wrong with it.

    Parameters
    ----------
    spans : pandas.DataFrame
        A spans table.

    Returns
    -------
    pandas.DataFrame
        ``trace_id, root_service, root_name, start, end, duration_ms`` (from
        the first span start to the last span end, as the Jaeger UI shows a
        trace's duration), ``spans``, ``services`` (comma-separated, in order
        of first span start), ``n_services``, ``error_spans``,
        ``missing_parents`` (spans whose parent is not in the trace),
        ``roots`` (spans without a present parent, or naming themselves as
        parent; more than one means the trace is broken or partial),
        ``duplicate_spans`` (rows repeating an id) and ``cycle_spans``
        (spans on a parent cycle such as a → b → a, or below one: no root
        leads to them, so the critical path and the root ignore them; a
        trace made only of a cycle has ``roots`` 0), ordered by start.
    """
    require_columns(spans, ["trace_id", "span_id"], table="spans")
    dups = (
        spans[spans["trace_id"].notna() & spans["span_id"].notna()]
        .duplicated(["trace_id", "span_id"])
        .groupby(spans["trace_id"])
        .sum()
    )
    df, trees = _traces(spans, None)
    svc_list = [v if isinstance(v, str) else None for v in df["service"].astype("string").tolist()]
    name_list = df["name"].astype("string").tolist()
    is_err = (df["status"].astype("string") == "error").fillna(False).to_numpy(dtype=bool)
    big = np.iinfo("int64").max
    rows: list[dict[str, Any]] = []
    for tid, tree in trees:
        timed_s = tree.start[tree.start != _NAT]
        timed_e = tree.end[tree.end != _NAT]
        first = int(timed_s.min()) if len(timed_s) else _NAT
        last = int(timed_e.max()) if len(timed_e) else _NAT
        root = tree.main_root()
        order = tree.idx[np.argsort(np.where(tree.start == _NAT, big, tree.start), kind="stable")]
        services = list(dict.fromkeys(v for v in (svc_list[j] for j in order) if v is not None))
        rows.append(
            {
                "trace_id": tid,
                "root_service": None if root is None else svc_list[tree.idx[root]],
                "root_name": None if root is None else name_list[tree.idx[root]],
                "start": _ts(first),
                "end": _ts(last),
                "duration_ms": (last - first) / _MS if first != _NAT and last != _NAT else np.nan,
                "spans": len(tree.idx),
                "services": ", ".join(services),
                "n_services": len(services),
                "error_spans": int(is_err[tree.idx].sum()),
                "missing_parents": int(tree.missing_parent.sum()),
                "roots": len(tree.roots),
                "duplicate_spans": int(dups.get(tid, 0)),
                "cycle_spans": tree.unrooted(),
            }
        )
    cols = [
        "trace_id",
        "root_service",
        "root_name",
        "start",
        "end",
        "duration_ms",
        "spans",
        "services",
        "n_services",
        "error_spans",
        "missing_parents",
        "roots",
        "duplicate_spans",
        "cycle_spans",
    ]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("start", "end"):
        out[c] = pd.to_datetime(out[c], utc=True)
    for c in ("trace_id", "root_service", "root_name", "services"):
        out[c] = out[c].astype("string")
    for c in ("spans", "n_services", "error_spans", "missing_parents", "roots", "duplicate_spans", "cycle_spans"):
        out[c] = out[c].astype("int64")
    out["duration_ms"] = out["duration_ms"].astype("float64")
    return out.sort_values("start", kind="stable", na_position="last").reset_index(drop=True)
