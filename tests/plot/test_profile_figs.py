"""Profile figures: structure, caps, JSON serialisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiprobe.analyze.profiles import flame_table, profile_top
from apiprobe.demo import demo_cpu_profile
from apiprobe.load.pprof import Profile, parse_pprof, read_pprof
from apiprobe.plot.profiles import fig_flame, fig_flame_diff, fig_top

REPO = Path(__file__).resolve().parents[2]
LARGE = REPO.parent / "shared" / "corpus" / "pprof" / "large.cpu.pb.gz"


@pytest.fixture(scope="module")
def incident() -> Profile:
    return parse_pprof(demo_cpu_profile(incident=True))


@pytest.fixture(scope="module")
def baseline() -> Profile:
    return parse_pprof(demo_cpu_profile(incident=False))


def test_fig_flame_demo(incident: Profile) -> None:
    fig = fig_flame(incident)
    (tr,) = fig.data
    assert tr.type == "icicle"
    assert tr.parents[0] == "" and tr.labels[0] == "root"
    assert tr.values[0] == incident.total()
    assert "runtime.futex" in tr.labels
    assert fig.to_json()


def test_fig_flame_from_table_and_cap() -> None:
    if not LARGE.exists():
        pytest.skip(f"shared corpus absent: {LARGE}")
    prof = read_pprof(LARGE)
    ft = flame_table(prof, max_nodes=300)
    fig = fig_flame(ft)
    assert len(fig.data[0].ids) <= 301
    assert len(fig.to_json()) < 200_000


def test_fig_flame_diff(incident: Profile, baseline: Profile) -> None:
    fig = fig_flame_diff(baseline, incident)
    tr = fig.data[0]
    colors = list(tr.marker.colors)
    labels = list(tr.labels)
    assert len(colors) == len(labels)
    assert colors[labels.index("runtime.futex")] > 0  # contention grew
    assert fig.to_json()


def test_fig_top(incident: Profile) -> None:
    top = profile_top(incident)
    fig = fig_top(top, n=5)
    assert [t.name for t in fig.data] == ["cum", "flat"]
    assert len(fig.data[1].y) == 5
    assert fig.data[1].y[-1] == top["function"].iloc[0]
    assert fig.to_json()


def test_empty_inputs(incident: Profile) -> None:
    empty = profile_top(incident, focus="no-such-function")
    assert empty.empty
    assert fig_top(empty).layout.annotations[0].text.startswith("Nothing to draw")
