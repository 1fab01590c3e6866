"""Times given by users (parameters, CLI flags, windows) as UTC timestamps."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pandas as pd

from apiprobe.errors import InvalidParameterError

__all__ = ["duration_seconds", "format_duration", "iso_utc", "to_utc", "utc_window"]


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


def iso_utc(value: Any) -> str:
    """A time as ``2026-03-14T10:00:00Z`` (converted to UTC first; naive times are UTC); ``""`` for NA.

    Parameters
    ----------
    value : Any
        Anything :func:`to_utc` takes, or None / NaT.

    Returns
    -------
    str
        ISO 8601 in UTC, to the second.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


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


_PROM_UNITS = {"y": 365 * 86400.0, "w": 7 * 86400.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3}
_PROM_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")


def duration_seconds(value: Any, name: str = "duration") -> float:
    """A duration given by a user, in seconds: a number of seconds, a timedelta, or a Prometheus duration.

    Parameters
    ----------
    value : float, int, str, timedelta or pandas.Timedelta
        Seconds as a number, or a Prometheus duration such as ``"90s"``, ``"1h30m"``,
        ``"3d"`` (units ``y w d h m s ms``, largest first, as PromQL writes them).
    name : str
        The argument's name, for the message.

    Returns
    -------
    float
        Seconds, greater than zero.

    Raises
    ------
    InvalidParameterError
        When ``value`` is not a positive duration; the message names the argument.
    """
    if isinstance(value, bool):
        raise InvalidParameterError(f"{name} must be a duration, got {value!r}")
    if isinstance(value, timedelta | pd.Timedelta):
        seconds = pd.Timedelta(value).total_seconds()
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        m = _PROM_DURATION.fullmatch(text)
        if not text or m is None:
            try:
                seconds = float(text)
            except ValueError:
                raise InvalidParameterError(
                    f"{name} must be seconds or a Prometheus duration such as '60s', '5m', '1h30m', got {value!r}"
                ) from None
        else:
            seconds = sum(int(n) * u for n, u in zip(m.groups(), _PROM_UNITS.values(), strict=True) if n)
    else:
        raise InvalidParameterError(f"{name} must be a duration, got {type(value).__name__}")
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise InvalidParameterError(f"{name} must be a positive duration, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """``seconds`` as the shortest Prometheus duration that says it exactly (``3600`` → ``"1h"``).

    Parameters
    ----------
    seconds : float
        A positive duration; whole milliseconds are kept.

    Returns
    -------
    str
        A Prometheus duration (``"5m"``, ``"1h30m"``, ``"1500ms"`` for 1.5 s).
    """
    ms = round(seconds * 1000)
    if ms % 1000:
        return f"{ms}ms"
    rest, out = ms // 1000, []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(out) or "0s"
