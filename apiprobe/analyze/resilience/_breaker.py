"""A circuit breaker with sony/gobreaker v1 semantics, and a replay of request series through it.

:class:`GoBreaker` is gobreaker's state machine with the clock passed in
(integer nanoseconds), so the same object replays recorded requests
(:func:`replay_breaker`) and guards live calls in the fault lab. What it
keeps from gobreaker's source (``gobreaker.go``):

* ``MaxRequests`` 0 means 1; ``Interval`` ≤ 0 never clears the counts while
  closed; ``Timeout`` ≤ 0 means 60 s; the default ``ReadyToTrip`` is
  ``ConsecutiveFailures > 5``.
* A request is counted when it starts (``beforeRequest``), its outcome when it
  ends (``afterRequest``). Both first take the state "now", which is when time
  changes it: open → half-open once the open expiry is strictly before now,
  and a closed breaker whose interval expired starts a new generation.
  Nothing happens between calls, so the moment a breaker is next consulted is
  the moment of the change.
* Every state change starts a new generation (counts cleared; expiry now +
  Interval when closed, now + Timeout when open, none when half-open). An
  outcome whose request started in another generation is dropped.
* Half-open: ``Requests ≥ MaxRequests`` rejects with "too many requests";
  ``ConsecutiveSuccesses ≥ MaxRequests`` closes; any failure opens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe._time import to_utc
from apiprobe.errors import InvalidParameterError, SchemaError
from apiprobe.schema import conform

__all__ = [
    "BREAKER_STATES",
    "BreakerCounts",
    "BreakerReplay",
    "GoBreaker",
    "breaker_what_if",
    "replay_breaker",
]

#: gobreaker's states, by their ``String()`` names.
BREAKER_STATES = ("closed", "half-open", "open")
_NS = 1_000_000_000


@dataclass(frozen=True)
class BreakerCounts:
    """gobreaker's ``Counts``, as ``ready_to_trip`` receives them (cleared at each new generation).

    Attributes
    ----------
    requests : int
        Requests let through in this generation.
    total_successes, total_failures : int
        Outcomes counted in this generation.
    consecutive_successes, consecutive_failures : int
        The current run of equal outcomes.
    """

    requests: int = 0
    total_successes: int = 0
    total_failures: int = 0
    consecutive_successes: int = 0
    consecutive_failures: int = 0


def default_ready_to_trip(counts: BreakerCounts) -> bool:
    """gobreaker's default: more than 5 consecutive failures."""
    return counts.consecutive_failures > 5


class GoBreaker:
    """gobreaker v1's ``CircuitBreaker`` with an explicit clock (integer nanoseconds).

    Parameters
    ----------
    max_requests : int, default 0
        Requests let through while half-open (0 means 1).
    interval_ns : int, default 0
        Cyclic period of the closed state after which counts clear (≤ 0: never).
    timeout_ns : int, default 0
        How long the breaker stays open (≤ 0: 60 s).
    ready_to_trip : callable, optional
        ``f(BreakerCounts) -> bool``, called after a failure while closed.
    now_ns : int, default 0
        When the breaker is created (the first interval counts from here).
    on_state_change : callable, optional
        ``f(now_ns, from_state, to_state)``, called on every change.
    """

    def __init__(
        self,
        *,
        max_requests: int = 0,
        interval_ns: int = 0,
        timeout_ns: int = 0,
        ready_to_trip: Callable[[BreakerCounts], bool] | None = None,
        now_ns: int = 0,
        on_state_change: Callable[[int, str, str], None] | None = None,
    ) -> None:
        self.max_requests = max_requests if max_requests > 0 else 1
        self.interval_ns = interval_ns if interval_ns > 0 else 0
        self.timeout_ns = timeout_ns if timeout_ns > 0 else 60 * _NS
        self.ready_to_trip = ready_to_trip or default_ready_to_trip
        self.on_state_change = on_state_change
        self.state = "closed"
        self.generation = 0
        self.counts = BreakerCounts()
        self.expiry: int | None = None
        self._new_generation(now_ns)

    def _new_generation(self, now: int) -> None:
        self.generation += 1
        self.counts = BreakerCounts()
        if self.state == "closed":
            self.expiry = now + self.interval_ns if self.interval_ns else None
        elif self.state == "open":
            self.expiry = now + self.timeout_ns
        else:
            self.expiry = None

    def _set_state(self, state: str, now: int) -> None:
        if state == self.state:
            return
        previous, self.state = self.state, state
        self._new_generation(now)
        if self.on_state_change is not None:
            self.on_state_change(now, previous, state)

    def current(self, now: int) -> tuple[str, int]:
        """The state and generation at ``now``, applying the changes time has made."""
        if self.state == "closed":
            if self.expiry is not None and self.expiry < now:
                self._new_generation(now)
        elif self.state == "open" and self.expiry is not None and self.expiry < now:
            self._set_state("half-open", now)
        return self.state, self.generation

    def before(self, now: int) -> tuple[str, int, str | None]:
        """A request arrives: ``(state, generation, rejection)``; rejection is None when allowed."""
        state, generation = self.current(now)
        if state == "open":
            return state, generation, "open"
        if state == "half-open" and self.counts.requests >= self.max_requests:
            return state, generation, "too_many_requests"
        self.counts = replace(self.counts, requests=self.counts.requests + 1)
        return state, generation, None

    def after(self, generation: int, ok: bool, now: int) -> bool:
        """An allowed request ends; returns whether its outcome was counted."""
        state, current = self.current(now)
        if current != generation:
            return False
        c = self.counts
        if ok:
            if state in ("closed", "half-open"):
                self.counts = replace(
                    c,
                    total_successes=c.total_successes + 1,
                    consecutive_successes=c.consecutive_successes + 1,
                    consecutive_failures=0,
                )
                if state == "half-open" and self.counts.consecutive_successes >= self.max_requests:
                    self._set_state("closed", now)
        elif state == "closed":
            self.counts = replace(
                c,
                total_failures=c.total_failures + 1,
                consecutive_failures=c.consecutive_failures + 1,
                consecutive_successes=0,
            )
            if self.ready_to_trip(self.counts):
                self._set_state("open", now)
        elif state == "half-open":
            self._set_state("open", now)
        return True


@dataclass(frozen=True)
class BreakerReplay:
    """The outcome of :func:`replay_breaker`.

    Attributes
    ----------
    requests : pandas.DataFrame
        The input rows (in input order) plus ``allowed`` (bool), ``rejected``
        (``open``, ``too_many_requests`` or NA), ``state`` (the breaker's
        state when the request arrived), ``generation`` and ``counted``
        (whether its outcome reached the breaker: False when rejected or
        dropped because the generation changed while it ran).
    transitions : pandas.DataFrame
        ``ts, from_state, to_state``: every state change, at the moment the
        breaker was consulted and changed.
    settings : dict
        The settings replayed (after gobreaker's defaults).
    """

    requests: pd.DataFrame
    transitions: pd.DataFrame
    settings: dict[str, Any]

    @property
    def rejected_share(self) -> float:
        """Share of requests the breaker rejected (NaN without requests)."""
        return float((~self.requests["allowed"]).mean()) if len(self.requests) else math.nan


def _seconds_arg(value: Any, name: str) -> int:
    if isinstance(value, pd.Timedelta) or hasattr(value, "total_seconds"):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"{name} must be seconds (a number) or a timedelta, got {value!r}")
    if not math.isfinite(value):
        raise InvalidParameterError(f"{name} must be finite, got {value!r}")
    return round(float(value) * _NS)


def _time_ns(values: pd.Series, name: str) -> tuple[np.ndarray, bool]:
    """Times as int64 ns, and whether they were datetimes."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values if getattr(values.dt, "tz", None) is not None else values.dt.tz_localize("UTC")
        if ts.isna().any():
            first = int(np.flatnonzero(ts.isna().to_numpy())[0])
            raise SchemaError(f"requests: column {name!r} has missing times (row {first})")
        return ts.dt.tz_convert("UTC").astype("int64").to_numpy(), True
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        arr = values.to_numpy(dtype="float64")
        if not np.isfinite(arr).all():
            raise SchemaError(f"requests: column {name!r} has missing or infinite times")
        return np.round(arr * _NS).astype("int64"), False
    try:
        ts = pd.to_datetime(values, utc=True)
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"requests: column {name!r} holds neither datetimes nor seconds: {exc}") from exc
    return _time_ns(ts, name)


def _ok_column(values: pd.Series) -> np.ndarray:
    if values.isna().any():
        raise SchemaError(f"requests: column 'ok' has {int(values.isna().sum())} missing outcomes")
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(values) and set(np.unique(values.to_numpy())) <= {0, 1}:
        return values.to_numpy().astype(bool)
    raise SchemaError(f"requests: column 'ok' must be booleans, got dtype {values.dtype}")


def replay_breaker(
    requests: pd.DataFrame,
    *,
    max_requests: int = 0,
    interval: Any = 0,
    timeout: Any = 60,
    ready_to_trip: Callable[[BreakerCounts], bool] | None = None,
    created: Any = None,
) -> BreakerReplay:
    """Replay calls through a gobreaker v1 circuit breaker, exactly as the library decides.

    Each call is consulted at its ``start`` (counted or rejected) and, when
    allowed, reports its outcome at its ``end``, so overlapping calls behave as
    they would in Go: a slow call still in flight when the breaker trips has
    its outcome dropped. At the same instant an outcome is applied before an
    arrival, and arrivals in input order.

    Parameters
    ----------
    requests : pandas.DataFrame
        One row per call: ``start``, ``end`` (datetimes or seconds) and ``ok``
        (bool). Other columns are kept. Unsorted rows are fine.
    max_requests : int, default 0
        gobreaker ``MaxRequests`` (0 means 1).
    interval : float or timedelta, default 0
        ``Interval`` in seconds (≤ 0: counts never clear while closed).
    timeout : float or timedelta, default 60
        ``Timeout`` in seconds (≤ 0: 60 s).
    ready_to_trip : callable, optional
        ``f(counts) -> bool`` over :class:`BreakerCounts` (``requests,
        total_successes, total_failures, consecutive_successes,
        consecutive_failures``); default ``consecutive_failures > 5``.
    created : datetime or float, optional
        When the breaker was made (its first interval counts from here);
        default the first call's start.

    Returns
    -------
    BreakerReplay

    Raises
    ------
    SchemaError
        A missing column, a missing time or outcome, or ``end`` before ``start``.
    InvalidParameterError
        A negative ``max_requests`` or a non-numeric interval or timeout.
    """
    require_columns(requests, ["start", "end", "ok"], table="requests")
    if isinstance(max_requests, bool) or not isinstance(max_requests, int | np.integer) or max_requests < 0:
        raise InvalidParameterError(f"max_requests must be a whole number ≥ 0, got {max_requests!r}")
    if ready_to_trip is not None and not callable(ready_to_trip):
        raise InvalidParameterError(f"ready_to_trip must be a callable taking the counts, got {ready_to_trip!r}")
    interval_ns, timeout_ns = _seconds_arg(interval, "interval"), _seconds_arg(timeout, "timeout")
    start, dated = _time_ns(requests["start"], "start")
    end, dated_end = _time_ns(requests["end"], "end")
    if dated != dated_end:
        raise SchemaError("requests: 'start' and 'end' must both be datetimes or both seconds")
    bad = np.flatnonzero(end < start)
    if len(bad):
        raise SchemaError(f"requests: {len(bad)} rows end before they start (first: row {int(bad[0])})")
    ok = _ok_column(requests["ok"])
    n = len(requests)
    if created is None:
        created_ns = int(start.min()) if n else 0
    elif dated:
        created_ns = int(to_utc(created).value)
    else:
        created_ns = _seconds_arg(created, "created")

    changes: list[tuple[int, str, str]] = []
    breaker = GoBreaker(
        max_requests=int(max_requests),
        interval_ns=interval_ns,
        timeout_ns=timeout_ns,
        ready_to_trip=ready_to_trip,
        now_ns=created_ns,
        on_state_change=lambda now, a, b: changes.append((now, a, b)),
    )
    # Events: (time, phase, row). At a tie: outcomes of calls that started
    # earlier (0), then arrivals (1), then outcomes of zero-length calls (2).
    arrivals = [(int(t), 1, i) for i, t in enumerate(start)]
    outcomes = [(int(t), 0 if t > start[i] else 2, i) for i, t in enumerate(end)]
    order = sorted(arrivals + outcomes)
    allowed = np.zeros(n, dtype=bool)
    counted = np.zeros(n, dtype=bool)
    generation = np.zeros(n, dtype="int64")
    states = np.empty(n, dtype=object)
    rejected: list[Any] = [pd.NA] * n
    for now, phase, i in order:
        if phase == 1:
            state, gen, rejection = breaker.before(now)
            states[i], generation[i] = state, gen
            if rejection is None:
                allowed[i] = True
            else:
                rejected[i] = rejection
        elif allowed[i]:
            counted[i] = breaker.after(int(generation[i]), bool(ok[i]), now)

    out = requests.copy()
    out["allowed"] = allowed
    out["rejected"] = pd.array(rejected, dtype="string")
    out["state"] = pd.array(states, dtype="string")
    out["generation"] = generation
    out["counted"] = counted
    ts: Any = np.array([c[0] for c in changes], dtype="int64")
    ts = pd.to_datetime(ts, utc=True) if dated else ts / _NS
    transitions = pd.DataFrame(
        {
            "ts": ts,
            "from_state": pd.array([c[1] for c in changes], dtype="string"),
            "to_state": pd.array([c[2] for c in changes], dtype="string"),
        }
    )
    if dated:
        transitions = conform(transitions, "breaker_transitions")
    settings = {
        "max_requests": breaker.max_requests,
        "interval_s": breaker.interval_ns / _NS,
        "timeout_s": breaker.timeout_ns / _NS,
        "ready_to_trip": getattr(ready_to_trip, "__name__", "custom") if ready_to_trip else "consecutive_failures > 5",
    }
    return BreakerReplay(out, transitions, settings)


def breaker_what_if(requests: pd.DataFrame, variants: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Replay the same calls under other breaker settings and compare.

    Parameters
    ----------
    requests : pandas.DataFrame
        As for :func:`replay_breaker` (``start``, ``end``, ``ok``).
    variants : dict
        Name → keyword arguments of :func:`replay_breaker`
        (``{"as deployed": {"timeout": 10}, "longer timeout": {"timeout": 30}}``).

    Returns
    -------
    pandas.DataFrame
        One row per variant: ``variant``, ``requests``, ``rejected``,
        ``rejected_share``, ``trips`` (changes to open), ``failures_let_through``
        (failed calls the breaker allowed), ``open_s`` (time spent open or
        half-open) and ``recover_s`` (from the first trip to the last close;
        NaN when it never tripped or never closed again).
    """
    rows = []
    for name, kwargs in variants.items():
        replay = replay_breaker(requests, **kwargs)
        req, tr = replay.requests, replay.transitions
        ts = tr["ts"]
        as_s = (ts.astype("int64") / _NS) if pd.api.types.is_datetime64_any_dtype(ts) else ts.astype(float)
        opens = as_s[tr["to_state"] == "open"]
        closes = as_s[tr["to_state"] == "closed"]
        recover = float(closes.iloc[-1] - opens.iloc[0]) if len(opens) and len(closes) else math.nan
        open_s = 0.0
        opened: float | None = None
        for t, to in zip(as_s, tr["to_state"], strict=True):
            if to == "open" and opened is None:
                opened = float(t)
            elif to == "closed" and opened is not None:
                open_s += float(t) - opened
                opened = None
        if opened is not None:
            end = _time_ns(req["end"], "end")[0].max() / _NS
            open_s += max(0.0, float(end) - opened)
        ok = req["ok"].astype(bool)
        rows.append(
            {
                "variant": name,
                "requests": len(req),
                "rejected": int((~req["allowed"]).sum()),
                "rejected_share": replay.rejected_share,
                "trips": len(opens),
                "failures_let_through": int((req["allowed"] & ~ok).sum()),
                "open_s": open_s,
                "recover_s": recover,
            }
        )
    return pd.DataFrame(rows)
