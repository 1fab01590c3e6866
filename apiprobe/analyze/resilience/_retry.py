"""Retry policies of the Go libraries people use, their schedules, decisions and budgets.

Each preset follows its library's source, parameter for parameter and default
for default, with durations in seconds:

* ``go-retryablehttp`` — hashicorp/go-retryablehttp ``DefaultBackoff`` and
  ``DefaultRetryPolicy`` (0.7.x): wait ``min · 2^i`` for retry ``i``, capped at
  ``max`` (a product that is not a whole number of nanoseconds is capped too,
  as Go does); a numeric ``Retry-After`` on 429 and 503 wins, uncapped;
  ``retries`` waits (``RetryMax``).
* ``go-retryablehttp-linear-jitter`` — its ``LinearJitterBackoff``:
  ``(i + 1) · uniform(min, max)`` truncated to nanoseconds, ``min · (i + 1)``
  when ``max <= min``.
* ``cenkalti-backoff`` — cenkalti/backoff v4 ``ExponentialBackOff``: a delay
  drawn from ``[c·(1−f), c·(1+f) + 1 ns)`` around the current interval ``c``,
  then ``c`` multiplied (set to ``max_interval`` once ``c ≥ max_interval /
  multiplier``); it stops when ``max_elapsed`` ≠ 0 and the elapsed time (every
  attempt's own duration included) plus the next delay would pass it;
  ``retries`` is ``WithMaxRetries`` (None: not wrapped).
* ``grpc`` — gRPC-Go's connection backoff: the first wait is ``base`` with no
  jitter; then ``base`` multiplied while below ``max``, capped, times
  ``1 + jitter · uniform(−1, 1)``. gRPC itself never stops reconnecting, so
  ``retries`` bounds the schedule (None: unbounded, which a schedule refuses).
* ``exponential`` — ``min(cap, base · multiplier^i)`` with no jitter or with
  the "full", "equal" or "decorrelated" jitter of the well-known AWS article
  (decorrelated: ``min(cap, uniform(base, 3 · previous))``).
* ``handbook`` — the handbook's §4.1 sample: ``min(base · 2^i, max)`` plus up
  to 10 % of it at random. The handbook gives no retry limit; the preset
  assumes 5.

All delays are computed in integer nanoseconds with float64 steps where the
library uses them, so a jitter-free schedule equals the library's to the
nanosecond (``tests/analyze/test_retry_libraries_go.py`` runs the
Debian-packaged libraries themselves: go-retryablehttp, cenkalti/backoff and
gRPC-Go's ``internal/backoff``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from apiprobe.errors import InvalidParameterError
from apiprobe.schema import conform

__all__ = [
    "RETRY_PRESETS",
    "RetryBudget",
    "RetryPolicy",
    "retry_amplification",
    "retry_budget",
    "retry_decision",
    "retry_policy",
    "retry_schedule",
]

_NS = 1_000_000_000
#: Safety bound on the waits of one run (an unbounded policy is refused before this).
_MAX_WAITS = 100_000

#: Each preset's parameters and their defaults (the library's defaults, in seconds).
RETRY_PRESETS: dict[str, Mapping[str, Any]] = {
    "go-retryablehttp": MappingProxyType({"min_s": 1.0, "max_s": 30.0, "retries": 4}),
    "go-retryablehttp-linear-jitter": MappingProxyType({"min_s": 1.0, "max_s": 30.0, "retries": 4}),
    "cenkalti-backoff": MappingProxyType(
        {
            "initial_s": 0.5,
            "randomization_factor": 0.5,
            "multiplier": 1.5,
            "max_interval_s": 60.0,
            "max_elapsed_s": 900.0,
            "retries": None,
        }
    ),
    "grpc": MappingProxyType({"base_s": 1.0, "multiplier": 1.6, "jitter": 0.2, "max_s": 120.0, "retries": None}),
    "exponential": MappingProxyType({"base_s": 1.0, "cap_s": 60.0, "multiplier": 2.0, "jitter": "none", "retries": 5}),
    "handbook": MappingProxyType({"base_s": 1.0, "max_s": 60.0, "retries": 5}),
}

_JITTERS = ("none", "full", "equal", "decorrelated")
# go-retryablehttp's non-retryable transport errors (its regexps, plus the
# string form of x509.UnknownAuthorityError, which it matches by type).
_NO_RETRY_ERRORS = (
    re.compile(r"stopped after \d+ redirects\s*$"),
    re.compile(r"unsupported protocol scheme"),
    re.compile(r"certificate is not trusted"),
    re.compile(r"certificate signed by unknown authority"),
)


@dataclass(frozen=True)
class RetryPolicy:
    """A retry policy: a preset name and its parameters (seconds).

    Attributes
    ----------
    name : str
        The preset (a key of :data:`RETRY_PRESETS`).
    params : mapping
        Every parameter of the preset, defaults filled in.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    @property
    def retries(self) -> int | None:
        """The most retries (waits) one call makes; None when only time stops it."""
        value = self.params.get("retries")
        return None if value is None else int(value)

    @property
    def jittered(self) -> bool:
        """Whether delays are random."""
        p = self.params
        if self.name == "go-retryablehttp":
            return False
        if self.name == "go-retryablehttp-linear-jitter":
            return p["max_s"] > p["min_s"]
        if self.name == "cenkalti-backoff":
            return p["randomization_factor"] != 0
        if self.name == "grpc":
            return p["jitter"] != 0
        if self.name == "exponential":
            return p["jitter"] != "none"
        return True

    def describe(self) -> str:
        """The policy in one line, as a figure title or finding would show it."""
        shown = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({shown})"


def retry_policy(name: str | RetryPolicy, **params: Any) -> RetryPolicy:
    """A retry policy by preset name, with the library's defaults for what is not given.

    Parameters
    ----------
    name : str or RetryPolicy
        ``"go-retryablehttp"``, ``"go-retryablehttp-linear-jitter"``,
        ``"cenkalti-backoff"``, ``"grpc"``, ``"exponential"`` or ``"handbook"``
        (see :data:`RETRY_PRESETS`); a policy is returned with ``params`` applied.
    **params
        The preset's parameters in snake_case seconds (``min_s``, ``max_s``,
        ``retries``, ``initial_s``, ``randomization_factor``, ...).

    Returns
    -------
    RetryPolicy

    Raises
    ------
    InvalidParameterError
        An unknown preset or parameter, or a value out of range.
    """
    if isinstance(name, RetryPolicy):
        params = {**name.params, **params}
        name = name.name
    if name not in RETRY_PRESETS:
        raise InvalidParameterError(f"unknown retry preset {name!r}; known: {', '.join(RETRY_PRESETS)}")
    defaults = RETRY_PRESETS[name]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise InvalidParameterError(
            f"retry preset {name!r} has no parameter {', '.join(unknown)}; it takes {', '.join(defaults)}"
        )
    merged = {**defaults, **params}
    for key, value in merged.items():
        if key == "jitter" and name == "exponential":
            if value not in _JITTERS:
                raise InvalidParameterError(f"jitter must be one of {', '.join(_JITTERS)}, got {value!r}")
            continue
        if key == "retries":
            if value is not None and (isinstance(value, bool) or not float(value).is_integer() or value < 0):
                raise InvalidParameterError(f"retries must be a whole number ≥ 0 or None, got {value!r}")
            merged[key] = None if value is None else int(value)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise InvalidParameterError(f"{key} must be a finite number ≥ 0, got {value!r}")
        merged[key] = float(value)
    if name == "exponential" and merged["multiplier"] < 1:
        raise InvalidParameterError(f"multiplier must be ≥ 1, got {merged['multiplier']}")
    return RetryPolicy(name, MappingProxyType(merged))


def _ns(seconds: float) -> int:
    return round(seconds * _NS)


def _retry_after_s(status: int | None, retry_after: Any) -> float | None:
    """go-retryablehttp: a Retry-After that ``strconv.ParseInt`` reads, on 429 or 503."""
    if status not in (429, 503) or retry_after is None:
        return None
    if isinstance(retry_after, int | np.integer) and not isinstance(retry_after, bool):
        return float(retry_after)
    text = str(retry_after)
    if re.fullmatch(r"[+-]?\d+", text):
        return float(int(text))
    return None


def _waits(
    policy: RetryPolicy, rng: np.random.Generator, n: int, attempt_ns: int, status: int | None, retry_after: Any
) -> np.ndarray:
    """An ``(n, waits)`` array of delays in nanoseconds; NaN after a run stopped."""
    p, name = policy.params, policy.name
    limit = policy.retries
    if name == "cenkalti-backoff":
        return _cenkalti_waits(policy, rng, n, attempt_ns)
    if limit is None:
        raise InvalidParameterError(
            f"retry policy {name!r} never stops by itself: give retries=N (e.g. retry_policy({name!r}, retries=10))"
        )
    out = np.full((n, limit), np.nan)
    if name == "go-retryablehttp":
        lo, hi = _ns(p["min_s"]), _ns(p["max_s"])
        honoured = _retry_after_s(status, retry_after)
        for i in range(limit):
            if honoured is not None:
                out[:, i] = honoured * _NS
                continue
            mult = math.pow(2, i) * float(lo)
            sleep = int(mult) if mult < 2**63 else hi
            if float(sleep) != mult or sleep > hi:
                sleep = hi
            out[:, i] = sleep
    elif name == "go-retryablehttp-linear-jitter":
        lo, hi = _ns(p["min_s"]), _ns(p["max_s"])
        for i in range(limit):
            if hi <= lo:
                out[:, i] = lo * (i + 1)
            else:
                jitter = np.trunc(rng.random(n) * float(hi - lo))
                out[:, i] = (jitter + lo) * (i + 1)
    elif name == "grpc":
        base, cap = float(_ns(p["base_s"])), float(_ns(p["max_s"]))
        for i in range(limit):
            if i == 0:
                out[:, i] = base
                continue
            backoff, left = base, i
            while backoff < cap and left > 0:
                backoff *= p["multiplier"]
                left -= 1
            backoff = min(backoff, cap)
            scaled = backoff * (1 + p["jitter"] * (rng.random(n) * 2 - 1))
            out[:, i] = np.trunc(np.maximum(scaled, 0.0))
    elif name == "exponential":
        base, cap, mult = float(_ns(p["base_s"])), float(_ns(p["cap_s"])), p["multiplier"]
        previous = np.full(n, base)
        for i in range(limit):
            ceiling = min(cap, base * mult**i)
            if p["jitter"] == "none":
                out[:, i] = np.trunc(np.full(n, ceiling))
            elif p["jitter"] == "full":
                out[:, i] = np.trunc(rng.random(n) * ceiling)
            elif p["jitter"] == "equal":
                out[:, i] = np.trunc(ceiling / 2 + rng.random(n) * ceiling / 2)
            else:
                previous = np.minimum(cap, base + rng.random(n) * (3 * previous - base))
                out[:, i] = np.trunc(previous)
    else:  # handbook
        base, cap = float(_ns(p["base_s"])), float(_ns(p["max_s"]))
        for i in range(limit):
            delay = min(base * 2**i, cap)
            out[:, i] = np.trunc(delay + delay * 0.1 * rng.random(n))
    return out


def _cenkalti_waits(policy: RetryPolicy, rng: np.random.Generator, n: int, attempt_ns: int) -> np.ndarray:
    p = policy.params
    factor, mult = p["randomization_factor"], p["multiplier"]
    max_interval, max_elapsed = _ns(p["max_interval_s"]), _ns(p["max_elapsed_s"])
    limit = policy.retries
    if limit is None and max_elapsed == 0:
        raise InvalidParameterError(
            "cenkalti-backoff with max_elapsed_s=0 never stops: give retries=N (backoff.WithMaxRetries)"
        )
    current = np.full(n, _ns(p["initial_s"]), dtype=np.int64)
    elapsed = np.zeros(n, dtype=np.int64)
    alive = np.ones(n, dtype=bool)
    columns: list[np.ndarray] = []
    while alive.any() and (limit is None or len(columns) < limit) and len(columns) < _MAX_WAITS:
        elapsed = elapsed + attempt_ns
        cur = current.astype(np.float64)
        if factor == 0:
            nxt = current.copy()
        else:
            delta = factor * cur
            low, high = cur - delta, cur + delta
            nxt = np.trunc(low + rng.random(n) * (high - low + 1)).astype(np.int64)
        capped = cur >= float(max_interval) / mult
        current = np.where(capped, max_interval, np.trunc(cur * mult).astype(np.int64))
        if max_elapsed != 0:
            alive &= ~(elapsed + nxt > max_elapsed)
        columns.append(np.where(alive, nxt.astype(np.float64), np.nan))
        elapsed = elapsed + nxt
    return np.column_stack(columns) if columns else np.empty((n, 0))


def retry_schedule(
    policy: RetryPolicy | str,
    *,
    n: int = 1,
    seed: int | None = None,
    attempt_s: float = 0.0,
    status: int | None = None,
    retry_after: Any = None,
) -> pd.DataFrame:
    """The waits a policy produces for ``n`` independent calls that keep failing.

    Parameters
    ----------
    policy : RetryPolicy or str
        A policy from :func:`retry_policy`, or a preset name (its defaults).
    n : int, default 1
        Independent runs (one call each, retried until the policy stops).
    seed : int, optional
        Seed of the jitter draws; the same seed gives the same schedule.
    attempt_s : float, default 0.0
        Each attempt's own duration in seconds; it counts toward a
        max-elapsed rule and into ``elapsed_s``.
    status : int, optional
        The HTTP status being retried. A response the policy would not retry
        (see :func:`retry_decision`) gives no waits; with go-retryablehttp,
        429 and 503 make a numeric ``retry_after`` the wait.
    retry_after : int or str, optional
        The response's ``Retry-After`` header (seconds; an HTTP date is
        ignored, as go-retryablehttp ignores it).

    Returns
    -------
    pandas.DataFrame
        One row per wait: ``run`` (0-based), ``retry`` (0-based index of the
        wait), ``delay_s`` (the wait, seconds), ``elapsed_s`` (seconds from the
        first attempt's start to the end of this wait, attempts included).

    Raises
    ------
    InvalidParameterError
        ``n`` < 1, a negative ``attempt_s``, or a policy with no stop rule.
    """
    policy = retry_policy(policy)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InvalidParameterError(f"n must be a whole number ≥ 1, got {n!r}")
    if not math.isfinite(attempt_s) or attempt_s < 0:
        raise InvalidParameterError(f"attempt_s must be a finite number ≥ 0, got {attempt_s!r}")
    if status is not None and not retry_decision(policy, status=status):
        return conform(None, "retry_schedule")
    rng = np.random.default_rng(seed)
    attempt_ns = _ns(attempt_s)
    waits = _waits(policy, rng, int(n), attempt_ns, status, retry_after)
    runs, retries = np.nonzero(~np.isnan(waits))
    delays = waits[runs, retries]
    per_wait = np.where(np.isnan(waits), 0.0, waits + attempt_ns)
    elapsed = np.cumsum(per_wait, axis=1)[runs, retries]
    return conform(
        pd.DataFrame(
            {
                "run": runs.astype("int64"),
                "retry": retries.astype("int64"),
                "delay_s": delays / _NS,
                "elapsed_s": elapsed / _NS,
            }
        ),
        "retry_schedule",
    )


def retry_decision(
    policy: RetryPolicy | str,
    *,
    status: int | None = None,
    error: str | None = None,
    context_done: bool = False,
) -> bool:
    """Would a client with this policy retry this response or error?

    go-retryablehttp's ``DefaultRetryPolicy`` (used by both of its presets,
    and by ``cenkalti-backoff``, ``grpc`` and ``exponential``, whose libraries
    leave the decision to the caller): never once the caller's context is done;
    a transport error is retried unless it is "stopped after N redirects", an
    unsupported protocol scheme, "certificate is not trusted" or an unknown
    certificate authority (an *expired* certificate is retried); 429 is
    retried, and so are status 0 and every 5xx except 501.

    The handbook's sample client (``handbook``) differs: its flow retries every
    failure — 4xx and certificate errors included — and has no context, so it
    keeps retrying after the caller has given up.

    Parameters
    ----------
    policy : RetryPolicy or str
        The policy or a preset name.
    status : int, optional
        The HTTP status received (0 for a response with no valid status).
    error : str, optional
        The Go error text of a failed call (``err.Error()``).
    context_done : bool, default False
        The caller's context is canceled or past its deadline.

    Returns
    -------
    bool

    Raises
    ------
    InvalidParameterError
        Neither ``status`` nor ``error`` given.
    """
    policy = retry_policy(policy)
    if status is None and not error:
        raise InvalidParameterError("retry_decision needs the response status or the error text")
    if policy.name == "handbook":
        return bool(error) or status is None or status == 0 or status >= 400
    if context_done:
        return False
    if error:
        return not any(rx.search(error) for rx in _NO_RETRY_ERRORS)
    assert status is not None
    return status == 429 or status == 0 or (status >= 500 and status != 501)


@dataclass(frozen=True)
class RetryBudget:
    """The time all attempts of one call may take, against the caller's deadline.

    Attributes
    ----------
    policy : RetryPolicy
        The policy.
    attempts : int
        Attempts one call makes at most (retries + 1) before the policy stops.
    worst_s : float
        Every attempt runs to ``attempt_timeout_s`` and every wait is at the
        top of its jitter range.
    typical_s : float
        Every attempt runs to ``attempt_timeout_s`` (a dependency that hangs)
        and every wait is its mean.
    deadline_s : float
        The caller's deadline.
    attempts_in_deadline : int
        Attempts that start before the deadline, worst case.
    table : pandas.DataFrame
        One row per attempt: ``attempt`` (1-based), ``start_worst_s``,
        ``end_worst_s``, ``start_typical_s``, ``end_typical_s``,
        ``within_deadline`` (ends by the deadline in the worst case).
    """

    policy: RetryPolicy
    attempts: int
    worst_s: float
    typical_s: float
    deadline_s: float
    attempts_in_deadline: int
    table: pd.DataFrame

    @property
    def fits(self) -> bool:
        """Whether the worst case ends by the deadline."""
        return self.worst_s <= self.deadline_s

    def describe(self) -> str:
        """The verdict in one sentence."""
        verdict = "fits in" if self.fits else "overruns"
        return (
            f"{self.attempts} attempts take {self.worst_s:.3g} s worst case ({self.typical_s:.3g} s typical): "
            f"{verdict} the {self.deadline_s:.3g} s deadline; {self.attempts_in_deadline} attempts start before it"
        )


def _wait_bounds(policy: RetryPolicy, *, attempt_s: float, runs: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Per wait: the largest delay the policy can produce, and the mean delay."""
    if not policy.jittered:
        sched = retry_schedule(policy, attempt_s=attempt_s)
        values = sched["delay_s"].to_numpy()
        return values, values
    p, name = policy.params, policy.name
    sched = retry_schedule(policy, n=runs, seed=0, attempt_s=attempt_s)
    mean = sched.groupby("retry")["delay_s"].mean().to_numpy()
    count = len(mean)
    if name == "go-retryablehttp-linear-jitter":
        worst = np.array([p["max_s"] * (i + 1) for i in range(count)])
    elif name == "cenkalti-backoff":
        intervals, current = [], p["initial_s"]
        for _ in range(count):
            intervals.append(current)
            current = (
                p["max_interval_s"] if current >= p["max_interval_s"] / p["multiplier"] else current * p["multiplier"]
            )
        worst = np.array(intervals) * (1 + p["randomization_factor"])
    elif name == "grpc":
        ceilings = [p["base_s"]] + [min(p["base_s"] * p["multiplier"] ** i, p["max_s"]) for i in range(1, count)]
        worst = np.array(ceilings) * np.array([1.0] + [1 + p["jitter"]] * (count - 1))
    elif name == "exponential":
        worst = np.array([min(p["cap_s"], p["base_s"] * p["multiplier"] ** i) for i in range(count)])
        if p["jitter"] == "decorrelated":
            worst = np.full(count, p["cap_s"])
    else:  # handbook
        worst = np.array([min(p["base_s"] * 2**i, p["max_s"]) * 1.1 for i in range(count)])
    return worst, mean


def retry_budget(policy: RetryPolicy | str, *, attempt_timeout_s: float, deadline_s: float) -> RetryBudget:
    """Worst-case and typical time of every attempt of one call, against the caller's deadline.

    Parameters
    ----------
    policy : RetryPolicy or str
        The client's retry policy.
    attempt_timeout_s : float
        The timeout of one attempt (seconds): a hanging dependency uses all of it.
    deadline_s : float
        The caller's deadline for the whole call (seconds).

    Returns
    -------
    RetryBudget

    Raises
    ------
    InvalidParameterError
        A negative or non-finite time.
    """
    policy = retry_policy(policy)
    for name, value in (("attempt_timeout_s", attempt_timeout_s), ("deadline_s", deadline_s)):
        if not math.isfinite(value) or value <= 0:
            raise InvalidParameterError(f"{name} must be a finite number > 0, got {value!r}")
    worst, mean = _wait_bounds(policy, attempt_s=attempt_timeout_s)
    attempts = len(worst) + 1
    rows, start_w, start_t = [], 0.0, 0.0
    for i in range(attempts):
        end_w, end_t = start_w + attempt_timeout_s, start_t + attempt_timeout_s
        rows.append((i + 1, start_w, end_w, start_t, end_t, end_w <= deadline_s))
        if i < len(worst):
            start_w, start_t = end_w + float(worst[i]), end_t + float(mean[i])
    table = pd.DataFrame(
        rows,
        columns=["attempt", "start_worst_s", "end_worst_s", "start_typical_s", "end_typical_s", "within_deadline"],
    )
    return RetryBudget(
        policy=policy,
        attempts=attempts,
        worst_s=float(table["end_worst_s"].iloc[-1]),
        typical_s=float(table["end_typical_s"].iloc[-1]),
        deadline_s=float(deadline_s),
        attempts_in_deadline=int((table["start_worst_s"] < deadline_s).sum()),
        table=table,
    )


def _attempts_of(value: Any, where: str) -> int:
    if isinstance(value, RetryPolicy):
        if value.retries is None:
            raise InvalidParameterError(f"{where}: policy {value.name!r} has no retry limit")
        return value.retries + 1
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"{where}: attempts must be a whole number ≥ 1, got {value!r}")
    if not float(value).is_integer() or value < 1:
        raise InvalidParameterError(f"{where}: attempts must be a whole number ≥ 1, got {value!r}")
    return int(value)


def retry_amplification(chain: pd.DataFrame | Mapping[str, Any] | Sequence[Any]) -> pd.DataFrame:
    """Load multiplication down a call chain in which every hop retries.

    When each of 3 hops makes up to 3 attempts, one user request becomes up to
    27 calls at the bottom.

    Parameters
    ----------
    chain : DataFrame, mapping or sequence
        The hops from the top: a sequence of attempts per hop (or
        :class:`RetryPolicy` objects, attempts = retries + 1), a mapping
        callee → attempts, or a DataFrame with ``callee`` (and optionally
        ``caller``) and ``attempts`` or ``retries``.

    Returns
    -------
    pandas.DataFrame
        One row per hop: ``hop`` (1 at the top), ``caller``, ``callee``,
        ``attempts`` (per call from the caller), ``amplification`` (calls
        reaching the callee per user request, worst case).

    Raises
    ------
    InvalidParameterError, SchemaError
        An empty chain, attempts < 1, or a DataFrame without the columns.
    """
    from apiprobe._frames import require_columns

    callers: list[str | None]
    if isinstance(chain, pd.DataFrame):
        require_columns(chain, ["callee"], table="call chain")
        if "attempts" in chain.columns:
            attempts = [_attempts_of(v, f"hop {i + 1}") for i, v in enumerate(chain["attempts"])]
        elif "retries" in chain.columns:
            attempts = [_attempts_of(v + 1, f"hop {i + 1}") for i, v in enumerate(chain["retries"])]
        else:
            require_columns(chain, ["attempts"], table="call chain")
            attempts = []
        callees = [str(c) for c in chain["callee"]]
        callers = [str(c) for c in chain["caller"]] if "caller" in chain.columns else [None] * len(callees)
    elif isinstance(chain, Mapping):
        callees = [str(k) for k in chain]
        attempts = [_attempts_of(v, str(k)) for k, v in chain.items()]
        callers = [None] * len(callees)
    elif isinstance(chain, Iterable) and not isinstance(chain, str | bytes):
        items = list(chain)
        callees = [f"hop {i + 1}" for i in range(len(items))]
        attempts = [_attempts_of(v, f"hop {i + 1}") for i, v in enumerate(items)]
        callers = [None] * len(callees)
    else:
        raise InvalidParameterError(f"chain must be a DataFrame, a mapping or a sequence, got {type(chain).__name__}")
    if not attempts:
        raise InvalidParameterError("chain has no hops")
    filled = [c if c is not None else (callees[i - 1] if i else "client") for i, c in enumerate(callers)]
    return conform(
        pd.DataFrame(
            {
                "hop": np.arange(1, len(attempts) + 1),
                "caller": pd.array(filled, dtype="string"),
                "callee": pd.array(callees, dtype="string"),
                "attempts": np.array(attempts, dtype="int64"),
                "amplification": np.cumprod(np.array(attempts, dtype="float64")),
            }
        ),
        "retry_amplification",
    )
