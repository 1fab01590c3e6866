"""The resilience scenario: real checkout and inventory on loopback, their logs read back against the ground truth."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from apiprobe.errors import InvalidParameterError
from apiprobe.lab._resilience import ResilienceScenario, run_resilience_scenario
from apiprobe.load.logs import read_logs

RUN: dict[str, Any] = {"clients": 6, "duration_s": 4.0, "outage": (1.0, 2.0), "seed": 3}
#: After the outage, fallbacks stop once the breaker's open timeout (0.6 s) and one user
#: request's retries (50 + 100 + 200 ms) are over; the rest is slack for a loaded machine.
AFTER_OUTAGE = pd.Timedelta(seconds=1.5)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> ResilienceScenario:
    return run_resilience_scenario(tmp_path_factory.mktemp("fixed"), jitter=False, **RUN)


@pytest.fixture(scope="module")
def jittered(tmp_path_factory: pytest.TempPathFactory) -> ResilienceScenario:
    return run_resilience_scenario(tmp_path_factory.mktemp("jittered"), jitter=True, **RUN)


def _events(run: ResilienceScenario) -> pd.DataFrame:
    return read_logs(run.logs_dir)


def _attr(events: pd.DataFrame, key: str) -> pd.Series:
    return pd.Series([a.get(key) if a else None for a in events["attrs"]], index=events.index, dtype="object")


def _attempts(events: pd.DataFrame) -> pd.DataFrame:
    rows = events[(events["service"] == "checkout") & (events["msg"] == "upstream call")].copy()
    rows["request_id"] = _attr(rows, "request_id")
    rows["start"] = rows["ts"] - pd.to_timedelta(rows["latency_ms"], unit="ms")
    return rows


def test_every_line_parses_and_each_file_is_in_time_order(fixed: ResilienceScenario) -> None:
    events = _events(fixed)
    assert events["parse_ok"].all()
    assert set(events["service"]) == {"checkout", "inventory"}
    assert fixed.checkout_log.name == "checkout.log" and fixed.inventory_log.name == "inventory.log"
    for _, rows in events.groupby("source_file"):
        assert rows.sort_values("line_no")["ts"].is_monotonic_increasing
    inventory = events[events["service"] == "inventory"]
    assert set(inventory["level"]) <= {"info", "error"} and set(inventory["status"]) <= {200, 503}


def test_logged_counts_equal_the_ground_truth(fixed: ResilienceScenario) -> None:
    events = _events(fixed)
    attempts = _attempts(events)
    served = events[events["msg"] == "request served"]
    fallback_lines = events[events["msg"] == "served from fallback cache"]
    assert fixed.requests == len(served) == served["attrs"].map(lambda a: a["request_id"]).nunique() > 0
    assert fixed.attempts == len(attempts) == fixed.upstream_calls + sum(fixed.rejections.values())
    assert fixed.amplification == pytest.approx(len(attempts) / len(served))
    assert (attempts.groupby("request_id")["attempt"].max() <= 4).all()  # 3 retries at most
    errors = attempts["error"].value_counts()
    assert errors.get("circuit breaker is open", 0) == fixed.rejections["open"] > 0
    assert errors.get("too many requests", 0) == fixed.rejections["too_many_requests"]
    assert fixed.fallbacks == len(fallback_lines) == (_attr(served, "fallback") == "true").sum() > 0
    assert (served["status"] == 200).all()
    # inventory saw exactly the attempts the breaker let through, by request id and attempt number
    inventory = events[events["service"] == "inventory"]
    sent = attempts[attempts["status"].notna()]
    assert len(inventory) == fixed.upstream_calls == len(sent)
    got = set(zip(_attr(inventory, "request_id"), inventory["attempt"], strict=True))
    assert got == set(zip(sent["request_id"], sent["attempt"], strict=True))


def test_breaker_opened_during_the_outage_and_the_log_shows_every_change(fixed: ResilienceScenario) -> None:
    live = fixed.transitions
    assert list(live.columns[:3]) == ["ts", "from_state", "to_state"] and str(live["ts"].dt.tz) == "UTC"
    start, end = fixed.outage
    trips = live[live["to_state"] == "open"]
    assert ((trips["ts"] >= start) & (trips["ts"] <= end)).any()
    assert live["to_state"].iloc[-1] == "closed"  # recovered once inventory did
    events = _events(fixed)
    logged = events[events["msg"] == "circuit breaker state changed"]
    assert (logged["level"] == "warn").all() and (_attr(logged, "breaker") == "inventory").all()
    assert list(_attr(logged, "from")) == list(live["from_state"])
    assert list(_attr(logged, "to")) == list(live["to_state"])
    drift = (logged["ts"].reset_index(drop=True) - live["ts"]).abs()
    assert (drift < pd.Timedelta(milliseconds=1)).all()  # zap's float seconds


def test_fallbacks_only_during_or_just_after_the_outage(fixed: ResilienceScenario) -> None:
    events = _events(fixed)
    fallbacks = events[events["msg"] == "served from fallback cache"]
    start, end = fixed.outage
    assert (fallbacks["ts"] >= start).all()
    assert (fallbacks["ts"] <= end + AFTER_OUTAGE).all()
    assert (_attr(fallbacks, "fallback") == "cache").all() and (fallbacks["level"] == "warn").all()


def _first_gaps(run: ResilienceScenario) -> np.ndarray:
    """Per request: from the end of attempt 1 to the start of attempt 2, in seconds."""
    attempts = _attempts(_events(run))
    first = attempts[attempts["attempt"] == 1].set_index("request_id")
    second = attempts[attempts["attempt"] == 2].set_index("request_id")
    both = second.index.intersection(first.index)
    return (second.loc[both, "start"] - first.loc[both, "ts"]).dt.total_seconds().to_numpy()


def _iqr(values: np.ndarray) -> float:
    q1, q3 = np.percentile(values, [25, 75])
    return float(q3 - q1)


def test_without_jitter_retries_line_up(fixed: ResilienceScenario, jittered: ResilienceScenario) -> None:
    attempts = _attempts(_events(fixed))
    waits = _attr(attempts[attempts["attempt"] == 1], "wait_ms").dropna().astype(float)
    assert len(waits) and (waits == 50).all()  # the exponential policy's first wait, no jitter
    gaps_fixed, gaps_jittered = _first_gaps(fixed), _first_gaps(jittered)
    assert len(gaps_fixed) >= 10 and len(gaps_jittered) >= 10
    # Full jitter draws the first wait from [0, 50 ms): an IQR near 25 ms. Without jitter every
    # retry follows its first attempt after the same 50 ms, give or take scheduling noise.
    assert _iqr(gaps_fixed) < 0.25 * _iqr(gaps_jittered)
    assert jittered.policy.jittered and not fixed.policy.jittered


def test_nothing_left_running(fixed: ResilienceScenario) -> None:
    names = {t.name for t in threading.enumerate()}
    assert not names & {"apiprobe-inventory", "apiprobe-checkout"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clients": 0},
        {"clients": 2.5},
        {"duration_s": 0},
        {"duration_s": float("nan")},
        {"outage": (3.0, 1.0)},
        {"outage": (-1.0, 2.0)},
        {"outage": (1.0, 9.0)},
        {"outage": (1.0,)},
        {"jitter": "yes"},
        {"seed": -1},
        {"policy": "no-such-preset"},
        {"policy": "grpc"},  # never stops by itself
        {"breaker": {"timeout": 1}},
        {"breaker": {"timeout_s": -1}},
        {"breaker": {"max_requests": 1.5}},
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"duration_s": 4.0, **kwargs}
    with pytest.raises(InvalidParameterError):
        run_resilience_scenario(tmp_path, **args)
    assert not (tmp_path / "logs").exists()


# --------------------------------------------------------------------------- the analysis on this real traffic


def test_detectors_find_the_storm_the_lockstep_the_flapping_and_the_fallback(fixed: ResilienceScenario) -> None:
    from apiprobe.analyze.resilience import (
        breaker_from_logs,
        detect_breaker_faults,
        detect_fallback,
        detect_retry_storm,
        fallback_share,
        retry_attempts,
    )

    events = _events(fixed)
    att = retry_attempts(events)
    # the upstream's own lines for the attempts it received are not counted twice
    assert len(att) == fixed.attempts and set(zip(att["caller"], att["callee"], strict=True)) == {
        ("checkout", "inventory")
    }
    storm = detect_retry_storm(events, policy=fixed.policy)
    by_metric = dict(zip(storm["metric"], storm["fault"], strict=True))
    assert by_metric["attempts per request"] == "retry_storm"
    assert by_metric["relative spread of retry gaps"] == "retry_misuse"  # no jitter: lockstep
    breaker = breaker_from_logs(events)
    assert len(breaker.requests) == fixed.attempts
    assert int((~breaker.requests["allowed"]).sum()) == sum(fixed.rejections.values())
    faults = set(detect_breaker_faults(breaker, window_s=10)["fault"])
    assert "breaker_open" in faults
    if (fixed.transitions["to_state"] == "open").sum() > 3:
        assert "breaker_flapping" in faults
    found = detect_fallback(fallback_share(events))
    assert len(found) >= 1 and found.iloc[0]["fault"] == "fallback"
    start = found["ts_start"].min()
    assert fixed.outage[0] - pd.Timedelta(seconds=1) <= start <= fixed.outage[1]


def test_jitter_removes_the_lockstep_finding(jittered: ResilienceScenario) -> None:
    from apiprobe.analyze.resilience import detect_retry_storm

    storm = detect_retry_storm(_events(jittered), policy=jittered.policy)
    assert "relative spread of retry gaps" not in set(storm["metric"])
