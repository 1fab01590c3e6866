"""What :func:`detect_error_faults` needs of *every* line, and which lines it reads in full.

The detector reads a few kinds of lines row by row (errors, warn/error/fatal
lines for templates, lines with a retry ``attempt``, lines that may log a
breaker opening): those are the *focus* rows, a small share of a fleet's
logs. Of all the other lines it only needs their times: the span of the
logs, how many fall in a window (the baseline's size), and which windows
hold any line. A :class:`Population` answers those three questions.

For events in memory the focus is the whole table and the population its
``ts`` column. For an evidence store both come from DuckDB; for a dask
DataFrame from one pass over the partitions (and one more per window
count that is not aligned to the bins). The detector then runs the same
code on all three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from apiprobe.analyze._sources import Store, per_partition
from apiprobe.analyze.error_kinds._classify import _classified, _string
from apiprobe.load.event_store import FOCUS_SQL

__all__ = ["Population", "focus_from_dask", "focus_from_store", "population_of"]

Window = tuple[pd.Timestamp, pd.Timestamp]
_LOUD = ("warn", "error", "fatal")


@dataclass
class Population:
    """The times of all lines, as far as the detector asks.

    ``lo`` and ``hi`` bound the timed lines (``hi`` is the last time plus 1 ns);
    :meth:`count_in` counts the lines of a window (start included);
    :meth:`active_bins` lists the windows of a width that hold lines.
    """

    lo: pd.Timestamp | None
    hi: pd.Timestamp | None
    _count: Callable[[Window], int]
    _bins: Callable[[pd.Timedelta, Window | None], set[pd.Timestamp]]
    _cache: dict[Any, Any] = field(default_factory=dict)

    def count_in(self, window: Window) -> int:
        key = ("count", window)
        if key not in self._cache:
            self._cache[key] = int(self._count(window))
        return int(self._cache[key])

    def active_bins(self, width: pd.Timedelta, window: Window | None = None) -> set[pd.Timestamp]:
        key = ("bins", width, window)
        if key not in self._cache:
            self._cache[key] = self._bins(width, window)
        return set(self._cache[key])


def population_of(ts: pd.Series) -> Population:
    """The population of events held in memory (their ``ts``, UTC)."""
    valid = ts.dropna()

    def count(window: Window) -> int:
        return int(((ts >= window[0]) & (ts < window[1])).fillna(False).sum())

    def bins(width: pd.Timedelta, window: Window | None) -> set[pd.Timestamp]:
        sel = valid if window is None else valid[(valid >= window[0]) & (valid < window[1])]
        return set(sel.dt.floor(width).unique())

    if valid.empty:
        return Population(None, None, count, bins)
    return Population(valid.min(), valid.max() + pd.Timedelta(1, "ns"), count, bins)


# --------------------------------------------------------------------------- evidence store


def _ns(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).value)


def focus_from_store(store: Store) -> tuple[pd.DataFrame, Population]:
    """The focus rows of a store (in :func:`~apiprobe.read_logs` order) and its population, from DuckDB."""
    focus = store.df(f"select * from events where {FOCUS_SQL} order by {store.order}")
    lo_ns, hi_ns = store.rows("select epoch_ns(min(ts)), epoch_ns(max(ts)) from events")[0]

    def count(window: Window) -> int:
        return int(
            store.scalar(
                "select count(*) from events where epoch_ns(ts) >= ? and epoch_ns(ts) < ?",
                [_ns(window[0]), _ns(window[1])],
            )
        )

    def bins(width: pd.Timedelta, window: Window | None) -> set[pd.Timestamp]:
        w = int(width.value)
        where = "ts is not null"
        params: list[Any] = []
        if window is not None:
            where += " and epoch_ns(ts) >= ? and epoch_ns(ts) < ?"
            params = [_ns(window[0]), _ns(window[1])]
        rows = store.rows(
            f"select distinct epoch_ns(ts) - (((epoch_ns(ts) % {w}) + {w}) % {w}) from events where {where}", params
        )
        return {pd.Timestamp(r[0], unit="ns", tz="UTC") for r in rows}

    if lo_ns is None:
        return focus, Population(None, None, count, bins)
    lo = pd.Timestamp(lo_ns, unit="ns", tz="UTC")
    hi = pd.Timestamp(hi_ns, unit="ns", tz="UTC") + pd.Timedelta(1, "ns")
    return focus, Population(lo, hi, count, bins)


# --------------------------------------------------------------------------- dask


def _focus_part(part: pd.DataFrame) -> pd.DataFrame:
    """The focus rows of one partition, classified."""
    df = _classified(part)
    keep = np.array(df["error_kind"].notna().to_numpy(dtype=bool))  # a writable copy (Arrow columns give read-only)
    if "level" in df.columns:
        keep |= _string(df, "level").str.lower().isin(_LOUD).fillna(False).to_numpy(dtype=bool)
    if "attempt" in df.columns:
        keep |= pd.to_numeric(df["attempt"], errors="coerce").notna().to_numpy(dtype=bool)
    text = _string(df, "msg").fillna(_string(df, "raw"))
    keep |= text.str.lower().str.contains("open", regex=False).fillna(False).to_numpy(dtype=bool)
    return df[keep]


def _times_part(part: pd.DataFrame, width_ns: int) -> pd.DataFrame:
    """Line counts per ``width`` bin of one partition, with the earliest and latest time."""
    ts = pd.to_datetime(part["ts"], utc=True, errors="coerce").dropna()
    if ts.empty:
        return pd.DataFrame(
            {
                "bin": pd.Series(dtype="datetime64[ns, UTC]"),
                "n": pd.Series(dtype="int64"),
                "lo": pd.Series(dtype="datetime64[ns, UTC]"),
                "hi": pd.Series(dtype="datetime64[ns, UTC]"),
            }
        )
    frame = pd.DataFrame({"bin": ts.dt.floor(pd.Timedelta(width_ns, "ns")), "t": ts})
    g = frame.groupby("bin", sort=False)["t"]
    out = pd.DataFrame({"n": g.size().astype("int64"), "lo": g.min(), "hi": g.max()}).reset_index()
    return out


def _count_part(part: pd.DataFrame, lo_ns: int, hi_ns: int) -> pd.DataFrame:
    ts = pd.to_datetime(part["ts"], utc=True, errors="coerce")
    lo, hi = pd.Timestamp(lo_ns, unit="ns", tz="UTC"), pd.Timestamp(hi_ns, unit="ns", tz="UTC")
    return pd.DataFrame({"n": [int(((ts >= lo) & (ts < hi)).fillna(False).sum())]})


def focus_from_dask(frame: Any, width: pd.Timedelta) -> tuple[pd.DataFrame, Population]:
    """The focus rows of a dask DataFrame (in :func:`~apiprobe.read_logs` order) and its population.

    Two passes over the partitions (each parses the logs again, as dask
    recomputes): the focus rows, and the line counts per ``width`` bin. A
    window aligned to those bins is counted from them; any other window, and
    busy bins at another width, cost one more pass each.
    """
    focus = per_partition(frame, _focus_part)
    order = [c for c in ("ts", "source_file", "line_no") if c in focus.columns]
    focus = focus.sort_values(order, na_position="last", kind="stable").reset_index(drop=True)
    times = per_partition(frame, _times_part, int(width.value))
    per_bin = times.groupby("bin")["n"].sum() if len(times) else pd.Series(dtype="int64")
    w = int(width.value)

    def count(window: Window) -> int:
        a, b = _ns(window[0]), _ns(window[1])
        if a % w == 0 and b % w == 0:
            sel = per_bin[(per_bin.index >= window[0]) & (per_bin.index < window[1])]
            return int(sel.sum())
        return int(per_partition(frame, _count_part, a, b)["n"].sum())

    def bins(bin_width: pd.Timedelta, window: Window | None) -> set[pd.Timestamp]:
        if bin_width == width:
            starts = [pd.Timestamp(b) for b in per_bin.index]
        else:  # not the width of the first pass: one more
            other = per_partition(frame, _times_part, int(bin_width.value))
            starts = sorted({pd.Timestamp(b) for b in pd.to_datetime(other["bin"], utc=True)})
        if window is None:
            return set(starts)
        # a bin holds lines of the window when it overlaps it and holds lines there: bins inside
        # the window are exact; at its edges, ask the lines themselves
        found = {b for b in starts if b >= window[0] and b + bin_width <= window[1]}
        for b in starts:
            at_edge = (b < window[0] < b + bin_width) or (b < window[1] < b + bin_width)
            if at_edge and count((max(b, window[0]), min(b + bin_width, window[1]))):
                found.add(b)
        return found

    if not len(times):
        return focus, Population(None, None, count, bins)
    lo = pd.to_datetime(times["lo"], utc=True).min()
    hi = pd.to_datetime(times["hi"], utc=True).max() + pd.Timedelta(1, "ns")
    return focus, Population(lo, hi, count, bins)
