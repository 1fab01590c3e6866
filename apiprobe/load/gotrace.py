"""Go execution traces (``runtime/trace``, ``/debug/pprof/trace``, ``go test -trace``), read the way Go reads them.

Reads every format Go has written since 1.22 ("go 1.22 trace"; 1.23, also
written by Go 1.24; 1.25; 1.26, also written by Go 1.27), described in
``docs/notes/go-execution-trace.md``:

* the batches of every generation: strings, stacks, CPU samples, the clock
  (frequency, snapshots); experimental batches are counted;
* every event of the per-thread batches, decoded in one compiled pass
  (:mod:`._gotrace_events`, :mod:`._gotrace_kernel`);
* Go's event order, contexts and times: a port of ``internal/trace``'s
  reader and ``order.go`` (:mod:`._gotrace_order`), so each event's thread,
  P, goroutine and time equal ``go tool trace -d=parsed``;
* on first use, the goroutine, region and task tables of Go's summarizer
  (:mod:`._gotrace_summary`, :mod:`._gotrace_tables`).

A pre-1.22 trace, an unknown version or another kind of file raises
:class:`TraceFormatError` saying what it is; a trace cut short keeps its
complete generations, and a generation Go would refuse keeps the events
before the failing one, each with a note in :attr:`GoTrace.notes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from apiprobe.errors import TraceFormatError, WireFormatError
from apiprobe.load._gotrace_events import (
    Batch,
    cpu_frame,
    cpu_samples,
    cursor_order,
    decode_events,
    event_arrays,
    events_frame,
    generations,
)
from apiprobe.load._gotrace_order import order_events
from apiprobe.load._gotrace_specs import EV, LAST_TYPE, SPECS, spec_tables
from apiprobe.load._gotrace_tables import goroutine_table, region_table, task_table
from apiprobe.load._protobuf import read_varint, split_varints

if TYPE_CHECKING:
    from apiprobe.load._gotrace_summary import TraceSummary

__all__ = ["EV", "SPECS", "GoTrace", "parse_go_trace", "read_go_trace"]


_HEADER = re.compile(rb"go 1\.(\d+) trace\x00\x00\x00")


@dataclass
class GoTrace:
    """A decoded Go execution trace, in the order ``go tool trace`` reads it.

    Attributes
    ----------
    events : pandas.DataFrame
        One row per event in Go's order (its reader merges the per-thread
        streams by time and sequence numbers), built on first use: ``gen``,
        ``ts`` (ns since the trace's first event, after Go's +1 ns bump that
        keeps times strictly increasing), ``thread``, ``proc`` and
        ``goroutine`` (the context Go reports, -1 = none), ``kind`` (the
        event's name; ``Sync`` marks the start of a generation and the end of
        the trace), ``stack_id`` (0 = no stack; resolve with ``gen`` in
        ``stacks``); the arguments by meaning (int64, -1 where the event has
        none): ``g`` (the goroutine acted on), ``p``, ``seq``,
        ``other_thread``, ``status``, ``new_stack_id``, ``task``,
        ``parent_task``, ``value``, ``value2``, and as categoricals
        ``reason`` (why a goroutine stopped or blocked), ``name`` (task,
        region, label, log key or stop-the-world kind) and ``text`` (a log
        value); and the state transition the event makes: ``state_goroutine``
        or ``state_proc`` (-1: none), ``from_state``, ``to_state``.
    stacks : pandas.DataFrame
        One row per frame, named like the pprof reader's frames: ``gen``,
        ``stack_id``, ``depth`` (0 = leaf), ``function``, ``file``, ``line``,
        ``address`` (the PC).
    strings : dict
        ``{(gen, id): text}``.
    cpu_samples : pandas.DataFrame
        ``gen``, ``ts``, ``thread``, ``proc``, ``goroutine``, ``stack_id``.
    goroutines, regions, tasks : pandas.DataFrame
        Go's goroutine analysis and its region and task pages, built on first
        use (see :mod:`apiprobe.load._gotrace_tables` for the time categories).
    wall_start : pandas.Timestamp or None
        When ``ts == 0`` happened on the wall clock (Go 1.25+ traces).
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
    #: Go 1.25+: per generation, (gen, ts, monotonic ns, wall ns since the epoch) taken at one instant
    clock_snapshots: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: when ts == 0 happened on the wall clock (UTC), from the first clock snapshot; None before Go 1.25
    wall_start: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
    source: str = "<bytes>"
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def events(self) -> pd.DataFrame:
        """One row per event, in Go's order (built on first use; see the class docstring)."""
        if "events" not in self._cache:
            self._cache["events"] = events_frame(self.arrays, self.version, self.strings)
        return self._cache["events"]  # type: ignore[return-value]

    @property
    def duration_ns(self) -> int:
        """Time from the first to the last event (ns)."""
        ts = self.arrays["ts"]
        return int(ts[-1]) if len(ts) else 0

    def stack_frames(self) -> dict[tuple[int, int], list[tuple[int, str, str, int]]]:
        """``(gen, stack id)`` → its frames, leaf first, as ``(address, function, file, line)`` (built once)."""
        if "frames" not in self._cache:
            st = self.stacks
            out: dict[tuple[int, int], list[tuple[int, str, str, int]]] = {}
            cols = zip(
                st["gen"].tolist(),
                st["stack_id"].tolist(),
                st["address"].tolist(),
                st["function"].tolist(),
                st["file"].tolist(),
                st["line"].tolist(),
                strict=True,
            )
            for g, sid, pc, fn, file, line in cols:
                frame = (int(pc), fn if isinstance(fn, str) else "", file if isinstance(file, str) else "", int(line))
                out.setdefault((g, sid), []).append(frame)
            self._cache["frames"] = out
        return self._cache["frames"]  # type: ignore[return-value]

    def stack_names(self) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]:
        """``(gen, stack id)`` → the function of the stack's root frame, and → of its leaf frame."""
        frames = self.stack_frames()
        return {k: f[-1][1] for k, f in frames.items()}, {k: f[0][1] for k, f in frames.items()}

    def summary(self) -> TraceSummary:
        """Go's per-goroutine and per-region accounting (computed once, on first use)."""
        if "summary" not in self._cache:
            from apiprobe.load._gotrace_summary import summarize  # numba: loaded on first use

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
    """Read a Go execution trace file written by Go 1.22 or later.

    Parameters
    ----------
    path : str or os.PathLike
        The trace (``runtime/trace``, ``/debug/pprof/trace``, ``go test -trace``).

    Returns
    -------
    GoTrace
        See :func:`parse_go_trace`.
    """
    p = Path(path)
    return parse_go_trace(p.read_bytes(), source=str(p))


def parse_go_trace(data: bytes, *, source: str = "<bytes>") -> GoTrace:
    """Decode the bytes of a Go execution trace into a :class:`GoTrace`.

    Parameters
    ----------
    data : bytes
        The whole file.
    source : str, default "<bytes>"
        Names the data in errors and notes.

    Returns
    -------
    GoTrace
        The events in Go's order, with the goroutine, region and task tables.

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
    if ver not in LAST_TYPE:
        raise TraceFormatError(
            f"{source}: unknown Go execution trace version go 1.{ver} (known: 1.22, 1.23, 1.25, 1.26)"
        )
    try:
        return _decode(data, ver, source)
    except TraceFormatError as e:
        if source in str(e):
            raise
        raise TraceFormatError(f"{source}: corrupt Go execution trace: {e}") from None
    except (WireFormatError, IndexError, ValueError, KeyError, OverflowError) as e:
        # damage the checks above did not name (a count or an id pointing outside its batch)
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


def _read_batches(data: bytes, ver: int, source: str) -> tuple[list[Batch], int, str | None]:
    """Every batch of the file, the number of experimental batches, and a note if the file is cut short."""
    out: list[Batch] = []
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
        out.append(Batch(gen, mid, btime, data[pos : pos + size]))
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
    ev_batches: list[Batch] = []
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
    ev = decode_events(cursor_order(ev_batches, gens), ver, ns_per_tick, source)
    cpu = cpu_samples(t.cpu, ns_per_tick)
    strings_by_gen: dict[int, dict[int, str]] = {g: {} for g in gens}
    for (g, sid), text in t.strings.items():
        strings_by_gen.setdefault(g, {})[sid] = text
    cursors = generations(ev, cpu, gens, min_ts, ns_per_tick, strings_by_gen)
    ordered = order_events(cursors, ev["typ"], ev["t"], ev["args"], source=source, names=spec_tables(ver)[1])
    if ordered.error is not None:
        notes.append(ordered.error + "; the events before it are kept")
    start = int(ordered.t[0]) if len(ordered.t) else 0
    # a snapshot's trace time as Go reads it (mul of its ticks), then relative to ts == 0
    snaps = [
        (g, int(float(tk) * ns_per_tick[g]) - start, mono, wall) for g, tk, mono, wall in t.snaps if g in ns_per_tick
    ]
    return GoTrace(
        version=ver,
        arrays=event_arrays(ordered, ev, ver, start),
        stacks=_stack_frame(t),
        strings=t.strings,
        cpu_samples=cpu_frame(cpu, ordered, start),
        frequency=t.freq[gens[0]],
        start_ns=start,
        generations=len(gens),
        experimental_batches=n_exp,
        clock_snapshots=snaps,
        wall_start=pd.Timestamp(snaps[0][3] - snaps[0][1], unit="ns", tz="UTC") if snaps else None,
        notes=notes,
        source=source,
    )


def _strings(body: bytes, gen: int, t: _Tables) -> None:
    pos = 1
    while pos < len(body):
        if body[pos] != EV["String"]:
            raise WireFormatError(f"expected a String event in a strings batch, found type {body[pos]}")
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
            raise WireFormatError(f"expected a Stack event in a stacks batch, found type {v[i]}")
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
            t.snaps.append((gen, last, mono, sec * 1_000_000_000 + nsec))  # the time in ticks, for now
        else:
            raise WireFormatError(f"unexpected event type {typ} in a sync batch")


def _stack_frame(t: _Tables) -> pd.DataFrame:
    rows = np.concatenate(t.stack_rows) if t.stack_rows else np.zeros((0, 7), np.int64)
    df = pd.DataFrame(rows, columns=["gen", "stack_id", "depth", "address", "func_id", "file_id", "line"])
    df["address"] = df["address"].astype(np.uint64)
    df.insert(3, "function", _lookup(t.strings, df["gen"].to_numpy(), df.pop("func_id").to_numpy()))
    df.insert(4, "file", _lookup(t.strings, df["gen"].to_numpy(), df.pop("file_id").to_numpy()))
    return df[["gen", "stack_id", "depth", "function", "file", "line", "address"]]


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
