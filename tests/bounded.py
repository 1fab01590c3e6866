"""Run a loader call in a subprocess under a memory and a time limit, and say how it ended.

Bad-input tests (``tests/load/test_*_badinput.py``) feed hostile files to a
loader and assert the *outcome class*: a named :class:`~apiprobe.errors.ApiprobeError`
naming the file, or rows kept and counted. A crash (SIGSEGV, ``MemoryError``),
a hang or a raw Python exception is a failure whatever the message says.

The limits are generous ceilings that catch runaway behaviour (quadratic
copies, unbounded inflation, infinite loops), not performance targets: a
healthy call uses a fraction of them even on a loaded machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Address-space ceiling for the child: the interpreter with pandas and pyarrow
#: maps ~1 GiB of virtual memory before reading anything.
MEMORY_LIMIT_MB = 2048
#: Wall-clock ceiling for the child; far above what any healthy call takes.
TIME_LIMIT_S = 240

_PRELUDE = """
import json, resource, sys, traceback
limit = {mem} << 20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.setrecursionlimit(3000)
import apiprobe
from apiprobe.errors import ApiprobeError
def _emit(**kw):
    sys.stdout.write("\\n@@OUTCOME@@" + json.dumps(kw, default=str) + "\\n")
    sys.stdout.flush()
try:
    result = (lambda: ({body}))()
    _emit(kind="ok", result=result)
except ApiprobeError as exc:
    _emit(kind="named_error", type=type(exc).__name__, message=str(exc))
except BaseException as exc:
    _emit(kind="raw_error", type=type(exc).__name__, message=str(exc)[:2000], tb=traceback.format_exc()[-4000:])
"""


@dataclass(frozen=True)
class Outcome:
    """How a bounded call ended.

    ``kind`` is ``"ok"`` (``result`` holds what the expression returned, JSON-able),
    ``"named_error"`` (``type``/``message`` of the ApiprobeError), ``"raw_error"``
    (any other exception), ``"crash"`` (the process died: signal or exit code)
    or ``"timeout"``.
    """

    kind: str
    type: str = ""
    message: str = ""
    result: Any = None
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.type}: {self.message or self.detail}"[:3000]


def run_bounded(
    expression: str,
    *,
    setup: str = "",
    memory_mb: int = MEMORY_LIMIT_MB,
    timeout_s: float = TIME_LIMIT_S,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Outcome:
    """Evaluate ``expression`` (after ``setup`` statements) in a limited child interpreter.

    ``expression`` must produce something JSON can encode (summarise a
    DataFrame to counts before returning it).
    """
    code = textwrap.dedent(setup) + "\n" + _PRELUDE.format(mem=memory_mb, body=expression)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        return Outcome("timeout", detail=f"no result after {timeout_s:.0f} s")
    marker = proc.stdout.rfind("@@OUTCOME@@")
    if marker < 0:
        how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
        return Outcome("crash", detail=f"{how}; stderr: {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout[marker + len("@@OUTCOME@@") :].splitlines()[0])
    kind = data.pop("kind")
    tb = data.pop("tb", "")
    return Outcome(kind, detail=tb, **data)
