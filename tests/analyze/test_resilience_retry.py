"""Retry presets, decisions, budgets and amplification, from the libraries' sources.

The figures here are derived by hand from each library's source (named per
test); ``test_retry_libraries_go.py`` runs the Debian-packaged Go libraries themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apiprobe import (
    InvalidParameterError,
    SchemaError,
    retry_amplification,
    retry_budget,
    retry_decision,
    retry_policy,
    retry_schedule,
)
from apiprobe.analyze.resilience import RETRY_PRESETS, retry_lower_bounds
from apiprobe.schema import validate


def delays(policy, **kw) -> list[float]:
    return retry_schedule(policy, **kw)["delay_s"].round(9).tolist()


def test_every_preset_has_the_documented_defaults() -> None:
    assert dict(RETRY_PRESETS["go-retryablehttp"]) == {"min_s": 1.0, "max_s": 30.0, "retries": 4}
    assert dict(RETRY_PRESETS["cenkalti-backoff"]) == {
        "initial_s": 0.5,
        "randomization_factor": 0.5,
        "multiplier": 1.5,
        "max_interval_s": 60.0,
        "max_elapsed_s": 900.0,
        "retries": None,
    }
    assert dict(RETRY_PRESETS["grpc"]) == {
        "base_s": 1.0,
        "multiplier": 1.6,
        "jitter": 0.2,
        "max_s": 120.0,
        "retries": None,
    }
    p = retry_policy("go-retryablehttp", retries=2)
    assert p.retries == 2 and p["min_s"] == 1.0 and not p.jittered
    assert retry_policy(p, min_s=0.25)["min_s"] == 0.25  # a policy can be refined


def test_retryablehttp_default_backoff_doubles_and_caps() -> None:
    # DefaultBackoff: min * 2^attemptNum, capped at max; Client.Do waits for i = 0 .. RetryMax-1.
    assert delays("go-retryablehttp") == [1.0, 2.0, 4.0, 8.0]
    assert delays(retry_policy("go-retryablehttp", min_s=0.5, max_s=4, retries=6)) == [0.5, 1, 2, 4, 4, 4]
    sched = retry_schedule("go-retryablehttp", attempt_s=0.25)
    assert sched["elapsed_s"].tolist() == [1.25, 3.5, 7.75, 16.0]
    validate(sched, "retry_schedule")


def test_retryablehttp_honours_a_numeric_retry_after_on_429_and_503_only() -> None:
    assert delays("go-retryablehttp", status=429, retry_after="7") == [7.0] * 4
    assert delays("go-retryablehttp", status=503, retry_after=120) == [120.0] * 4  # not capped at max
    assert delays("go-retryablehttp", status=500, retry_after="7") == [1.0, 2.0, 4.0, 8.0]
    # strconv.ParseInt fails on an HTTP date and on a fraction: the exponential wait applies
    assert delays("go-retryablehttp", status=429, retry_after="Wed, 21 Oct 2026 07:28:00 GMT") == [1.0, 2.0, 4.0, 8.0]
    assert delays("go-retryablehttp", status=503, retry_after="1.5") == [1.0, 2.0, 4.0, 8.0]
    # a response the policy would not retry gives no waits
    assert retry_schedule("go-retryablehttp", status=501).empty
    assert retry_schedule("go-retryablehttp", status=404).empty


def test_linear_jitter_backoff() -> None:
    # LinearJitterBackoff: (attempt+1) * uniform(min, max); max <= min gives min * (attempt+1).
    assert delays(retry_policy("go-retryablehttp-linear-jitter", min_s=1, max_s=1, retries=4)) == [1, 2, 3, 4]
    p = retry_policy("go-retryablehttp-linear-jitter", min_s=1, max_s=3, retries=5)
    sched = retry_schedule(p, n=5000, seed=3)
    k = sched["retry"].to_numpy() + 1
    assert (sched["delay_s"] >= k * 1.0).all() and (sched["delay_s"] <= k * 3.0).all()
    means = sched.groupby("retry")["delay_s"].mean().to_numpy()
    np.testing.assert_allclose(means, 2.0 * np.arange(1, 6), rtol=0.03)


def test_cenkalti_without_randomization_matches_its_documented_table() -> None:
    # exponential.go's comment table: 0.5, 0.75, 1.125, 1.687, 2.53, 3.795, 5.692, 8.538, 12.807, 19.210 ...
    p = retry_policy("cenkalti-backoff", randomization_factor=0)
    got = delays(p)
    np.testing.assert_allclose(
        got[:10],
        [0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875, 5.6953125, 8.54296875, 12.814453125, 19.2216796875],
        rtol=0,
        atol=1e-9,
    )
    assert max(got) == 60.0  # MaxInterval caps the interval
    # Stop rule: elapsed + next > MaxElapsedTime; the last wait kept still fits
    assert sum(got) <= 900.0 and sum(got) + 60.0 > 900.0
    # attempt time counts toward the elapsed time, so fewer waits fit
    assert len(delays(p, attempt_s=2.5)) < len(got)
    assert retry_schedule(p, attempt_s=2.5)["elapsed_s"].iloc[-1] <= 900.0


def test_cenkalti_randomization_bounds_and_mean() -> None:
    # getRandomValueFromInterval: [c - f*c, c + f*c + 1ns), truncated to ns
    p = retry_policy("cenkalti-backoff", max_elapsed_s=0, retries=6)
    sched = retry_schedule(p, n=20000, seed=11)
    centre = 0.5 * 1.5 ** sched["retry"].to_numpy()
    assert (sched["delay_s"] >= centre * 0.5 - 1e-9).all()
    assert (sched["delay_s"] < centre * 1.5 + 2e-9).all()
    means = sched.groupby("retry")["delay_s"].mean().to_numpy()
    np.testing.assert_allclose(means, 0.5 * 1.5 ** np.arange(6), rtol=0.01)


def test_cenkalti_with_max_retries_and_no_elapsed_limit() -> None:
    p = retry_policy("cenkalti-backoff", randomization_factor=0, max_elapsed_s=0, retries=12)
    got = delays(p)
    # each multiplication is truncated to whole nanoseconds (time.Duration), so 0.5 * 1.5^11 s
    # = 43.248779296875 s arrives as 43.248779295 s
    assert len(got) == 12 and got[-1] == 43.248779295
    with pytest.raises(InvalidParameterError, match="never stops"):
        retry_schedule(retry_policy("cenkalti-backoff", max_elapsed_s=0))


def test_grpc_connection_backoff() -> None:
    # backoff(0) is BaseDelay, without jitter; then multiply while below max, cap, jitter.
    p = retry_policy("grpc", jitter=0, retries=5)
    assert delays(p) == [1.0, 1.6, 2.56, 4.096, 6.5536]
    assert delays(retry_policy("grpc", jitter=0, retries=13))[-2:] == [120.0, 120.0]
    sched = retry_schedule(retry_policy("grpc", retries=6), n=20000, seed=5)
    first = sched[sched["retry"] == 0]["delay_s"]
    assert (first == 1.0).all()
    later = sched[sched["retry"] > 0]
    centre = 1.6 ** later["retry"].to_numpy()
    assert (later["delay_s"] >= centre * 0.8 - 1e-9).all() and (later["delay_s"] <= centre * 1.2 + 1e-9).all()
    with pytest.raises(InvalidParameterError, match="retries=N"):
        retry_schedule("grpc")


@pytest.mark.parametrize(
    ("jitter", "low", "high"),
    [("none", 1.0, 1.0), ("full", 0.0, 1.0), ("equal", 0.5, 1.0)],
)
def test_exponential_jitter_modes(jitter: str, low: float, high: float) -> None:
    p = retry_policy("exponential", base_s=0.1, cap_s=1.0, retries=6, jitter=jitter)
    sched = retry_schedule(p, n=4000, seed=2)
    ceiling = np.minimum(1.0, 0.1 * 2.0 ** sched["retry"].to_numpy())
    assert (sched["delay_s"] >= ceiling * low - 1e-9).all()
    assert (sched["delay_s"] <= ceiling * high + 1e-9).all()
    if jitter == "none":
        assert delays(p) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_decorrelated_jitter_stays_between_base_and_cap() -> None:
    p = retry_policy("exponential", base_s=0.1, cap_s=2.0, retries=8, jitter="decorrelated")
    d = retry_schedule(p, n=3000, seed=4)["delay_s"]
    assert d.min() >= 0.1 - 1e-9 and d.max() <= 2.0 + 1e-9


def test_handbook_sample_adds_up_to_ten_percent() -> None:
    sched = retry_schedule("handbook", n=3000, seed=1)
    base = np.minimum(2.0 ** sched["retry"].to_numpy(), 60.0)
    assert (sched["delay_s"] >= base).all() and (sched["delay_s"] < base * 1.1).all()


def test_seeded_schedules_repeat_and_runs_are_independent() -> None:
    p = retry_policy("exponential", jitter="full", base_s=0.1, cap_s=5, retries=4)
    a, b = retry_schedule(p, n=50, seed=9), retry_schedule(p, n=50, seed=9)
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby("run")["delay_s"].apply(tuple).nunique() > 40


def test_retryablehttp_default_retry_policy() -> None:
    # DefaultRetryPolicy / baseRetryPolicy in client.go
    p = "go-retryablehttp"
    retried = {s for s in (0, 200, 301, 400, 404, 429, 500, 501, 502, 503, 504, 999) if retry_decision(p, status=s)}
    assert retried == {0, 429, 500, 502, 503, 504, 999}
    assert not retry_decision(p, error='Get "http://x/": stopped after 10 redirects')
    assert not retry_decision(p, error='Get "ftp://x/": unsupported protocol scheme "ftp"')
    assert not retry_decision(p, error="x509: certificate signed by unknown authority")
    assert not retry_decision(p, error="tls: failed to verify certificate: x509: certificate is not trusted")
    assert retry_decision(p, error="x509: certificate has expired or is not yet valid: current time ...")
    assert retry_decision(p, error="dial tcp 127.0.0.1:1: connect: connection refused")
    assert not retry_decision(p, status=503, context_done=True)
    # the handbook's sample client retries everything, even after the caller gave up
    assert retry_decision("handbook", status=400) and retry_decision("handbook", status=503, context_done=True)
    with pytest.raises(InvalidParameterError, match="status or the error"):
        retry_decision(p)


def test_retry_budget_against_the_deadline() -> None:
    b = retry_budget("go-retryablehttp", attempt_timeout_s=5, deadline_s=30)
    # attempts start at 0, 6, 13, 22, 35 (5 s each, waits 1, 2, 4, 8)
    assert b.attempts == 5 and b.worst_s == 40.0 and b.typical_s == 40.0
    assert b.attempts_in_deadline == 4 and not b.fits
    assert b.table["start_worst_s"].tolist() == [0.0, 6.0, 13.0, 22.0, 35.0]
    assert "overruns the 30 s deadline" in b.describe()
    jittered = retry_budget(retry_policy("grpc", retries=3), attempt_timeout_s=1, deadline_s=60)
    # worst waits: 1, 1.6*1.2, 2.56*1.2; typical: their means
    assert jittered.worst_s == pytest.approx(4 + 1 + 1.92 + 3.072)
    assert jittered.typical_s == pytest.approx(4 + 1 + 1.6 + 2.56, rel=0.01)
    assert jittered.fits
    with pytest.raises(InvalidParameterError, match="deadline_s"):
        retry_budget("grpc", attempt_timeout_s=1, deadline_s=0)


def test_retry_amplification_multiplies_down_the_chain() -> None:
    out = retry_amplification([3, 3, 3])
    assert out["amplification"].tolist() == [3.0, 9.0, 27.0]
    validate(out, "retry_amplification")
    frame = pd.DataFrame({"caller": ["gw", "orders"], "callee": ["orders", "payments"], "retries": [2, 4]})
    out = retry_amplification(frame)
    assert out["attempts"].tolist() == [3, 5] and out["amplification"].tolist() == [3.0, 15.0]
    out = retry_amplification({"orders": retry_policy("go-retryablehttp"), "payments": 2})
    assert out["amplification"].tolist() == [5.0, 10.0] and out["caller"].tolist() == ["client", "orders"]
    with pytest.raises(InvalidParameterError, match="no hops"):
        retry_amplification([])
    with pytest.raises(InvalidParameterError, match="attempts"):
        retry_amplification([3, 0])
    with pytest.raises(SchemaError, match="callee"):
        retry_amplification(pd.DataFrame({"attempts": [2]}))


def test_lower_bounds_follow_each_preset() -> None:
    assert retry_lower_bounds("go-retryablehttp", 3).tolist() == [1.0, 2.0, 4.0]
    assert retry_lower_bounds(retry_policy("grpc"), 2).tolist() == pytest.approx([1.0, 1.6 * 0.8])
    assert retry_lower_bounds(retry_policy("exponential", jitter="full"), 2).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("go-retryablehttp2", {}, "unknown retry preset"),
        ("go-retryablehttp", {"initial_s": 1}, "has no parameter initial_s"),
        ("go-retryablehttp", {"min_s": -1}, "min_s must be"),
        ("go-retryablehttp", {"retries": 1.5}, "retries must be"),
        ("exponential", {"jitter": "random"}, "jitter must be one of"),
        ("exponential", {"multiplier": 0.5}, "multiplier must be"),
        ("grpc", {"max_s": float("inf")}, "max_s must be"),
    ],
)
def test_bad_policies_are_refused(name: str, params: dict, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        retry_policy(name, **params)


def test_bad_schedule_arguments_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="n must be"):
        retry_schedule("go-retryablehttp", n=0)
    with pytest.raises(InvalidParameterError, match="attempt_s"):
        retry_schedule("go-retryablehttp", attempt_s=-1)
