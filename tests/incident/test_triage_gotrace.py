"""``triage`` on a folder holding Go execution traces: recognised, read, its faults ranked, notebook 12 linked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from gotraces import FIXTURES

from apiprobe import triage
from apiprobe.demo import write_demo_go_trace
from apiprobe.schema import validate


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incident-traces")
    write_demo_go_trace(root / "checkout")  # Go 1.27 (format 1.26): a clock snapshot gives wall times
    shutil.copy(FIXTURES / "traceutils-go121-task.trace", root / "old.trace")  # a format we do not read
    return root


def test_traces_are_evidence(folder: Path) -> None:
    result = triage(folder)
    inv = validate(result.inventory, "inventory").set_index("path")
    assert inv.at["checkout/checkout.trace", "kind"] == "gotrace"
    assert bool(inv.at["checkout/checkout.trace", "usable"])
    assert inv.at["checkout/checkout.trace", "rows"] > 40_000
    start, end = inv.at["checkout/checkout.trace", "ts_start"], inv.at["checkout/checkout.trace", "ts_end"]
    assert start.year == 2026 and pd.Timedelta(0) < end - start < pd.Timedelta(seconds=1)  # the recording's wall clock
    assert inv.at["old.trace", "kind"] == "gotrace" and not bool(inv.at["old.trace", "usable"])
    assert "re-record the trace with Go >= 1.22" in inv.at["old.trace", "reason"]

    f = result.findings
    mine = f[f["detector"] == "detect_trace_faults"]
    assert {"pool_exhaustion", "slow_region", "gc_pressure"} <= set(mine["fault"])
    assert mine["ts_start"].notna().all()  # timed by the trace's wall clock
    # the pool wait is the story, and its notebook reads the trace
    hyp = result.hypotheses
    pool = hyp[hyp["fault"] == "pool_exhaustion"].iloc[0]
    assert "checkout.trace" in pool["files"]
    slow = hyp[hyp["fault"] == "slow_region"].iloc[0]
    assert slow["notebook"] == "12_execution_trace"
    assert json.loads(slow["parameters"])["trace_path"].endswith("checkout.trace")
    assert any(link.notebook == "12_execution_trace" for link in result.links)
