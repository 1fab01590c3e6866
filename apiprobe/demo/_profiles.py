"""Deterministic demo CPU profiles of a Go HTTP service (gzip pprof bytes).

A tiny protobuf *writer* (varints and length-delimited fields only) builds
``profile.proto`` messages the way Go's ``runtime/pprof`` lays them out:
sample types ``samples/count`` and ``cpu/nanoseconds``, period 10 ms,
``handler`` labels, one mapping, inlined frames (several ``Line`` entries
per location, caller last). The *incident* profile has a mutex-contention
and GC-heavy hot path under ``/v1/charge``; the baseline does not.

The demo incident's own payments service (go-pg, ``PoolSize`` 20, see
:mod:`apiprobe.demo._incident_story`) has a profile of its own
(``demo_cpu_profile(cause="pg_pool")``): a reconciliation job's workers
scanning rows of their long queries, the charge handlers queueing in
go-pg's pool; and a heap profile of the same moment
(:func:`demo_heap_profile`, sample types ``alloc_*``/``inuse_*``).
"""

from __future__ import annotations

import gzip
import io
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from apiprobe.errors import InvalidParameterError

__all__ = ["demo_cpu_profile", "demo_heap_profile", "write_demo_profiles"]

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
    def __init__(
        self,
        sample_types: tuple[tuple[str, str], ...] = (("samples", "count"), ("cpu", "nanoseconds")),
        period_type: tuple[str, str] = ("cpu", "nanoseconds"),
        period: int = _PERIOD_NS,
        binary: str = "/srv/payments-api",
        file_of: Callable[[str], str] | None = None,
    ) -> None:
        self.binary = binary
        self.file_of = file_of or _file_of
        self.sample_types = sample_types
        self.period_type = period_type
        self.period = period
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
            self.func_files[name] = self.file_of(name)
        return self.functions[name]

    def loc(self, frames: tuple[tuple[str, int], ...]) -> int:
        if frames not in self.locations:
            for name, _ in frames:
                self.func(name)
            self.locations[frames] = len(self.locations) + 1
        return self.locations[frames]

    def add(self, stack_root_first: list[tuple[tuple[str, int], ...]], count: int, labels: dict[str, str]) -> None:
        """A CPU sample: ``count`` samples of one period each."""
        self.add_values(stack_root_first, [count, count * _PERIOD_NS], labels)

    def add_values(
        self, stack_root_first: list[tuple[tuple[str, int], ...]], values: list[int], labels: dict[str, str]
    ) -> None:
        ids = [self.loc(fr) for fr in reversed(stack_root_first)]
        self.samples.append((ids, values, labels))

    def encode(self, time_ns: int = _TIME_NS, duration_ns: int = _DURATION_NS) -> bytes:
        out = io.BytesIO()
        for t, u in self.sample_types:
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
                + _vfield(5, self.s(self.binary))
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
        kind, unit = self.period_type
        self.s(kind)
        self.s(unit)
        strings = sorted(self.strings.items(), key=lambda kv: kv[1])
        for text, _ in strings:
            out.write(_bfield(6, text.encode()))
        out.write(_vfield(9, time_ns))
        if duration_ns:  # Go leaves it out of heap profiles (zero: not written)
            out.write(_vfield(10, duration_ns))
        out.write(_bfield(11, _vfield(1, self.strings[kind]) + _vfield(2, self.strings[unit])))
        out.write(_vfield(12, self.period))
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


def _build(incident: bool, seed: int, time_ns: int = _TIME_NS) -> bytes:
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
    return gzip.compress(w.encode(time_ns=time_ns), compresslevel=9, mtime=0)


# -- payments on go-pg: its pool drained by a reconciliation job (the demo incident's root cause) --

_PG = "/go/pkg/mod/github.com/go-pg/pg/v10@v10.11.1"
_PGPOOL = "github.com/go-pg/pg/v10/internal/pool"
_OTEL = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
_FILES: dict[str, str] = {
    **{
        f"github.com/go-pg/pg/v10.{fn}": f"{_PG}/{file}"
        for fn, file in (
            ("(*baseDB).QueryContext", "base.go"),
            ("(*baseDB).query", "base.go"),
            ("(*baseDB).query.func1", "base.go"),
            ("(*baseDB).query.func1.2", "base.go"),
            ("(*baseDB).withConn", "base.go"),
            ("(*baseDB).getConn", "base.go"),
            ("(*baseDB).BeginContext", "tx.go"),
            ("(*Tx).begin", "tx.go"),
            ("(*Tx).ExecContext", "tx.go"),
            ("(*Tx).exec", "tx.go"),
            ("(*Tx).exec.func1", "tx.go"),
            ("(*Tx).withConn", "tx.go"),
            ("(*Tx).CommitContext", "tx.go"),
            ("readSimpleQueryData", "messages.go"),
            ("readSimpleQuery", "messages.go"),
            ("readDataRow", "messages.go"),
            ("readMessageType", "messages.go"),
            ("writeQueryMsg", "messages.go"),
        )
    },
    **{
        f"{_PGPOOL}.{fn}": f"{_PG}/internal/pool/{file}"
        for fn, file in (
            ("(*ConnPool).Get", "pool.go"),
            ("(*ConnPool).waitTurn", "pool.go"),
            ("(*ConnPool).popIdle", "pool.go"),
            ("(*ConnPool).Put", "pool.go"),
            ("(*ConnPool).reaper", "pool.go"),
            ("(*ConnPool).ReapStaleConns", "pool.go"),
            ("(*StickyConnPool).Get", "pool_sticky.go"),
            ("(*Conn).WithReader", "conn.go"),
            ("(*Conn).WithWriter", "conn.go"),
            ("(*BufReader).ReadByte", "reader_buf.go"),
            ("(*BufReader).ReadSlice", "reader_buf.go"),
            ("(*BufReader).ReadN", "reader_buf.go"),
            ("(*BufReader).fill", "reader_buf.go"),
        )
    },
    "github.com/go-pg/pg/v10/orm.(*sliceTableModel).NextColumnScanner": f"{_PG}/orm/model_table_slice.go",
    "github.com/go-pg/pg/v10/orm.(*structTableModel).ScanColumn": f"{_PG}/orm/model_table_struct.go",
    "github.com/go-pg/pg/v10/types.Scan": f"{_PG}/types/scan.go",
    "github.com/go-pg/pg/v10/types.scanTime": f"{_PG}/types/scan_value.go",
    "github.com/go-pg/pg/v10/types.ParseTime": f"{_PG}/types/time.go",
    f"{_OTEL}.(*middleware).serveHTTP": "/go/pkg/mod/go.opentelemetry.io/contrib/instrumentation/net/http/"
    "otelhttp@v0.49.0/handler.go",
    "github.com/sirupsen/logrus.(*Entry).log": "/go/pkg/mod/github.com/sirupsen/logrus@v1.9.3/entry.go",
    "github.com/sirupsen/logrus.(*TextFormatter).Format": "/go/pkg/mod/github.com/sirupsen/logrus@v1.9.3/"
    "text_formatter.go",
    "main.(*Reconciler).worker": "/app/internal/payments/reconcile.go",
    "main.(*Reconciler).scanShard": "/app/internal/payments/reconcile.go",
    "main.(*Reconciler).compare": "/app/internal/payments/reconcile.go",
    "main.(*ChargeHandler).ServeHTTP": "/app/internal/payments/charge.go",
    "main.(*ChargeHandler).charge": "/app/internal/payments/charge.go",
}


def _pg_file_of(name: str) -> str:
    """Source files as payments' container build has them (GOROOT /usr/local/go, module cache /go/pkg/mod)."""
    return _FILES.get(name) or _file_of(name).replace("/usr/lib/go/src/", "/usr/local/go/src/")


def _pg(name: str, line: int) -> tuple[tuple[str, int], ...]:
    return _f(f"github.com/go-pg/pg/v10.{name}", line)


def _pool(name: str, line: int) -> tuple[tuple[str, int], ...]:
    return _f(f"{_PGPOOL}.{name}", line)


# the reconciliation job's workers: one long SELECT per shard, its rows scanned into structs
_JOB = [
    _f("runtime.goexit", 1650),
    _f("main.(*Reconciler).worker", 74),
    _f("main.(*Reconciler).scanShard", 118),
]
_JOB_QUERY = [
    *_JOB,
    _pg("(*baseDB).QueryContext", 308),
    _pg("(*baseDB).query", 333),
    _pg("(*baseDB).withConn", 149),
    _pg("(*baseDB).query.func1", 346),
    _pool("(*Conn).WithReader", 84),
    _pg("(*baseDB).query.func1.2", 347),
    _pg("readSimpleQueryData", 1039),
]
_ROW = [*_JOB_QUERY, _pg("readDataRow", 1172)]
_SCAN = [
    *_ROW,
    _f("github.com/go-pg/pg/v10/orm.(*structTableModel).ScanColumn", 305),
    _f("github.com/go-pg/pg/v10/types.Scan", 47),
]
# a charge: BEGIN needs a connection of its own; the pool's queue is full, so it waits (PoolTimeout 500 ms)
_CHARGE = [
    _f("runtime.goexit", 1650),
    _f("net/http.(*conn).serve", 2009),
    _f("net/http.serverHandler.ServeHTTP", 2938),
    _f(f"{_OTEL}.(*middleware).serveHTTP", 225),
    _f("main.(*ChargeHandler).ServeHTTP", 41),
    _f("main.(*ChargeHandler).charge", 74),
]
_BEGIN = [
    *_CHARGE,
    _pg("(*baseDB).BeginContext", 66),
    _pg("(*Tx).begin", 345),
    _pg("(*Tx).ExecContext", 182),
    _pg("(*Tx).exec", 194),
    _pg("(*Tx).withConn", 98),
    _pg("(*baseDB).withConn", 134),
    _pg("(*baseDB).getConn", 81),
    _pool("(*StickyConnPool).Get", 71),
    _pool("(*ConnPool).Get", 221),
]
_WAIT_TURN = [*_BEGIN, _pool("(*ConnPool).waitTurn", 280)]


def _build_pg_pool(seed: int) -> _Writer:
    """payments while a reconciliation job holds 16 of its 20 go-pg connections."""
    rng = random.Random(seed)
    w = _Writer(binary="/app/payments", file_of=_pg_file_of)
    job = {"job": "ledger-reconcile"}
    charge = {"handler": "/v1/charge"}
    plans: list[tuple[list[tuple[tuple[str, int], ...]], int, dict[str, str]]] = [
        (
            [
                *_SCAN,
                _f("github.com/go-pg/pg/v10/types.scanTime", 212),
                _f("github.com/go-pg/pg/v10/types.ParseTime", 31),
                _f("time.parse", 1042),
            ],
            96,
            job,
        ),
        ([*_SCAN, _f("strconv.ParseInt", 201)], 118, job),
        ([*_SCAN, _f("runtime.slicebytetostring", 111), _f("runtime.mallocgc", 1171)], 84, job),
        (
            [
                *_ROW,
                _f("github.com/go-pg/pg/v10/orm.(*sliceTableModel).NextColumnScanner", 110),
                _f("reflect.Append", 2223),
                _f("runtime.growslice", 266),
                _f("runtime.memmove", 193),
            ],
            61,
            job,
        ),
        ([*_ROW, _pool("(*BufReader).ReadSlice", 188), _f("runtime.memmove", 193)], 47, job),
        (
            [
                *_JOB_QUERY,
                _pg("readMessageType", 1300),
                _pool("(*BufReader).ReadByte", 339),
                _pool("(*BufReader).fill", 109),
                _f("net.(*conn).Read", 179),
                _f("internal/poll.(*FD).Read", 164),
                _f("syscall.Syscall", 69),
            ],
            52,
            job,
        ),
        ([*_JOB, _f("main.(*Reconciler).compare", 161), _f("runtime.mapaccess2_faststr", 108)], 57, job),
        ([*_JOB, _f("main.(*Reconciler).compare", 166), _f("runtime.memequal", 37)], 18, job),
        ([*_WAIT_TURN, _f("runtime.selectgo", 327), _f("runtime.sellock", 160), _f("runtime.lock2", 114)], 31, charge),
        (
            [*_WAIT_TURN, _f("time.(*Timer).Reset", 145), _f("runtime.resettimer", 545), _f("runtime.modtimer", 443)],
            22,
            charge,
        ),
        ([*_WAIT_TURN, _f("sync.(*Pool).Get", 144)], 6, charge),
        (
            [
                *_BEGIN,
                _pool("(*ConnPool).popIdle", 348),
                _LOCK_PG,
                _f("sync.(*Mutex).lockSlow", 171),
                _f("runtime.semacquire1", 150),
                _f("runtime.futex", 589),
            ],
            19,
            charge,
        ),
        (
            [
                *_CHARGE,
                _f("github.com/sirupsen/logrus.(*Entry).log", 226),
                _f("github.com/sirupsen/logrus.(*TextFormatter).Format", 170),
                _f("runtime.mallocgc", 1171),
            ],
            24,
            charge,
        ),
        ([*_CHARGE, *_JSON, _JSON_STRING], 12, charge),
        (
            [
                *_CHARGE,
                _pg("(*Tx).ExecContext", 182),
                _pg("(*Tx).exec", 194),
                _pg("(*Tx).withConn", 98),
                _pg("(*Tx).exec.func1", 201),
                _pool("(*Conn).WithWriter", 103),
                _pg("writeQueryMsg", 1414),
            ],
            9,
            charge,
        ),
        (
            [
                _f("runtime.goexit", 1650),
                _pool("(*ConnPool).reaper", 441),
                _pool("(*ConnPool).ReapStaleConns", 462),
                _LOCK_PG,
            ],
            3,
            {},
        ),
    ]
    for stack, n, labels in plans:
        remaining = n
        while remaining > 0:
            c = min(remaining, rng.randint(1, 4))
            remaining -= c
            w.add(stack, c, labels)
    for leaf, n in (
        (_f("runtime.scanobject", 1312), 88),
        (_f("runtime.markBits.isMarked", 223), 41),
        (_f("runtime.findObject", 333), 23),
    ):
        remaining = n
        while remaining > 0:
            c = min(remaining, rng.randint(1, 5))
            remaining -= c
            w.add([*_GC, leaf], c, {})
    return w


# sync.(*Mutex).Lock's fast path inlined into go-pg's pool (connsMu)
_LOCK_PG = (("sync.(*Mutex).Lock", 83), (f"{_PGPOOL}.(*ConnPool).popIdle", 348))

_HEAP_TYPES = (
    ("alloc_objects", "count"),
    ("alloc_space", "bytes"),
    ("inuse_objects", "count"),
    ("inuse_space", "bytes"),
)
_HEAP_RATE = 512 * 1024


def _build_pg_heap(seed: int) -> _Writer:
    """payments' heap at the same moment: the job's scanned rows and go-pg's read buffers dominate."""
    rng = random.Random(seed)
    w = _Writer(
        sample_types=_HEAP_TYPES,
        period_type=("space", "bytes"),
        period=_HEAP_RATE,
        binary="/app/payments",
        file_of=_pg_file_of,
    )
    leaves: list[tuple[list[tuple[tuple[str, int], ...]], int, int, float]] = [
        # stack, object size, allocations (sampled), share still in use
        (
            [
                *_ROW,
                _f("github.com/go-pg/pg/v10/orm.(*sliceTableModel).NextColumnScanner", 110),
                _f("reflect.Append", 2223),
                _f("runtime.growslice", 266),
            ],
            1_048_576,
            2_900,
            0.02,
        ),
        ([*_SCAN, _f("runtime.slicebytetostring", 111)], 48, 1_900_000, 0.35),
        ([*_JOB_QUERY, _pool("(*BufReader).ReadSlice", 188), _f("runtime.growslice", 266)], 65_536, 4_100, 0.01),
        ([*_JOB, _f("main.(*Reconciler).compare", 158), _f("runtime.mapassign_faststr", 203)], 4_096, 61_000, 0.1),
        ([*_CHARGE, *_JSON, _f("runtime.mallocgc", 1171)], 512, 210_000, 0.01),
        (
            [*_CHARGE, _f("github.com/sirupsen/logrus.(*Entry).log", 226), _f("runtime.mallocgc", 1171)],
            384,
            180_000,
            0.0,
        ),
    ]
    for stack, size, allocs, live in leaves:  # one sample per stack, as Go's heap profile has one per bucket
        n = allocs + rng.randrange(0, allocs // 20 + 1)
        inuse = int(n * live * rng.uniform(0.9, 1.1))
        w.add_values(stack, [n, n * size, inuse, inuse * size], {})
    return w


def _ns_of(iso: str) -> int:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _gz(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=9, mtime=0)


def demo_heap_profile(*, start: str = "2026-03-14T10:06:30Z") -> bytes:
    """A gzip pprof heap profile of the go-pg payments service during the demo incident.

    Parameters
    ----------
    start : str, default "2026-03-14T10:06:30Z"
        The profile's ``time_nanos`` (ISO 8601, UTC).

    Returns
    -------
    bytes
        A gzip-compressed ``profile.proto`` message (sample types ``alloc_objects``,
        ``alloc_space``, ``inuse_objects``, ``inuse_space``; period 512 KiB).
    """
    return _gz(_build_pg_heap(seed=23).encode(time_ns=_ns_of(start), duration_ns=0))


def demo_cpu_profile(*, incident: bool = True, cause: str = "mutex", start: str | None = None) -> bytes:
    """A gzip pprof CPU profile of a Go payments API (deterministic bytes).

    ``incident=True``, ``cause="mutex"``: ``/v1/charge`` contends on a mutex
    (``sync.(*Mutex).lockSlow`` → ``runtime.semacquire1``) and allocates
    more, so GC mark work (``runtime.gcDrain``) grows too.
    ``incident=True``, ``cause="pg_pool"``: the demo incident's payments
    (go-pg, ``PoolSize`` 20): the reconciliation job's workers (label
    ``job=ledger-reconcile``) scan rows of one long query each (go-pg's
    ``readDataRow``, ``types.Scan``, ``strconv``, allocation and GC), and
    the charge handlers (label ``handler=/v1/charge``) spend theirs in the
    pool (``internal/pool.(*ConnPool).waitTurn``, its timer and ``selectgo``,
    ``popIdle``'s mutex).
    ``incident=False``: the healthy baseline (``cause`` is ignored).

    Parameters
    ----------
    incident : bool, default True
        The incident profile (True) or the quiet baseline (False).
    cause : {"mutex", "pg_pool"}, default "mutex"
        Which incident.
    start : str, optional
        The profile's ``time_nanos`` (ISO 8601, UTC); by default
        2026-01-01T00:00:00Z.

    Returns
    -------
    bytes
        A gzip-compressed ``profile.proto`` message (30 s, 10 ms period, sample
        types ``samples/count`` and ``cpu/nanoseconds``, ``handler`` labels).

    Raises
    ------
    InvalidParameterError
        An unknown ``cause``, or a ``start`` that is not an ISO 8601 time.
    """
    if cause not in ("mutex", "pg_pool"):
        raise InvalidParameterError(f"cause must be 'mutex' or 'pg_pool', got {cause!r}")
    try:
        time_ns = _TIME_NS if start is None else _ns_of(start)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidParameterError(f"start must be an ISO 8601 time, got {start!r}") from exc
    if incident and cause == "pg_pool":
        return _gz(_build_pg_pool(seed=19).encode(time_ns=time_ns))
    return _build(incident, seed=7 if incident else 11, time_ns=time_ns)


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
