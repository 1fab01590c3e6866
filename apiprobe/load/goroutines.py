"""Go goroutine dumps (``/debug/pprof/goroutine?debug=1|2``, panics, ``SIGQUIT``) as a table.

Two text formats exist (REFERENCE §8):

* ``debug=2`` (also what a panic, ``SIGQUIT`` or ``runtime.Stack(buf, true)``
  prints): one block per goroutine, ``goroutine 123 [select, 5 minutes]:``
  then pairs of ``func(args)`` / ``\\tfile:line +0x…`` lines, ending with
  ``created by … [in goroutine N]`` (the ``in goroutine N`` part since Go
  1.21). With ``GODEBUG=tracebackancestors=N`` the block continues with
  ``[originating from goroutine N]:`` sections: the stacks of the ancestors
  when they started this goroutine (not part of its own stack).
* ``debug=1``: stacks aggregated by the profiler, ``N @ 0x… 0x…`` then
  ``#\\t0x…\\tfunc+0x…\\tfile:line`` lines and optional ``# labels: {…}``;
  no state, no wait time, no goroutine ids.

Every goroutine (or debug=1 group) gets a ``wait_site``: what it is blocked
on, read from its state and stack (see :data:`WAIT_SITES`), and a
``group_id`` grouping goroutines with the same function sequence (arguments
and addresses ignored, like panicparse's buckets).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import IO, Any

import pandas as pd

from apiprobe.errors import DataFormatError, InvalidParameterError
from apiprobe.load._limits import gunzip
from apiprobe.load._paths import refusal
from apiprobe.load._sniff import judge_bytes
from apiprobe.load._text import GZIP_MAGIC

__all__ = [
    "GOROUTINE_COLUMNS",
    "WAIT_SITES",
    "classify_wait_site",
    "parse_goroutines",
    "read_goroutines",
    "stack_signature",
]

#: Columns of a goroutines table and their dtypes.
GOROUTINE_COLUMNS: dict[str, str] = {
    "goroutine_id": "Int64",
    "count": "Int64",
    "state": "string",
    "wait_minutes": "float64",
    "locked": "boolean",
    "top_function": "string",
    "wait_site": "string",
    "stack": "string",
    "frames": "string",
    "created_by": "string",
    "created_in": "Int64",
    "group_id": "string",
    "source": "string",
    "app_function": "string",
    "ancestors": "string",
    "labels": "string",
    "truncated": "boolean",
    "line_no": "Int64",
}

#: Vocabulary of ``wait_site``: what a goroutine is blocked on.
WAIT_SITES: dict[str, str] = {
    "http_pool_wait": "waiting for a connection from an http.Transport pool "
    "(net/http.(*Transport).getConn: MaxConnsPerHost reached or a slow dial)",
    "http_in_flight": "holds an HTTP client connection and waits for the response (net/http.(*persistConn).roundTrip)",
    "sql_pool_wait": "waiting for a connection from a database/sql pool (database/sql.(*DB).conn: "
    "SetMaxOpenConns reached)",
    "pool_wait": "waiting for a connection from another client pool (go-redis, go-pg, pgxpool/puddle)",
    "mutex": "blocked in sync.(*Mutex).Lock",
    "rwmutex": "blocked in sync.(*RWMutex).Lock or RLock",
    "waitgroup": "blocked in sync.(*WaitGroup).Wait",
    "cond": "blocked in sync.(*Cond).Wait",
    "chan_send": "blocked sending on a channel",
    "chan_receive": "blocked receiving from a channel",
    "select": "blocked in a select statement",
    "net_io": "waiting for the network (IO wait: read, write, accept, dial)",
    "sleep": "in time.Sleep",
    "syscall": "in a system call",
    "running": "running on a CPU",
    "runnable": "ready to run, waiting for a CPU",
    "gc_idle": "runtime background work: GC workers, finalizer, idle",
    "other": "anything else",
}

_HEADER = re.compile(
    r"^goroutine (?P<id>\d+)(?: gp=0x[0-9a-f]+ m=\S+(?: mp=0x[0-9a-f]+)?)? \[(?P<inside>[^\]]*)\]:\s*$"
)
_FILE_LINE = re.compile(r"^\s+(?P<file>.+?):(?P<line>\d+)(?: \+0x[0-9a-f]+)?(?: fp=\S+ sp=\S+ pc=\S+)?\s*$")
_CREATED = re.compile(r"^created by (?P<func>\S+?)(?: in goroutine (?P<parent>\d+))?\s*$")
_ANCESTOR = re.compile(r"^\[originating from goroutine (?P<id>\d+)\]:\s*$")
_MINUTES = re.compile(r"^(?P<n>\d+) minutes?$")
_ELIDED = re.compile(r"^\.\.\.(?:additional frames elided|\d+ frames elided)\.\.\.\s*$")
_D1_TOTAL = re.compile(r"^goroutine profile: total (?P<n>\d+)\s*$")
_D1_GROUP = re.compile(r"^(?P<n>\d+) @(?P<pcs>(?: 0x[0-9a-f]+)*)\s*$")
_D1_FRAME = re.compile(r"^#\s+0x[0-9a-f]+\s+(?P<func>\S+?)(?:\+0x[0-9a-f]+)?\s+(?P<file>\S+):(?P<line>\d+)\s*$")
_D1_LABELS = re.compile(r"^# labels: (?P<labels>\{.*\})\s*$")


# -- wait-site classification ----------------------------------------------------------------

_POOL_FUNCS = (
    "/internal/pool.(*ConnPool).waitTurn",  # go-redis, go-pg
    "/internal/pool.(*ConnPool).Get",
    "puddle/v2.(*Pool).Acquire",  # pgxpool
    "puddle.(*Pool).Acquire",
)


def classify_wait_site(state: str | None, functions: Sequence[str]) -> str:
    """What a goroutine is blocked on, from its state and stack (leaf first).

    Parameters
    ----------
    state
        The state from the dump header (``select``, ``IO wait``,
        ``sync.Mutex.Lock`` …); None for debug=1 profiles, which have none.
    functions
        Function names, leaf first, arguments removed.

    Returns
    -------
    str
        A key of :data:`WAIT_SITES`.
    """
    st = (state or "").strip()
    funcs = list(functions)
    joined = "\n".join(funcs)
    waiting = st == "" or st.startswith(("select", "chan receive", "chan send", "semacquire", "sync."))
    if st == "running":
        return "running"
    if st == "runnable":
        return "runnable"
    if waiting and "net/http.(*Transport).getConn" in funcs:
        return "http_pool_wait"
    if waiting and "database/sql.(*DB).conn" in funcs:
        return "sql_pool_wait"
    if waiting and any(p in joined for p in _POOL_FUNCS):
        return "pool_wait"
    if waiting and "net/http.(*persistConn).roundTrip" in funcs:
        return "http_in_flight"
    if (
        st.startswith("sync.RWMutex")
        or "sync.(*RWMutex).Lock" in funcs
        or "sync.(*RWMutex).RLock" in funcs
        or "sync.runtime_SemacquireRWMutex" in funcs
        or "sync.runtime_SemacquireRWMutexR" in funcs
    ):
        return "rwmutex"
    if (
        st.startswith("sync.Mutex")
        or "sync.(*Mutex).Lock" in funcs
        or "sync.(*Mutex).lockSlow" in funcs
        or "sync.runtime_SemacquireMutex" in funcs
    ):
        return "mutex"
    if st.startswith("sync.WaitGroup") or "sync.(*WaitGroup).Wait" in funcs:
        return "waitgroup"
    if st.startswith("sync.Cond") or "sync.(*Cond).Wait" in funcs:
        return "cond"
    if st.startswith("chan send"):
        return "chan_send"
    if st.startswith("chan receive"):
        return "chan_receive"
    if st.startswith("select"):
        return "select"
    if st == "IO wait" or (not st and ("internal/poll.runtime_pollWait" in funcs or "runtime.netpollblock" in funcs)):
        return "net_io"
    if st == "sleep" or "time.Sleep" in funcs:
        return "sleep"
    if st == "syscall" or (not st and funcs and funcs[0].startswith(("syscall.", "runtime.cgocall"))):
        return "syscall"
    if (
        "GC" in st
        or "idle" in st
        or st in ("finalizer wait", "force gc (idle)", "trace reader (blocked)")
        or (
            funcs
            and funcs[-1]
            in (
                "runtime.bgsweep",
                "runtime.bgscavenge",
                "runtime.runfinq",
                "runtime.gcBgMarkWorker",
                "runtime.forcegchelper",
            )
        )
    ):
        return "gc_idle"
    if not st and funcs:
        # debug=1 profiles: no state; the runtime frames at the leaf tell the wait.
        runtime_leaf = {
            "runtime.selectgo": "select",
            "runtime.chanrecv": "chan_receive",
            "runtime.chanrecv1": "chan_receive",
            "runtime.chanrecv2": "chan_receive",
            "runtime.chansend": "chan_send",
            "runtime.chansend1": "chan_send",
        }
        for f in funcs[:4]:
            if f in runtime_leaf:
                return runtime_leaf[f]
    return "other"


def stack_signature(functions: Sequence[str]) -> str:
    """Group id of a stack: a short hash of its non-runtime function sequence.

    Runtime frames (``runtime.*``) are left out so the same stack read from a
    debug=1 profile and from a debug=2 dump gets the same id.

    Parameters
    ----------
    functions : sequence of str
        Function names, leaf first, arguments removed.

    Returns
    -------
    str
        ``"g"`` and 10 hex digits.
    """
    kept = [f for f in functions if not f.startswith("runtime.")] or list(functions)
    return "g" + hashlib.sha1("\n".join(kept).encode()).hexdigest()[:10]


def _top_function(functions: Sequence[str]) -> str | None:
    for f in functions:
        if not f.startswith("runtime."):
            return f
    return functions[0] if functions else None


def _is_stdlib(func: str) -> bool:
    """Whether ``func`` (``net/http.(*Transport).getConn``) is in Go's standard library.

    Go's rule (``go list std``, cmd/go's ``search.IsStandardImportPath``): an
    import path whose first element has no dot is standard, ``main`` aside;
    ``github.com/…``, ``golang.org/x/…``, ``gopkg.in/…`` are not. The import
    path ends at the first dot after its last slash (``gopkg.in/yaml.v3.F`` is
    package ``gopkg.in/yaml.v3``'s ``F``, still not standard).
    """
    name = func.split("[", 1)[0]  # type arguments may name other packages
    slash = name.rfind("/")
    dot = name.find(".", slash + 1)
    path = name if dot < 0 else name[:dot]
    first = path.split("/", 1)[0]
    return "." not in first and path != "main"


def _app_function(functions: Sequence[str]) -> str | None:
    for f in functions:
        if not _is_stdlib(f):
            return f
    return None


def _strip_args(line: str) -> str:
    """``pkg.(*T).m(0x1, {…})`` → ``pkg.(*T).m``; also handles ``(...)``."""
    text = line.strip()
    if not text.endswith(")"):
        return text
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                return text[:i]
    return text


# -- parsing ---------------------------------------------------------------------------------


@dataclass
class _Goroutine:
    line_no: int
    goroutine_id: int | None
    count: int | None = 1
    state: str | None = None
    wait_minutes: float | None = None
    locked: bool = False
    functions: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    created_by: str | None = None
    created_in: int | None = None
    ancestors: list[int] = field(default_factory=list)
    labels: str | None = None
    truncated: bool = False

    def row(self, source: str | None) -> dict[str, Any]:
        return {
            "goroutine_id": self.goroutine_id,
            "count": self.count,
            "state": self.state,
            "wait_minutes": self.wait_minutes,
            "locked": self.locked,
            "top_function": _top_function(self.functions),
            "wait_site": classify_wait_site(self.state, self.functions),
            "stack": "\n".join(self.functions),
            "frames": "\n".join(self.frames),
            "created_by": self.created_by,
            "created_in": self.created_in,
            "group_id": stack_signature(self.functions),
            "source": source,
            "app_function": _app_function(self.functions),
            "ancestors": ",".join(str(a) for a in self.ancestors) or None,
            "labels": self.labels,
            "truncated": self.truncated,
            "line_no": self.line_no,
        }


def _parse_header(g: _Goroutine, inside: str) -> None:
    parts = [p.strip() for p in inside.split(",")]
    state: list[str] = []
    for p in parts:
        m = _MINUTES.match(p)
        if m:
            g.wait_minutes = float(m["n"])
        elif p == "locked to thread":
            g.locked = True
        elif p:
            state.append(p)
    g.state = ", ".join(state) or None


_INT64_MAX = 2**63 - 1


def _int64(digits: str) -> int | None:
    """A goroutine id or count that fits the Int64 columns; None (NA) when it does not."""
    value = int(digits)
    return value if value <= _INT64_MAX else None


class _Errors:
    def __init__(self) -> None:
        self.count = 0
        self.lines: list[tuple[int, str]] = []

    def add(self, line_no: int, text: str) -> None:
        self.count += 1
        if len(self.lines) < 200:
            self.lines.append((line_no, text[:_KEEP_CHARS]))


def _parse_debug2(lines: list[str], errors: _Errors) -> list[_Goroutine]:
    out: list[_Goroutine] = []
    g: _Goroutine | None = None
    # mode: "frames" (own stack), "created" (expects the created-by file line), "ancestor"
    mode = "none"
    pending_func = False
    for i, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if g is not None:
                mode, pending_func = "none", False
            continue
        m = _HEADER.match(line)
        if m:
            g = _Goroutine(line_no=i, goroutine_id=_int64(m["id"]))
            if g.goroutine_id is None:
                errors.add(i, line)  # kept with an NA id, and counted
            _parse_header(g, m["inside"])
            out.append(g)
            mode, pending_func = "frames", False
            continue
        if g is None:
            continue  # preamble: panic message, signal line, log lines before the dump
        if mode == "none":
            errors.add(i, line)
            continue
        a = _ANCESTOR.match(line)
        if a:
            ancestor = _int64(a["id"])
            if ancestor is None:
                errors.add(i, line)
            else:
                g.ancestors.append(ancestor)
                if g.created_in is None and len(g.ancestors) == 1:
                    g.created_in = ancestor
            mode, pending_func = "ancestor", False
            continue
        if line.startswith((" ", "\t")):
            if not pending_func or not _FILE_LINE.match(line):
                errors.add(i, line)
            elif mode == "frames":
                fm = _FILE_LINE.match(line)
                assert fm is not None
                g.frames.append(f"{fm['file']}:{fm['line']}")
            pending_func = False
            continue
        c = _CREATED.match(line)
        if c:
            if mode == "frames":
                g.created_by = c["func"]
                if c["parent"] is not None:
                    g.created_in = _int64(c["parent"])
                    if g.created_in is None:
                        errors.add(i, line)
                mode = "created"
            pending_func = True
            continue
        if _ELIDED.match(line):
            if mode == "frames":
                g.truncated = True
            pending_func = False
            continue
        if mode in ("frames", "ancestor", "created") and "(" in line and line.rstrip().endswith(")"):
            if mode == "frames":
                g.functions.append(_strip_args(line))
            pending_func = True
            continue
        errors.add(i, line)
    return out


def _parse_debug1(lines: list[str], errors: _Errors) -> list[_Goroutine]:
    out: list[_Goroutine] = []
    g: _Goroutine | None = None
    for i, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or _D1_TOTAL.match(line):
            continue
        m = _D1_GROUP.match(line)
        if m:
            g = _Goroutine(line_no=i, goroutine_id=None, count=_int64(m["n"]))
            if g.count is None:
                errors.add(i, line)  # kept with an NA count, and counted
            out.append(g)
            continue
        if g is not None:
            lm = _D1_LABELS.match(line)
            if lm:
                g.labels = lm["labels"]
                continue
            fm = _D1_FRAME.match(line)
            if fm:
                g.functions.append(fm["func"])
                g.frames.append(f"{fm['file']}:{fm['line']}")
                continue
        errors.add(i, line)
    return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in GOROUTINE_COLUMNS.items()})


def _frame(goroutines: Iterable[_Goroutine], source: str | None) -> pd.DataFrame:
    rows = [g.row(source) for g in goroutines]
    if not rows:
        return _empty()
    df = pd.DataFrame.from_records(rows, columns=list(GOROUTINE_COLUMNS))
    return df.astype(GOROUTINE_COLUMNS)


#: Longest text kept per line in ``attrs["bad_lines"]`` and ``attrs["preamble"]``: a 50 MB
#: garbage line is counted, not copied into every DataFrame the table is derived into.
_KEEP_CHARS = 500


def _not_a_dump(data: bytes, name: str, compressed: bool) -> DataFormatError | None:
    """The error for bytes that are no text dump at all (a profile, other binary data), or None.

    ``data`` is the inflated data; the sniff looks at the bytes as given (gzip-compressed or not).
    """
    found, shape = judge_bytes(data, name)
    if found.kind == "pprof" and found.problem is None:
        gz = "a gzip-compressed " if compressed else "a "
        return DataFormatError(
            f"{name}: this is {gz}{found.what.removeprefix('a ')}, not a text goroutine dump: read it with "
            "read_pprof; fetch /debug/pprof/goroutine?debug=2 for per-goroutine stacks and states"
        )
    if b"\x00" in data[:4096] or shape == "secret":
        message = refusal(name, found, shape, "goroutines", "a goroutine dump", unknown=True)
        if message is not None:
            return DataFormatError(message)
        gz = "gzip-compressed " if compressed else ""
        return DataFormatError(f"{name}: {gz}binary data (NUL bytes at the start); not a goroutine dump")
    return None


def _inflate(data: bytes, name: str) -> tuple[bytes, bool]:
    """``(bytes, cut_short)``: gzip data inflated under the ``APIPROBE_MAX_INFLATED`` cap."""
    if data[:2] != GZIP_MAGIC:
        return data, False
    inflated = gunzip(data, name)  # as much as there is: a truncated file keeps its start
    if not inflated.data.strip():
        why = inflated.error or "the gzip stream inflates to no text"
        raise DataFormatError(f"{name}: {why}; not a goroutine dump")
    return inflated.data, not inflated.complete


def _decode(data: bytes, name: str, compressed: bool = False) -> tuple[str, int]:
    """``(text, invalid_lines)``: UTF-8 text, bytes that are not UTF-8 replaced (U+FFFD) and counted."""
    refused = _not_a_dump(data, name, compressed)
    if refused is not None:
        raise refused
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        # a panic message or a log line may carry any bytes: one of them must not lose the dump
        text = data.decode("utf-8", "replace")
        return text, sum(1 for ln in text.splitlines() if "\ufffd" in ln)


def parse_goroutines(data: str | bytes | IO[str] | IO[bytes], *, source: str | None = None) -> pd.DataFrame:
    """Parse the text of a goroutine dump (debug=1 or debug=2).

    Each row is one goroutine (debug=2) or one group of identical stacks
    (debug=1), with the columns listed under :func:`read_goroutines`.

    Parameters
    ----------
    data : str, bytes or file object
        The dump as text, bytes (plain or gzip-compressed, inflated under the
        ``APIPROBE_MAX_INFLATED`` cap) or an open file object.
    source : str, optional
        Name written to the ``source`` column and used in error messages.

    Returns
    -------
    pandas.DataFrame
        The goroutines table; ``attrs`` holds ``format``, ``parse_errors``,
        ``bad_lines``, ``source``, ``preamble_lines`` / ``preamble`` (non-blank text
        before the first goroutine, e.g. a panic message: kept, not parsed),
        ``invalid_utf8_lines`` (lines whose bytes are not UTF-8, read with U+FFFD),
        ``note`` when something was lost (a gzip stream cut short) and ``total``
        for debug=1.

    Raises
    ------
    DataFormatError
        When the text holds no goroutine dump at all (no ``goroutine N [`` header
        and no ``N @ 0x…`` group), or is binary / a protobuf profile (the
        message names :func:`~apiprobe.load.pprof.read_pprof`), or inflates past
        ``APIPROBE_MAX_INFLATED``.
    """
    name = source or "<text>"
    if not isinstance(data, (str, bytes)):
        data = data.read()
    if isinstance(data, str):
        return _parse_text(data, source, name)
    compressed = data[:2] == GZIP_MAGIC
    inner, cut_short = _inflate(data, name)
    text, invalid = _decode(inner, name, compressed)
    return _parse_text(text, source, name, invalid=invalid, cut_short=cut_short)


def _parse_text(
    text: str, source: str | None, name: str, *, invalid: int = 0, cut_short: bool = False, stacklevel: int = 3
) -> pd.DataFrame:
    lines = text.removeprefix("\ufeff").splitlines()  # a BOM would hide the first header
    errors = _Errors()
    fmt = _detect_format(lines)
    if fmt is None:
        first = next(((i, ln) for i, ln in enumerate(lines, start=1) if ln.strip()), (1, ""))
        message = refusal(
            name, *judge_bytes(text[:65537].encode("utf-8", "replace"), name), "goroutines", "a goroutine dump"
        )
        if message is not None:
            raise DataFormatError(message)
        not_utf8 = f" ({invalid} lines are not UTF-8 text)" if invalid else ""
        raise DataFormatError(
            f"{name}: line {first[0]}: no goroutine dump found{not_utf8} (expected 'goroutine N [state]:' "
            f"blocks from debug=2 or 'N @ 0x…' groups from debug=1); first line: {first[1][:80]!r}"
        )
    goroutines = _parse_debug2(lines, errors) if fmt == 2 else _parse_debug1(lines, errors)
    df = _frame(goroutines, source)
    df.attrs["format"] = f"debug={fmt}"
    df.attrs["parse_errors"] = errors.count
    df.attrs["bad_lines"] = list(errors.lines)
    df.attrs["source"] = source
    # text before the first block (a panic message, log lines, or garbage): kept and counted, not parsed
    first_block = next(
        (i for i, ln in enumerate(lines) if _HEADER.match(ln) or _D1_TOTAL.match(ln) or _D1_GROUP.match(ln)), 0
    )
    preamble = [ln for ln in lines[:first_block] if ln.strip()]
    df.attrs["preamble_lines"] = len(preamble)
    df.attrs["preamble"] = [ln[:_KEEP_CHARS] for ln in preamble[:50]]
    df.attrs["invalid_utf8_lines"] = invalid
    if fmt == 1:
        total = next((int(m["n"]) for ln in lines[:5] if (m := _D1_TOTAL.match(ln))), None)
        df.attrs["total"] = total
    notes = []
    if invalid:
        notes.append(f"{name}: {invalid} lines are not UTF-8 text; their bytes were replaced by U+FFFD")
    if cut_short:
        notes.append(f"{name}: the gzip stream is cut short; only the goroutines before the cut were read")
    if notes:
        df.attrs["note"] = "; ".join(notes)
        for note in notes:
            warnings.warn(note, stacklevel=stacklevel)
    return df


def _detect_format(lines: list[str]) -> int | None:
    for line in lines:
        if _HEADER.match(line):
            return 2
        if _D1_TOTAL.match(line) or _D1_GROUP.match(line):
            return 1
    return None


def read_goroutines(path: str | PathLike[str], *, source: str | None = None) -> pd.DataFrame:
    """Read a Go goroutine dump file (plain or gzip-compressed text).

    Each row is one goroutine (debug=2 dumps, panics, ``SIGQUIT`` output) or
    one group of identical stacks (debug=1 profiles, with ``count``). Columns:

    * ``goroutine_id`` (Int64): the id; NA for debug=1 groups.
    * ``count`` (Int64): goroutines the row stands for (1 for debug=2).
    * ``state`` (string): ``select``, ``IO wait``, ``chan receive``,
      ``sync.Mutex.Lock`` …; NA for debug=1.
    * ``wait_minutes`` (float64): minutes blocked, as the runtime reports it
      (only for waits of a minute or more); NaN when absent.
    * ``locked`` (boolean): ``locked to thread``.
    * ``top_function`` (string): leaf-most non-``runtime.`` function.
    * ``wait_site`` (string): what it waits on, a key of :data:`WAIT_SITES`.
    * ``stack`` (string): function names, leaf first, one per line, no args.
    * ``frames`` (string): ``file:line`` of each frame, leaf first, one per line.
    * ``created_by`` (string), ``created_in`` (Int64): the function that
      started the goroutine and the parent goroutine id (Go 1.21+ ``in
      goroutine N``, or the first ``[originating from goroutine N]``).
    * ``group_id`` (string): same id for the same function sequence
      (arguments, addresses and ``runtime.`` frames ignored).
    * ``source`` (string): the file name.
    * ``app_function`` (string): leaf-most function outside the standard library.
    * ``ancestors`` (string): tracebackancestors goroutine ids, comma-separated.
    * ``labels`` (string): debug=1 ``# labels:`` JSON.
    * ``truncated`` (boolean): the stack was elided by the runtime.
    * ``line_no`` (Int64): line of the goroutine header in the file.

    Lines that fit neither format inside a dump are counted, not fatal:
    ``df.attrs["parse_errors"]`` (count) and ``df.attrs["bad_lines"]``
    (``(line_no, text)`` pairs, first 200). ``df.attrs["format"]`` is
    ``"debug=1"`` or ``"debug=2"``. Text before the first header (a panic
    message, log lines) is kept in ``df.attrs["preamble"]`` and counted in
    ``df.attrs["preamble_lines"]``; bytes that are not UTF-8 are replaced and
    counted (``df.attrs["invalid_utf8_lines"]``); a ``.gz`` file cut short
    keeps the goroutines before the cut, with a warning and ``df.attrs["note"]``.
    Gzip data inflates under a cap (``APIPROBE_MAX_INFLATED``, 1 GiB by default).

    Parameters
    ----------
    path : str or path-like
        The dump file. Dump text, bytes or an open file go to
        :func:`parse_goroutines` instead.
    source : str, optional
        Name for the ``source`` column (default: the file name).

    Returns
    -------
    pandas.DataFrame
        The goroutines table described above, one row per goroutine or group.

    Raises
    ------
    DataFormatError
        When the file cannot be read or holds no goroutine dump, naming the
        file and line.
    InvalidParameterError
        When ``path`` is not a path (dump text, bytes, a file object).

    Examples
    --------
    >>> g = read_goroutines("goroutines.txt")  # doctest: +SKIP
    >>> g.groupby("wait_site")["count"].sum()  # doctest: +SKIP
    """
    if isinstance(path, str) and ("\n" in path or path.startswith("goroutine ")):
        raise InvalidParameterError(
            "path: got the text of a goroutine dump, not a file path; use parse_goroutines(text) for dump text"
        )
    if not isinstance(path, (str, PathLike)):
        raise InvalidParameterError(
            f"path: expected a file path, got {type(path).__name__}; "
            "use parse_goroutines() for dump text, bytes or an open file"
        )
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DataFormatError(f"{file}: cannot read goroutine dump: {exc.strerror or exc}") from exc
    name = file.name
    compressed = data[:2] == GZIP_MAGIC
    inner, cut_short = _inflate(data, name)
    del data  # the compressed bytes are not needed once inflated
    text, invalid = _decode(inner, name, compressed)
    del inner
    return _parse_text(text, source or name, name, invalid=invalid, cut_short=cut_short)
