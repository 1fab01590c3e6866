"""Times given by users (parameters, CLI flags, windows) as UTC timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from apiprobe.errors import InvalidParameterError

__all__ = ["to_utc", "utc_window"]


def to_utc(value: Any) -> pd.Timestamp:
    """``value`` as a tz-aware UTC timestamp; a naive time is taken as UTC.

    Parameters
    ----------
    value : Any
        Anything :class:`pandas.Timestamp` accepts: a string (ISO 8601), a datetime,
        a Timestamp, a datetime64.

    Returns
    -------
    pandas.Timestamp
        The time, tz-aware in UTC.

    Raises
    ------
    InvalidParameterError
        When ``value`` is not a time (NaT included); the message names the value.
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:  # pandas' parse errors are ValueError subclasses
        raise InvalidParameterError(f"not a time: {value!r} ({exc})") from exc
    if ts is pd.NaT:
        raise InvalidParameterError(f"not a time: {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def utc_window(window: Sequence[Any] | None, name: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """``(start, end)`` as UTC timestamps, or None; ``start < end`` is required.

    Parameters
    ----------
    window : sequence of two times, or None
        The window as given by the user; each end as :func:`to_utc` accepts.
    name : str
        The argument's name, for the message (``"incident"``, ``"since/until"``).

    Returns
    -------
    tuple of pandas.Timestamp, or None
        ``(start, end)`` in UTC; None when ``window`` is None.

    Raises
    ------
    InvalidParameterError
        When it is not a pair of times, or does not start before it ends.
    """
    if window is None:
        return None
    if isinstance(window, str) or len(window) != 2:
        raise InvalidParameterError(f"{name} must be a (start, end) pair, got {window!r}")
    start, end = to_utc(window[0]), to_utc(window[1])
    if not start < end:
        raise InvalidParameterError(f"{name} must start before it ends, got {start} .. {end}")
    return start, end
