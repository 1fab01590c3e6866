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

import numpy as np
import pandas as pd

from apiprobe.errors import TraceFormatError
from apiprobe.load._gotrace_order import CPU_SAMPLE, GO_STATE, PROC_STATE, SYNC, Generation, Ordered
from apiprobe.load._gotrace_specs import EV, spec_tables
from apiprobe.load._protobuf import read_varint, split_varints

__all__ = ["Batch", "cpu_frame", "cpu_samples", "decode_events", "event_arrays", "events_frame", "generations"]


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


def decode_events(batches: list[Batch], ver: int, ns_per_tick: dict[int, float], source: str) -> dict[str, np.ndarray]:
    """Every timed event of the event batches: type, Go's time (ns), the arguments, generation, thread."""
    nargs, _names, _args = spec_tables(ver)
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


def cpu_samples(parts: list[np.ndarray], ns_per_tick: dict[int, float]) -> np.ndarray:
    """CPU samples as (gen, time ns, m, p, g, stack) rows, by generation then time."""
    if not parts:
        return np.zeros((0, 6), np.int64)
    cpu = np.concatenate(parts)
    f = np.array([ns_per_tick[int(g)] for g in cpu[:, 0]], dtype=np.float64)
    cpu[:, 1] = (cpu[:, 1].astype(np.uint64).astype(np.float64) * f).astype(np.int64)
    return cpu[np.lexsort((cpu[:, 1], cpu[:, 0]))]


def generations(
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
                gen=g,
                min_ts=int(float(min_ts[g]) * ns_per_tick[g]),
                cursors=cursors[g],
                cpu_t=cpu[sel, 1].tolist(),
                cpu_idx=sel.tolist(),
                strings=strings.get(g, {}),
            )
        )
    return out


def event_arrays(o: Ordered, ev: dict[str, np.ndarray], ver: int, start: int) -> dict[str, np.ndarray]:
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
    known = np.full(n, -1, np.int64)
    known[real] = ev["gen"][src[real]]
    # a Sync opens its generation (the next event's); the final one closes the last
    gen = pd.Series(np.where(known >= 0, known, np.nan)).bfill().ffill().fillna(0).to_numpy(np.int64)
    codes = np.where(typ == SYNC, 255, typ)
    out: dict[str, np.ndarray] = {
        "typ": codes,
        "gen": gen,
        "ts": o.t[keep] - start,
        "thread": o.m[keep],
        "proc": o.p[keep],
        "goroutine": o.g[keep],
        "stack_id": np.zeros(n, np.int64),
    }
    _n, _names, specargs = spec_tables(ver)
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
        sel = np.isin(typ, types)
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
    st = np.isin(typ, (EV["GoStatus"], EV["GoStatusStack"]))
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
