"""Pool analysis: groups, diffs, growth, detection from each kind of evidence, queueing numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from apiprobe.analyze.pool import (
    compare_dumps,
    detect_pool_exhaustion,
    find_knee,
    group_goroutines,
    growth,
    littles_law,
    mmc_wait,
    pool_sizing,
)
from apiprobe.demo import demo_goroutine_dump, write_demo_dumps
from apiprobe.load.goroutines import parse_goroutines, read_goroutines
from apiprobe.schema import validate


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return parse_goroutines(demo_goroutine_dump(waiting=38, pool=2, seed=3))


def test_demo_dump_is_deterministic_and_clean() -> None:
    assert demo_goroutine_dump(seed=1) == demo_goroutine_dump(seed=1)
    assert demo_goroutine_dump(seed=1) != demo_goroutine_dump(seed=2)
    df = parse_goroutines(demo_goroutine_dump(seed=1))
    assert df.attrs["parse_errors"] == 0 and df["goroutine_id"].is_unique


def test_group_goroutines(demo: pd.DataFrame) -> None:
    groups = group_goroutines(demo)
    top = groups.iloc[0]
    assert top["count"] == 38 and top["wait_site"] == "http_pool_wait"
    assert top["states"] == "select×38"
    assert top["top_function"] == "net/http.(*Transport).getConn"
    assert top["app_function"] == "main.(*UpstreamClient).FetchQuote"
    assert "~" in top["wait_minutes"] or top["wait_minutes"].isdigit()
    assert groups["count"].sum() == len(demo)
    mutex = groups[groups["wait_site"] == "mutex"].iloc[0]
    assert mutex["count"] == 6 and mutex["states"] == "sync.Mutex.Lock×6"


def test_detect_from_demo_dump(demo: pd.DataFrame) -> None:
    findings = validate(detect_pool_exhaustion(goroutines=demo), "findings")
    assert len(findings) == 1
    assert (
        findings["evidence"]
        .iloc[0]
        .startswith("38 goroutines wait for a connection from an HTTP pool of 2 (MaxConnsPerHost)")
    )
    # an explicit pool size wins over the inferred one
    assert detect_pool_exhaustion(goroutines=demo, pool_size=50)["threshold"].iloc[0] == 50.0


def test_compare_and_growth(tmp_path: Path) -> None:
    paths = write_demo_dumps(tmp_path)
    before, after = read_goroutines(paths["before"]), read_goroutines(paths["after"])
    diff = compare_dumps(before, after)
    first = diff.iloc[0]
    assert first["wait_site"] == "http_pool_wait" and first["change"] == "grown"
    assert (first["count_before"], first["count_after"]) == (38, 83)
    assert set(diff["change"]) <= {"new", "gone", "grown", "shrunk", "same"}
    assert diff.loc[diff["wait_site"] == "mutex", "change"].iloc[0] == "shrunk"
    third = parse_goroutines(demo_goroutine_dump(waiting=120, seed=9))
    g = growth({"t0": before, "t1": after, "t2": third})
    pool = g[g["wait_site"] == "http_pool_wait"]
    assert pool["count"].tolist() == [38, 83, 120]
    assert pool["leak_suspect"].all()
    assert not g.loc[g["wait_site"] == "sleep", "growing"].any()


def test_detect_from_logs() -> None:
    events = pd.DataFrame(
        {
            "ts": pd.date_range("2024-05-01", periods=4, freq="s", tz="UTC"),
            "service": ["quotes"] * 4,
            "msg": ["request failed", "request failed", "ok", "cache miss"],
            "error": [
                'Get "http://up/q": net/http: request canceled while waiting for connection',
                "redis: connection pool timeout",
                None,
                None,
            ],
        }
    )
    f = detect_pool_exhaustion(events=events)
    assert len(f) == 2 and set(f["fault"]) == {"pool_exhaustion"}
    assert any("net/http client pool" in s for s in f["subject"])
    assert f["ts_start"].notna().all()
    assert detect_pool_exhaustion(events=events.iloc[2:]).empty


def test_detect_from_sweep_and_rate() -> None:
    sweep = pd.DataFrame(
        {
            "concurrency": [1, 2, 4, 8, 16],
            "p50_ms": [50, 51, 52, 101, 203],
            "throughput_rps": [19.8, 39.5, 78.0, 79.0, 78.5],
            "target": ["http://up/"] * 5,
        }
    )
    assert find_knee(sweep) == 4
    f = detect_pool_exhaustion(probes=sweep)
    assert f["metric"].iloc[0] == "concurrency_knee" and f["value"].iloc[0] == 4
    flat = sweep.assign(p50_ms=[50.0] * 5, throughput_rps=[20.0, 40, 80, 160, 320])
    assert find_knee(flat) is None
    usage = detect_pool_exhaustion(pool_size=10, rate=200, latency_ms=60)
    assert usage["severity"].iloc[0] == "critical" and usage["value"].iloc[0] == pytest.approx(1.2)
    assert detect_pool_exhaustion(pool_size=100, rate=200, latency_ms=60).empty


def test_littles_law() -> None:
    assert littles_law(200, 50) == 10.0
    assert littles_law(0, 50) == 0.0
    with pytest.raises(ValueError):
        littles_law(-1, 5)


def test_erlang_c_known_values() -> None:
    # M/M/1: P(wait) = rho, Wq = rho / (mu - lambda)
    r = mmc_wait(50, 10, 1)  # lambda 50/s, mu 100/s
    assert r["p_wait"] == pytest.approx(0.5) and r["mean_wait_ms"] == pytest.approx(10.0)
    # M/M/2 at rho = 0.5: P(wait) = 2 rho^2 / (1 + rho) = 1/3
    r = mmc_wait(100, 10, 2)
    assert r["p_wait"] == pytest.approx(1 / 3) and r["mean_wait_ms"] == pytest.approx(10 / 3)
    # textbook call-centre value: a = 2 erlangs on 3 servers -> C = 4/9
    assert mmc_wait(2, 1000, 3)["p_wait"] == pytest.approx(4 / 9)
    # a = 10 erlangs on 11 servers -> C ~= 0.6821
    assert mmc_wait(10, 1000, 11)["p_wait"] == pytest.approx(0.682118, abs=1e-5)
    sat = mmc_wait(300, 10, 2)
    assert sat["p_wait"] == 1.0 and math.isinf(sat["mean_wait_ms"])
    r = mmc_wait(100, 10, 2)
    assert r["in_flight"] == pytest.approx(littles_law(100, r["mean_response_ms"]))


def test_pool_sizing() -> None:
    df = pool_sizing(200, 50, cores=2, compute_ms=5)
    assert df.attrs["in_flight"] == 10.0
    rec = df.attrs["recommended"]
    assert df.loc[df["recommended"], "pool_size"].tolist() == [rec]
    row = df[df["pool_size"] == rec].iloc[0]
    assert row["utilisation"] <= 0.8 and row["mean_wait_ms"] <= 5.0
    below = df[df["pool_size"] == rec - 1].iloc[0]
    assert below["utilisation"] > 0.8 or below["mean_wait_ms"] > 5.0
    assert df.attrs["handbook_size"] == 2 * (1 + 45 // 5)
    assert df["mean_wait_ms"].is_monotonic_decreasing


def test_sql_pool_size_is_inferred_from_the_goroutines_inside_the_driver() -> None:
    """A real database/sql exhaustion (Go 1.27, tests/fixtures/realworld/goroutines/SOURCES.md)."""
    real = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "goroutines"
    for name in ("ledger-go1.27-sql-debug2.txt", "ledger-go1.19-sql-debug1.txt"):
        f = detect_pool_exhaustion(goroutines=read_goroutines(real / name)).iloc[0]
        assert f["subject"] == "database/sql pool (github.com/acme/ledger/internal/store.(*Repo).Balance)"
        assert (f["value"], f["threshold"]) == (18, 2.0)
        assert "2 goroutines hold a connection inside the driver" in f["evidence"]
        assert detect_pool_exhaustion(goroutines=read_goroutines(real / name), pool_size=5)["threshold"].iloc[0] == 5
