"""Aggregation of classified log events: errors per window and group, and one row per kind."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe._redact import redact_url
from apiprobe.analyze.error_kinds._classify import _classified, _string
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


def error_counts(
    events: pd.DataFrame,
    *,
    by: Sequence[str] | str = ("error_kind",),
    freq: str | pd.Timedelta | None = "1min",
) -> pd.DataFrame:
    """Errors per time window and group, long form.

    Parameters
    ----------
    events : pandas.DataFrame
        Table with schema ``events``; classified with :func:`classify_errors`
        first when it has no ``error_layer`` column.
    by : str or sequence of str, default ("error_kind",)
        Group columns, e.g. ``("service", "error_kind")``.
    freq : str, pandas.Timedelta or None, default "1min"
        Window width (pandas offset alias or Timedelta); None for one window
        over the whole table.

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
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    df = _classified(events)
    require_columns(df, (*by, "ts"), table="events")
    ts = pd.to_datetime(df["ts"], utc=True, errors="coerce")
    valid = ts.notna().to_numpy(dtype=bool)
    columns = ["ts", *by, "count", "lines", "error_rate", "window_lines"]
    if not valid.any():
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        empty.attrs["no_ts"] = int((~valid).sum())
        return empty
    window = pd.Series(ts[valid].min(), index=df.index).where(valid) if freq is None else ts.dt.floor(freq)
    work = pd.DataFrame({"ts": window}, index=df.index)
    for c in by:
        work[c] = df[c]
    work = work[valid]
    is_err = df["error_kind"].notna().to_numpy(dtype=bool)[valid]
    denom = ["ts", *[c for c in by if c not in _ERROR_COLUMNS]]
    lines = work.groupby(denom, dropna=False, sort=False).size().rename("lines")
    counts = work[is_err].groupby(["ts", *by], dropna=False, sort=True).size().rename("count").reset_index()
    table = counts.merge(lines.reset_index(), on=denom, how="left")
    window_lines = work.groupby("ts").size().rename("window_lines")
    table = table.merge(window_lines.reset_index(), on="ts", how="left")
    table["count"] = table["count"].astype("int64")
    table["lines"] = table["lines"].astype("int64")
    table["window_lines"] = table["window_lines"].astype("int64")
    table["error_rate"] = table["count"] / table["lines"]
    table = table[columns].sort_values(["ts", "count"], ascending=[True, False], kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["no_ts"] = int((~valid).sum())
    table.attrs["freq"] = None if freq is None else str(freq)
    return table


def _mode(values: pd.Series) -> Any:
    counts = values.value_counts(dropna=False)
    return counts.index[0] if len(counts) else pd.NA


def _ranked_values(kind_codes: np.ndarray, n_kinds: int, values: pd.Series) -> list[list[tuple[Any, int]]]:
    """For each kind code, its (value, count) pairs, most frequent first; NA counts as a value (None).

    ``kind_codes`` has one entry per row of ``values``, -1 for rows that are not errors.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    rows = kind_codes >= 0
    width = len(uniques) + 1
    pairs = kind_codes[rows].astype(np.int64) * width + (codes[rows] + 1)
    found, counts = np.unique(pairs, return_counts=True)
    kinds, vals = found // width, found % width - 1
    out: list[list[tuple[Any, int]]] = [[] for _ in range(n_kinds)]
    for i in np.lexsort((-counts, kinds)):
        out[int(kinds[i])].append((uniques[vals[i]] if vals[i] >= 0 else None, int(counts[i])))
    return out


def error_summary(events: pd.DataFrame, *, example_width: int = 160) -> pd.DataFrame:
    """One row per error kind: how many, where, since when, and an example.

    Parameters
    ----------
    events : pandas.DataFrame
        Table with schema ``events``; classified first when needed.
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
    """
    df = _classified(events)
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
    kind_codes, kinds = pd.factorize(df["error_kind"], use_na_sentinel=True)
    if not len(kinds):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    rows = kind_codes >= 0
    counts = np.bincount(kind_codes[rows], minlength=len(kinds))

    def top(values: pd.Series) -> list[Any]:
        return [(ranked[0][0] if ranked else None) for ranked in _ranked_values(kind_codes, len(kinds), values)]

    def joined(values: pd.Series, *, sort: bool) -> list[Any]:
        out = []
        for ranked in _ranked_values(kind_codes, len(kinds), values):
            names = [str(v) for v, _ in ranked if v is not None]
            out.append(", ".join(sorted(names) if sort else names) or None)
        return out

    if "ts" in df.columns:
        ts = pd.to_datetime(df["ts"], utc=True, errors="coerce").reset_index(drop=True)[rows]
        grouped = ts.groupby(kind_codes[rows])
        first = grouped.min().reindex(range(len(kinds))).reset_index(drop=True)
        last = grouped.max().reindex(range(len(kinds))).reset_index(drop=True)
    else:
        first = last = pd.Series(pd.NaT, index=range(len(kinds)), dtype="datetime64[ns, UTC]")
    examples = top(_texts(df))
    table = pd.DataFrame(
        {
            "error_kind": pd.array([str(k) for k in kinds], dtype="string"),
            "count": counts.astype("int64"),
            "share": counts / counts.sum(),
            "layer": pd.array(top(df["error_layer"]), dtype="string"),
            "retryable": pd.array(
                [None if v is None or pd.isna(v) else bool(v) for v in top(df["retryable"])], dtype="boolean"
            ),
            "services": pd.array(joined(_string(df, "service"), sort=True), dtype="string"),
            "rules": pd.array(joined(_string(df, "error_rule"), sort=False), dtype="string"),
            "first_seen": first,
            "last_seen": last,
            "example": pd.array([None if e is None else _example(e, example_width) for e in examples], dtype="string"),
            "description": pd.array([ERROR_KINDS.get(str(k)) for k in kinds], dtype="string"),
        }
    )
    table = table.sort_values(["count", "error_kind"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)[columns]
