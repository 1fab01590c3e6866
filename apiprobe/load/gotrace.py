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
# column name of each argument in .events (dt is folded into ts)
_COLUMN = {"stack": "stack_id", "new_stack": "new_stack_id", "m": "other_m"}


def _column(arg: str) -> str:
    if arg in _COLUMN:
        return _COLUMN[arg]
    return arg.removesuffix("_value").removesuffix("_string")


@dataclass
class GoTrace:
    """A decoded Go execution trace.

    ``events``: one row per timed event, sorted by ``ts`` (ns since the
    earliest batch of the trace): ``gen``, ``ts``, ``m`` (thread), ``proc``
    and ``goroutine`` (-1 when none/unknown), ``kind`` (the event's spec
    name), ``stack_id`` (0 = no stack; resolve with ``gen`` in ``stacks``),
    then one column per argument (int64, -1 where the event has no such
    argument; string arguments -- ``reason``, ``name``, ``key``, ``value``,
    ``label``, ``stw_kind`` -- as categoricals, NaN where absent).
    ``stacks``: one row per frame: ``gen``, ``stack_id``, ``depth`` (0 = leaf),
    ``pc``, ``func``, ``file``, ``line``. ``strings``: ``{(gen, id): text}``.
    ``cpu_samples``: ``gen``, ``ts``, ``m``, ``proc``, ``goroutine``, ``stack_id``.
    """

    version: int  # the "1.N" of the header: 22, 23, 25 or 26
    events: pd.DataFrame
    stacks: pd.DataFrame
    strings: dict[tuple[int, int], str]
    cpu_samples: pd.DataFrame
    frequency: float  # timestamp ticks per second (of the first generation)
    start_ns: int  # absolute time (Go's clock, ns) of ts == 0
    generations: int
    experimental_batches: int = 0
    clock_snapshots: list[tuple[int, int, int, int]] = field(default_factory=list)  # gen, mono, sec, nsec


def read_go_trace(path: str | PathLike[str]) -> GoTrace:
    """Read a Go execution trace file written by Go 1.22 or later."""
    p = Path(path)
    return parse_go_trace(p.read_bytes(), source=str(p))


def parse_go_trace(data: bytes, *, source: str = "<bytes>") -> GoTrace:
    """Decode the bytes of a Go execution trace (see :class:`GoTrace`)."""
    m = _HEADER.match(data[:16])
    if m is None:
        raise TraceFormatError(f"{source}: not a Go execution trace (no 'go 1.N trace' header)")
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
    except IndexError:
        raise TraceFormatError(f"{source}: truncated Go execution trace") from None


@dataclass
class _Tables:
    strings: dict[tuple[int, int], str] = field(default_factory=dict)
    stack_rows: list[np.ndarray] = field(default_factory=list)  # (n, 7): gen, id, depth, pc, func, file, line
    cpu: list[np.ndarray] = field(default_factory=list)  # (n, 6): gen, ts, m, p, g, stack
    freq: dict[int, float] = field(default_factory=dict)
    snaps: list[tuple[int, int, int, int]] = field(default_factory=list)


def _decode(data: bytes, ver: int, source: str) -> GoTrace:
    t = _Tables()
    ev_gen: list[int] = []
    ev_m: list[int] = []
    ev_time: list[int] = []
    ev_chunks: list[bytes] = []
    min_time: int | None = None
    gens: set[int] = set()
    n_exp = 0
    pos = 16
    end = len(data)
    while pos < end:
        typ = data[pos]
        pos += 1
        if typ == EV["EndOfGeneration"] and ver >= 26:
            continue
        exp = 0
        if typ == EV["ExperimentalBatch"] and ver >= 23:
            exp = data[pos]
            pos += 1
        elif typ != EV["EventBatch"]:
            raise TraceFormatError(f"{source}: expected a batch at byte {pos - 1}, found event type {typ}")
        gen, pos = read_varint(data, pos)
        mid, pos = read_varint(data, pos)
        btime, pos = read_varint(data, pos)
        size, pos = read_varint(data, pos)
        if size > 64 << 10 or pos + size > end:
            raise TraceFormatError(f"{source}: batch at byte {pos} has a bad size {size} (truncated trace?)")
        body = data[pos : pos + size]
        pos += size
        gens.add(gen)
        if exp:
            n_exp += 1
            continue
        if min_time is None or btime < min_time:
            min_time = btime
        head = body[0] if body else -1
        if head == EV["Strings"]:
            _strings(body, gen, t)
        elif head == EV["Stacks"]:
            _stacks(body, gen, t)
        elif head == EV["CPUSamples"]:
            vals, _ = split_varints(np.frombuffer(body, dtype=np.uint8, offset=1))
            rows = vals.view(np.int64).reshape(-1, 6)
            t.cpu.append(np.column_stack([np.full(len(rows), gen), rows[:, 1:]]))
        elif (head == EV["Frequency"] and ver < 25) or (head == EV["Sync"] and ver >= 25):
            _sync(body, gen, btime, ver, t)
        elif body:
            ev_gen.append(gen)
            ev_m.append(mid)
            ev_time.append(btime)
            ev_chunks.append(body)
    freq = t.freq[min(t.freq)] if t.freq else 1e9
    ns_per_tick = 1e9 / freq
    start = min_time or 0
    events = _events(ev_chunks, ev_gen, ev_m, ev_time, ver, start, ns_per_tick, t.strings, source)
    stacks = _stack_frame(t)
    cpu = pd.DataFrame(np.concatenate(t.cpu) if t.cpu else np.zeros((0, 6), np.int64),
                       columns=["gen", "ts", "m", "proc", "goroutine", "stack_id"])  # fmt: skip
    cpu["ts"] = ((cpu["ts"] - start) * ns_per_tick).astype(np.int64)
    return GoTrace(
        version=ver, events=events, stacks=stacks, strings=t.strings, cpu_samples=cpu, frequency=freq,
        start_ns=int(start * ns_per_tick), generations=len(gens), experimental_batches=n_exp,
        clock_snapshots=t.snaps,
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


def _events(
    chunks: list[bytes],
    gens: list[int],
    ms: list[int],
    times: list[int],
    ver: int,
    start: int,
    ns_per_tick: float,
    strings: dict[tuple[int, int], str],
    source: str,
) -> pd.DataFrame:
    nargs, names, specargs = _spec_tables(ver)
    if not chunks:
        return pd.DataFrame({"gen": [], "ts": [], "m": [], "proc": [], "goroutine": [], "kind": [], "stack_id": []})
    if any(c[-1] >= 0x80 for c in chunks):
        raise TraceFormatError(f"{source}: an event batch ends inside a varint (corrupt trace)")
    v, s, tok_start = _tokens(chunks, nargs, source)
    typ = v[s]
    batch = np.searchsorted(tok_start, s, side="right") - 1
    dt = v[s + 1]
    cs = np.cumsum(dt)
    first = np.searchsorted(batch, np.arange(len(chunks)))  # first event row of each batch
    before = np.where(first > 0, cs[np.maximum(first - 1, 0)], 0)
    ticks = np.asarray(times, dtype=np.int64)[batch] + cs - before[batch]
    n = len(s)
    cols: dict[str, object] = {
        "gen": np.asarray(gens, dtype=np.int64)[batch],
        "ts": ((ticks - start) * ns_per_tick).astype(np.int64),
        "m": np.asarray(ms, dtype=np.uint64)[batch].view(np.int64),
        "proc": np.full(n, -1, np.int64),
        "goroutine": np.full(n, -1, np.int64),
        "kind": pd.Categorical.from_codes(
            typ, categories=pd.Index([x or f"?{i}" for i, x in enumerate(names)])
        ).remove_unused_categories(),
        "stack_id": np.zeros(n, np.int64),
    }
    # one column per argument name: gather by (event type, position)
    per_col: dict[str, np.ndarray] = {}
    for t in np.unique(typ):
        rows = np.flatnonzero(typ == t)
        for k, arg in enumerate(specargs[t][1:], start=1):
            col = _column(arg)
            arr = per_col.setdefault(col, np.full(n, -1 if col != "stack_id" else 0, np.int64))
            arr[rows] = v[s[rows] + 1 + k]
        del rows
    for col, arr in per_col.items():
        if col in ("reason", "name", "key", "value", "label", "kind"):
            cols["stw_kind" if col == "kind" else col] = _lookup_categorical(strings, cols["gen"], arr)  # type: ignore[arg-type]
        else:
            cols[col] = arr
    df = pd.DataFrame(cols)
    _fill_context(df, typ)
    order = np.argsort(df["ts"].to_numpy(), kind="stable")
    return df.iloc[order].reset_index(drop=True)


def _fill_context(df: pd.DataFrame, typ: np.ndarray) -> None:
    """``proc``/``goroutine``: the value set by the latest earlier event of the same M (file order)."""
    m = df["m"].to_numpy()
    order = np.argsort(m, kind="stable")  # per M, in file (= that M's) order
    mo = m[order]
    t = typ[order]
    n = len(order)
    group_start = np.searchsorted(mo, mo, side="left")

    def arg(name: str) -> np.ndarray:
        return df[name].to_numpy()[order] if name in df else np.full(n, -1, np.int64)

    p, pstatus, g, gstatus, other_m, new_g = (
        arg("p"),
        arg("pstatus"),
        arg("g"),
        arg("gstatus"),
        arg("other_m"),
        arg("new_g"),
    )
    pval = np.full(n, -2, np.int64)  # -2: not a setter
    pval[(t == EV["ProcStart"]) | ((t == EV["ProcStatus"]) & np.isin(pstatus, (1, 3)))] = -3
    pval[pval == -3] = p[pval == -3]
    pval[(t == EV["ProcStop"]) | ((t == EV["ProcSteal"]) & (other_m == mo))] = -1
    gval = np.full(n, -2, np.int64)
    sets_g = np.isin(t, (EV["GoStart"], EV["GoSwitch"], EV["GoSwitchDestroy"]))
    status = np.isin(t, (EV["GoStatus"], EV["GoStatusStack"]))
    sets_g |= status & ((gstatus == 2) | ((gstatus == 3) & (other_m == mo)))
    gval[sets_g] = g[sets_g]
    ends = (EV["GoStop"], EV["GoBlock"], EV["GoDestroy"], EV["GoSyscallEndBlocked"], EV["GoDestroySyscall"])
    gval[np.isin(t, ends)] = -1
    gval[t == EV["GoCreateSyscall"]] = new_g[t == EV["GoCreateSyscall"]]
    for col, val in (("proc", pval), ("goroutine", gval)):
        idx = np.where(val != -2, np.arange(n), -1)
        last = np.maximum.accumulate(idx)  # latest setter at or before each row
        prev = np.concatenate([[-1], last[:-1]])  # ... strictly before
        ok = prev >= group_start
        out = np.full(n, -1, np.int64)
        out[ok] = val[prev[ok]]
        res = np.empty(n, np.int64)
        res[order] = out
        df[col] = res


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
