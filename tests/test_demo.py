"""The demo incident is reproducible and tells the documented story."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from apiprobe.demo import DEMO_TRIAGE_FILES, demo_pings, demo_probes, write_demo
from apiprobe.load import read_probes
from apiprobe.schema import validate


def test_reproducible() -> None:
    pd.testing.assert_frame_equal(demo_probes(), demo_probes())
    assert not demo_probes().equals(demo_probes(seed=8))


def test_story() -> None:
    p = validate(demo_probes(), "probes")
    kinds = {t: set(g["error_kind"].dropna()) for t, g in p.groupby("target")}
    assert kinds["https://payments.demo.internal/v1/charge"] == {"read_timeout"}
    assert kinds["http://inventory.demo.internal/stock"] == {"connect_timeout"}
    assert kinds["https://checkout.demo.internal/api/cart"] == set()
    failed = p[p["error_kind"].notna()]
    assert failed["total_ms"].isna().all() and failed["ttfb_ms"].isna().all()
    validate(demo_pings(), "pings")


def test_write_demo(tmp_path: Path) -> None:
    paths = write_demo(tmp_path)
    assert set(paths) >= {
        "probes",
        "baseline",
        "pings",
        "go_source",
        "payloads",
        "goroutines_before",
        "goroutines_after",
        "cpu_profile",
        "cpu_baseline",
        "log_gateway",
        "log_orders",
        "log_payments",
        "log_inventory",
        "log_billing",
        "log_auth",
        "trace_otlp",
        "trace_jaeger",
        "trace_zipkin",
        "har",
    }
    assert {f"incident_{name}" for name in DEMO_TRIAGE_FILES} <= set(paths)
    assert all(paths[f"incident_{name}"] == tmp_path / "incident" / rel for name, rel in DEMO_TRIAGE_FILES.items())
    assert len(read_probes(paths["probes"])) == len(demo_probes())


def test_committed_demo_data_matches_the_generator(tmp_path: Path) -> None:
    committed = Path(__file__).resolve().parents[1] / "data" / "demo"
    fresh = write_demo(tmp_path)
    for name, path in fresh.items():
        rel = path.relative_to(tmp_path)
        assert (committed / rel).read_bytes() == path.read_bytes(), f"data/demo/{rel} drifted ({name})"


def test_write_demo_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    a = write_demo(tmp_path / "a")
    b = write_demo(tmp_path / "b")
    assert set(a) == set(b)
    for name, path in a.items():
        assert path.read_bytes() == b[name].read_bytes(), name
    written = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(tmp_path / "a") for p in a.values())  # every file is in the result
