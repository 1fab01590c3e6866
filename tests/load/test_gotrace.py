"""Go execution trace reader (prototype): a fresh trace cross-checked with ``go tool trace -d``."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from apiprobe.errors import DataFormatError, TraceFormatError
from apiprobe.load.gotrace import _SPECS, parse_go_trace, read_go_trace

HERE = Path(__file__).resolve().parent
TRACEGEN = HERE / "go" / "tracegen" / "main.go"
TIMED = {name for name, args in _SPECS if args is not None}


def _toolchains():
    from gotools import toolchains

    return toolchains()


def _write_trace(go, tmp: Path) -> Path:
    work = tmp / f"tracegen-{go.version}"
    work.mkdir()
    shutil.copy(TRACEGEN, work / "main.go")
    out = work / "trace.out"
    env = go.env(tmp)
    env["GO111MODULE"] = "off" if go.minor < 22 else "on"  # no go.mod: plain `go run main.go`
    env["GOFLAGS"] = ""
    proc = subprocess.run(
        [go.go, "run", "main.go", str(out)], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def new_go():
    found = [t for t in _toolchains() if t.minor >= 22]
    if not found:
        pytest.skip("no Go >= 1.22 toolchain to write a trace with")
    return found[-1]


@pytest.fixture(scope="module")
def trace_file(new_go, tmp_path_factory) -> Path:
    return _write_trace(new_go, tmp_path_factory.mktemp("gotrace"))


def _go_tool_trace(go, path: Path, mode: str) -> str:
    proc = subprocess.run(
        [go.go, "tool", "trace", f"-d={mode}", str(path)],
        env=go.env(path.parent),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _parse_wire_text(text: str) -> tuple[Counter[str], dict[tuple[int, int], str], set[tuple[int, int]], int]:
    """Go's raw text form (``-d=wire``, testdata): timed-event counts, strings, stack ids, frame count."""
    counts: Counter[str] = Counter()
    strings: dict[tuple[int, int], str] = {}
    stacks: set[tuple[int, int]] = set()
    frames = 0
    gen = 0
    pending: tuple[int, int] | None = None
    for line in text.splitlines():
        if line.startswith("\t"):
            if line.strip().startswith("data=") and pending is not None:
                strings[pending] = ast.literal_eval(line.strip()[len("data=") :])
                pending = None
            elif line.strip().startswith("pc="):
                frames += 1
            continue
        name, _, rest = line.partition(" ")
        args = dict(kv.split("=", 1) for kv in rest.split())
        if name == "EventBatch":
            gen = int(args["gen"])
        elif name == "String":
            pending = (gen, int(args["id"]))
        elif name == "Stack":
            stacks.add((gen, int(args["id"])))
        elif name in TIMED and name != "ClockSnapshot":  # ClockSnapshot lives in the sync batch
            counts[name] += 1
    return counts, strings, stacks, frames


def test_reads_fresh_trace_like_go_tool_trace(new_go, trace_file: Path) -> None:
    tr = read_go_trace(trace_file)
    assert tr.version >= 22
    assert tr.generations >= 1
    ev = tr.events
    assert len(ev) > 100
    assert np.all(np.diff(ev["ts"].to_numpy()) >= 0)
    assert ev["ts"].min() >= 0

    counts, strings, stacks, frames = _parse_wire_text(_go_tool_trace(new_go, trace_file, "wire"))
    assert Counter(ev["kind"]) == counts
    assert tr.strings == strings
    assert set(zip(tr.stacks["gen"], tr.stacks["stack_id"], strict=True)) == stacks
    assert len(tr.stacks) == frames
    # every stack id an event names is in the stack table of its generation
    named = ev.loc[ev["stack_id"] != 0, ["gen", "stack_id"]].drop_duplicates()
    assert set(zip(named["gen"], named["stack_id"], strict=True)) <= stacks

    # user annotations, with their time, as the parsed (ordered) view reports them
    parsed = _go_tool_trace(new_go, trace_file, "parsed")
    want = sorted(
        (int(t), kind, name)
        for kind, t, name in re.findall(
            r"^M=\S+ P=\S+ G=\S+ (TaskBegin|RegionBegin|RegionEnd) Time=(\d+) .*?Type=\"([^\"]*)\"", parsed, re.M
        )
    )
    rename = {"UserTaskBegin": "TaskBegin", "UserRegionBegin": "RegionBegin", "UserRegionEnd": "RegionEnd"}
    user = ev[ev["kind"].isin(list(rename))]
    got = sorted(
        (int(t) + tr.start_ns, rename[k], n) for t, k, n in zip(user["ts"], user["kind"], user["name"], strict=True)
    )
    assert got == want
    assert {"tracegen-task", "tracegen-worker", "tracegen-http"} <= {n for *_, n in got}
    logs = ev[ev["kind"] == "UserLog"]
    assert sorted(logs["value"]) == ["0", "1", "2", "3"]
    assert set(logs["key"]) == {"tracegen-done"}

    # context: goroutine 1 creates the task; GoStart names the goroutine it starts on the next event of that M
    assert (ev.loc[ev["kind"] == "UserTaskBegin", "goroutine"] == 1).all()
    assert (ev.loc[ev["kind"].isin(["GoStart", "GoBlock", "GoStop"]), "proc"] >= 0).all()


def test_pre_122_trace_names_its_version(tmp_path: Path) -> None:
    old = [t for t in _toolchains() if t.minor < 22]
    if not old:
        pytest.skip("no Go < 1.22 toolchain to write an old-format trace with")
    path = _write_trace(old[0], tmp_path)
    with pytest.raises(TraceFormatError, match=rf"go 1\.{old[0].minor}\b.*re-record.*Go >= 1\.22"):
        read_go_trace(path)


def test_not_a_trace_and_truncated(tmp_path: Path, trace_file: Path) -> None:
    with pytest.raises(DataFormatError, match="not a Go execution trace"):
        parse_go_trace(b"PK\x03\x04 something else entirely")
    with pytest.raises(TraceFormatError, match=r"unknown Go execution trace version go 1\.99"):
        parse_go_trace(b"go 1.99 trace\x00\x00\x00")
    data = trace_file.read_bytes()
    with pytest.raises(TraceFormatError):
        parse_go_trace(data[: len(data) // 2])


# --- Go's own test traces (BSD-licensed, $GOROOT/src/internal/trace/testdata/tests/*.test) ------------


def _text_to_wire(text: str) -> bytes:
    """Encode Go's raw text trace form (as in the txtar testdata) back into the wire format."""
    types = {name: i for i, (name, _) in enumerate(_SPECS)}
    out = bytearray()

    def uv(x: int) -> None:
        while x >= 0x80:
            out.append((x & 0x7F) | 0x80)
            x >>= 7
        out.append(x)

    lines = text.splitlines()
    m = re.fullmatch(r"Trace Go1\.(\d+)", lines[0])
    assert m
    out += f"go 1.{m.group(1)} trace\x00\x00\x00".encode()
    for line in lines[1:]:
        if not line.strip():
            continue
        if line.startswith("\t"):
            key, _, val = line.strip().partition("=")
            if key == "data":
                b = ast.literal_eval(val).encode()
                uv(len(b))
                out += b
            else:
                for kv in line.split():
                    uv(int(kv.split("=", 1)[1]))
            continue
        name, _, rest = line.partition(" ")
        out.append(types[name])
        for kv in rest.split():
            uv(int(kv.split("=", 1)[1]))
    return bytes(out)


def _go_testdata(name: str) -> str:
    for go in _toolchains():
        root = subprocess.run([go.go, "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
        f = Path(root) / "src" / "internal" / "trace" / "testdata" / "tests" / name
        if f.exists():
            return f.read_text()
    pytest.skip(f"Go's testdata trace {name} not found")


@pytest.mark.parametrize("name", ["go122-annotations.test", "go122-gc-stress.test", "go125-sync.test"])
def test_go_testdata_traces(name: str) -> None:
    txtar = _go_testdata(name)
    trace_text = txtar.split("-- trace --\n", 1)[1]
    tr = parse_go_trace(_text_to_wire(trace_text), source=name)
    counts, strings, stacks, frames = _parse_wire_text(trace_text.split("\n", 1)[1])
    assert Counter(tr.events["kind"]) == counts
    assert tr.strings == strings
    assert set(zip(tr.stacks["gen"], tr.stacks["stack_id"], strict=True)) == stacks
    assert len(tr.stacks) == frames
    assert tr.version == int(re.match(r"Trace Go1\.(\d+)", trace_text).group(1))
