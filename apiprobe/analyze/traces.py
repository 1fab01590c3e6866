"""Traces and trace-id propagation (handbook §3.2).

Pure functions over a ``spans`` table (:func:`apiprobe.load.traces.read_traces`)
and an ``events`` table (log lines):

* where the time of a request goes: :func:`critical_path` (the Jaeger UI's
  method), :func:`self_time`, :func:`service_self_time`, :func:`trace_summary`,
  :func:`span_tree`;
* where the trace id is lost: :func:`orphan_spans`, :func:`broken_traces`,
  :func:`trace_coverage`, :func:`propagation_report`;
* logs and spans together: :func:`join_logs_to_spans`; from logs alone:
  :func:`trace_journeys`;
* findings: :func:`detect_span_faults` (``propagation_gap`` and ``slow_span``).

Conventions: a span is identified by ``(trace_id, span_id)``; a span exported
twice is counted once (the first row wins). A span's *parent is missing* when
``parent_span_id`` is set but no span of the same trace has that id. Spans
without a start or end time take no part in timing (critical path, self time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.errors import InvalidParameterError, SchemaError

__all__ = [
    "PEER_KEYS",
    "broken_traces",
    "critical_path",
    "detect_span_faults",
    "join_logs_to_spans",
    "orphan_spans",
    "propagation_report",
    "self_time",
    "service_self_time",
    "span_tree",
    "trace_coverage",
    "trace_journeys",
    "trace_summary",
]

_REF = "§3.2"
_DETECTOR = "detect_span_faults"
_NAT = np.iinfo("int64").min
_MS = 1e6  # ns per ms

#: Span attributes that name the service a client span calls, most specific first.
PEER_KEYS: tuple[str, ...] = ("peer.service", "rpc.service", "server.address", "net.peer.name", "http.host")

_CALLER_KINDS = frozenset({"client", "producer"})
_CALLEE_KINDS = frozenset({"server", "consumer"})
_ERROR_LEVELS = frozenset({"error", "fatal"})


# --------------------------------------------------------------------------- helpers


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} table lacks column(s) {', '.join(map(repr, missing))}; it has: {', '.join(map(str, df.columns))}"
        )


def _ns(series: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch; NaT becomes the int64 minimum."""
    idx = pd.DatetimeIndex(pd.to_datetime(series, utc=True))
    return np.asarray(idx.as_unit("ns").asi8, dtype="int64")


def _ts(ns: int) -> pd.Timestamp | None:
    return None if ns == _NAT else pd.Timestamp(ns, unit="ns", tz="UTC")


def _str(value: Any, missing: str = "") -> str:
    return missing if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else str(value)


def _prep(spans: pd.DataFrame) -> pd.DataFrame:
    """Spans with ids, one row per (trace_id, span_id), with ``_s``/``_e`` int64 ns and ``_ok``."""
    _require(spans, ["trace_id", "span_id", "parent_span_id", "start", "end"], "spans")
    df = spans[spans["trace_id"].notna() & spans["span_id"].notna()]
    df = df.drop_duplicates(["trace_id", "span_id"], keep="first").copy()
    for col in ("service", "name", "kind", "status"):
        if col not in df.columns:
            df[col] = pd.array([None] * len(df), dtype="string")
    df["_s"] = _ns(df["start"])
    df["_e"] = _ns(df["end"])
    df["_ok"] = (df["_s"] != _NAT) & (df["_e"] != _NAT) & (df["_e"] >= df["_s"])
    return df.reset_index(drop=True)


@dataclass
class _Tree:
    """One trace as arrays over its spans (local positions 0..n-1).

    ``idx`` maps local positions to rows of the prepared table; ``parent`` is
    the local parent (-1: a root, or a parent that is missing).
    """

    idx: np.ndarray
    start: np.ndarray
    end: np.ndarray
    ok: np.ndarray
    parent: np.ndarray
    missing_parent: np.ndarray
    children: list[list[int]] = field(default_factory=list)
    roots: list[int] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        idx: np.ndarray,
        span_ids: list[Any],
        parents: list[Any],
        start: np.ndarray,
        end: np.ndarray,
        ok: np.ndarray,
    ) -> _Tree:
        n = len(idx)
        pos = {span_ids[j]: k for k, j in enumerate(idx)}
        par = [parents[j] for j in idx]
        parent = [pos.get(p, -1) if isinstance(p, str) else -1 for p in par]
        missing = np.asarray([isinstance(p, str) and p not in pos for p in par], dtype=bool)
        parent = [-1 if p == k else p for k, p in enumerate(parent)]  # a span naming itself as parent
        children: list[list[int]] = [[] for _ in range(n)]
        for k, p in enumerate(parent):
            if p >= 0:
                children[p].append(k)
        st, en, good = start[idx], end[idx], ok[idx]
        roots = sorted(
            (k for k in range(n) if parent[k] < 0),
            key=lambda k: (st[k] == _NAT, st[k], -(en[k] - st[k]) if good[k] else 0, k),
        )
        return cls(idx, st, en, good, np.asarray(parent, dtype=int), missing, children, roots)

    def unrooted(self) -> int:
        """Spans no root leads to: on a parent cycle (a → b → a) or below one."""
        seen: set[int] = set()
        stack = list(self.roots)
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(self.children[i])
        return len(self.idx) - len(seen)

    def main_root(self) -> int | None:
        """The root the Jaeger UI would draw first: earliest start, then longest."""
        timed = [r for r in self.roots if self.ok[r]]
        return timed[0] if timed else (self.roots[0] if self.roots else None)

    def depth_first(self) -> list[tuple[int, int]]:
        """(index, depth) of every span: each root's subtree in turn, children by start time."""
        out: list[tuple[int, int]] = []
        seen: set[int] = set()
        n = len(self.idx)
        order_key = [(self.start[i] == _NAT, self.start[i], i) for i in range(n)]
        root_set = set(self.roots)
        starts = list(self.roots) + [i for i in range(n) if i not in root_set]
        for root in starts:  # cycles (a → b → a) have no root: reach them at the end
            if root in seen:
                continue
            stack = [(root, 0)]
            while stack:
                i, d = stack.pop()
                if i in seen:
                    continue
                seen.add(i)
                out.append((i, d))
                kids = sorted(self.children[i], key=lambda k: order_key[k], reverse=True)
                stack.extend((k, d + 1) for k in kids if k not in seen)
        return out

    def clipped(self, root: int) -> dict[int, tuple[int, int]]:
        """Intervals of ``root``'s timed descendants clipped to their parent's (clipped) interval.

        Children entirely outside their parent's interval (async work that
        starts after the parent ended) are dropped with their descendants,
        as the Jaeger UI does before computing the critical path.
        """
        out = {root: (int(self.start[root]), int(self.end[root]))}
        queue = [root]
        while queue:
            p = queue.pop()
            ps, pe = out[p]
            for c in self.children[p]:
                if not self.ok[c] or c in out:
                    continue
                cs, ce = int(self.start[c]), int(self.end[c])
                if cs >= pe or ce < ps or (ce == ps and cs < ps):
                    continue
                out[c] = (max(cs, ps), min(ce, pe))
                queue.append(c)
        return out


def _critical_segments(tree: _Tree) -> list[tuple[int, int, int]]:
    """Jaeger UI's critical path of the main root: ``(span index, start ns, end ns)`` segments.

    From the root, follow the last-finishing child; the parent's time after
    that child ended is critical. When a span has no (more) children, its
    time back to its start is critical and the walk returns to the parent,
    which continues with the child that finished before this one started.
    Children are ranked by end time (latest first, ties in input order) and
    the walk only moves down that ranking, so it always ends. A child that
    ends exactly when the next one starts counts (the Jaeger UI asks for
    strictly before, which hands a gap-less hand-over to the parent).
    """
    root = tree.main_root()
    if root is None or not tree.ok[root]:
        return []
    span = tree.clipped(root)
    kids = {i: sorted((c for c in tree.children[i] if c in span), key=lambda c: -span[c][1]) for i in span}
    parent = {c: p for p, cs in kids.items() for c in cs}
    rank = {c: r for cs in kids.values() for r, c in enumerate(cs)}
    segments: list[tuple[int, int, int]] = []
    cur, ret, after = root, None, -1  # after: rank of the child we returned from
    while True:
        s, e = span[cur]
        upto = e if ret is None else ret
        later = kids[cur][after + 1 :]
        lfc = next((c for c in later if ret is None or span[c][1] <= ret), None)
        if lfc is not None:
            if span[lfc][1] != upto:
                segments.append((cur, span[lfc][1], upto))
            cur, ret, after = lfc, None, -1
            continue
        if s != upto:
            segments.append((cur, s, upto))
        if cur == root:
            break
        cur, ret, after = parent[cur], s, rank[cur]
    return segments[::-1]


def _traces(spans: pd.DataFrame, trace_id: str | None) -> tuple[pd.DataFrame, list[tuple[str, _Tree]]]:
    """The prepared table and one tree per trace, in order of first appearance."""
    df = _prep(spans)
    if trace_id is not None:
        df = df[df["trace_id"] == trace_id].reset_index(drop=True)
    codes, uniques = pd.factorize(df["trace_id"], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    span_ids, parents = df["span_id"].tolist(), df["parent_span_id"].tolist()
    start, end, ok = df["_s"].to_numpy(dtype="int64"), df["_e"].to_numpy(dtype="int64"), df["_ok"].to_numpy(bool)
    trees = [
        (str(t), _Tree.build(order[bounds[g] : bounds[g + 1]], span_ids, parents, start, end, ok))
        for g, t in enumerate(uniques)
    ]
    return df, trees


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
    _require(spans, ["trace_id", "span_id"], "spans")
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


# --------------------------------------------------------------------------- propagation


def orphan_spans(spans: pd.DataFrame) -> pd.DataFrame:
    """Spans whose ``parent_span_id`` names a span that is not in their trace.

    The caller's context reached this service (the trace id is right) but the
    parent span never arrived: it was not exported (sampled out, exporter
    errors, a service not instrumented that still forwards ``traceparent``)
    or the span id was mangled in propagation. A trace read only partly
    (one file of several) shows the same symptom.

    Parameters
    ----------
    spans : pandas.DataFrame
        A spans table.

    Returns
    -------
    pandas.DataFrame
        The orphan rows of ``spans`` (one per span id), in input order.
    """
    df = _prep(spans)
    present = set(zip(df["trace_id"], df["span_id"], strict=True))
    mask = [
        isinstance(p, str) and (t, p) not in present for t, p in zip(df["trace_id"], df["parent_span_id"], strict=True)
    ]
    cols = [c for c in spans.columns]
    return df.loc[np.asarray(mask, dtype=bool), cols].reset_index(drop=True)


def _peer(attrs: Any, services: set[str]) -> str | None:
    if not isinstance(attrs, dict):
        return None
    for key in PEER_KEYS:
        value = attrs.get(key)
        if isinstance(value, str) and value:
            host = value.split(":")[0]
            for cand in (value, host, host.split(".")[0]):
                if cand in services:
                    return cand
    return None


#: A service whose server spans start a new trace this often is an entry point (edge).
_ENTRY_ROOT_SHARE = 0.9
#: ... judged only from at least this many server spans.
_ENTRY_MIN_SPANS = 5


def broken_traces(spans: pd.DataFrame, *, skew_ms: float = 25.0) -> pd.DataFrame:
    """Calls whose callee's spans are missing from the trace, or were recorded under another trace id.

    A ``client`` (or ``producer``) span with no ``server``/``consumer``
    child (and no child of another service) is normal when the callee is not
    instrumented (a database, a cache, a third party). It is reported only
    when there is evidence that the callee is traced:

    * ``restarted_trace``: a span of another service that *starts a trace*
      (no parent in its trace; kind server, consumer or unspecified) ran
      inside the call — it started no earlier than ``skew_ms`` before the
      client span and ended no later than ``skew_ms`` after it — under a
      different trace id: the callee did not extract the incoming context
      (``traceparent`` / ``b3`` header not injected or not read) and began a
      new trace. When the client span names its callee (:data:`PEER_KEYS`),
      only that service's spans are candidates; when it does not, the match
      is made only if exactly one candidate exists, so busy periods with
      many concurrent requests do not produce coincidental matches, and
      never with an entry service (one with at least 5 server spans that
      start a new trace at least 90 % of the time, like an edge gateway). Calls
      to databases and brokers (``db.system``, ``messaging.system``) are
      skipped. Each callee span is matched to at most one call (the closest
      in start time). This is timing evidence: confirm with the callee's logs.
    * ``missing_server_span``: the client span names a callee service
      (:data:`PEER_KEYS`) that has spans elsewhere in the table, but no span
      of it is under this call and no restarted trace matches.

    Parameters
    ----------
    spans
        A ``spans`` table.
    skew_ms
        Clock difference allowed between the caller's and the callee's
        hosts when matching a callee's root span to the call, ms.

    Returns
    -------
    pandas.DataFrame
        ``issue, trace_id, span_id, service, name, start, end, callee,
        other_trace_id, other_span_id, detail``, one row per call, by start.
    """
    cols = [
        "issue",
        "trace_id",
        "span_id",
        "service",
        "name",
        "start",
        "end",
        "callee",
        "other_trace_id",
        "other_span_id",
        "detail",
    ]
    df = _prep(spans)
    attrs = df["attrs"].tolist() if "attrs" in df.columns else [None] * len(df)
    tids, sids, svcs = df["trace_id"].tolist(), df["span_id"].tolist(), df["service"].tolist()
    names, parents = df["name"].tolist(), df["parent_span_id"].tolist()
    kinds = [k.lower() if isinstance(k, str) else None for k in df["kind"].astype("string").tolist()]
    starts, ends, ok = df["_s"].to_numpy(), df["_e"].to_numpy(), df["_ok"].to_numpy(dtype=bool)
    services = {str(v) for v in svcs if isinstance(v, str)}
    by_id = {(t, sp): i for i, (t, sp) in enumerate(zip(tids, sids, strict=True))}
    # a call is answered when a server/consumer span, or a span of another service, is under it
    answered: set[int] = set()
    for i, (t, p) in enumerate(zip(tids, parents, strict=True)):
        j = by_id.get((t, p)) if isinstance(p, str) else None
        if j is not None and (
            kinds[i] in _CALLEE_KINDS or (isinstance(svcs[i], str) and isinstance(svcs[j], str) and svcs[i] != svcs[j])
        ):
            answered.add(j)
    callers = [
        i
        for i in range(len(df))
        if kinds[i] in _CALLER_KINDS and ok[i] and i not in answered and not _backend_call(attrs[i])
    ]
    roots = np.asarray(
        [
            i
            for i in range(len(df))
            if ok[i]
            and (kinds[i] in _CALLEE_KINDS or kinds[i] is None)
            and not (isinstance(parents[i], str) and (tids[i], parents[i]) in by_id)
        ],
        dtype=int,
    )
    # Entry services (nearly all of their server spans start a trace, like an edge
    # gateway) start new traces all the time; that alone is no evidence of a lost
    # context, so they only count when the call names them.
    root_set = set(roots.tolist())
    served: dict[str, list[bool]] = {}
    for i in range(len(df)):
        if kinds[i] in _CALLEE_KINDS and isinstance(svcs[i], str):
            served.setdefault(svcs[i], []).append(i in root_set and not isinstance(parents[i], str))
    entry = {
        svc
        for svc, flags in served.items()
        if len(flags) >= _ENTRY_MIN_SPANS and sum(flags) >= _ENTRY_ROOT_SHARE * len(flags)
    }
    skew = int(skew_ms * _MS)
    candidates: list[tuple[int, int, int]] = []  # (start gap, caller, callee root)
    callee_of: dict[int, str | None] = {}
    r_start, r_end = starts[roots], ends[roots]
    for c in callers:
        callee = _peer(attrs[c], services - {_str(svcs[c])})
        callee_of[c] = callee
        inside = (r_start >= starts[c] - skew) & (r_end <= ends[c] + skew)
        found = [
            int(r)
            for r in roots[inside]
            if tids[r] != tids[c]
            and svcs[r] != svcs[c]
            and (svcs[r] == callee if callee is not None else svcs[r] not in entry)
        ]
        if callee is None and len(found) != 1:
            continue  # unnamed callee: only an unambiguous match is evidence
        candidates += [(abs(int(starts[r]) - int(starts[c])), c, r) for r in found]
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _gap, c, r in sorted(candidates):
        if c not in matched and r not in used:
            matched[c] = r
            used.add(r)
    rows: list[dict[str, Any]] = []
    for c in callers:
        base = {
            "trace_id": tids[c],
            "span_id": sids[c],
            "service": svcs[c],
            "name": names[c],
            "start": _ts(int(starts[c])),
            "end": _ts(int(ends[c])),
        }
        caller = f"{_str(svcs[c], '(unknown)')} ({_str(names[c])})"
        if c in matched:
            r = matched[c]
            gap = (int(starts[r]) - int(starts[c])) / _MS
            rows.append(
                {
                    **base,
                    "issue": "restarted_trace",
                    "callee": svcs[r],
                    "other_trace_id": tids[r],
                    "other_span_id": sids[r],
                    "detail": (
                        f"{_str(svcs[r])} started trace {tids[r][:12]}… ({_str(names[r])}) "
                        f"{gap:+.1f} ms after {caller} called it in trace {tids[c][:12]}…: "
                        "the trace context did not cross"
                    ),
                }
            )
        elif callee_of[c] is not None:
            callee = callee_of[c]
            rows.append(
                {
                    **base,
                    "issue": "missing_server_span",
                    "callee": callee,
                    "detail": (
                        f"{caller} called {callee} but no span of {callee} is under the call, "
                        f"although {callee} records spans"
                    ),
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    for col in ("start", "end"):
        out[col] = pd.to_datetime(out[col], utc=True)
    for col in cols:
        if col not in ("start", "end"):
            out[col] = out[col].astype("string")
    return out.sort_values(["start", "trace_id"], kind="stable").reset_index(drop=True)


def _backend_call(attrs: Any) -> bool:
    """A call to a database or a message broker, which has no server span of its own."""
    return isinstance(attrs, dict) and any(k in attrs for k in ("db.system", "messaging.system"))


def _usable_events(events: pd.DataFrame) -> pd.DataFrame:
    _require(events, ["service", "trace_id"], "events")
    if "parse_ok" in events.columns:
        events = events[events["parse_ok"].astype("boolean").fillna(True).to_numpy(dtype=bool)]
    return events


def trace_coverage(events: pd.DataFrame) -> pd.DataFrame:
    """Per service: how many log lines carry a trace id (and a span id).

    Lines that did not parse (``parse_ok`` False) are left out: their fields
    are unknown.

    Parameters
    ----------
    events : pandas.DataFrame
        An events table.

    Returns
    -------
    pandas.DataFrame
        ``service, lines, with_trace_id, share`` (0–1), ``with_span_id``,
        ``span_share``; lowest trace-id share first. Lines without a service
        are counted under ``"(unknown)"``.
    """
    ev = _usable_events(events)
    cols = ["service", "lines", "with_trace_id", "share", "with_span_id", "span_share"]
    if ev.empty:
        return pd.DataFrame({c: pd.Series(dtype="string" if c == "service" else "float64") for c in cols})
    svc = ev["service"].astype("string").fillna("(unknown)").rename("service")
    has_t = ev["trace_id"].astype("string").str.strip().fillna("").ne("")
    has_s = (
        ev["span_id"].astype("string").str.strip().fillna("").ne("")
        if "span_id" in ev.columns
        else pd.Series(False, index=ev.index)
    )
    g = pd.DataFrame({"service": svc, "t": has_t.to_numpy(), "s": has_s.to_numpy()}).groupby("service")
    out = pd.DataFrame({"lines": g.size(), "with_trace_id": g["t"].sum(), "with_span_id": g["s"].sum()})
    out["share"] = out["with_trace_id"] / out["lines"]
    out["span_share"] = out["with_span_id"] / out["lines"]
    out = out.reset_index().sort_values(["share", "service"], kind="stable").reset_index(drop=True)
    out["service"] = out["service"].astype("string")
    for c in ("lines", "with_trace_id", "with_span_id"):
        out[c] = out[c].astype("int64")
    return out[cols]


def join_logs_to_spans(events: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """Attach each log line to the span it was written in.

    A line is joined by ``(trace_id, span_id)`` when it logs a span id found
    in ``spans``; otherwise, when it has a trace id and a time, to the
    innermost span of the same trace and the same service whose interval
    contains the line's ``ts`` (innermost: the latest start, then the
    shortest). Lines without a service match spans of any service. Log and
    span clocks of one service come from the same host, so time containment
    is sound within a service; it is not used across services.

    Parameters
    ----------
    events : pandas.DataFrame
        An events table (:func:`apiprobe.read_logs`).
    spans : pandas.DataFrame
        A spans table (:func:`apiprobe.read_traces`).

    Returns
    -------
    pandas.DataFrame
        ``events`` (same rows, same order) plus ``joined_span_id``,
        ``span_service``, ``span_name``, ``span_start``, ``span_end`` and
        ``join_by`` (``"span_id"``, ``"time"`` or NA when no span fits).
    """
    _require(events, ["ts", "trace_id"], "events")
    sp = _prep(spans)
    ev = events.reset_index(drop=True)
    n = len(ev)
    out_span = np.full(n, None, dtype=object)
    how = np.full(n, None, dtype=object)
    tid = ev["trace_id"].astype("string").str.strip().str.lower()
    sid = (
        ev["span_id"].astype("string").str.strip().str.lower()
        if "span_id" in ev.columns
        else pd.Series(pd.NA, index=ev.index, dtype="string")
    )
    known = dict.fromkeys(zip(sp["trace_id"], sp["span_id"], strict=True), True)
    for i, (t, s) in enumerate(zip(tid, sid, strict=True)):
        if isinstance(t, str) and isinstance(s, str) and (t, s) in known:
            out_span[i], how[i] = s, "span_id"
    todo = [i for i in range(n) if how[i] is None and isinstance(tid.iloc[i], str)]
    if todo:
        left = pd.DataFrame(
            {
                "_row": todo,
                "trace_id": tid.iloc[todo].to_numpy(),
                "_svc": (
                    ev["service"].astype("string").iloc[todo].to_numpy()
                    if "service" in ev.columns
                    else pd.array([pd.NA] * len(todo), dtype="string")
                ),
                "_t": _ns(ev["ts"].iloc[todo]),
            }
        )
        left = left[left["_t"] != _NAT]
        right = sp[sp["_ok"]][["trace_id", "span_id", "service", "_s", "_e"]]
        m = left.merge(right, on="trace_id")
        same = (m["_svc"].isna() | (m["_svc"] == m["service"])).fillna(False).to_numpy(dtype=bool)
        m = m[same & (m["_s"] <= m["_t"]).to_numpy() & (m["_t"] <= m["_e"]).to_numpy()]
        if len(m):
            m = m.assign(_d=m["_e"] - m["_s"]).sort_values(
                ["_row", "_s", "_d"], ascending=[True, False, True], kind="stable"
            )
            best = m.drop_duplicates("_row")
            for r, s in zip(best["_row"], best["span_id"], strict=True):
                out_span[int(r)], how[int(r)] = s, "time"
    keys = pd.DataFrame({"trace_id": tid.to_numpy(dtype=object), "span_id": out_span})
    info = sp[["trace_id", "span_id", "service", "name", "start", "end"]]
    found = keys.merge(info, on=["trace_id", "span_id"], how="left", validate="many_to_one")
    out = events.copy().reset_index(drop=True)
    out["joined_span_id"] = pd.array(list(out_span), dtype="string")
    found.index = out.index
    out["span_service"] = found["service"].astype("string")
    out["span_name"] = found["name"].astype("string")
    out["span_start"] = pd.to_datetime(found["start"], utc=True)
    out["span_end"] = pd.to_datetime(found["end"], utc=True)
    out["join_by"] = pd.array(list(how), dtype="string")
    return out


def trace_journeys(events: pd.DataFrame) -> pd.DataFrame:
    """From log lines alone: one row per trace id, the path of the request through the services.

    * ``entry_service``: the service that received the request. Lines are
      ordered by their *start*, not by their timestamp: an access-log line
      (one with a ``latency_ms``) is written when the request finishes, so
      it started at ``ts − latency_ms``; a line without latency starts at
      ``ts``. The entry is the line that started first, where starts within
      1 ms of each other are a tie and a timestamp's resolution widens it (a
      whole-second timestamp, as some services log, may be up to 1 s late,
      a whole-millisecond one 1 ms); among tied lines the one with the
      largest latency wins (the entry's latency includes its downstream
      calls), then the earliest start;
    * ``services``: the entry service, then the others in order of their
      earliest line start (``" → "``);
    * ``lines``; ``first_ts``, ``last_ts`` (logged timestamps);
      ``elapsed_ms`` = last − first;
    * ``entry_latency_ms``: the ``latency_ms`` of the entry line (its own
      measure of the whole request), else the largest one the entry service
      logged for this trace; ``latency_ms`` is that, or ``elapsed_ms`` when
      the entry service logged no latency;
    * ``attempts``: the largest ``attempt`` logged, per service plus one
      when that service numbers attempts from 0 (some line of that service
      in the table logs ``attempt=0``), the largest over services; without
      an ``attempt`` value, the most times one request line (same service,
      route and message, among lines with a route, a status or a latency)
      repeats; 1 when nothing repeats;
    * ``outcome``: ``"error"`` when any line is at level error/fatal or
      logs a status ≥ 500, else ``"ok"``; ``error_services`` lists the
      services with such lines, in order of their first such line's ``ts``; ``max_status`` is the highest status logged.

    Parameters
    ----------
    events : pandas.DataFrame
        An events table.

    Returns
    -------
    pandas.DataFrame
        Ordered by ``first_ts``. Lines without a trace id are left out.
    """
    ev = _usable_events(events)
    tid = ev["trace_id"].astype("string").str.strip().str.lower()
    ev = ev.assign(_tid=tid)[tid.notna().to_numpy(dtype=bool) & tid.ne("").fillna(False).to_numpy(dtype=bool)]
    cols = [
        "trace_id",
        "entry_service",
        "services",
        "n_services",
        "lines",
        "first_ts",
        "last_ts",
        "elapsed_ms",
        "entry_latency_ms",
        "latency_ms",
        "attempts",
        "outcome",
        "error_services",
        "max_status",
    ]
    if ev.empty:
        return _empty_journeys(cols)

    def col(name: str, dtype: str) -> pd.Series:
        return ev[name] if name in ev.columns else pd.Series(pd.NA, index=ev.index, dtype=dtype)

    ts = pd.to_datetime(col("ts", "datetime64[ns, UTC]"), utc=True)
    level = col("level", "string").astype("string").str.lower()
    status = pd.to_numeric(col("status", "Int64"), errors="coerce")
    latency = pd.to_numeric(col("latency_ms", "float64"), errors="coerce")
    attempt = pd.to_numeric(col("attempt", "Int64"), errors="coerce")
    service = ev["service"].astype("string").fillna("(unknown)")
    zero_based = set(service[(attempt == 0).fillna(False).to_numpy(dtype=bool)].unique())
    ts_ns = _ns(ts)
    lat = latency.to_numpy(dtype="float64", na_value=np.nan)
    has_lat = np.isfinite(lat) & (lat >= 0)
    start_ns = np.where(ts_ns != _NAT, ts_ns - np.where(has_lat, lat * _MS, 0.0).astype("int64"), _NAT)
    res_ns = np.select([ts_ns % 1_000_000_000 == 0, ts_ns % 1_000_000 == 0], [1_000_000_000, 1_000_000], 0)
    work = pd.DataFrame(
        {
            "trace_id": ev["_tid"].to_numpy(),
            "service": service.to_numpy(),
            "ts": ts.to_numpy(),
            "err": (level.isin(list(_ERROR_LEVELS)).fillna(False) | (status >= 500).fillna(False)).to_numpy(dtype=bool),
            "status": status.to_numpy(dtype="float64", na_value=np.nan),
            "latency": np.where(has_lat, lat, np.nan),
            "attempt": attempt.to_numpy(dtype="float64", na_value=np.nan),
            "route": col("route", "string").astype("string").to_numpy(),
            "msg": col("msg", "string").astype("string").to_numpy(),
            "_start": start_ns,
            "_res": res_ns,
            "_timed": ts_ns != _NAT,
            "_pos": np.arange(len(ev)),
        }
    )
    rows: list[dict[str, Any]] = []
    for t, g in work.groupby("trace_id", sort=False):
        g = g.sort_values(["_timed", "_start", "_pos"], ascending=[False, True, True], kind="stable")
        entry_row = _entry_line(g)
        entry = str(g.at[entry_row, "service"])
        services = list(dict.fromkeys([entry, *g["service"]]))
        by_ts = g.sort_values(["ts", "_pos"], kind="stable", na_position="last")
        first, last = g["ts"].min(), g["ts"].max()
        elapsed = (last - first).total_seconds() * 1000 if pd.notna(first) and pd.notna(last) else np.nan
        entry_lat = float(g["latency"].to_numpy(dtype="float64")[g.index.get_loc(entry_row)])
        if not np.isfinite(entry_lat):
            ent = g.loc[g["service"] == entry, "latency"]
            entry_lat = float(ent.max()) if ent.notna().any() else np.nan
        if g["attempt"].notna().any():
            per_svc = g[g["attempt"].notna()].groupby("service")["attempt"].max()
            attempts = int(max(a + (1 if svc in zero_based else 0) for svc, a in per_svc.items()))
        else:
            req = g[pd.notna(g["route"]) | g["status"].notna() | g["latency"].notna()]
            reps = req.groupby(["service", req["route"].fillna(""), req["msg"].fillna("")]).size()
            attempts = int(reps.max()) if len(reps) else 1
        rows.append(
            {
                "trace_id": t,
                "entry_service": entry,
                "services": " → ".join(services),
                "n_services": len(services),
                "lines": len(g),
                "first_ts": first,
                "last_ts": last,
                "elapsed_ms": elapsed,
                "entry_latency_ms": entry_lat,
                "latency_ms": entry_lat if np.isfinite(entry_lat) else elapsed,
                "attempts": attempts,
                "outcome": "error" if g["err"].any() else "ok",
                "error_services": ", ".join(dict.fromkeys(by_ts.loc[by_ts["err"], "service"])),
                "max_status": g["status"].max() if g["status"].notna().any() else None,
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    return _journey_types(out).sort_values("first_ts", kind="stable", na_position="last").reset_index(drop=True)


#: Lines whose estimated starts are this close (ns) are a tie in :func:`trace_journeys`.
_TIE_NS = 1_000_000


def _entry_line(g: pd.DataFrame) -> Any:
    """Index of the line of ``g`` (one trace, sorted by start) that opened the request.

    Every line whose start could be the earliest — its start is within
    :data:`_TIE_NS` of the earliest possible start, once the timestamp's
    resolution (``_res``: a whole-second timestamp may be up to 1 s late)
    is allowed for — is a candidate; the one with the largest latency wins
    (the entry's latency covers its downstream calls), then the earliest
    expected start, then the first in the table.
    """
    timed = g[g["_timed"].to_numpy(dtype=bool)]
    if timed.empty:
        return g.index[0]
    lo = timed["_start"].to_numpy(dtype="int64")
    hi = lo + timed["_res"].to_numpy(dtype="int64")
    cand = timed[lo <= hi.min() + _TIE_NS]
    mid = cand["_start"].to_numpy(dtype="float64") + cand["_res"].to_numpy(dtype="float64") / 2
    key = cand.assign(_lat=cand["latency"].fillna(-1.0), _mid=mid)
    return key.sort_values(["_lat", "_mid", "_pos"], ascending=[False, True, True], kind="stable").index[0]


def _journey_types(out: pd.DataFrame) -> pd.DataFrame:
    for c in ("trace_id", "entry_service", "services", "outcome", "error_services"):
        out[c] = out[c].astype("string")
    for c in ("first_ts", "last_ts"):
        out[c] = pd.to_datetime(out[c], utc=True)
    for c in ("n_services", "lines", "attempts"):
        out[c] = out[c].astype("int64")
    for c in ("elapsed_ms", "entry_latency_ms", "latency_ms"):
        out[c] = out[c].astype("float64")
    out["max_status"] = pd.to_numeric(out["max_status"]).astype("Int64")
    return out


def _empty_journeys(cols: list[str]) -> pd.DataFrame:
    return _journey_types(pd.DataFrame({c: pd.Series(dtype=object) for c in cols}))


def propagation_report(
    spans: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    skew_ms: float = 25.0,
    min_coverage: float = 0.1,
) -> pd.DataFrame:
    """Every place where the trace id was seen to be lost, one row each.

    Issues:

    * ``orphan_span`` — :func:`orphan_spans`;
    * ``restarted_trace`` and ``missing_server_span`` — :func:`broken_traces`;
    * ``logs_without_trace_id`` — a service where fewer than
      ``min_coverage`` of the log lines carry a trace id while another
      service's lines mostly (≥ 50 %) do (:func:`trace_coverage`); when no
      service logs trace ids at all, one row for ``"(all services)"``.

    Parameters
    ----------
    spans : pandas.DataFrame, optional
        A spans table.
    events : pandas.DataFrame, optional
        An events table (log lines).
    skew_ms : float, default 25
        Clock skew tolerated between services when matching a restarted trace to its caller, ms.
    min_coverage : float, default 0.1
        Trace-id share of a service's log lines below which it counts as losing the id.

    Returns
    -------
    pandas.DataFrame
        ``issue, service, trace_id, span_id, name, ts, other_service,
        other_trace_id, value, detail``: ``value`` is the trace-id share
        for log rows, NaN otherwise.
    """
    cols = [
        "issue",
        "service",
        "trace_id",
        "span_id",
        "name",
        "ts",
        "other_service",
        "other_trace_id",
        "value",
        "detail",
    ]
    rows: list[dict[str, Any]] = []
    if spans is not None and len(spans):
        orphans = orphan_spans(spans)
        for _, r in orphans.iterrows():
            rows.append(
                {
                    "issue": "orphan_span",
                    "service": r.get("service"),
                    "trace_id": r["trace_id"],
                    "span_id": r["span_id"],
                    "name": r.get("name"),
                    "ts": r.get("start"),
                    "detail": f"parent span {_str(r['parent_span_id'])} is not in trace {_str(r['trace_id'])[:12]}…",
                }
            )
        for _, r in broken_traces(spans, skew_ms=skew_ms).iterrows():
            rows.append(
                {
                    "issue": r["issue"],
                    "service": r["service"],
                    "trace_id": r["trace_id"],
                    "span_id": r["span_id"],
                    "name": r["name"],
                    "ts": r["start"],
                    "other_service": r["callee"],
                    "other_trace_id": r["other_trace_id"],
                    "detail": r["detail"],
                }
            )
    if events is not None and len(events):
        cov = trace_coverage(events)
        best = float(cov["share"].max()) if len(cov) else 0.0
        if len(cov) and best == 0.0:
            rows.append(
                {
                    "issue": "logs_without_trace_id",
                    "service": "(all services)",
                    "value": 0.0,
                    "detail": f"none of the {int(cov['lines'].sum()):,} log lines carries a trace id",
                }
            )
        elif best >= 0.5:
            top = cov.iloc[cov["share"].to_numpy().argmax()]
            for _, r in cov[cov["share"] < min_coverage].iterrows():
                rows.append(
                    {
                        "issue": "logs_without_trace_id",
                        "service": r["service"],
                        "value": r["share"],
                        "other_service": top["service"],
                        "detail": (
                            f"{int(r['with_trace_id']):,} of {int(r['lines']):,} log lines of "
                            f"{r['service']} carry a trace id ({r['share']:.0%}), while "
                            f"{top['share']:.0%} of {top['service']}'s do"
                        ),
                    }
                )
    out = pd.DataFrame(rows, columns=cols)
    out["ts"] = pd.to_datetime(out["ts"], utc=True)
    out["value"] = out["value"].astype("float64")
    for c in cols:
        if c not in ("ts", "value"):
            out[c] = out[c].astype("string")
    return out


# --------------------------------------------------------------------------- findings


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _slow_traces(spans: pd.DataFrame, slow_ms: float | None, quantile: float) -> tuple[list[str], float]:
    summary = trace_summary(spans)
    summary = summary[summary["duration_ms"].notna()]
    if summary.empty:
        return [], float("nan")
    threshold = float(slow_ms) if slow_ms is not None else float(summary["duration_ms"].quantile(quantile))
    slow = summary[summary["duration_ms"] >= threshold]
    return slow["trace_id"].astype(str).tolist(), threshold


def _slow_span_findings(
    spans: pd.DataFrame, slow_ms: float | None, quantile: float, dominant_share: float
) -> list[dict[str, Any]]:
    slow, threshold = _slow_traces(spans, slow_ms, quantile)
    if not slow:
        return []
    cp = critical_path(spans[spans["trace_id"].isin(slow)])
    if cp.empty:
        return []
    cp = cp.assign(service=cp["service"].fillna("(unknown)"), name=cp["name"].fillna("(unnamed)"))
    total = cp.groupby("trace_id")["duration_ms"].sum()
    per = cp.groupby(["trace_id", "service"])["duration_ms"].sum().reset_index()
    per["share"] = per["duration_ms"] / per["trace_id"].map(total)
    n_slow = per["trace_id"].nunique()
    rows: list[dict[str, Any]] = []
    for svc, g in per.groupby("service"):
        dominant = g[g["share"] >= dominant_share]
        if len(dominant) * 2 < n_slow or dominant.empty:
            continue
        ops = cp[(cp["service"] == svc) & cp["trace_id"].isin(dominant["trace_id"])]
        top_op = ops.groupby("name")["duration_ms"].sum().sort_values(ascending=False).index[0]
        op_share = float(ops.loc[ops["name"] == top_op, "duration_ms"].sum() / ops["duration_ms"].sum())
        med = float(dominant["share"].median())
        which = (
            f"≥ {slow_ms:g} ms"
            if slow_ms is not None
            else f"≥ {threshold:,.0f} ms, the p{quantile * 100:g} of trace durations"
        )
        sel = spans[spans["trace_id"].isin(dominant["trace_id"])]
        rows.append(
            finding(
                _DETECTOR,
                "slow_span",
                "warning",
                str(svc),
                metric="critical_path_share",
                value=med,
                threshold=dominant_share,
                ts_start=sel["start"].min(),
                ts_end=sel["end"].max(),
                evidence=(
                    f"In {len(dominant)} of {n_slow} slow traces ({which}), {svc} takes a median "
                    f"{med:.0%} of the critical path, {op_share:.0%} of it in '{top_op}'."
                ),
                recommendation=(
                    f"Start with {svc}: open one of these traces in the waterfall and compare "
                    f"'{top_op}' self time with its children; if its own time dominates, profile it "
                    "(§3.1), if a downstream call does, look at that call's timeout and retries."
                ),
                handbook_ref=_REF,
            )
        )
    return rows


def _propagation_findings(
    report: pd.DataFrame, spans: pd.DataFrame | None, min_coverage: float
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    n_spans = _prep(spans).groupby("service").size() if spans is not None and len(spans) else pd.Series(dtype=int)
    orph = report[report["issue"] == "orphan_span"]
    for svc, g in orph.groupby(orph["service"].fillna("(unknown)")):
        total = int(n_spans.get(svc, len(g)))
        rows.append(
            finding(
                _DETECTOR,
                "propagation_gap",
                "warning",
                str(svc),
                metric="orphan_spans",
                value=len(g),
                threshold=0,
                ts_start=g["ts"].min(),
                ts_end=g["ts"].max(),
                evidence=(
                    f"{len(g)} of {total} spans of {svc} ({_plural(g['trace_id'].nunique(), 'trace')}) name a "
                    "parent span that is not in their trace."
                ),
                recommendation=(
                    f"The trace id reached {svc} but its parent span was never exported: check that the "
                    "caller exports its spans (sampler, exporter errors, an uninstrumented proxy that "
                    "forwards traceparent) and that every file of the trace was loaded."
                ),
                handbook_ref=_REF,
            )
        )
    broken = report[report["issue"].isin(["restarted_trace", "missing_server_span"])]
    for (svc, callee, issue), g in broken.groupby(
        [broken["service"].fillna("(unknown)"), broken["other_service"].fillna("(unknown)"), broken["issue"]]
    ):
        restarted = issue == "restarted_trace"
        rows.append(
            finding(
                _DETECTOR,
                "propagation_gap",
                "critical" if restarted else "warning",
                f"{svc} → {callee}",
                metric="broken_calls",
                value=len(g),
                threshold=0,
                ts_start=g["ts"].min(),
                ts_end=g["ts"].max(),
                evidence=(
                    f"{_plural(len(g), 'call')} from {svc} to {callee} continued under a new trace id in "
                    f"{callee} (its spans start a trace during the call)."
                    if restarted
                    else f"{_plural(len(g), 'call')} from {svc} to {callee} left no {callee} span under them, "
                    f"although {callee} records spans."
                ),
                recommendation=(
                    f"Propagate the context on this hop: {svc} must inject it into the outgoing request "
                    "(otelhttp.NewTransport, or propagator.Inject with the request's ctx, not "
                    f"context.Background()) and {callee} must extract it (otelhttp.NewHandler; the same "
                    "propagator — W3C traceparent vs B3 — on both sides)."
                ),
                handbook_ref=_REF,
            )
        )
    logs = report[report["issue"] == "logs_without_trace_id"]
    for _, r in logs.iterrows():
        everyone = r["service"] == "(all services)"
        rows.append(
            finding(
                _DETECTOR,
                "propagation_gap",
                "info" if everyone else "warning",
                str(r["service"]),
                metric="trace_id_share",
                value=float(r["value"]),
                threshold=None if everyone else min_coverage,
                evidence=str(r["detail"]).capitalize() + ".",
                recommendation=(
                    "Log the trace id with every line: take it from the request context "
                    "(trace.SpanContextFromContext(ctx).TraceID()) in a logger middleware, so logs "
                    "can be joined to traces and to each other."
                ),
                handbook_ref=_REF,
            )
        )
    return rows


def detect_span_faults(
    spans: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    slow_ms: float | None = None,
    slow_quantile: float = 0.9,
    dominant_share: float = 0.5,
    min_coverage: float = 0.1,
    skew_ms: float = 25.0,
) -> pd.DataFrame:
    """Findings (handbook §3.2) from spans and/or log lines.

    * ``propagation_gap``: orphan spans (per service), calls whose callee
      restarted the trace or left no span (per caller → callee pair, see
      :func:`broken_traces`), services whose log lines carry no trace id
      while others' do (:func:`trace_coverage`).
    * ``slow_span``: a service taking at least ``dominant_share`` of the
      critical path in at least half of the slow traces.

    Parameters
    ----------
    spans, events
        A ``spans`` table and an ``events`` table; either may be None.
    slow_ms
        Traces at least this long (ms) are slow; by default the slowest
        ``1 − slow_quantile`` of the traces (duration ≥ that quantile).
    slow_quantile
        Quantile of trace duration above which a trace is slow.
    dominant_share
        Critical-path share (0–1) above which one service dominates a trace.
    min_coverage
        Trace-id share (0–1) of log lines below which a service is flagged.
    skew_ms
        Clock skew allowed when matching restarted traces, ms.

    Returns
    -------
    pandas.DataFrame
        A findings table, most severe first.
    """
    if not 0 < slow_quantile < 1:
        raise InvalidParameterError(f"slow_quantile must be in (0, 1), got {slow_quantile!r}")
    if not 0 < dominant_share <= 1:
        raise InvalidParameterError(f"dominant_share must be in (0, 1], got {dominant_share!r}")
    report = propagation_report(spans, events, skew_ms=skew_ms, min_coverage=min_coverage)
    rows = _propagation_findings(report, spans, min_coverage)
    if spans is not None and len(spans):
        rows += _slow_span_findings(spans, slow_ms, slow_quantile, dominant_share)
    return findings_frame(rows)
