"""Resilience figures build from the analysis tables and explain empty input."""

from __future__ import annotations

import pandas as pd
import pytest

from apiprobe.analyze.resilience import (
    budget_tree,
    replay_breaker,
    retry_amplification,
    retry_policy,
    retry_schedule,
)
from apiprobe.plot.resilience import (
    fig_breaker_states,
    fig_fallback_share,
    fig_retry_amplification,
    fig_retry_schedule,
    fig_retry_storm,
    fig_timeout_budget,
)

T0 = pd.Timestamp("2026-12-05T10:00:00Z")


def nothing(fig) -> bool:
    return any("Nothing to draw" in (a.text or "") for a in fig.layout.annotations)


def test_fig_retry_schedule_shows_median_and_band() -> None:
    fig = fig_retry_schedule(retry_schedule("go-retryablehttp"), title="go-retryablehttp")
    assert list(fig.data[0].y) == [1.0, 2.0, 4.0, 8.0]
    assert [t.name for t in fig.data] == ["median wait", "elapsed (median)"]  # no jitter: no min/max markers
    jittered = retry_schedule(retry_policy("exponential", jitter="full", retries=4), n=200, seed=0)
    fig = fig_retry_schedule(jittered)
    assert {"max", "min"} <= {t.name for t in fig.data}
    assert "200 simulated runs" in fig.layout.title.subtitle.text
    assert nothing(fig_retry_schedule(retry_schedule("go-retryablehttp", status=404)))


def test_fig_retry_amplification_labels_each_hop() -> None:
    fig = fig_retry_amplification(retry_amplification([3, 3, 3]))
    assert list(fig.data[0].text) == ["3×", "9×", "27×"]
    assert fig.layout.yaxis.type == "log"
    assert nothing(fig_retry_amplification(pd.DataFrame()))


def test_fig_retry_storm_stacks_requests_and_retries() -> None:
    timeline = pd.DataFrame(
        {
            "ts": [T0, T0 + pd.Timedelta(seconds=1)],
            "caller": ["checkout"] * 2,
            "callee": ["inventory"] * 2,
            "requests": [10, 10],
            "retries": [0, 20],
            "failures": [0, 25],
            "amplification": [1.0, 3.0],
        }
    )
    fig = fig_retry_storm(timeline)
    assert list(fig.data[1].y) == [0, 20] and list(fig.data[2].y) == [1.0, 3.0]
    assert "20 retries for 20 requests" in fig.layout.title.subtitle.text
    assert nothing(fig_retry_storm(pd.DataFrame()))


def test_fig_breaker_states_draws_one_band_per_state() -> None:
    rows = [(i, i + 0.1, False) for i in range(6)] + [(70, 70.1, True), (71, 71.1, True)]
    calls = pd.DataFrame(rows, columns=["start", "end", "ok"])
    calls["start"] = T0 + pd.to_timedelta(calls["start"], unit="s")
    calls["end"] = T0 + pd.to_timedelta(calls["end"], unit="s")
    replay = replay_breaker(calls)
    fig = fig_breaker_states(replay.transitions, replay.requests.rename(columns={"start": "ts"}))
    names = {t.name for t in fig.data}
    assert {"closed", "open", "half-open", "error rate (allowed calls)", "rejected share"} <= names
    assert "1 trips" in fig.layout.title.subtitle.text
    assert nothing(fig_breaker_states(pd.DataFrame(), None))


def test_fig_timeout_budget_colors_hops_by_verdict() -> None:
    calls = pd.DataFrame(
        {"caller": ["client", "gw"], "callee": ["gw", "orders"], "timeout_s": [5.0, 3.0], "retries": [0, 2]}
    )
    fig = fig_timeout_budget(budget_tree(calls))
    icicle = fig.data[0]
    assert list(icicle.ids) == ["client", "client/gw", "client/gw/orders"]
    assert icicle.marker.colors[-1] == "#d62728"  # 3 × 3 s under 5 s: over budget
    assert "1 of 2 hops" in fig.layout.title.subtitle.text


@pytest.mark.parametrize("served", [0, 3])
def test_fig_fallback_share(served: int) -> None:
    share = pd.DataFrame(
        {
            "ts": [T0, T0 + pd.Timedelta(seconds=1)],
            "service": ["checkout"] * 2,
            "requests": [10, 10],
            "fallback": [0, served],
            "share": [0.0, served / 10],
            "primary_calls": [10, 20],
            "primary_errors": [0, 18],
            "primary_error_rate": [0.0, 0.9],
        }
    )
    fig = fig_fallback_share(share)
    if served:
        assert list(fig.data[0].y) == [0.0, 0.3] and fig.data[1].name == "checkout: primary error rate"
    else:
        assert nothing(fig)
