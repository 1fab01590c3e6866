"""Go execution traces (``runtime/trace``, ``go test -trace``): a columnar reader (PROTOTYPE).

Reads the Go 1.22+ wire format ("go 1.22 trace", 1.23 -- also written by Go
1.24 --, 1.25 and 1.26 -- also written by Go 1.27) into numpy-backed tables;
the format is described in ``docs/notes/go-execution-trace.md``.

What this prototype does:

* checks the version header; pre-1.22 traces (a different format) and
  unknown versions raise :class:`TraceFormatError` naming the version;
* walks the batches of every generation, decodes the string, stack, CPU
  sample and sync (frequency / clock snapshot) batches;
* decodes every event of the per-M event batches at once with numpy (the
  batches are runs of varints: a type byte below 128 is a one-byte varint);
  events start where a pointer-doubling walk of "type + number of arguments"
  lands; ``ts`` is the batch base time plus the running sum of deltas,
  converted to ns with the generation's frequency, relative to the earliest
  batch time of the trace;
* fills ``proc`` and ``goroutine`` from the events *of the same M* seen
  before each event (ProcStart/ProcStop/ProcStatus, GoStart/GoStop/GoBlock/
  GoStatus/...), which is the context Go reports for most events.

What it does NOT do (yet): Go's cross-M ordering (the partial order given
by the ``p_seq``/``g_seq``/``gc_seq`` sequence numbers; Go's reader
only emits an event once its preconditions hold, see ``order.go``), state
reconstruction (goroutine/proc state transitions), steals of one M's P by
another M (the victim's ``proc`` stays until its own next proc event), the
timestamp bump Go applies to keep its output strictly increasing, and
experimental batches / experimental (allocfree) events (counted, not decoded;
a trace with experimental events in event batches falls back to a slow
per-event walk). Events are sorted by timestamp (stable on file order), which
is usually but not always the order ``go tool trace`` uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from apiprobe.errors import TraceFormatError, WireFormatError
from apiprobe.load._gotrace_summary import TraceSummary, summarize
from apiprobe.load._gotrace_tables import goroutine_table, region_table, task_table
from apiprobe.load._gotrace_order import CPU_SAMPLE, GO_STATE, PROC_STATE, SYNC, Generation, Ordered, order_events
from apiprobe.load._protobuf import read_varint, split_varints

__all__ = ["GoTrace", "parse_go_trace", "read_go_trace"]


# Event specs, in wire order (internal/trace/tracev2/events.go). Arguments:
# ``dt`` is the timestamp delta, ``*_string`` a string ID, ``stack`` /
# ``new_stack`` a stack ID. Structural events have ``None`` (not in event batches).
_SPECS: list[tuple[str, tuple[str, ...] | None]] = [
    ("None", None),
    ("EventBatch", None),
    ("Stacks", None),
    ("Stack", None),
    ("Strings", None),
    ("String", None),
    ("CPUSamples", None),
    ("CPUSample", None),
    ("Frequency", None),
    ("ProcsChange", ("dt", "procs_value", "stack")),
    ("ProcStart", ("dt", "p", "p_seq")),
    ("ProcStop", ("dt",)),
    ("ProcSteal", ("dt", "p", "p_seq", "m")),
    ("ProcStatus", ("dt", "p", "pstatus")),
    ("GoCreate", ("dt", "new_g", "new_stack", "stack")),
    ("GoCreateSyscall", ("dt", "new_g")),
    ("GoStart", ("dt", "g", "g_seq")),
    ("GoDestroy", ("dt",)),
    ("GoDestroySyscall", ("dt",)),
    ("GoStop", ("dt", "reason_string", "stack")),
    ("GoBlock", ("dt", "reason_string", "stack")),
    ("GoUnblock", ("dt", "g", "g_seq", "stack")),
    ("GoSyscallBegin", ("dt", "p_seq", "stack")),
    ("GoSyscallEnd", ("dt",)),
    ("GoSyscallEndBlocked", ("dt",)),
    ("GoStatus", ("dt", "g", "m", "gstatus")),
    ("STWBegin", ("dt", "kind_string", "stack")),
    ("STWEnd", ("dt",)),
    ("GCActive", ("dt", "gc_seq")),
    ("GCBegin", ("dt", "gc_seq", "stack")),
    ("GCEnd", ("dt", "gc_seq")),
    ("GCSweepActive", ("dt", "p")),
    ("GCSweepBegin", ("dt", "stack")),
    ("GCSweepEnd", ("dt", "swept_value", "reclaimed_value")),
    ("GCMarkAssistActive", ("dt", "g")),
    ("GCMarkAssistBegin", ("dt", "stack")),
    ("GCMarkAssistEnd", ("dt",)),
    ("HeapAlloc", ("dt", "heapalloc_value")),
    ("HeapGoal", ("dt", "heapgoal_value")),
    ("GoLabel", ("dt", "label_string")),
    ("UserTaskBegin", ("dt", "task", "parent_task", "name_string", "stack")),
    ("UserTaskEnd", ("dt", "task", "stack")),
    ("UserRegionBegin", ("dt", "task", "name_string", "stack")),
    ("UserRegionEnd", ("dt", "task", "name_string", "stack")),
    ("UserLog", ("dt", "task", "key_string", "value_string", "stack")),  # last of Go 1.22
    ("GoSwitch", ("dt", "g", "g_seq")),
    ("GoSwitchDestroy", ("dt", "g", "g_seq")),
    ("GoCreateBlocked", ("dt", "new_g", "new_stack", "stack")),
    ("GoStatusStack", ("dt", "g", "m", "gstatus", "stack")),
    ("ExperimentalBatch", None),  # last of Go 1.23 (and 1.24)
    ("Sync", None),
    ("ClockSnapshot", ("dt", "mono", "sec", "nsec")),  # last of Go 1.25
    ("EndOfGeneration", None),  # Go 1.26
]
_EXPERIMENTAL: dict[int, tuple[str, tuple[str, ...]]] = {  # allocfree experiment (in event batches)
    128: ("Span", ("dt", "id", "npages_value", "kindclass")),
    129: ("SpanAlloc", ("dt", "id", "npages_value", "kindclass")),
    130: ("SpanFree", ("dt", "id")),
    131: ("HeapObject", ("dt", "id", "type")),
    132: ("HeapObjectAlloc", ("dt", "id", "type")),
    133: ("HeapObjectFree", ("dt", "id")),
    134: ("GoroutineStack", ("dt", "id", "order")),
    135: ("GoroutineStackAlloc", ("dt", "id", "order")),
    136: ("GoroutineStackFree", ("dt", "id")),
}
_LAST_TYPE = {22: 44, 23: 49, 25: 51, 26: 52}  # version -> highest event type it may hold
EV = {name: i for i, (name, _) in enumerate(_SPECS)}
_NO_THREAD = (1 << 64) - 1
_HEADER = re.compile(rb"go 1\.(\d+) trace\x00\x00\x00")
@dataclass
class GoTrace:
    """A decoded Go execution trace, in the order ``go tool trace`` reads it.

    Attributes
    ----------
    events : pandas.DataFrame
        One row per event in Go's order (its reader merges the per-thread
        streams by time and sequence numbers): ``gen``, ``ts`` (ns since the
        trace's first event, after Go's +1 ns bump that keeps times strictly
        increasing), ``thread``, ``proc`` and ``goroutine`` (the context Go
        reports, -1 = none), ``kind`` (the event's name; ``Sync`` marks the
        start of a generation and the end of the trace), ``stack_id`` (0 = no
        stack; resolve with ``gen`` in ``stacks``), one column per argument
        (int64, -1 where absent; string arguments -- ``reason``, ``name``,
        ``key``, ``value``, ``label``, ``stw_kind`` -- as categoricals), and
        the state transition the event makes: ``state_goroutine`` or
        ``state_proc`` (-1: none), ``from_state``, ``to_state``.
    stacks : pandas.DataFrame
        One row per frame: ``gen``, ``stack_id``, ``depth`` (0 = leaf), ``pc``,
        ``func``, ``file``, ``line``.
    strings : dict
        ``{(gen, id): text}``.
    cpu_samples : pandas.DataFrame
        ``gen``, ``ts``, ``thread``, ``proc``, ``goroutine``, ``stack_id``.
    notes : list of str
        What could not be read (a trace cut short keeps its complete
        generations; a broken generation keeps the events before the break).
    """

    version: int  # the "1.N" of the header: 22, 23, 25 or 26
    arrays: dict[str, np.ndarray] = field(repr=False)  # the events as named arrays (what `events` is built from)
    stacks: pd.DataFrame
    strings: dict[tuple[int, int], str]
    cpu_samples: pd.DataFrame
    frequency: float  # timestamp ticks per second (of the first generation)
    start_ns: int  # Go's time (ns) of ts == 0
    generations: int
    experimental_batches: int = 0
    clock_snapshots: list[tuple[int, int, int, int]] = field(default_factory=list)  # gen, mono, sec, nsec
    notes: list[str] = field(default_factory=list)
    source: str = "<bytes>"
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def events(self) -> pd.DataFrame:
        """One row per event, in Go's order (built on first use; see the class docstring)."""
        if "events" not in self._cache:
            self._cache["events"] = _events_frame(self.arrays, self.version, self.strings)
        return self._cache["events"]  # type: ignore[return-value]

    @property
    def duration_ns(self) -> int:
        """Time from the first to the last event (ns)."""
        ts = self.arrays["ts"]
        return int(ts[-1]) if len(ts) else 0

    def stack_names(self) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]:
        """``(gen, stack id)`` → the function of the stack's root frame, and → of its leaf frame."""
        if "names" not in self._cache:
            st = self.stacks
            keys = list(zip(st["gen"].tolist(), st["stack_id"].tolist(), strict=True))
            funcs = [f if isinstance(f, str) else "" for f in st["func"].tolist()]
            root = dict(zip(keys, funcs, strict=True))  # frames come leaf first: the last one wins
            leaf_rows = np.flatnonzero(st["depth"].to_numpy() == 0)
            leaf = {keys[i]: funcs[i] for i in leaf_rows.tolist()}
            self._cache["names"] = (root, leaf)
        return self._cache["names"]  # type: ignore[return-value]

    def summary(self) -> TraceSummary:
        """Go's per-goroutine and per-region accounting (computed once, on first use)."""
        if "summary" not in self._cache:
            root, leaf = self.stack_names()
            self._cache["summary"] = summarize(self.arrays, root, leaf, self.strings)
        return self._cache["summary"]  # type: ignore[return-value]

    @property
    def goroutines(self) -> pd.DataFrame:
        """One row per goroutine, as ``go tool trace``'s goroutine analysis (see :func:`goroutine_table`)."""
        if "goroutines" not in self._cache:
            self._cache["goroutines"] = goroutine_table(self.summary())
        return self._cache["goroutines"]  # type: ignore[return-value]

    @property
    def regions(self) -> pd.DataFrame:
        """One row per user region (``trace.WithRegion``/``StartRegion``), nested regions kept."""
        if "regions" not in self._cache:
            self._cache["regions"] = region_table(self.summary())
        return self._cache["regions"]  # type: ignore[return-value]

    @property
    def tasks(self) -> pd.DataFrame:
        """One row per user task (``trace.NewTask``)."""
        if "tasks" not in self._cache:
            self._cache["tasks"] = task_table(self.summary())
        return self._cache["tasks"]  # type: ignore[return-value]


def read_go_trace(path: str | PathLike[str]) -> GoTrace:
    """Read a Go execution trace file written by Go 1.22 or later (see :func:`parse_go_trace`)."""
    p = Path(path)
    return parse_go_trace(p.read_bytes(), source=str(p))


def parse_go_trace(data: bytes, *, source: str = "<bytes>") -> GoTrace:
    """Decode the bytes of a Go execution trace into a :class:`GoTrace`.

    Raises
    ------
    TraceFormatError
        The bytes are not a Go 1.22+ execution trace (another format, a
        pre-1.22 trace, an unknown version), or no generation of it could be
        read. A trace cut short keeps its complete generations, with a note.
    """
    m = _HEADER.match(data[:16])
    if m is None:
        raise TraceFormatError(f"{source}: not a Go execution trace: {_what_is(data)}")
    ver = int(m.group(1))
    if ver < 22:
        raise TraceFormatError(
            f"{source}: Go execution trace version go 1.{ver} is not supported (the format before Go 1.22 "
            "differs); re-record the trace with Go >= 1.22"
        )
    if ver not in _LAST_TYPE:
        raise TraceFormatError(
            f"{source}: unknown Go execution trace version go 1.{ver} (known: 1.22, 1.23, 1.25, 1.26)"
        )
    try:
        return _decode(data, ver, source)
    except WireFormatError as e:
        raise TraceFormatError(f"{source}: corrupt Go execution trace: {e}") from None


def _what_is(data: bytes) -> str:
    """A short guess at what a non-trace file is, for the error message."""
    head = data[:64]
    if head[:2] == b"\x1f\x8b":
        return "it is gzip-compressed (a pprof profile? read it with read_pprof; a compressed trace: gunzip it first)"
    if head.startswith(b"go 1.") and b"trace" in head[:16]:
        return "the version header is malformed"
    if head.lstrip().startswith(b"goroutine ") or b"goroutine profile:" in head:
        return "it looks like a goroutine dump (read it with read_goroutines)"
    if head[:1] == b"\x0a" or head[:1] == b"\x08":
        return "it looks like a protobuf message (a pprof profile? read it with read_pprof)"
    if head.lstrip()[:1] in (b"{", b"["):
        return "it looks like JSON (a span export? read it with read_traces)"
    if not data:
        return "the file is empty"
    return "no 'go 1.N trace' header"


@dataclass
class _Batch:
    gen: int
    m: int
    time: int  # ticks
    body: bytes


def _read_batches(data: bytes, ver: int, source: str) -> tuple[list[_Batch], int, str | None]:
    """Every batch of the file, the number of experimental batches, and a note if the file is cut short."""
    out: list[_Batch] = []
    n_exp = 0
    pos = 16
    end = len(data)
    while pos < end:
        at = pos
        typ = data[pos]
        pos += 1
        if typ == EV["EndOfGeneration"] and ver >= 26:
            continue
        exp = 0
        if typ == EV["ExperimentalBatch"] and ver >= 23:
            if pos >= end:
                return out, n_exp, f"the trace ends inside a batch header at byte {at}"
            exp = data[pos]
            pos += 1
        elif typ != EV["EventBatch"]:
            raise TraceFormatError(f"{source}: expected a batch at byte {at}, found event type {typ} (corrupt trace)")
        try:
            gen, pos = read_varint(data, pos)
            mid, pos = read_varint(data, pos)
            btime, pos = read_varint(data, pos)
            size, pos = read_varint(data, pos)
        except (WireFormatError, IndexError):
            return out, n_exp, f"the trace ends inside a batch header at byte {at}"
        if size > 64 << 10:
            raise TraceFormatError(f"{source}: batch at byte {at} has a bad size {size} (corrupt trace)")
        if pos + size > end:
            return out, n_exp, f"the trace ends inside a batch at byte {at} ({end - pos} of its {size} bytes)"
        if gen == 0:
            raise TraceFormatError(f"{source}: batch at byte {at} has generation 0 (corrupt trace)")
        if out and gen < out[-1].gen:
            raise TraceFormatError(f"{source}: generations out of order at byte {at} ({gen} after {out[-1].gen})")
        if exp:
            n_exp += 1
            continue
        out.append(_Batch(gen, mid, btime, data[pos : pos + size]))
        pos += size
    return out, n_exp, None


@dataclass
class _Tables:
    strings: dict[tuple[int, int], str] = field(default_factory=dict)
    stack_rows: list[np.ndarray] = field(default_factory=list)  # (n, 7): gen, id, depth, pc, func, file, line
    cpu: list[np.ndarray] = field(default_factory=list)  # (n, 6): gen, ts, m, p, g, stack
    freq: dict[int, float] = field(default_factory=dict)
    snaps: list[tuple[int, int, int, int]] = field(default_factory=list)


def _decode(data: bytes, ver: int, source: str) -> GoTrace:
    batches, n_exp, cut = _read_batches(data, ver, source)
    notes: list[str] = []
    if cut is not None:
        last = batches[-1].gen if batches else None
        batches = [b for b in batches if b.gen != last]
        notes.append(f"{cut}: generation {last} is incomplete and was dropped, as go tool trace does")
        if not batches:
            raise TraceFormatError(f"{source}: truncated Go execution trace: {cut}, before any complete generation")
    t = _Tables()
    min_ts: dict[int, int] = {}
    ev_batches: list[_Batch] = []
    for b in batches:
        min_ts[b.gen] = min(min_ts.get(b.gen, b.time), b.time)
        head = b.body[0] if b.body else -1
        if head == EV["Strings"]:
            _strings(b.body, b.gen, t)
        elif head == EV["Stacks"]:
            _stacks(b.body, b.gen, t)
        elif head == EV["CPUSamples"]:
            vals, _ = split_varints(np.frombuffer(b.body, dtype=np.uint8, offset=1))
            rows = vals.view(np.int64).reshape(-1, 6)
            t.cpu.append(np.column_stack([np.full(len(rows), b.gen), rows[:, 1:]]))
        elif (head == EV["Frequency"] and ver < 25) or (head == EV["Sync"] and ver >= 25):
            _sync(b.body, b.gen, b.time, ver, t)
        elif b.body:
            ev_batches.append(b)
    gens = sorted(min_ts)
    missing = [g for g in gens if g not in t.freq]
    if missing:
        raise TraceFormatError(f"{source}: generation {missing[0]} has no clock frequency (corrupt trace)")
    ns_per_tick = {g: 1.0 / (t.freq[g] / 1e9) for g in gens}
    ev = _decode_events(ev_batches, ver, ns_per_tick, source)
    cpu = _cpu_samples(t, ns_per_tick)
    strings_by_gen: dict[int, dict[int, str]] = {g: {} for g in gens}
    for (g, sid), text in t.strings.items():
        strings_by_gen.setdefault(g, {})[sid] = text
    generations = _generations(ev, cpu, gens, min_ts, ns_per_tick, strings_by_gen)
    ordered = order_events(generations, ev["typ"], ev["t"], ev["args"], source=source, names=_spec_tables(ver)[1])
    if ordered.error is not None:
        notes.append(ordered.error + "; the events before it are kept")
    start = int(ordered.t[0]) if len(ordered.t) else 0
    return GoTrace(
        version=ver, arrays=_event_arrays(ordered, ev, ver, start), stacks=_stack_frame(t), strings=t.strings,
        cpu_samples=_cpu_frame(cpu, ordered, start), frequency=t.freq[gens[0]], start_ns=start,
        generations=len(gens), experimental_batches=n_exp, clock_snapshots=t.snaps, notes=notes, source=source,
    )  # fmt: skip


def _strings(body: bytes, gen: int, t: _Tables) -> None:
    pos = 1
    while pos < len(body):
        if body[pos] != EV["String"]:
            raise TraceFormatError(f"expected a String event in a strings batch, found type {body[pos]}")
        sid, pos = read_varint(body, pos + 1)
        n, pos = read_varint(body, pos)
        if pos + n > len(body):
            raise WireFormatError("string overruns its batch")
        t.strings[(gen, sid)] = body[pos : pos + n].decode("utf-8", "replace")
        pos += n


def _stacks(body: bytes, gen: int, t: _Tables) -> None:
    vals, _ = split_varints(np.frombuffer(body, dtype=np.uint8, offset=1))
    v = vals.view(np.int64)
    i = 0
    out = []
    while i < len(v):
        if v[i] != EV["Stack"]:
            raise TraceFormatError(f"expected a Stack event in a stacks batch, found type {v[i]}")
        sid, n = int(v[i + 1]), int(v[i + 2])
        fr = v[i + 3 : i + 3 + 4 * n].reshape(n, 4)  # pc, func string, file string, line
        if len(fr) != n:
            raise WireFormatError("stack overruns its batch")
        block = np.empty((n, 7), dtype=np.int64)
        block[:, 0] = gen
        block[:, 1] = sid
        block[:, 2] = np.arange(n)
        block[:, 3:] = fr
        out.append(block)
        i += 3 + 4 * n
    if out:
        t.stack_rows.append(np.concatenate(out))


def _sync(body: bytes, gen: int, btime: int, ver: int, t: _Tables) -> None:
    pos = 1 if ver >= 25 else 0
    last = btime
    while pos < len(body):
        typ = body[pos]
        pos += 1
        if typ == EV["Frequency"]:
            f, pos = read_varint(body, pos)
            t.freq.setdefault(gen, float(f))
        elif typ == EV["ClockSnapshot"] and ver >= 25:
            dt, pos = read_varint(body, pos)
            mono, pos = read_varint(body, pos)
            sec, pos = read_varint(body, pos)
            nsec, pos = read_varint(body, pos)
            last += dt
            t.snaps.append((gen, mono, sec, nsec))
        else:
            raise TraceFormatError(f"unexpected event type {typ} in a sync batch")


def _stack_frame(t: _Tables) -> pd.DataFrame:
    rows = np.concatenate(t.stack_rows) if t.stack_rows else np.zeros((0, 7), np.int64)
    df = pd.DataFrame(rows, columns=["gen", "stack_id", "depth", "pc", "func_id", "file_id", "line"])
    df["pc"] = df["pc"].astype(np.uint64)
    df.insert(4, "func", _lookup(t.strings, df["gen"].to_numpy(), df.pop("func_id").to_numpy()))
    df.insert(5, "file", _lookup(t.strings, df["gen"].to_numpy(), df.pop("file_id").to_numpy()))
    return df


def _lookup(strings: dict[tuple[int, int], str], gen: np.ndarray, sid: np.ndarray) -> np.ndarray:
    """Strings for (gen, id) pairs, vectorised over the pairs (unknown -> None)."""
    out = np.full(len(sid), None, dtype=object)
    if not strings or len(sid) == 0:
        return out
    keys = np.array([(g << 32) | i for g, i in strings], dtype=np.int64)
    texts = np.array(list(strings.values()), dtype=object)
    order = np.argsort(keys)
    keys, texts = keys[order], texts[order]
    q = (gen.astype(np.int64) << 32) | sid.astype(np.int64)
    at = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    hit = (keys[at] == q) & (sid != 0)
    out[hit] = texts[at[hit]]
    return out


def _lookup_categorical(strings: dict[tuple[int, int], str], gen: np.ndarray, sid: np.ndarray) -> pd.Categorical[str]:
    """Like :func:`_lookup` but as a categorical (cheap to sort and take on millions of rows); -1 -> NaN."""
    cats = sorted(set(strings.values()))
    code_of = {t: i for i, t in enumerate(cats)}
    codes = np.full(len(sid), -1, dtype=np.int64)
    if strings and len(sid):
        keys = np.array([(g << 32) | i for g, i in strings], dtype=np.int64)
        kcode = np.array([code_of[t] for t in strings.values()], dtype=np.int64)
        order = np.argsort(keys)
        keys, kcode = keys[order], kcode[order]
        q = (gen.astype(np.int64) << 32) | sid.astype(np.int64)
        at = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        hit = (keys[at] == q) & (sid > 0)
        codes[hit] = kcode[at[hit]]
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats))


def _spec_tables(ver: int) -> tuple[np.ndarray, list[str], list[tuple[str, ...]]]:
    nargs = np.full(256, -1, dtype=np.int64)  # -1: not a timed event of this version
    names = [""] * 256
    args: list[tuple[str, ...]] = [()] * 256
    for i, (name, a) in enumerate(_SPECS[: _LAST_TYPE[ver] + 1]):
        if a is not None:
            nargs[i], names[i], args[i] = len(a), name, a
    if ver >= 23:
        for i, (name, a) in _EXPERIMENTAL.items():
            nargs[i], names[i], args[i] = len(a), name, a
    return nargs, names, args


def _event_starts(v: np.ndarray, nargs: np.ndarray) -> np.ndarray:
    """Token indices where events start: the orbit of 0 under i -> i + 1 + nargs[v[i]] (pointer doubling)."""
    n = len(v)
    step = nargs[np.minimum(v, 255).astype(np.int64)]
    jump = np.minimum(np.arange(n, dtype=np.int64) + 1 + np.maximum(step, 0), n)
    jump = np.append(jump, n)  # sentinel
    reached = np.zeros(1, dtype=np.int64)
    while reached[-1] < n:
        nxt = jump[reached]
        reached = (
            np.concatenate([reached, nxt[nxt < n]]) if nxt[-1] < n else np.concatenate([reached, nxt[nxt < n], [n]])
        )
        jump = jump[jump]
    return reached[reached < n]


_STATE_NAMES = ["undetermined", "notexist", "runnable", "running", "waiting", "syscall"]
_PROC_STATE_NAMES = ["undetermined", "notexist", "running", "idle"]


def _decode_events(batches: list[_Batch], ver: int, ns_per_tick: dict[int, float], source: str) -> dict[str, np.ndarray]:
    """Every timed event of the event batches: type, Go's time (ns), the arguments, generation, thread."""
    nargs, _names, _args = _spec_tables(ver)
    if not batches:
        z = np.zeros(0, np.int64)
        return {"typ": z, "t": z, "args": np.zeros((0, 4), np.int64), "gen": z, "m": z, "batch": z}
    chunks = [b.body for b in batches]
    if any(c[-1] >= 0x80 for c in chunks):
        raise TraceFormatError(f"{source}: an event batch ends inside a varint (corrupt trace)")
    v, s, tok_start = _tokens(chunks, nargs, source)
    typ = v[s]
    batch = np.searchsorted(tok_start, s, side="right") - 1
    bgen = np.array([b.gen for b in batches], dtype=np.int64)
    bf = np.array([ns_per_tick[b.gen] for b in batches], dtype=np.float64)
    btime = np.array([b.time for b in batches], dtype=np.uint64).astype(np.float64)
    # Go: lastTs = mul(batch time); each event: mul(delta) + lastTs, mul(x) = Time(float64(x) * nsPerTick)
    step = (v[s + 1].astype(np.uint64).astype(np.float64) * bf[batch]).astype(np.int64)
    cs = np.cumsum(step)
    first = np.searchsorted(batch, np.arange(len(batches)))
    before = np.where(first > 0, cs[np.maximum(first - 1, 0)], 0)
    t = (btime * bf).astype(np.int64)[batch] + cs - before[batch]
    n = len(s)
    args = np.zeros((n, 4), np.int64)
    k_of = nargs[typ] - 1
    for k in range(4):
        has = k_of > k
        args[has, k] = v[s[has] + 2 + k]
    mids = np.array([b.m for b in batches], dtype=np.uint64).view(np.int64)
    return {"typ": typ, "t": t, "args": args, "gen": bgen[batch], "m": mids[batch], "batch": batch}


def _cpu_samples(t: _Tables, ns_per_tick: dict[int, float]) -> np.ndarray:
    """CPU samples as (gen, time ns, m, p, g, stack) rows, by generation then time."""
    if not t.cpu:
        return np.zeros((0, 6), np.int64)
    cpu = np.concatenate(t.cpu)
    f = np.array([ns_per_tick[int(g)] for g in cpu[:, 0]], dtype=np.float64)
    cpu[:, 1] = (cpu[:, 1].astype(np.uint64).astype(np.float64) * f).astype(np.int64)
    return cpu[np.lexsort((cpu[:, 1], cpu[:, 0]))]


def _generations(
    ev: dict[str, np.ndarray],
    cpu: np.ndarray,
    gens: list[int],
    min_ts: dict[int, int],
    ns_per_tick: dict[int, float],
    strings: dict[int, dict[int, str]],
) -> list[Generation]:
    """Group the events into per-thread cursors (threads in order of first appearance per generation).

    Reorders ``ev`` in place so each cursor is a contiguous run of rows.
    """
    gen, m, batch = ev["gen"], ev["m"], ev["batch"]
    n = len(gen)
    cursors: dict[int, list[tuple[int, int, int]]] = {g: [] for g in gens}
    if n:
        # per batch: the (generation, thread) pair, ranked by the pair's first batch in the file
        nb = int(batch[-1]) + 1
        first = np.searchsorted(batch, np.arange(nb))  # first event row of each batch (batches hold >= 1 event)
        bgen, bm = gen[first], m[first]
        pair_first: dict[tuple[int, int], int] = {}
        for b, pair in enumerate(zip(bgen.tolist(), bm.tolist(), strict=True)):
            pair_first.setdefault(pair, b)
        gen_rank = {g: r for r, g in enumerate(gens)}
        ordered_pairs = sorted(pair_first, key=lambda pr: (gen_rank[pr[0]], pair_first[pr]))
        code = {pr: r for r, pr in enumerate(ordered_pairs)}
        bkey = np.array([code[pr] for pr in zip(bgen.tolist(), bm.tolist(), strict=True)], dtype=np.int64)
        # events are contiguous per batch: order the batches (stably), then take their event ranges
        border = np.argsort(bkey, kind="stable")
        bstart = np.append(first, n)
        lens = (bstart[1:] - bstart[:-1])[border]
        perm = np.repeat(bstart[:-1][border] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + np.arange(n)
        key = bkey[batch]
        for name in ("typ", "t", "gen", "m", "batch"):
            ev[name] = ev[name][perm]
        ev["args"] = ev["args"][perm]
        key = key[perm]
        bounds = np.flatnonzero(np.diff(key)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [n]])
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            cursors[int(ev["gen"][lo])].append((int(ev["m"][lo]), lo, hi))
    out = []
    for g in gens:
        sel = np.flatnonzero(cpu[:, 0] == g) if len(cpu) else np.zeros(0, np.int64)
        out.append(
            Generation(
                gen=g, min_ts=int(float(min_ts[g]) * ns_per_tick[g]), cursors=cursors[g],
                cpu_t=cpu[sel, 1].tolist(), cpu_idx=sel.tolist(), strings=strings.get(g, {}),
            )  # fmt: skip
        )
    return out


def _event_arrays(o: Ordered, ev: dict[str, np.ndarray], ver: int, start: int) -> dict[str, np.ndarray]:
    """The ordered events (CPU samples aside) as named arrays, with the state transitions Go derives."""
    keep = o.typ != CPU_SAMPLE
    src, typ = o.src[keep], o.typ[keep]
    x, y = o.x[keep], o.y[keep]
    n = len(src)
    real = src >= 0
    args = np.zeros((n, 4), np.int64)
    args[real] = ev["args"][src[real]]
    # what the reader synthesised: GoStart of x, ProcSteal of proc y, GoBlock/GoDestroy without arguments
    syn_start = (~real) & (typ == EV["GoStart"])
    args[syn_start, 0] = x[syn_start]
    args[syn_start, 1] = y[syn_start]
    syn_steal = (~real) & (typ == EV["ProcSteal"])
    args[syn_steal, 0] = y[syn_steal]
    args[syn_steal, 2] = o.m[keep][syn_steal]
    gen = np.full(n, -1, np.int64)
    gen[real] = ev["gen"][src[real]]
    gen = pd.Series(np.where(gen >= 0, gen, np.nan)).bfill().ffill().fillna(0).to_numpy(np.int64)
    codes = np.where(typ == SYNC, 255, typ)
    out: dict[str, np.ndarray] = {
        "typ": codes, "gen": gen, "ts": o.t[keep] - start, "thread": o.m[keep], "proc": o.p[keep],
        "goroutine": o.g[keep], "stack_id": np.zeros(n, np.int64),
    }  # fmt: skip
    _n, _names, specargs = _spec_tables(ver)
    block = np.full((len(_ARG_COLUMNS), n), -1, np.int64)
    for k, col in enumerate(_ARG_COLUMNS):
        out[col] = block[k]
    for tv in np.unique(codes):
        if tv == 255:
            continue
        rows = np.flatnonzero(codes == tv)
        for k, arg in enumerate(specargs[tv][1:]):
            out[_column(arg)][rows] = args[rows, k]
    out["stack_id"][out["stack_id"] < 0] = 0
    out["new_stack_id"][out["new_stack_id"] < 0] = 0
    stw_end = codes == EV["STWEnd"]
    out["name_id"][stw_end] = x[stw_end]
    _transitions(out, codes, x, y)
    out["goroutine_ids"] = o.g_ids
    return out


# per wire argument: the column that holds it (string ids end in _id; they become text columns)
_COLUMN = {
    "stack": "stack_id", "new_stack": "new_stack_id", "m": "other_thread", "new_g": "g", "g_seq": "seq",
    "p_seq": "seq", "gc_seq": "seq", "pstatus": "status", "gstatus": "status", "reason_string": "reason_id",
    "kind_string": "name_id", "label_string": "name_id", "name_string": "name_id", "key_string": "name_id",
    "value_string": "text_id", "procs_value": "value", "heapalloc_value": "value", "heapgoal_value": "value",
    "swept_value": "value", "reclaimed_value": "value2", "id": "value", "npages_value": "value2", "type": "value2",
    "order": "value2", "kindclass": "status",
}  # fmt: skip
_ARG_COLUMNS = ("g", "p", "seq", "other_thread", "status", "new_stack_id", "task", "parent_task", "value", "value2",
                "reason_id", "name_id", "text_id")  # fmt: skip
_TEXT_COLUMNS = {"reason_id": "reason", "name_id": "name", "text_id": "text"}


def _column(arg: str) -> str:
    return _COLUMN.get(arg, arg)


def _events_frame(a: dict[str, np.ndarray], ver: int, strings: dict[tuple[int, int], str]) -> pd.DataFrame:
    """The ``events`` table from the event arrays."""
    _n, names, _args = _spec_tables(ver)
    names = list(names)
    names[255] = "Sync"
    cols: dict[str, object] = {c: a[c] for c in ("gen", "ts", "thread", "proc", "goroutine")}
    cols["kind"] = pd.Categorical.from_codes(
        a["typ"], categories=pd.Index([x or f"?{i}" for i, x in enumerate(names)])
    ).remove_unused_categories()
    cols["stack_id"] = a["stack_id"]
    for c in _ARG_COLUMNS:
        if c in _TEXT_COLUMNS:
            cols[_TEXT_COLUMNS[c]] = _lookup_categorical(strings, a["gen"], a[c])
        else:
            cols[c] = a[c]
    cats = pd.Index(_STATE_NAMES[:2] + ["runnable", "running", "waiting", "syscall", "idle"])
    cols["state_goroutine"] = a["state_goroutine"]
    cols["state_proc"] = a["state_proc"]
    for c in ("from_state", "to_state"):
        v = a[c]
        code = np.where(a["state_goroutine"] >= 0, v, np.where(a["state_proc"] >= 0, _PROC_CODE[np.clip(v, 0, 3)], -1))
        cols[c] = pd.Categorical.from_codes(code, categories=cats)
    return pd.DataFrame(cols)


_PROC_CODE = np.array([0, 1, 3, 6])  # proc states -> the shared categories (undetermined, notexist, running, idle)


def _transitions(a: dict[str, np.ndarray], typ: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """``state_goroutine``/``state_proc``, ``from_state``, ``to_state``: the transition each event makes (Go's StateTransition)."""
    n = len(typ)
    ctx_g = a["goroutine"]
    garg = a["g"]
    sg = np.full(n, -1, np.int64)
    sp = np.full(n, -1, np.int64)
    frm = np.full(n, -1, np.int64)
    to = np.full(n, -1, np.int64)
    R, RN, W, SY, NE = 2, 3, 4, 5, 1  # runnable, running, waiting, syscall, notexist

    def go(types: tuple[int, ...], who: np.ndarray, old: int, new: int) -> None:
        sel = np.isin(typ, types)
        sg[sel], frm[sel], to[sel] = who[sel], old, new

    go((EV["GoCreate"],), garg, NE, R)
    go((EV["GoCreateBlocked"],), garg, NE, W)
    go((EV["GoCreateSyscall"],), garg, NE, SY)
    go((EV["GoStart"],), garg, R, RN)
    go((EV["GoDestroy"],), ctx_g, RN, NE)
    go((EV["GoDestroySyscall"],), ctx_g, SY, NE)
    go((EV["GoStop"],), ctx_g, RN, R)
    go((EV["GoBlock"],), ctx_g, RN, W)
    go((EV["GoUnblock"], EV["GoSwitch"], EV["GoSwitchDestroy"]), garg, W, R)
    go((EV["GoSyscallBegin"],), ctx_g, RN, SY)
    go((EV["GoSyscallEnd"],), ctx_g, SY, RN)
    go((EV["GoSyscallEndBlocked"],), ctx_g, SY, R)
    st = np.isin(typ, (EV["GoStatus"], EV["GoStatusStack"]))
    sg[st], frm[st] = garg[st], x[st]
    to[st] = np.asarray(GO_STATE)[np.clip(a["status"][st], 0, 4)]
    pstate = np.asarray(PROC_STATE)
    PR, PI = 2, 3
    p = a["p"]
    sel = typ == EV["ProcStart"]
    sp[sel], frm[sel], to[sel] = p[sel], PI, PR
    sel = typ == EV["ProcStop"]
    sp[sel], frm[sel], to[sel] = a["proc"][sel], PR, PI
    sel = typ == EV["ProcSteal"]
    sp[sel], frm[sel], to[sel] = p[sel], np.where(x[sel] == 4, PI, PR), PI
    sel = typ == EV["ProcStatus"]
    sp[sel], frm[sel], to[sel] = p[sel], x[sel], pstate[np.clip(y[sel], 0, 4)]
    a["state_goroutine"] = sg
    a["state_proc"] = np.where(sg >= 0, -1, sp)
    a["from_state"] = frm
    a["to_state"] = to


def _cpu_frame(cpu: np.ndarray, o: Ordered, start: int) -> pd.DataFrame:
    """CPU samples with Go's (bumped) times, in the order the reader emitted them."""
    rows = o.src[o.typ == CPU_SAMPLE]
    df = pd.DataFrame(cpu[rows] if len(rows) else np.zeros((0, 6), np.int64),
                      columns=["gen", "ts", "thread", "proc", "goroutine", "stack_id"])  # fmt: skip
    df["ts"] = o.t[o.typ == CPU_SAMPLE] - start
    return df


def _tokens(chunks: list[bytes], nargs: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All event batches as one run of varints: (values, event start indices, first token of each batch).

    Fast path: decode every varint with numpy, then find event starts by
    pointer doubling. Experimental events (type >= 128, not a one-byte
    varint) or anything that does not chain up exactly to every batch
    boundary falls back to a per-event walk in Python.
    """
    a = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    vals, ends = split_varints(a)
    v = vals.view(np.int64)
    byte_start = np.cumsum([0] + [len(c) for c in chunks[:-1]])
    tok_start = np.searchsorted(ends, byte_start)
    s = _event_starts(vals, nargs)
    typ = v[s]
    ok = not ((typ < 0) | (typ > 255)).any() and not (nargs[np.clip(typ, 0, 255)] < 0).any()
    ok = ok and bool(np.isin(tok_start, s).all()) and (len(s) == 0 or s[-1] + 1 + nargs[typ[-1]] == len(v))
    if ok:
        return v, s, tok_start
    toks: list[int] = []
    starts: list[int] = []
    firsts: list[int] = []
    for ci, c in enumerate(chunks):
        firsts.append(len(toks))
        pos = 0
        while pos < len(c):
            t = c[pos]
            if nargs[t] < 0:
                raise TraceFormatError(f"{source}: event batch {ci}: invalid event type {t} at byte {pos}")
            starts.append(len(toks))
            toks.append(t)
            pos += 1
            for _ in range(nargs[t]):
                x, pos = read_varint(c, pos)
                toks.append(x)
    arr = np.array(toks, dtype=np.uint64).view(np.int64)
    return arr, np.array(starts, dtype=np.int64), np.array(firsts, dtype=np.int64)
