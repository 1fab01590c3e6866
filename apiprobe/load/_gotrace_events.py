"""Decoding the event batches of a Go execution trace into arrays, and the ``events`` table.

Every event of every per-thread batch is decoded at once with numpy (a
batch is a run of varints; an event starts where a pointer-doubling walk of
"type + number of arguments" lands), times follow Go's arithmetic (each
delta converted to ns and added, per batch), and the per-thread streams are
laid out as the cursors Go's reader merges (:mod:`._gotrace_order`). After
the merge, each event's arguments go to named columns and the state
transition Go derives from it is added.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from apiprobe.errors import SchemaError, TraceFormatError
from apiprobe.load._gotrace_order import Generation, Ordered
from apiprobe.load._gotrace_specs import CPU_SAMPLE, EV, GO_STATE, PROC_STATE, SYNC, spec_tables, type_mask

__all__ = [
    "Batch",
    "TraceArrays",
    "cpu_frame",
    "cpu_samples",
    "cursor_order",
    "decode_events",
    "event_arrays",
    "events_frame",
    "generations",
]


class Batch:
    """One batch of the file: generation, thread (M), base time (ticks) and body."""

    __slots__ = ("body", "gen", "m", "time")

    def __init__(self, gen: int, m: int, time: int, body: bytes) -> None:
        self.gen, self.m, self.time, self.body = gen, m, time, body


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


_STATE_NAMES = ["undetermined", "notexist", "runnable", "running", "waiting", "syscall"]


def decode_events(batches: list[Batch], ver: int, ns_per_tick: dict[int, float], source: str) -> dict[str, np.ndarray]:
    """Every timed event of the event batches: type, Go's time (ns), the arguments, generation, thread."""
    from apiprobe.load._gotrace_kernel import decode_kernel

    nargs, _names, _args = spec_tables(ver)
    if not batches:
        z = np.zeros(0, np.int64)
        return {"typ": z, "t": z, "args": np.zeros((0, 4), np.int64), "gen": z, "m": z, "batch": z}
    buf = np.frombuffer(b"".join(b.body for b in batches), dtype=np.uint8)
    sizes = np.array([len(b.body) for b in batches], dtype=np.int64)
    bend = np.cumsum(sizes)
    bstart = bend - sizes
    bgen = np.array([b.gen for b in batches], dtype=np.int64)
    bf = np.array([ns_per_tick[b.gen] for b in batches], dtype=np.float64)
    btime = np.array([b.time for b in batches], dtype=np.uint64).astype(np.float64)
    typ, t, args, batch, bad = decode_kernel(buf, bstart, bend, btime, bf, nargs)
    if bad >= 0:
        k = int(np.searchsorted(bend, bad, side="right"))
        raise TraceFormatError(
            f"{source}: event batch {k} (generation {int(bgen[k])}): invalid event type {int(buf[bad])} or an "
            f"argument running past the batch, at byte {int(bad - bstart[k])} of {int(sizes[k])} (corrupt trace)"
        )
    mids = np.array([b.m for b in batches], dtype=np.uint64).view(np.int64)
    return {"typ": typ, "t": t, "args": args, "gen": bgen[batch], "m": mids[batch], "batch": batch}


def cpu_samples(parts: list[np.ndarray], ns_per_tick: dict[int, float]) -> np.ndarray:
    """CPU samples as (gen, time ns, m, p, g, stack) rows, by generation then time."""
    if not parts:
        return np.zeros((0, 6), np.int64)
    cpu = np.concatenate(parts)
    f = np.array([ns_per_tick[int(g)] for g in cpu[:, 0]], dtype=np.float64)
    cpu[:, 1] = (cpu[:, 1].astype(np.uint64).astype(np.float64) * f).astype(np.int64)
    return cpu[np.lexsort((cpu[:, 1], cpu[:, 0]))]


def cursor_order(batches: list[Batch], gens: list[int]) -> list[Batch]:
    """Event batches grouped as Go's reader walks them: by generation, then thread (in order of its first batch).

    The batches of one thread keep their file order.
    """
    first: dict[tuple[int, int], int] = {}
    for i, b in enumerate(batches):
        first.setdefault((b.gen, b.m), i)
    rank = {g: r for r, g in enumerate(gens)}
    order = sorted(range(len(batches)), key=lambda i: (rank[batches[i].gen], first[(batches[i].gen, batches[i].m)], i))
    return [batches[i] for i in order]


def generations(
    ev: dict[str, np.ndarray],
    cpu: np.ndarray,
    gens: list[int],
    min_ts: dict[int, int],
    ns_per_tick: dict[int, float],
    strings: dict[int, dict[int, str]],
) -> list[Generation]:
    """The per-thread cursors of each generation: events must come grouped by :func:`cursor_order`."""
    gen, m = ev["gen"], ev["m"]
    n = len(gen)
    cursors: dict[int, list[tuple[int, int, int]]] = {g: [] for g in gens}
    if n:
        change = np.flatnonzero((gen[1:] != gen[:-1]) | (m[1:] != m[:-1])) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [n]])
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            cursors[int(gen[lo])].append((int(m[lo]), lo, hi))
    out = []
    for g in gens:
        sel = np.flatnonzero(cpu[:, 0] == g) if len(cpu) else np.zeros(0, np.int64)
        out.append(
            Generation(
                gen=g,
                min_ts=int(float(min_ts[g]) * ns_per_tick[g]),
                cursors=cursors[g],
                cpu_t=cpu[sel, 1].tolist(),
                cpu_idx=sel.tolist(),
                strings=strings.get(g, {}),
            )
        )
    return out


class TraceArrays(dict[str, np.ndarray]):
    """The events as named arrays; an argument column (``g``, ``task``, ``reason_id`` …) is built on first use.

    Always there: ``typ`` (wire type; 255 = Sync), ``gen``, ``ts``,
    ``thread``, ``proc``, ``goroutine``, ``args`` (n × 4, the arguments
    after the time delta), ``x``/``y`` (what the reader smuggles), the
    transition columns and ``goroutine_ids``.
    """

    def __init__(self, ver: int, data: dict[str, np.ndarray]) -> None:
        super().__init__(data)
        self.ver = ver

    def __missing__(self, key: str) -> np.ndarray:
        if key not in _ARG_COLUMNS and key not in ("stack_id", "new_stack_id"):
            known = ", ".join(sorted([*self, *_ARG_COLUMNS]))
            raise SchemaError(f"the trace's events have no column {key!r}; they have {known}")
        col = _arg_column(self, key)
        self[key] = col
        return col


@functools.cache
def _positions(ver: int) -> dict[str, np.ndarray]:
    """Per column: the argument position (0–3) it takes in each event type (-1: none)."""
    _n, _names, specargs = spec_tables(ver)
    out: dict[str, np.ndarray] = {}
    for tv in range(255):
        for k, arg in enumerate(specargs[tv][1:]):
            out.setdefault(_column(arg), np.full(256, -1, np.int64))[tv] = k
    return out


def _arg_column(a: TraceArrays, name: str) -> np.ndarray:
    typ, args = a["typ"], a["args"]
    pos = _positions(a.ver).get(name)
    empty = 0 if name.endswith("stack_id") else -1
    if pos is None:
        return np.full(len(typ), empty, np.int64)
    from apiprobe.load._gotrace_kernel import arg_column_kernel

    out = arg_column_kernel(typ, args, pos, empty)
    if name == "name_id":  # the stop-the-world kind of an STWEnd is its STWBegin's
        stw_end = typ == EV["STWEnd"]
        out[stw_end] = a["x"][stw_end]
    if empty == 0:
        out[out < 0] = 0
    return out


def event_arrays(o: Ordered, ev: dict[str, np.ndarray], ver: int, start: int) -> TraceArrays:
    """The ordered events (CPU samples aside) as named arrays, with the state transitions Go derives."""
    keep = o.typ != CPU_SAMPLE
    all_kept = bool(keep.all())
    src, typ = (o.src, o.typ) if all_kept else (o.src[keep], o.typ[keep])

    def kept(v: np.ndarray) -> np.ndarray:
        return v if all_kept else v[keep]

    x, y = kept(o.x), kept(o.y)
    real = src >= 0
    all_real = bool(real.all())
    args = ev["args"][np.where(real, src, 0)]
    if not all_real:
        args[~real] = 0
    # what the reader synthesised: GoStart of x, ProcSteal of proc y, GoBlock/GoDestroy without arguments
    syn_start = (~real) & (typ == EV["GoStart"])
    args[syn_start, 0] = x[syn_start]
    args[syn_start, 1] = y[syn_start]
    syn_steal = (~real) & (typ == EV["ProcSteal"])
    args[syn_steal, 0] = y[syn_steal]
    args[syn_steal, 2] = kept(o.m)[syn_steal]
    known = np.where(real, ev["gen"][np.where(real, src, 0)], -1)
    # a Sync opens its generation (the next event's); the final one closes the last
    gen = pd.Series(np.where(known >= 0, known, np.nan)).bfill().ffill().fillna(0).to_numpy(np.int64)
    codes = np.where(typ == SYNC, 255, typ)
    out = TraceArrays(
        ver,
        {
            "typ": codes,
            "gen": gen,
            "ts": kept(o.t) - start,
            "thread": kept(o.m),
            "proc": kept(o.p),
            "goroutine": kept(o.g),
            "args": args,
            "x": x,
            "y": y,
            "goroutine_ids": o.g_ids,
        },
    )
    _transitions(out, codes, x, y)
    return out


# per wire argument: the column that holds it (string ids end in _id; they become text columns)
_COLUMN = {
    "stack": "stack_id",
    "new_stack": "new_stack_id",
    "m": "other_thread",
    "new_g": "g",
    "g_seq": "seq",
    "p_seq": "seq",
    "gc_seq": "seq",
    "pstatus": "status",
    "gstatus": "status",
    "reason_string": "reason_id",
    "kind_string": "name_id",
    "label_string": "name_id",
    "name_string": "name_id",
    "key_string": "name_id",
    "value_string": "text_id",
    "procs_value": "value",
    "heapalloc_value": "value",
    "heapgoal_value": "value",
    "swept_value": "value",
    "reclaimed_value": "value2",
    "id": "value",
    "npages_value": "value2",
    "type": "value2",
    "order": "value2",
    "kindclass": "status",
}
_ARG_COLUMNS = (
    "g",
    "p",
    "seq",
    "other_thread",
    "status",
    "new_stack_id",
    "task",
    "parent_task",
    "value",
    "value2",
    "reason_id",
    "name_id",
    "text_id",
)
_TEXT_COLUMNS = {"reason_id": "reason", "name_id": "name", "text_id": "text"}


def _column(arg: str) -> str:
    return _COLUMN.get(arg, arg)


def events_frame(a: dict[str, np.ndarray], ver: int, strings: dict[tuple[int, int], str]) -> pd.DataFrame:
    """The ``events`` table from the event arrays."""
    _n, names, _args = spec_tables(ver)
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
    cats = pd.Index([*_STATE_NAMES, "idle"])
    cols["state_goroutine"] = a["state_goroutine"]
    cols["state_proc"] = a["state_proc"]
    for c in ("from_state", "to_state"):
        v = a[c]
        code = np.where(a["state_goroutine"] >= 0, v, np.where(a["state_proc"] >= 0, _PROC_CODE[np.clip(v, 0, 3)], -1))
        cols[c] = pd.Categorical.from_codes(code, categories=cats)
    return pd.DataFrame(cols)


_PROC_CODE = np.array([0, 1, 3, 6])  # proc states -> the shared categories (undetermined, notexist, running, idle)


def _transitions(a: dict[str, np.ndarray], typ: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Each event's state transition (Go's StateTransition): ``state_goroutine``/``state_proc``, from, to."""
    n = len(typ)
    ctx_g = a["goroutine"]
    garg = a["g"]
    sg = np.full(n, -1, np.int64)
    sp = np.full(n, -1, np.int64)
    frm = np.full(n, -1, np.int64)
    to = np.full(n, -1, np.int64)
    runnable, running, waiting, syscall, notexist = 2, 3, 4, 5, 1

    def go(types: tuple[int, ...], who: np.ndarray, old: int, new: int) -> None:
        sel = type_mask(typ, types)
        sg[sel], frm[sel], to[sel] = who[sel], old, new

    go((EV["GoCreate"],), garg, notexist, runnable)
    go((EV["GoCreateBlocked"],), garg, notexist, waiting)
    go((EV["GoCreateSyscall"],), garg, notexist, syscall)
    go((EV["GoStart"],), garg, runnable, running)
    go((EV["GoDestroy"],), ctx_g, running, notexist)
    go((EV["GoDestroySyscall"],), ctx_g, syscall, notexist)
    go((EV["GoStop"],), ctx_g, running, runnable)
    go((EV["GoBlock"],), ctx_g, running, waiting)
    go((EV["GoUnblock"], EV["GoSwitch"], EV["GoSwitchDestroy"]), garg, waiting, runnable)
    go((EV["GoSyscallBegin"],), ctx_g, running, syscall)
    go((EV["GoSyscallEnd"],), ctx_g, syscall, running)
    go((EV["GoSyscallEndBlocked"],), ctx_g, syscall, runnable)
    st = type_mask(typ, (EV["GoStatus"], EV["GoStatusStack"]))
    sg[st], frm[st] = garg[st], x[st]
    to[st] = np.asarray(GO_STATE)[np.clip(a["status"][st], 0, 4)]
    pstate = np.asarray(PROC_STATE)
    p_running, p_idle = 2, 3
    p = a["p"]
    sel = typ == EV["ProcStart"]
    sp[sel], frm[sel], to[sel] = p[sel], p_idle, p_running
    sel = typ == EV["ProcStop"]
    sp[sel], frm[sel], to[sel] = a["proc"][sel], p_running, p_idle
    sel = typ == EV["ProcSteal"]
    sp[sel], frm[sel], to[sel] = p[sel], np.where(x[sel] == 4, p_idle, p_running), p_idle
    sel = typ == EV["ProcStatus"]
    sp[sel], frm[sel], to[sel] = p[sel], x[sel], pstate[np.clip(y[sel], 0, 4)]
    a["state_goroutine"] = sg
    a["state_proc"] = np.where(sg >= 0, -1, sp)
    a["from_state"] = frm
    a["to_state"] = to


def cpu_frame(cpu: np.ndarray, o: Ordered, start: int) -> pd.DataFrame:
    """CPU samples with Go's (bumped) times, in the order the reader emitted them."""
    rows = o.src[o.typ == CPU_SAMPLE]
    df = pd.DataFrame(
        cpu[rows] if len(rows) else np.zeros((0, 6), np.int64),
        columns=["gen", "ts", "thread", "proc", "goroutine", "stack_id"],
    )
    df["ts"] = o.t[o.typ == CPU_SAMPLE] - start
    return df
