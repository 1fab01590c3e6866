"""replay_breaker against sony/gobreaker v1's semantics, case by case from its source (``gobreaker.go``).

Each case names the rule of the source it checks. ``test_breaker_go.py``
runs the library itself on random series when its source is available.
"""

from __future__ import annotations

import pandas as pd
import pytest

from apiprobe import InvalidParameterError, SchemaError, breaker_what_if, replay_breaker
from apiprobe.analyze.resilience import GoBreaker
from apiprobe.schema import validate


def calls(*rows: tuple[float, float, bool]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["start", "end", "ok"])


def fails(n: int, *, at: float = 0.0, step: float = 1.0, dur: float = 0.1) -> list[tuple[float, float, bool]]:
    return [(at + i * step, at + i * step + dur, False) for i in range(n)]


def changes(replay) -> list[tuple[float, str, str]]:
    tr = replay.transitions
    return [(round(float(t), 9), a, b) for t, a, b in zip(tr["ts"], tr["from_state"], tr["to_state"], strict=True)]


def test_default_rule_trips_after_more_than_five_consecutive_failures() -> None:
    # defaultReadyToTrip: ConsecutiveFailures > 5, checked in onFailure while closed
    r = replay_breaker(calls(*fails(5), (5, 5.1, True), *fails(6, at=6), (12, 12.1, True)))
    assert changes(r) == [(11.1, "closed", "open")]
    assert r.requests["allowed"].tolist() == [True] * 12 + [False]
    assert r.requests["rejected"].iloc[-1] == "open"
    assert r.requests["state"].iloc[-1] == "open"


def test_open_to_half_open_is_lazy_and_strict() -> None:
    # currentState: open with expiry.Before(now) → half-open, only when consulted; equal is not before
    trip_at = 5.1
    r = replay_breaker(calls(*fails(6), (trip_at + 60, trip_at + 60.1, True), (100, 100.1, True)))
    assert r.requests["rejected"].iloc[6] == "open"  # exactly at expiry: still open
    assert changes(r) == [(5.1, "closed", "open"), (100.0, "open", "half-open"), (100.1, "half-open", "closed")]
    r = replay_breaker(calls(*fails(6), (trip_at + 60 + 1e-9, trip_at + 61, True)))
    assert r.requests["allowed"].iloc[6]
    assert changes(r)[1] == (65.100000001, "open", "half-open")


def test_timeout_zero_or_negative_means_sixty_seconds() -> None:
    for timeout in (0, -5):
        r = replay_breaker(calls(*fails(6), (64, 64.1, True), (66, 66.1, True)), timeout=timeout)
        assert r.settings["timeout_s"] == 60.0
        assert r.requests["allowed"].tolist()[-2:] == [False, True]


def test_half_open_admits_max_requests_and_closes_after_as_many_successes() -> None:
    # beforeRequest: half-open and Requests >= MaxRequests → ErrTooManyRequests;
    # onSuccess half-open: ConsecutiveSuccesses >= MaxRequests → closed
    probes = [(20.0, 25.0, True), (20.5, 25.5, True), (21.0, 26.0, True), (21.5, 21.6, True), (27, 27.1, True)]
    r = replay_breaker(calls(*fails(6), *probes), timeout=10, max_requests=3)
    req = r.requests
    assert req["allowed"].tolist()[6:] == [True, True, True, False, True]
    assert req["rejected"].iloc[9] == "too_many_requests" and req["state"].iloc[9] == "half-open"
    assert changes(r) == [(5.1, "closed", "open"), (20.0, "open", "half-open"), (26.0, "half-open", "closed")]


def test_max_requests_zero_means_one() -> None:
    r = replay_breaker(calls(*fails(6), (20, 25, True), (21, 21.1, True)), timeout=10, max_requests=0)
    assert r.settings["max_requests"] == 1
    assert r.requests["rejected"].iloc[7] == "too_many_requests"
    assert changes(r)[-1] == (25.0, "half-open", "closed")


def test_any_failure_in_half_open_reopens_it() -> None:
    r = replay_breaker(calls(*fails(6), (20, 20.5, False), (21, 21.1, True)), timeout=10, max_requests=3)
    assert changes(r) == [(5.1, "closed", "open"), (20.0, "open", "half-open"), (20.5, "half-open", "open")]
    assert r.requests["rejected"].iloc[7] == "open"


def test_an_outcome_from_an_older_generation_is_dropped() -> None:
    # afterRequest: generation != before → return (the outcome is ignored)
    slow = (0.05, 30.0, False)  # started while closed, ends after the trip and the half-open switch
    r = replay_breaker(calls(slow, *fails(6, at=1), (20, 20.1, True)), timeout=10, max_requests=1)
    req = r.requests
    assert req["counted"].tolist() == [False, True, True, True, True, True, True, True]
    # the slow failure would have reopened a half-open breaker; dropped, it closes on the probe's success
    assert changes(r) == [(6.1, "closed", "open"), (20.0, "open", "half-open"), (20.1, "half-open", "closed")]


def test_a_success_in_flight_across_a_trip_is_dropped_too() -> None:
    r = replay_breaker(calls((0.0, 8.0, True), *fails(6, at=1)), timeout=60)
    assert not r.requests["counted"].iloc[0]
    assert changes(r) == [(6.1, "closed", "open")]


def test_interval_clears_counts_only_when_consulted_and_drops_in_flight_outcomes() -> None:
    # closed with a non-zero expiry before now → toNewGeneration(now): counts cleared, no state change
    series = [*fails(3, at=0), *fails(3, at=12)]
    assert changes(replay_breaker(calls(*series), interval=10)) == []  # 3 + 3 never reach 6 in one generation
    assert changes(replay_breaker(calls(*series), interval=0)) == [(14.1, "closed", "open")]
    assert changes(replay_breaker(calls(*series), interval=-1)) == [(14.1, "closed", "open")]
    # a call that started before the reset and ends after it is dropped
    r = replay_breaker(calls((9.5, 10.5, False), (10.2, 10.3, True)), interval=10, created=0.0)
    assert r.requests["counted"].tolist() == [False, True]
    # the first interval counts from `created`
    r = replay_breaker(calls(*fails(3, at=5), *fails(3, at=8)), interval=10, created=0.0)
    assert changes(r) == []  # the reset at 10 splits the six failures
    r = replay_breaker(calls(*fails(3, at=5), *fails(3, at=8)), interval=10)  # created at the first start
    assert changes(r) == [(10.1, "closed", "open")]


def test_custom_ready_to_trip_gets_gobreaker_counts() -> None:
    seen = []

    def ratio(c) -> bool:
        seen.append(c)
        return c.requests >= 4 and c.total_failures / c.requests >= 0.5

    r = replay_breaker(calls((0, 0.1, True), (1, 1.1, False), (2, 2.1, True), (3, 3.1, False)), ready_to_trip=ratio)
    assert changes(r) == [(3.1, "closed", "open")]
    last = seen[-1]
    assert (last.requests, last.total_successes, last.total_failures) == (4, 2, 2)
    assert (last.consecutive_successes, last.consecutive_failures) == (0, 1)
    assert r.settings["ready_to_trip"] == "ratio"


def test_ties_apply_outcomes_before_arrivals_and_zero_length_calls_count() -> None:
    # the sixth failure ends at 5.1, the next call arrives at 5.1: it sees the open breaker
    r = replay_breaker(calls(*fails(6), (5.1, 5.2, True)))
    assert r.requests["rejected"].iloc[6] == "open"
    r = replay_breaker(calls((0, 0, False), (1, 1, False), (2, 2, False), (3, 3, False), (4, 4, False), (5, 5, False)))
    assert changes(r) == [(5.0, "closed", "open")]


def test_datetimes_in_datetimes_out_and_input_order_kept() -> None:
    t0 = pd.Timestamp("2026-12-05T10:00:00Z")
    df = calls(*fails(6), (70, 70.1, True)).iloc[::-1].reset_index(drop=True)
    df["start"] = t0 + pd.to_timedelta(df["start"], unit="s")
    df["end"] = t0 + pd.to_timedelta(df["end"], unit="s")
    df["who"] = range(len(df))
    r = replay_breaker(df)
    assert r.requests["who"].tolist() == list(range(7))  # input order
    validate(r.transitions, "breaker_transitions")
    assert r.transitions["ts"].iloc[0] == t0 + pd.Timedelta(seconds=5.1)
    assert r.rejected_share == 0.0


def test_live_breaker_is_the_same_machine() -> None:
    seen = []
    cb = GoBreaker(timeout_ns=1_000, on_state_change=lambda now, a, b: seen.append((now, a, b)))
    for t in range(6):
        _, gen, rejected = cb.before(t * 10)
        assert rejected is None
        cb.after(gen, False, t * 10 + 1)
    assert cb.before(100)[2] == "open"
    assert cb.before(1052)[0] == "half-open"
    assert seen == [(51, "closed", "open"), (1052, "open", "half-open")]


def test_what_if_compares_settings_on_the_same_calls() -> None:
    series = calls(*fails(6), *[(10 + i, 10.1 + i, i % 2 == 0) for i in range(40)])
    table = breaker_what_if(series, {"default": {}, "short timeout": {"timeout": 2}})
    assert table["variant"].tolist() == ["default", "short timeout"]
    default, short = table.iloc[0], table.iloc[1]
    assert default["rejected"] == 40 and default["trips"] == 1
    assert short["rejected"] < default["rejected"] and short["failures_let_through"] > 0


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (pd.DataFrame({"start": [0.0], "ok": [True]}), {}, SchemaError, "end"),
        (calls((1.0, 0.5, True)), {}, SchemaError, "end before they start"),
        (calls((float("nan"), 1.0, True)), {}, SchemaError, "missing or infinite"),
        (pd.DataFrame({"start": [0.0], "end": [1.0], "ok": [None]}), {}, SchemaError, "missing outcomes"),
        (pd.DataFrame({"start": [0.0], "end": [1.0], "ok": ["yes"]}), {}, SchemaError, "booleans"),
        (calls((0.0, 1.0, True)), {"max_requests": -1}, InvalidParameterError, "max_requests"),
        (calls((0.0, 1.0, True)), {"timeout": "10s"}, InvalidParameterError, "timeout"),
        (calls((0.0, 1.0, True)), {"ready_to_trip": 5}, InvalidParameterError, "ready_to_trip"),
    ],
)
def test_bad_input_is_refused_clearly(frame: pd.DataFrame, kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        replay_breaker(frame, **kwargs)
