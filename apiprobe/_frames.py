"""The one home of small helpers every layer shares on tables.

Column checks, the failure mask of probe/ping tables and duration wording
live here and nowhere else; analysis, figures and notebook glue import them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

from apiprobe.errors import SchemaError

__all__ = ["column_or_na", "failed_mask", "format_duration", "require_columns"]


def require_columns(df: pd.DataFrame, columns: Iterable[str | None], *, table: str = "") -> None:
    """Raise :class:`~apiprobe.errors.SchemaError` when ``df`` lacks any of ``columns``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    columns : iterable of str or None
        Columns it must have; ``None`` entries (an optional column not asked for) are ignored.
    table : str, optional
        What the table is (``"probes"``, ``"events"``), for the message.

    Raises
    ------
    SchemaError
        Naming the missing columns and the ones the table has.
    """
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        what = f"{table} table" if table else "the table"
        raise SchemaError(
            f"{what} lacks column(s) {', '.join(map(repr, missing))}; it has: {', '.join(map(str, df.columns))}"
        )


def column_or_na(df: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    """``df[name]`` as ``dtype``, or an all-NA column of that dtype when ``df`` has no such column.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    name : str
        An optional column.
    dtype : str
        The pandas dtype wanted (``"Int64"``, ``"string"``...).

    Returns
    -------
    pandas.Series
        Aligned with ``df.index``.
    """
    wanted = pandas_dtype(dtype)
    if name in df.columns:
        return df[name].astype(wanted)
    return pd.Series(pd.NA, index=df.index, dtype=wanted)


def failed_mask(df: pd.DataFrame, values: str | None = None) -> pd.Series:
    """Which rows of a probe or ping table failed, as a boolean Series on ``df.index``.

    A row failed when ``error_kind`` is set or ``ok`` is False. A table that
    records neither column has no failure evidence but its values: then a
    missing value in column ``values`` (when given) counts as failed.

    Parameters
    ----------
    df : pandas.DataFrame
        A probes, pings or similar table.
    values : str, optional
        The measured column, used only when the table has neither ``error_kind`` nor ``ok``.

    Returns
    -------
    pandas.Series
        bool, True where the row failed; NA never appears.
    """
    has_kind, has_ok = "error_kind" in df.columns, "ok" in df.columns
    if not has_kind and not has_ok:
        if values is not None and values in df.columns:
            numbers = pd.to_numeric(df[values], errors="coerce").astype("float64")
            return pd.Series(np.isnan(numbers.to_numpy()), index=df.index, dtype=bool)
        return pd.Series(False, index=df.index, dtype=bool)
    failed = pd.Series(False, index=df.index, dtype=bool)
    if has_kind:
        failed |= df["error_kind"].notna().to_numpy(dtype=bool)
    if has_ok:
        failed |= df["ok"].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool)
    return failed


_UNITS = (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0))


def format_duration(td: pd.Timedelta | float | None, *, missing: str = "window") -> str:
    """A duration in the largest unit that states it exactly: ``"5 min"``, ``"90 s"``, ``"250 ms"``.

    Parameters
    ----------
    td : pandas.Timedelta, float or None
        The duration (a float is seconds). ``None`` or NaT gives ``missing``.
    missing : str, default "window"
        The text for an unknown duration.

    Returns
    -------
    str
        The duration with its unit.
    """
    if td is None or (not isinstance(td, int | float) and pd.isna(td)):
        return missing
    secs = float(td) if isinstance(td, int | float) else pd.Timedelta(td).total_seconds()
    if 0 < abs(secs) < 1:
        return f"{secs * 1000:g} ms"
    for unit, size in _UNITS:
        if abs(secs) >= size and secs % size == 0:
            return f"{secs / size:g} {unit}"
    return f"{secs:g} s"
