"""Log message templates: Drain-style mining, and how templates changed between two windows.

:func:`mine_templates` groups log messages into templates such as
``connected to <*> in <*>`` with the Drain algorithm (He, Zhu, Zheng and Lyu,
"Drain: An Online Log Parsing Approach with Fixed Depth Tree", ICWS 2017):

1. **Masking.** Variable parts that are easy to recognise (UUIDs, IP
   addresses, hex ids, numbers with or without a unit) are replaced with the
   wildcard ``<*>`` before anything else (:data:`DEFAULT_MASKS`).
2. **Fixed-depth tree.** Messages are split on white space. The first level
   of the tree is the token count; the next ``depth - 2`` levels are the
   first tokens of the message. A token holding a digit goes to the ``<*>``
   branch, and a node with ``max_children`` children sends new tokens there
   too, so the tree stays small.
3. **Leaf search.** In the leaf, the message joins the template with the
   highest similarity (share of positions where the template has the same
   token; wildcards do not count) when it reaches ``sim_threshold``; ties go
   to the template with more wildcards. Positions that differ become ``<*>``.
   Otherwise the message starts a new template.

Identical messages (after masking) are mined once, so a million lines with a
few thousand distinct messages cost a few thousand tree walks. Templates that
end up with the same text in different branches are merged.

:func:`compare_templates` counts each template in a baseline and an incident
window and says which ones are new, grew or disappeared;
:func:`grouping_accuracy` is the Loghub "grouping accuracy" used to score a
parser against labelled data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe._time import utc_window
from apiprobe.analyze._sources import as_store, is_dask, per_partition
from apiprobe.errors import InvalidParameterError

__all__ = [
    "DEFAULT_MASKS",
    "WILDCARD",
    "compare_templates",
    "grouping_accuracy",
    "mine_templates",
]

#: The wildcard that stands for a variable token in a template.
WILDCARD = "<*>"

#: Masks applied before mining, in order: (name, regex). Each match becomes :data:`WILDCARD`.
DEFAULT_MASKS: tuple[tuple[str, str], ...] = (
    ("url", r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>]+"),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    ("path", r"(?<![\w:/.<>*])/[\w.\-~%*<>@+]+(?:/[\w.\-~%*<>@+]*)*"),
    ("ipv6", r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"),
    ("ip_port", r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])"),
    ("hex", r"\b(?:0x[0-9a-fA-F]+|(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{12,})\b"),
    ("number", r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?:ns|us|µs|ms|s|m|h|%|[KMGT]i?B)?(?![\w.])"),
)

_LEVEL_RANK = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4, "fatal": 5}


# --------------------------------------------------------------------------- Drain


@dataclass
class _Cluster:
    tokens: list[str]
    index: int
    members: list[int] = field(default_factory=list)

    def similarity(self, tokens: Sequence[str]) -> tuple[float, int]:
        same = params = 0
        for t, m in zip(self.tokens, tokens, strict=True):
            if t == WILDCARD:
                params += 1
                if m == WILDCARD:
                    same += 1
            elif t == m:
                same += 1
        return same / len(tokens) if tokens else 1.0, params


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    clusters: list[_Cluster] = field(default_factory=list)


class _Drain:
    """A Drain parse tree; :meth:`add` returns the cluster a token list joins."""

    def __init__(self, sim_threshold: float, depth: int, max_children: int) -> None:
        self.sim_threshold = sim_threshold
        self.prefix = max(depth - 2, 1)
        self.max_children = max_children
        self.roots: dict[int, _Node] = {}
        self.clusters: list[_Cluster] = []

    def _child(self, node: _Node, token: str) -> _Node:
        children = node.children
        nxt = children.get(token)
        if nxt is not None:
            return nxt
        named = len(children) - (WILDCARD in children)
        if token != WILDCARD and not any(ch.isdigit() for ch in token) and named < self.max_children - 1:
            nxt = children[token] = _Node()
            return nxt
        nxt = children.get(WILDCARD)
        if nxt is None:
            nxt = children[WILDCARD] = _Node()
        return nxt

    def add(self, tokens: list[str]) -> _Cluster:
        node = self.roots.get(len(tokens))
        if node is None:
            node = self.roots[len(tokens)] = _Node()
        for token in tokens[: self.prefix]:
            node = self._child(node, token)
        best: _Cluster | None = None
        best_key = (-1.0, -1)
        for cluster in node.clusters:
            key = cluster.similarity(tokens)
            if key > best_key:
                best, best_key = cluster, key
        if best is not None and best_key[0] >= self.sim_threshold:
            best.tokens = [t if t == m else WILDCARD for t, m in zip(best.tokens, tokens, strict=True)]
            return best
        cluster = _Cluster(list(tokens), len(self.clusters))
        node.clusters.append(cluster)
        self.clusters.append(cluster)
        return cluster


def _compile_masks(masks: Iterable[tuple[str, str] | str] | None) -> list[re.Pattern[str]]:
    out = []
    for m in DEFAULT_MASKS if masks is None else masks:
        pattern = m if isinstance(m, str) else m[1]
        out.append(re.compile(pattern))
    return out


#: Wildcards joined by separators (``<*>,<*>``, ``<*>-<*>-<*>``, ``<*>:<*>``) are one variable.
_JOINED_WILDCARDS = re.compile(r"<\*>(?:[,:;./=_\-]*<\*>)+")


def _mask(text: str, compiled: Sequence[re.Pattern[str]]) -> str:
    for rx in compiled:
        text = rx.sub(WILDCARD, text)
    return " ".join(_JOINED_WILDCARDS.sub(WILDCARD, text).split())


def _messages(messages_or_events: Any, column: str) -> pd.Series:
    if isinstance(messages_or_events, pd.DataFrame):
        df = messages_or_events
        require_columns(df, [column], table="messages (column to mine templates from)")
        text = df[column].astype("string")
        if column == "msg" and "raw" in df.columns:
            text = text.fillna(df["raw"].astype("string"))
        return text
    if isinstance(messages_or_events, pd.Series):
        return messages_or_events.astype("string")
    return pd.Series(list(messages_or_events), dtype="string")


def mine_templates(
    messages_or_events: pd.DataFrame | pd.Series | Iterable[str | None],
    *,
    sim_threshold: float = 0.4,
    depth: int = 4,
    max_children: int = 100,
    masks: Iterable[tuple[str, str] | str] | None = None,
    column: str = "msg",
) -> tuple[pd.Series, pd.DataFrame]:
    """Group messages into templates with the Drain algorithm.

    Parameters
    ----------
    messages_or_events : pandas.DataFrame, pandas.Series or iterable of str
        An events table (the ``column`` column is mined; an NA ``msg`` falls
        back to ``raw``), a Series of messages, or any iterable of strings.
    sim_threshold : float, default 0.4
        Least share of equal tokens (0–1) for a message to join a template;
        Drain's papers use 0.4–0.5.
    depth : int, default 4
        Depth of the parse tree, counting the root and the token-count level:
        ``depth - 2`` leading tokens route a message (at least one).
    max_children : int, default 100
        Most children of a tree node; further tokens share the ``<*>`` branch.
    masks : iterable of str or (name, regex) pairs, optional
        Regexes (or ``(name, regex)`` pairs) whose matches become ``<*>``
        before mining, applied in order; None uses :data:`DEFAULT_MASKS`, an
        empty sequence masks nothing.
    column : str, default "msg"
        Message column when a DataFrame is given.

    Returns
    -------
    assignments : pandas.Series
        The template id of each input message (string dtype, NA for a missing
        message), aligned to the input (same index for a Series or DataFrame).
    templates : pandas.DataFrame
        One row per template, most frequent first: ``template_id`` (``T1``,
        ``T2``, … in that order), ``template`` (tokens joined by one space,
        variable parts as ``<*>``), ``count`` (messages), ``example`` (the
        first message that joined it).

    Examples
    --------
    >>> ids, t = mine_templates(["conn to 10.0.0.1 failed", "conn to 10.0.0.2 failed", "ready"])
    >>> t["template"].tolist()
    ['conn to <*> failed', 'ready']
    """
    if not 0.0 <= sim_threshold <= 1.0:
        raise InvalidParameterError(f"sim_threshold must be between 0 and 1, got {sim_threshold!r}")
    if depth < 3:
        raise InvalidParameterError(f"depth must be at least 3 (root, length and one token), got {depth!r}")
    if max_children < 2:
        raise InvalidParameterError(f"max_children must be at least 2, got {max_children!r}")
    text = _messages(messages_or_events, column)
    compiled = _compile_masks(masks)

    raw_codes, raw_uniques = pd.factorize(text, use_na_sentinel=True)
    masked = [_mask(str(u), compiled) for u in raw_uniques]
    masked_codes, masked_uniques = pd.factorize(pd.Series(masked, dtype=object))
    drain = _Drain(sim_threshold, depth, max_children)
    cluster_of = np.empty(len(masked_uniques), dtype=np.int64)
    for i, message in enumerate(masked_uniques):
        cluster_of[i] = drain.add(str(message).split(" ")).index

    # clusters with the same final text are one template
    texts = [" ".join(c.tokens) for c in drain.clusters]
    text_codes, text_uniques = pd.factorize(pd.Series(texts, dtype=object))
    raw_template = np.full(len(raw_uniques), -1, dtype=np.int64)
    if len(raw_uniques):
        raw_template = text_codes[cluster_of[masked_codes]]
    row_template = np.where(raw_codes >= 0, raw_template[np.maximum(raw_codes, 0)] if len(raw_template) else -1, -1)

    valid = row_template >= 0
    counts = np.bincount(row_template[valid], minlength=len(text_uniques))
    first_row = np.full(len(text_uniques), -1, dtype=np.int64)
    rows_idx = np.flatnonzero(valid)
    if len(rows_idx):
        order = np.unique(row_template[rows_idx], return_index=True)
        first_row[order[0]] = rows_idx[order[1]]
    rank = sorted(range(len(text_uniques)), key=lambda k: (-counts[k], first_row[k]))
    ids = np.empty(len(text_uniques), dtype=object)
    for pos, k in enumerate(rank):
        ids[k] = f"T{pos + 1}"
    templates = pd.DataFrame(
        {
            "template_id": pd.array([ids[k] for k in rank], dtype="string"),
            "template": pd.array([str(text_uniques[k]) for k in rank], dtype="string"),
            "count": pd.array([int(counts[k]) for k in rank], dtype="int64"),
            "example": pd.array([text.iloc[first_row[k]] for k in rank], dtype="string"),
        }
    )
    assigned = np.full(len(text), None, dtype=object)
    if len(ids):
        assigned[valid] = ids[row_template[valid]]
    assignments = pd.Series(assigned, index=text.index, dtype="string", name="template_id")
    return assignments, templates


def grouping_accuracy(predicted: Sequence[Any] | pd.Series, truth: Sequence[Any] | pd.Series) -> float:
    """Loghub grouping accuracy: share of messages whose predicted group is exactly their true group.

    A message counts as correct when the set of messages sharing its
    predicted id equals the set sharing its true id (Zhu et al., "Tools and
    Benchmarks for Automated Log Parsing", ICSE-SEIP 2019).

    Parameters
    ----------
    predicted : sequence or pandas.Series
        Group label of each message as a parser gave it (e.g. ``template_id``).
    truth : sequence or pandas.Series
        The true group label of each message, aligned with ``predicted``.

    Returns
    -------
    float
        Share of correctly grouped messages, 0–1; NaN for no messages.

    Raises
    ------
    InvalidParameterError
        When ``predicted`` and ``truth`` differ in length.
    """
    pred = pd.Series(np.asarray(predicted, dtype=object))
    true = pd.Series(np.asarray(truth, dtype=object))
    if len(pred) != len(true):
        raise InvalidParameterError(f"predicted has {len(pred)} labels but truth has {len(true)}: they must align")
    if not len(pred):
        return float("nan")
    df = pd.DataFrame({"p": pred.astype(str), "t": true.astype(str)})
    true_size = df.groupby("t")["t"].transform("size")
    per_pred = df.assign(ts=true_size).groupby("p").agg(n=("t", "size"), labels=("t", "nunique"), tsize=("ts", "first"))
    ok = per_pred[(per_pred["labels"] == 1) & (per_pred["n"] == per_pred["tsize"])]
    return float(ok["n"].sum() / len(df))


# --------------------------------------------------------------------------- windows


def _in_window(ts: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> np.ndarray:
    times = pd.to_datetime(ts, utc=True, errors="coerce")
    return np.asarray(((times >= window[0]) & (times < window[1])).fillna(False), dtype=bool)


def _minutes(window: tuple[pd.Timestamp, pd.Timestamp]) -> float:
    return (window[1] - window[0]).total_seconds() / 60.0


def _worst_level(levels: pd.Series) -> Any:
    ranks = levels.astype("string").str.lower().map(_LEVEL_RANK).dropna()
    if not len(ranks):
        return pd.NA
    best = int(ranks.max())
    return next(k for k, v in _LEVEL_RANK.items() if v == best)


Window = tuple[pd.Timestamp, pd.Timestamp]


def _in_windows_part(part: pd.DataFrame, windows: tuple[Window, ...]) -> pd.DataFrame:
    keep = np.zeros(len(part), dtype=bool)
    for w in windows:
        keep |= _in_window(part["ts"], w)
    return part[keep]


def _window_rows(events: Any, windows: tuple[Window, ...]) -> pd.DataFrame:
    """``events`` itself, or the lines of ``windows`` of an evidence store or a dask DataFrame, in time order."""
    store = as_store(events)
    if store is not None:
        cond = " or ".join("(epoch_ns(ts) >= ? and epoch_ns(ts) < ?)" for _ in windows)
        params = [int(t.value) for w in windows for t in w]
        with store:
            return store.df(f"select * from events where {cond} order by {store.order}", params)
    if is_dask(events):
        rows = per_partition(events, _in_windows_part, windows)
        return rows.sort_values(["ts", "source_file", "line_no"], kind="stable").reset_index(drop=True)
    return events


def compare_templates(
    events: pd.DataFrame | str | os.PathLike[str] | Any,
    *,
    incident: Sequence[Any],
    baseline: Sequence[Any],
    assignments: pd.Series | None = None,
    factor: float = 2.0,
    min_count: int = 3,
    sim_threshold: float = 0.4,
    depth: int = 4,
    masks: Iterable[tuple[str, str] | str] | None = None,
) -> pd.DataFrame:
    """Count each message template in a baseline and an incident window.

    Templates are mined (:func:`mine_templates`) over the lines of both
    windows together, so the ids are shared, unless ``assignments`` (template
    ids aligned to ``events``) are given. Rates are per minute of window, so
    windows of different lengths compare fairly.

    Parameters
    ----------
    events : pandas.DataFrame, evidence store path or dask DataFrame
        Table with schema ``events`` (``ts`` and ``msg`` are used, ``level``
        when present). Of a store (:func:`~apiprobe.convert_logs`) or a dask
        DataFrame only the lines of the two windows are read.
    incident, baseline : (start, end)
        ``(start, end)`` windows, start included and end excluded; naive
        times are UTC.
    assignments : pandas.Series, optional
        Template id per row of ``events`` from an earlier :func:`mine_templates` call.
    factor : float, default 2.0
        ``grew`` is set when the incident rate is at least ``factor`` × the baseline rate.
    min_count : int, default 3
        Least incident count for ``grew`` and ``is_new``.
    sim_threshold, depth, masks
        Passed to :func:`mine_templates`.

    Returns
    -------
    pandas.DataFrame
        One row per template seen in either window: ``template_id``,
        ``template``, ``level`` (most severe level seen), ``baseline_count``,
        ``baseline_rate`` (per minute), ``incident_count``, ``incident_rate``,
        ``ratio`` (incident rate ÷ baseline rate; NaN when the baseline has
        none), ``is_new`` (none in the baseline, at least ``min_count`` in the
        incident), ``grew``, ``gone`` (seen in the baseline, never in the
        incident) and ``example``. New templates come first, then grown ones,
        then the rest, each by incident count.
    """
    inc = utc_window(incident, "incident")
    base = utc_window(baseline, "baseline")
    assert inc is not None and base is not None
    events = _window_rows(events, (inc, base))
    require_columns(events, ["ts"], table="events")
    in_inc = _in_window(events["ts"], inc)
    in_base = _in_window(events["ts"], base)
    keep = in_inc | in_base
    columns = [
        "template_id",
        "template",
        "level",
        "baseline_count",
        "baseline_rate",
        "incident_count",
        "incident_rate",
        "ratio",
        "is_new",
        "grew",
        "gone",
        "example",
    ]
    sub = events.loc[keep]
    if assignments is not None:
        if len(assignments) != len(events):
            raise InvalidParameterError("assignments must be aligned to events (same length)")
        ids = pd.Series(np.asarray(assignments.astype("string"), dtype=object)[keep], index=sub.index)
        text = _messages(sub, "msg")
        templates = (
            pd.DataFrame({"template_id": ids, "example": text})
            .dropna(subset=["template_id"])
            .groupby("template_id", sort=False)
            .agg(example=("example", "first"))
            .reset_index()
        )
        templates["template"] = templates["example"]
    else:
        ids, templates = mine_templates(sub, sim_threshold=sim_threshold, depth=depth, masks=masks)
    work = pd.DataFrame(
        {
            "template_id": ids.astype(object).to_numpy(),
            "inc": in_inc[keep],
            "base": in_base[keep],
            "level": sub["level"].to_numpy(dtype=object) if "level" in sub.columns else None,
        }
    ).dropna(subset=["template_id"])
    if work.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    grouped = work.groupby("template_id", sort=False)
    table = pd.DataFrame(
        {
            "baseline_count": grouped["base"].sum().astype("int64"),
            "incident_count": grouped["inc"].sum().astype("int64"),
            "level": grouped["level"].agg(_worst_level) if "level" in sub.columns else pd.NA,
        }
    )
    table = table.join(templates.set_index("template_id")[["template", "example"]], how="left").reset_index()
    table["baseline_rate"] = table["baseline_count"] / _minutes(base)
    table["incident_rate"] = table["incident_count"] / _minutes(inc)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(table["baseline_count"] > 0, table["incident_rate"] / table["baseline_rate"], np.nan)
    table["ratio"] = ratio.astype(float)
    enough = table["incident_count"] >= min_count
    table["is_new"] = (table["baseline_count"] == 0) & enough
    table["grew"] = (table["baseline_count"] > 0) & enough & (table["ratio"] >= factor)
    table["gone"] = (table["baseline_count"] > 0) & (table["incident_count"] == 0)
    changed = (table["is_new"] | table["grew"]).astype(int)
    table = table.assign(_c=changed, _n=table["is_new"].astype(int)).sort_values(
        ["_c", "_n", "incident_count", "baseline_count", "template_id"],
        ascending=[False, False, False, False, True],
        kind="stable",
    )
    table = table.drop(columns=["_c", "_n"]).reset_index(drop=True)
    for col in ("template_id", "template", "level", "example"):
        table[col] = table[col].astype("string")
    return table[columns]
