"""The span table as trees: preparation, parent/child structure and critical segments (shared by the other parts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns

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
    require_columns(spans, ["trace_id", "span_id", "parent_span_id", "start", "end"], table="spans")
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
