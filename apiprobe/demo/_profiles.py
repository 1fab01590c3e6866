"""Deterministic demo CPU profiles of a Go HTTP service (gzip pprof bytes).

A tiny protobuf *writer* (varints and length-delimited fields only) builds
``profile.proto`` messages the way Go's ``runtime/pprof`` lays them out:
sample types ``samples/count`` and ``cpu/nanoseconds``, period 10 ms,
``handler`` labels, one mapping, inlined frames (several ``Line`` entries
per location, caller last). The *incident* profile has a mutex-contention
and GC-heavy hot path under ``/v1/charge``; the baseline does not.
"""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

__all__ = ["demo_cpu_profile", "write_demo_profiles"]

_PERIOD_NS = 10_000_000
_TIME_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
_DURATION_NS = 30_000_000_000


def _varint(v: int) -> bytes:
    if v < 0:
        v += 1 << 64
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _vfield(num: int, v: int) -> bytes:
    return _varint(num << 3) + _varint(v)


def _bfield(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _packed(num: int, vals: list[int]) -> bytes:
    # Go packs repeated scalars only when there are more than two of them.
    if len(vals) > 2:
        return _bfield(num, b"".join(_varint(v) for v in vals))
    return b"".join(_vfield(num, v) for v in vals)


class _Writer:
    def __init__(self) -> None:
        self.strings: dict[str, int] = {"": 0}
        self.functions: dict[str, int] = {}
        self.func_files: dict[str, str] = {}
        self.locations: dict[tuple[tuple[str, int], ...], int] = {}
        self.samples: list[tuple[list[int], list[int], dict[str, str]]] = []

    def s(self, text: str) -> int:
        if text not in self.strings:
            self.strings[text] = len(self.strings)
        return self.strings[text]

    def func(self, name: str) -> int:
        if name not in self.functions:
            self.functions[name] = len(self.functions) + 1
            self.func_files[name] = _file_of(name)
        return self.functions[name]

    def loc(self, frames: tuple[tuple[str, int], ...]) -> int:
        if frames not in self.locations:
            for name, _ in frames:
                self.func(name)
            self.locations[frames] = len(self.locations) + 1
        return self.locations[frames]

    def add(self, stack_root_first: list[tuple[tuple[str, int], ...]], count: int, labels: dict[str, str]) -> None:
        ids = [self.loc(fr) for fr in reversed(stack_root_first)]
        self.samples.append((ids, [count, count * _PERIOD_NS], labels))

    def encode(self) -> bytes:
        out = io.BytesIO()
        for t, u in (("samples", "count"), ("cpu", "nanoseconds")):
            out.write(_bfield(1, _vfield(1, self.s(t)) + _vfield(2, self.s(u))))
        for ids, vals, labels in self.samples:
            body = _packed(1, ids) + _packed(2, vals)
            for k, v in labels.items():
                body += _bfield(3, _vfield(1, self.s(k)) + _vfield(2, self.s(v)))
            out.write(_bfield(2, body))
        out.write(
            _bfield(
                3,
                _vfield(1, 1)
                + _vfield(2, 0x400000)
                + _vfield(3, 0x1000000)
                + _vfield(5, self.s("/srv/payments-api"))
                + _vfield(7, 1)
                + _vfield(8, 1)
                + _vfield(9, 1)
                + _vfield(10, 1),
            )
        )
        for frames, lid in self.locations.items():
            body = _vfield(1, lid) + _vfield(2, 1) + _vfield(3, 0x401000 + 0x40 * lid)
            for name, line in frames:  # innermost first, caller last
                body += _bfield(4, _vfield(1, self.functions[name]) + _vfield(2, line))
            out.write(_bfield(4, body))
        for name, fid in self.functions.items():
            out.write(
                _bfield(
                    5,
                    _vfield(1, fid)
                    + _vfield(2, self.s(name))
                    + _vfield(3, self.s(name))
                    + _vfield(4, self.s(self.func_files[name])),
                )
            )
        self.s("cpu")
        self.s("nanoseconds")
        strings = sorted(self.strings.items(), key=lambda kv: kv[1])
        for text, _ in strings:
            out.write(_bfield(6, text.encode()))
        out.write(_vfield(9, _TIME_NS) + _vfield(10, _DURATION_NS))
        out.write(_bfield(11, _vfield(1, self.strings["cpu"]) + _vfield(2, self.strings["nanoseconds"])))
        out.write(_vfield(12, _PERIOD_NS))
        return out.getvalue()


def _file_of(name: str) -> str:
    pkg = name.split(".")[0]
    if pkg == "main":
        return "/srv/payments-api/main.go"
    return f"/usr/lib/go/src/{pkg}/{pkg.rsplit('/', 1)[-1]}.go"


def _f(name: str, line: int) -> tuple[tuple[str, int], ...]:
    return ((name, line),)


_SERVE = [
    _f("runtime.goexit", 1594),
    _f("net/http.(*conn).serve", 1995),
    _f("net/http.serverHandler.ServeHTTP", 2947),
    _f("net/http.(*ServeMux).ServeHTTP", 2485),
    _f("net/http.HandlerFunc.ServeHTTP", 2122),
]
_JSON = [
    _f("encoding/json.Marshal", 161),
    _f("encoding/json.(*encodeState).marshal", 294),
    _f("encoding/json.(*encodeState).reflectValue", 321),
    _f("encoding/json.structEncoder.encode", 760),
]
# inlined: isValidNumber inlined into (*encodeState).string
_JSON_STRING = (("encoding/json.isValidNumber", 640), ("encoding/json.(*encodeState).string", 1047))
# inlined: sync.(*Mutex).Lock fast path inlined into main.(*ledger).Record
_LOCK = (("sync.(*Mutex).Lock", 83), ("main.(*ledger).Record", 57))
_DB = [_f("main.(*store).Get", 88), _f("database/sql.(*DB).QueryContext", 1717), _f("syscall.Syscall", 22)]
_GC = [
    _f("runtime.gcBgMarkWorker", 1295),
    _f("runtime.systemstack", 492),
    _f("runtime.gcBgMarkWorker.func2", 1353),
    _f("runtime.gcDrain", 1116),
]


def _build(incident: bool, seed: int) -> bytes:
    rng = random.Random(seed)
    w = _Writer()
    h_charge = [*_SERVE, _f("main.(*api).charge", 112)]
    h_refund = [*_SERVE, _f("main.(*api).refunds", 141)]
    h_health = [*_SERVE, _f("main.(*api).healthz", 170)]
    scale = 3 if incident else 1
    plans: list[tuple[list[tuple[tuple[str, int], ...]], int, str]] = [
        (h_charge + _JSON + [_JSON_STRING], 40, "/v1/charge"),
        (h_charge + _JSON + [_f("runtime.mallocgc", 1171)], 25 * scale, "/v1/charge"),
        ([*h_charge, *_DB], 30, "/v1/charge"),
        ([*h_charge, _LOCK], 6, "/v1/charge"),
        (
            [
                *h_charge,
                _LOCK,
                _f("sync.(*Mutex).lockSlow", 171),
                _f("runtime.semacquire1", 150),
                _f("runtime.futex", 589),
            ],
            2 + 60 * (scale - 1),
            "/v1/charge",
        ),
        (h_refund + _JSON + [_JSON_STRING], 15, "/v1/refunds"),
        ([*h_refund, *_DB], 12, "/v1/refunds"),
        ([*h_health, _f("runtime.mallocgc", 1171)], 3, "/healthz"),
    ]
    for stack, n, handler in plans:
        remaining = n
        while remaining > 0:
            c = min(remaining, rng.randint(1, 4))
            remaining -= c
            w.add(stack, c, {"handler": handler})
    gc_n = 20 * scale * scale
    for leaf, share in ((_f("runtime.scanobject", 1312), 0.6), (_f("runtime.markBits.isMarked", 223), 0.4)):
        remaining = int(gc_n * share)
        while remaining > 0:
            c = min(remaining, rng.randint(1, 5))
            remaining -= c
            w.add([*_GC, leaf], c, {})
    return gzip.compress(w.encode(), compresslevel=9, mtime=0)


def demo_cpu_profile(*, incident: bool = True) -> bytes:
    """A gzip pprof CPU profile of a Go payments API (deterministic bytes).

    ``incident=True``: ``/v1/charge`` contends on a mutex
    (``sync.(*Mutex).lockSlow`` → ``runtime.semacquire1``) and allocates
    more, so GC mark work (``runtime.gcDrain``) grows too.
    ``incident=False``: the healthy baseline.

    Parameters
    ----------
    incident : bool, default True
        The incident profile (True) or the quiet baseline (False).

    Returns
    -------
    bytes
        A gzip-compressed ``profile.proto`` message (30 s, 10 ms period, sample
        types ``samples/count`` and ``cpu/nanoseconds``, ``handler`` labels).
    """
    return _build(incident, seed=7 if incident else 11)


def write_demo_profiles(out_dir: str | Path) -> dict[str, Path]:
    """Write ``cpu.pb.gz`` (incident) and ``cpu_baseline.pb.gz`` into ``out_dir``.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into (created if needed).

    Returns
    -------
    dict of str to pathlib.Path
        ``{"cpu": …/cpu.pb.gz, "cpu_baseline": …/cpu_baseline.pb.gz}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"cpu": out / "cpu.pb.gz", "cpu_baseline": out / "cpu_baseline.pb.gz"}
    paths["cpu"].write_bytes(demo_cpu_profile(incident=True))
    paths["cpu_baseline"].write_bytes(demo_cpu_profile(incident=False))
    return paths
