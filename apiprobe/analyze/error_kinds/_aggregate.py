"""Aggregation of classified log events: errors per window and group, and one row per kind."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any, cast

import pandas as pd

from apiprobe._frames import require_columns
from apiprobe._redact import redact_url
from apiprobe.analyze._sources import Store, as_store, is_dask, per_partition, quote
from apiprobe.analyze.error_kinds._classify import _classified, _string
from apiprobe.errors import InvalidParameterError, SchemaError
from apiprobe.schema import ERROR_KINDS

__all__ = ["error_counts", "error_summary"]

#: Columns that describe the error itself (not the population a rate is computed over).
_ERROR_COLUMNS = frozenset({"error_kind", "error_layer", "retryable", "error_rule", "error", "template_id"})

_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>]+")


def _example(text: Any, width: int = 160) -> str:
    """``text`` with URL credentials and secret parameters redacted, cut to ``width`` characters."""
    if text is None or text is pd.NA:
        return ""
    s = _URL.sub(lambda m: redact_url(m.group(0)), str(text))
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _texts(df: pd.DataFrame) -> pd.Series:
    return _string(df, "error").fillna(_string(df, "msg"))


def _freq_ns(freq: str | pd.Timedelta | None) -> int | None:
    if freq is None:
        return None
    try:
        width = pd.Timedelta(freq)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"freq: {freq!r} is not a fixed window width (e.g. '1min', '30s')") from exc
    if width <= pd.Timedelta(0) or width > pd.Timedelta(days=365 * 100):
        raise InvalidParameterError(f"freq: window width must be positive and at most 100 years, got {freq!r}")
    return int(width.value)


def _counts_partial(events: pd.DataFrame, by: tuple[str, ...], width: int | None) -> pd.DataFrame:
    """Lines and error lines per (window, group): the sums :func:`_counts_finish` needs.

    ``ts`` is the window start (NaT for lines without a time), ``n`` the lines,
    ``e`` the error lines, ``first`` the earliest time of the group (the window
    of ``freq=None`` is the earliest time of all).
    """
    df = _classified(events)
    require_columns(df, (*by, "ts"), table="events")
    ts = pd.to_datetime(df["ts"], utc=True, errors="coerce")
    window = ts.dt.floor(pd.Timedelta(width, "ns")) if width else ts.where(ts.isna(), pd.Timestamp(0, tz="UTC"))
    work = pd.DataFrame({"ts": window}, index=df.index)
    for c in by:
        work[c] = df[c]
    work["e"] = df["error_kind"].notna().to_numpy(dtype="int64")
    work["first"] = ts
    grouped = work.groupby(["ts", *by], dropna=False, sort=False)
    out = grouped.agg(n=("e", "size"), e=("e", "sum"), first=("first", "min")).reset_index()
    out["n"] = out["n"].astype("int64")
    out["e"] = out["e"].astype("int64")
    return out[["ts", *by, "n", "e", "first"]]


def _counts_sql(store: Store, by: tuple[str, ...], width: int | None) -> pd.DataFrame:
    missing = [c for c in (*by, "ts") if c not in store.columns]
    if missing:
        raise SchemaError(f"events: the store has no column {', '.join(map(repr, missing))}")
    e = "epoch_ns(ts)"
    bucket = f"{e} - ((({e} % {width}) + {width}) % {width})" if width else "case when ts is null then null else 0 end"
    keys = "".join(f", {quote(c)}" for c in by)
    out = store.df(
        f"select {bucket} as bucket_ns{keys}, count(*) as n, count(error_kind) as e, epoch_ns(min(ts)) as first_ns "
        f"from events group by all"
    )
    out["ts"] = pd.to_datetime(out.pop("bucket_ns").astype("Int64"), unit="ns", utc=True)
    out["first"] = pd.to_datetime(out.pop("first_ns").astype("Int64"), unit="ns", utc=True)
    return out[["ts", *by, "n", "e", "first"]]


def _counts_finish(partial: pd.DataFrame, by: tuple[str, ...], freq: str | pd.Timedelta | None) -> pd.DataFrame:
    columns = ["ts", *by, "count", "lines", "error_rate", "window_lines"]
    timed = partial["ts"].notna().to_numpy(dtype=bool)
    no_ts = int(partial.loc[~timed, "n"].sum())
    if not timed.any():
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        empty.attrs["no_ts"] = no_ts
        return empty
    work = partial[timed].copy()
    if freq is None:
        work["ts"] = work["first"].min()
    work["ts"] = pd.to_datetime(work["ts"], utc=True)
    denom = ["ts", *[c for c in by if c not in _ERROR_COLUMNS]]
    lines = work.groupby(denom, dropna=False, sort=False)["n"].sum().rename("lines")
    errors = work[work["e"].to_numpy() > 0]
    counts = errors.groupby(["ts", *by], dropna=False, sort=True)["e"].sum().rename("count").reset_index()
    table = counts.merge(lines.reset_index(), on=denom, how="left")
    window_lines = work.groupby("ts")["n"].sum().rename("window_lines")
    table = table.merge(window_lines.reset_index(), on="ts", how="left")
    table["count"] = table["count"].astype("int64")
    table["lines"] = table["lines"].astype("int64")
    table["window_lines"] = table["window_lines"].astype("int64")
    table["error_rate"] = table["count"] / table["lines"]
    table = table[columns].sort_values(["ts", "count"], ascending=[True, False], kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["no_ts"] = no_ts
    table.attrs["freq"] = None if freq is None else str(freq)
    return table


def error_counts(
    events: pd.DataFrame | str | os.PathLike[str] | Any,
    *,
    by: Sequence[str] | str = ("error_kind",),
    freq: str | pd.Timedelta | None = "1min",
) -> pd.DataFrame:
    """Errors per time window and group, long form.

    Parameters
    ----------
    events : pandas.DataFrame, evidence store path or dask DataFrame
        Table with schema ``events``; classified with :func:`classify_errors`
        first when it has no ``error_layer`` column. The directory of a store
        written by :func:`~apiprobe.convert_logs` is counted by DuckDB out of
        core; a dask DataFrame partition by partition. Both give the same
        table as the events in memory.
    by : str or sequence of str, default ("error_kind",)
        Group columns, e.g. ``("service", "error_kind")``.
    freq : str, pandas.Timedelta or None, default "1min"
        Window width (a fixed width: pandas offset alias or Timedelta); None
        for one window over the whole table.

    Returns
    -------
    pandas.DataFrame
        One row per (window, group) with at least one error: ``ts`` (window
        start, UTC), the ``by`` columns, ``count`` (error lines), ``lines``
        (all lines in that window and in the same group of the ``by`` columns
        that do not describe the error — e.g. the same service; for
        ``by=("error_kind",)`` every line of the window) and ``error_rate``
        (``count / lines``), and ``window_lines`` (all lines of the window,
        whatever their group). Windows without errors have no row. Lines
        without a time are left out and counted in ``attrs["no_ts"]``.

    Raises
    ------
    SchemaError
        A ``by`` column (or ``ts``) the events do not have.
    InvalidParameterError
        A ``freq`` that is not a fixed positive width; a path that is not a
        store, or a store written without classification.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    width = _freq_ns(freq)
    store = as_store(events, classified=True)
    if store is not None:
        with store:
            partial = _counts_sql(store, by, width)
    elif is_dask(events):
        partial = per_partition(events, _counts_partial, by, width)
    else:
        partial = _counts_partial(cast(pd.DataFrame, events), by, width)
    return _counts_finish(partial, by, freq)


_SUMMARY_VALUES = ("layer", "retryable", "service", "rule", "text")


def _summary_partial(events: pd.DataFrame) -> pd.DataFrame:
    """Per error kind and each described column, the values with their line count, first and last time.

    Long form: ``col`` (``_kind`` for the kind's own totals, else one of
    ``layer``, ``retryable``, ``service``, ``rule``, ``text``), ``kind``,
    ``value`` (text; NA is a value), ``n``, ``first``, ``last``.
    """
    df = _classified(events)
    rows = df["error_kind"].notna().to_numpy(dtype=bool)
    sub = df[rows]
    kind = sub["error_kind"].astype("string").reset_index(drop=True)
    if "ts" in sub.columns:
        ts = pd.to_datetime(sub["ts"], utc=True, errors="coerce").reset_index(drop=True)
    else:
        ts = pd.Series(pd.NaT, index=kind.index, dtype="datetime64[ns, UTC]")
    retry = sub["retryable"].astype("boolean").reset_index(drop=True) if "retryable" in sub.columns else None
    values = {
        "_kind": pd.Series(pd.NA, index=kind.index, dtype="string"),
        "layer": _string(sub, "error_layer").reset_index(drop=True),
        "retryable": (
            pd.Series(pd.NA, index=kind.index, dtype="string")
            if retry is None
            else retry.map({True: "true", False: "false"}).astype("string")
        ),
        "service": _string(sub, "service").reset_index(drop=True),
        "rule": _string(sub, "error_rule").reset_index(drop=True),
        "text": _texts(sub).reset_index(drop=True),
    }
    parts = []
    for col, value in values.items():
        frame = pd.DataFrame({"kind": kind, "value": value, "ts": ts})
        g = frame.groupby(["kind", "value"], dropna=False, sort=False)["ts"]
        part = pd.DataFrame({"n": g.size(), "first": g.min(), "last": g.max()}).reset_index()
        part.insert(0, "col", col)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].astype("int64")
    return out[["col", "kind", "value", "n", "first", "last"]]


def _summary_sql(store: Store) -> pd.DataFrame:
    cols = set(store.columns)
    text = "coalesce(error, msg)" if {"error", "msg"} <= cols else "null"
    select = {
        "_kind": "cast(null as varchar)",
        "layer": "error_layer",
        "retryable": "case when retryable is null then null when retryable then 'true' else 'false' end",
        "service": "service",
        "rule": "error_rule",
        "text": text,
    }
    union = " union all ".join(
        f"select '{col}' as col, error_kind as kind, {expr} as value, count(*) as n, "
        f"epoch_ns(min(ts)) as first, epoch_ns(max(ts)) as last from events where error_kind is not null group by all"
        for col, expr in select.items()
    )
    out = store.df(union)
    for c in ("first", "last"):
        out[c] = pd.to_datetime(out[c].astype("Int64"), unit="ns", utc=True)
    return out[["col", "kind", "value", "n", "first", "last"]]


def _ranked(partial: pd.DataFrame, col: str) -> dict[str, list[tuple[Any, int]]]:
    """Per kind, its (value, lines) pairs: most lines first, then the earliest seen, then by value."""
    sub = partial[partial["col"] == col]
    g = sub.groupby(["kind", "value"], dropna=False, sort=False)
    agg = pd.DataFrame({"n": g["n"].sum(), "first": g["first"].min()}).reset_index()
    never = pd.Timestamp.max.tz_localize("UTC")
    agg["_first"] = agg["first"].fillna(never)
    agg["_value"] = agg["value"].fillna("\U0010ffff")  # NA after every text among equals
    agg = agg.sort_values(["kind", "n", "_first", "_value"], ascending=[True, False, True, True], kind="stable")
    out: dict[str, list[tuple[Any, int]]] = {}
    for kind, value, n in zip(agg["kind"], agg["value"], agg["n"], strict=True):
        out.setdefault(str(kind), []).append((None if pd.isna(value) else str(value), int(n)))
    return out


def _summary_finish(partial: pd.DataFrame, example_width: int) -> pd.DataFrame:
    columns = [
        "error_kind",
        "count",
        "share",
        "layer",
        "retryable",
        "services",
        "rules",
        "first_seen",
        "last_seen",
        "example",
        "description",
    ]
    totals = partial[partial["col"] == "_kind"]
    if totals.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    g = totals.groupby("kind", sort=True)
    per_kind = pd.DataFrame({"n": g["n"].sum(), "first": g["first"].min(), "last": g["last"].max()})
    kinds = [str(k) for k in per_kind.index]
    counts = per_kind["n"].to_numpy(dtype="int64")
    ranked = {col: _ranked(partial, col) for col in _SUMMARY_VALUES}

    def top(col: str) -> list[Any]:
        return [(ranked[col][k][0][0] if ranked[col].get(k) else None) for k in kinds]

    def joined(col: str, *, sort: bool) -> list[Any]:
        out = []
        for k in kinds:
            names = [v for v, _ in ranked[col].get(k, []) if v is not None]
            out.append(", ".join(sorted(names) if sort else names) or None)
        return out

    examples = top("text")
    table = pd.DataFrame(
        {
            "error_kind": pd.array(kinds, dtype="string"),
            "count": counts,
            "share": counts / counts.sum(),
            "layer": pd.array(top("layer"), dtype="string"),
            "retryable": pd.array([{"true": True, "false": False}.get(v) for v in top("retryable")], dtype="boolean"),
            "services": pd.array(joined("service", sort=True), dtype="string"),
            "rules": pd.array(joined("rule", sort=False), dtype="string"),
            "first_seen": pd.to_datetime(per_kind["first"], utc=True).reset_index(drop=True),
            "last_seen": pd.to_datetime(per_kind["last"], utc=True).reset_index(drop=True),
            "example": pd.array([None if e is None else _example(e, example_width) for e in examples], dtype="string"),
            "description": pd.array([ERROR_KINDS.get(k) for k in kinds], dtype="string"),
        }
    )
    table = table.sort_values(["count", "error_kind"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)[columns]


def error_summary(events: pd.DataFrame | str | os.PathLike[str] | Any, *, example_width: int = 160) -> pd.DataFrame:
    """One row per error kind: how many, where, since when, and an example.

    Parameters
    ----------
    events : pandas.DataFrame, evidence store path or dask DataFrame
        Table with schema ``events``; classified first when needed. A store's
        directory is summarised by DuckDB out of core, a dask DataFrame
        partition by partition; the result is the same.
    example_width : int, default 160
        Longest example, in characters (URLs in it are redacted).

    Returns
    -------
    pandas.DataFrame
        Most frequent kind first: ``error_kind``, ``count``, ``share`` (of all
        error lines), ``layer``, ``retryable`` (the most common value; NA:
        maybe), ``services`` (comma-separated, sorted), ``rules`` (the rules
        that matched, most frequent first), ``first_seen``, ``last_seen``,
        ``example`` (the most frequent error text of the kind, URLs redacted,
        truncated) and ``description`` (from :data:`~apiprobe.schema.ERROR_KINDS`).
        Among values as frequent as each other, the one seen first wins
        (then the smaller text), whatever the order of the rows.
    """
    store = as_store(events, classified=True)
    if store is not None:
        with store:
            partial = _summary_sql(store)
    elif is_dask(events):
        partial = per_partition(events, _summary_partial)
    else:
        partial = _summary_partial(cast(pd.DataFrame, events))
    return _summary_finish(partial, example_width)
