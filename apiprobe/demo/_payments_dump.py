"""The demo incident's goroutine dump of payments: its go-pg pool drained by a reconciliation job.

What the on-call pulled from ``payments:6060/debug/pprof/goroutine?debug=2``
at 10:06:00 (Go 1.22, go-pg v10.11.1, ``PoolSize`` 20; the story is in
:mod:`apiprobe.demo._incident_story`):

* ``job_workers`` goroutines of the ``ledger-reconcile`` job, each holding a
  connection inside one long ``SELECT`` (state ``IO wait``, minutes long, in
  go-pg's ``readSimpleQueryData`` → ``(*BufReader).fill`` → ``net.(*conn).Read``),
  and their coordinator in ``sync.(*WaitGroup).Wait``;
* ``holding`` charge handlers holding a connection (``IO wait`` inside
  ``(*Tx).ExecContext``: the ``INSERT`` of their charge);
* ``waiting`` charge handlers queued for a connection in
  ``github.com/go-pg/pg/v10/internal/pool.(*ConnPool).waitTurn`` (state
  ``select``, under a minute: the pool timeout is 500 ms, new ones keep
  arriving), which :func:`apiprobe.load.read_goroutines` classifies as
  ``pool_wait``;
* one ``net/http.(*connReader).backgroundRead`` per running handler, idle
  keep-alive connections, both listeners (API and pprof/metrics), go-pg's
  reaper, the OpenTelemetry batch span processor, the pool-stats logger,
  ``os/signal`` and the runtime's own goroutines.

Same arguments, same bytes (:func:`demo_payments_goroutine_dump`).
"""

from __future__ import annotations

import random

from apiprobe.demo._goroutines import _minutes, _net_read, _poll_desc, _Writer

__all__ = ["PAYMENTS_DUMP_TIME", "demo_payments_goroutine_dump"]

#: When the dump was taken (ISO 8601, UTC): six minutes into the pool exhaustion.
PAYMENTS_DUMP_TIME = "2026-03-14T10:06:00Z"

_GOROOT = "/usr/local/go/src"
_APP = "/app/internal/payments"
_PG = "/go/pkg/mod/github.com/go-pg/pg/v10@v10.11.1"
_PGPKG = "github.com/go-pg/pg/v10"
_POOL = "github.com/go-pg/pg/v10/internal/pool"
_OTELHTTP = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
_OTELSDK = "go.opentelemetry.io/otel/sdk"
_MOD = "/go/pkg/mod"

_Frame = tuple[str, str, int, str]


def _handler(w: _Writer, shared: dict[str, str], leaf: list[_Frame], line: int) -> list[_Frame]:
    """A charge handler's stack: ``leaf`` frames under ``(*ChargeHandler).charge`` at ``charge.go:line``.

    ``shared`` holds the addresses every handler has in common (the handler, the middleware, the pool).
    """
    a = w.addr
    h, mw = shared["handler"], shared["middleware"]
    return [
        *leaf,
        ("main.(*ChargeHandler).charge", f"{_APP}/charge.go", line, f"{h}, {{0xb1c8e8, {a()}}}, {a()}"),
        ("main.(*ChargeHandler).ServeHTTP", f"{_APP}/charge.go", 41, f"{h}, {{0xb21f58, {a()}}}, {a()}"),
        (
            f"{_OTELHTTP}.(*middleware).serveHTTP",
            f"{_MOD}/{_OTELHTTP}@v0.49.0/handler.go",
            225,
            f"{mw}, {{0xb21a28, {a()}}}, {a()}, {{0xb14e40, {a()}}}",
        ),
        (f"{_OTELHTTP}.NewMiddleware.func1.1", f"{_MOD}/{_OTELHTTP}@v0.49.0/handler.go", 83, "..."),
        (
            "net/http.HandlerFunc.ServeHTTP",
            f"{_GOROOT}/net/http/server.go",
            2166,
            f"{a()}?, {{0xb21a28?, {a()}?}}, {a()}?",
        ),
        (
            "net/http.(*ServeMux).ServeHTTP",
            f"{_GOROOT}/net/http/server.go",
            2683,
            f"{a()}?, {{0xb21a28, {a()}}}, {a()}",
        ),
        (
            "net/http.serverHandler.ServeHTTP",
            f"{_GOROOT}/net/http/server.go",
            3137,
            f"{{{a()}?}}, {{0xb21a28?, {a()}?}}, 0x6?",
        ),
        ("net/http.(*conn).serve", f"{_GOROOT}/net/http/server.go", 2039, f"{a()}, {{0xb22d48, {a()}}}"),
    ]


def _conn_read(w: _Writer) -> list[_Frame]:
    """go-pg waiting for the server's next message on a connection it holds (leaf first)."""
    a = w.addr
    return [
        *_net_read(w),
        (f"{_POOL}.(*BufReader).fill", f"{_PG}/internal/pool/reader_buf.go", 109, a()),
        (f"{_POOL}.(*BufReader).ReadByte", f"{_PG}/internal/pool/reader_buf.go", 339, "..."),
        (f"{_PGPKG}.readMessageType", f"{_PG}/messages.go", 1300, "..."),
    ]


def _begin(w: _Writer, shared: dict[str, str]) -> list[_Frame]:
    """``db.BeginContext`` down to the pool (leaf first, from ``(*ConnPool).Get``)."""
    a = w.addr
    return [
        (f"{_POOL}.(*ConnPool).Get", f"{_PG}/internal/pool/pool.go", 221, f"{shared['pool']}, {{0xb1c8e8, {a()}}}"),
        (f"{_POOL}.(*StickyConnPool).Get", f"{_PG}/internal/pool/pool_sticky.go", 71, f"{a()}, {{0xb1c8e8, {a()}}}"),
        (f"{_PGPKG}.(*baseDB).getConn", f"{_PG}/base.go", 81, f"{a()}, {{0xb1c8e8, {a()}}}"),
        (f"{_PGPKG}.(*baseDB).withConn", f"{_PG}/base.go", 134, f"{a()}, {{0xb1c8e8, {a()}}}, {a()}"),
        (f"{_PGPKG}.(*Tx).withConn", f"{_PG}/tx.go", 98, f"{a()}, {{0xb1c8e8, {a()}}}, {a()}"),
        (
            f"{_PGPKG}.(*Tx).exec",
            f"{_PG}/tx.go",
            194,
            f"{a()}, {{0xb1c8e8, {a()}}}, {{0x9a11a0, {a()}}}, {{0x0, 0x0, 0x0}}",
        ),
        (f"{_PGPKG}.(*Tx).ExecContext", f"{_PG}/tx.go", 182, "..."),
        (f"{_PGPKG}.(*Tx).begin", f"{_PG}/tx.go", 345, f"{a()}, {{0xb1c8e8, {a()}}}"),
        (f"{_PGPKG}.(*baseDB).BeginContext", f"{_PG}/tx.go", 66, f"{shared['db']}, {{0xb1c8e8, {a()}}}"),
    ]


def demo_payments_goroutine_dump(
    *,
    waiting: int = 38,
    job_workers: int = 16,
    holding: int = 4,
    idle_conns: int = 5,
    seed: int = 31,
) -> str:
    """The ``debug=2`` goroutine dump (Go 1.21+ format) of payments at :data:`PAYMENTS_DUMP_TIME`.

    Parameters
    ----------
    waiting : int, default 38
        Charge handlers queued in go-pg's ``(*ConnPool).waitTurn``.
    job_workers : int, default 16
        Reconciliation workers, each holding a connection inside a long query.
    holding : int, default 4
        Charge handlers holding a connection (their ``INSERT`` in flight).
    idle_conns : int, default 5
        Kept-alive HTTP server connections waiting for their next request.
    seed : int, default 31
        Seed of the addresses, goroutine ids and wait minutes.

    Returns
    -------
    str
        The dump text, as ``/debug/pprof/goroutine?debug=2`` serves it.
    """
    rng = random.Random(seed)
    w = _Writer(rng)
    a = w.addr
    shared = {"handler": a(), "middleware": a(), "pool": a(), "db": a()}  # one of each in the process
    w.block(
        1,
        "IO wait, 37 minutes",
        [
            ("internal/poll.runtime_pollWait", f"{_GOROOT}/runtime/netpoll.go", 345, _poll_desc(rng)),
            ("internal/poll.(*pollDesc).wait", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 84, f"{a()}?, 0x4?, 0x0"),
            ("internal/poll.(*pollDesc).waitRead", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 89, "..."),
            ("internal/poll.(*FD).Accept", f"{_GOROOT}/internal/poll/fd_unix.go", 611, a()),
            ("net.(*netFD).accept", f"{_GOROOT}/net/fd_unix.go", 172, a()),
            ("net.(*TCPListener).accept", f"{_GOROOT}/net/tcpsock_posix.go", 159, a()),
            ("net.(*TCPListener).Accept", f"{_GOROOT}/net/tcpsock.go", 327, a()),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3255, f"{a()}, {{0xb21d60, {a()}}}"),
            ("net/http.(*Server).ListenAndServe", f"{_GOROOT}/net/http/server.go", 3184, a()),
            ("main.main", "/app/cmd/payments/main.go", 96, ""),
        ],
        None,
    )
    for gid, state, func, line, file, creator in (
        (2, "force gc (idle), 37 minutes", "runtime.forcegchelper", 326, "proc.go", "runtime.init.6"),
        (3, "GC sweep wait", "runtime.bgsweep", 278, "mgcsweep.go", "runtime.gcenable"),
        (4, "GC scavenge wait", "runtime.(*scavengerState).park", 425, "mgcscavenge.go", "runtime.gcenable"),
    ):
        w.block(
            gid,
            state,
            [
                ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 402, "0x0?, 0x0?, 0x0?, 0x0?, 0x0?"),
                ("runtime.goparkunlock", f"{_GOROOT}/runtime/proc.go", 408, "..."),
                (func, f"{_GOROOT}/runtime/{file}", line, a() if gid == 4 else ""),
            ],
            (creator, f"{_GOROOT}/runtime/{'proc.go' if gid == 2 else 'mgc.go'}", 314 if gid == 2 else 204, 1),
        )
    w.block(
        5,
        "finalizer wait, 37 minutes",
        [
            ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 402, "0xb9c4a40?, 0x0?, 0x0?, 0x0?, 0x0?"),
            ("runtime.runfinq", f"{_GOROOT}/runtime/mfinal.go", 194, ""),
        ],
        ("runtime.createfing", f"{_GOROOT}/runtime/mfinal.go", 164, 1),
    )
    for gid in range(6, 10):
        w.block(
            gid,
            "GC worker (idle)",
            [
                ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 402, "0x0?, 0x0?, 0x0?, 0x0?, 0x0?"),
                ("runtime.gcBgMarkWorker", f"{_GOROOT}/runtime/mgc.go", 1310, a()),
            ],
            ("runtime.gcBgMarkStartWorkers", f"{_GOROOT}/runtime/mgc.go", 1234, 1),
        )
    w.block(
        10,
        "syscall, 37 minutes",
        [
            ("os/signal.signal_recv", f"{_GOROOT}/runtime/sigqueue.go", 152, ""),
            ("os/signal.loop", f"{_GOROOT}/os/signal/signal_unix.go", 23, ""),
        ],
        ("os/signal.Notify.func1.1", f"{_GOROOT}/os/signal/signal.go", 151, 1),
    )
    w.block(
        11,
        "select",
        [
            ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 402, "0xc0000a9f28?, 0x2?, 0x0?, 0x0?, 0xc0000a9ecc?"),
            ("runtime.selectgo", f"{_GOROOT}/runtime/select.go", 327, f"{a()}, {a()}, 0x0?, 0x0, 0x0?, 0x1"),
            (f"{_POOL}.(*ConnPool).reaper", f"{_PG}/internal/pool/pool.go", 441, f"{shared['pool']}, 0xdf8475800"),
        ],
        (f"{_POOL}.NewConnPool", f"{_PG}/internal/pool/pool.go", 114, 1),
    )
    w.block(
        12,
        "select",
        [
            ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 402, "0xc000111f18?, 0x3?, 0x0?, 0x0?, 0xc000111e9a?"),
            ("runtime.selectgo", f"{_GOROOT}/runtime/select.go", 327, f"{a()}, {a()}, 0x0?, 0x0, 0x0?, 0x1"),
            (
                f"{_OTELSDK}/trace.(*batchSpanProcessor).processQueue",
                f"{_MOD}/{_OTELSDK}@v1.24.0/trace/batch_span_processor.go",
                312,
                a(),
            ),
            (
                f"{_OTELSDK}/trace.NewBatchSpanProcessor.func1",
                f"{_MOD}/{_OTELSDK}@v1.24.0/trace/batch_span_processor.go",
                129,
                "",
            ),
        ],
        (f"{_OTELSDK}/trace.NewBatchSpanProcessor", f"{_MOD}/{_OTELSDK}@v1.24.0/trace/batch_span_processor.go", 127, 1),
    )
    w.block(
        13,
        "select",
        [
            ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 402, "0xc0001a5f50?, 0x2?, 0x0?, 0x0?, 0xc0001a5f1c?"),
            ("runtime.selectgo", f"{_GOROOT}/runtime/select.go", 327, f"{a()}, {a()}, 0x0?, 0x0, 0x0?, 0x1"),
            ("main.(*poolStats).loop", f"{_APP}/poolstats.go", 27, f"{a()}, {{0xb1c8e8, {a()}}}"),
        ],
        ("main.main", "/app/cmd/payments/main.go", 71, 1),
    )
    # the pprof/metrics listener on :6060 (the one this dump came from)
    w.block(
        14,
        "IO wait, 37 minutes",
        [
            ("internal/poll.runtime_pollWait", f"{_GOROOT}/runtime/netpoll.go", 345, _poll_desc(rng)),
            ("internal/poll.(*pollDesc).wait", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 84, f"{a()}?, 0x4?, 0x0"),
            ("internal/poll.(*pollDesc).waitRead", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 89, "..."),
            ("internal/poll.(*FD).Accept", f"{_GOROOT}/internal/poll/fd_unix.go", 611, a()),
            ("net.(*netFD).accept", f"{_GOROOT}/net/fd_unix.go", 172, a()),
            ("net.(*TCPListener).accept", f"{_GOROOT}/net/tcpsock_posix.go", 159, a()),
            ("net.(*TCPListener).Accept", f"{_GOROOT}/net/tcpsock.go", 327, a()),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3255, f"{a()}, {{0xb21d60, {a()}}}"),
            ("net/http.(*Server).ListenAndServe", f"{_GOROOT}/net/http/server.go", 3184, a()),
            ("net/http.ListenAndServe", f"{_GOROOT}/net/http/server.go", 3474, "..."),
            ("main.main.func2", "/app/cmd/payments/main.go", 64, ""),
        ],
        ("main.main", "/app/cmd/payments/main.go", 63, 1),
    )
    w.block(
        15,
        "select",
        [
            ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 402, "0xc0001b3f38?, 0x3?, 0x0?, 0x0?, 0xc0001b3eda?"),
            ("runtime.selectgo", f"{_GOROOT}/runtime/select.go", 327, f"{a()}, {a()}, 0x0?, 0x0, 0x0?, 0x1"),
            ("main.(*Scheduler).loop", f"{_APP}/scheduler.go", 64, f"{a()}, {{0xb1c8e8, {a()}}}"),
        ],
        ("main.main", "/app/cmd/payments/main.go", 79, 1),
    )
    # the job: a coordinator waiting for its workers, the workers each inside a long query
    n_ids = 1 + job_workers + 2 * (holding + waiting) + idle_conns
    ids = iter(sorted(rng.sample(range(16, 16 + 12 * n_ids + 4000), n_ids)))
    coordinator = next(ids)
    w.block(
        coordinator,
        "semacquire, 5 minutes",
        [
            ("sync.runtime_Semacquire", f"{_GOROOT}/runtime/sema.go", 62, a() + "?"),
            ("sync.(*WaitGroup).Wait", f"{_GOROOT}/sync/waitgroup.go", 116, a()),
            ("main.(*Reconciler).Run", f"{_APP}/reconcile.go", 58, f"{a()}, {{0xb1c8e8, {a()}}}, 0x10"),
            ("main.(*Scheduler).runJob", f"{_APP}/scheduler.go", 91, f"{a()}, {{0xb1c8e8, {a()}}}, {a()}"),
        ],
        ("main.(*Scheduler).loop", f"{_APP}/scheduler.go", 71, 15),
    )
    for _ in range(job_workers):
        w.block(
            next(ids),
            "IO wait" + _minutes(rng, 1, 5),
            [
                *_conn_read(w),
                (
                    f"{_PGPKG}.readSimpleQueryData",
                    f"{_PG}/messages.go",
                    1039,
                    f"{{0xb1c8e8, {a()}}}, {a()}, {{0x9c5e60, {a()}}}",
                ),
                (f"{_PGPKG}.(*baseDB).query.func1.2", f"{_PG}/base.go", 347, a()),
                (
                    f"{_POOL}.(*Conn).WithReader",
                    f"{_PG}/internal/pool/conn.go",
                    84,
                    f"{a()}, {{0xb1c8e8?, {a()}?}}, 0x0, {a()}",
                ),
                (f"{_PGPKG}.(*baseDB).query.func1", f"{_PG}/base.go", 346, f"{{0xb1c8e8, {a()}}}, {a()}"),
                (f"{_PGPKG}.(*baseDB).withConn", f"{_PG}/base.go", 149, f"{shared['db']}, {{0xb1c8e8, {a()}}}, {a()}"),
                (
                    f"{_PGPKG}.(*baseDB).query",
                    f"{_PG}/base.go",
                    333,
                    f"{shared['db']}, {{0xb1c8e8, {a()}}}, {{0x9c5e60, {a()}}}",
                ),
                (f"{_PGPKG}.(*baseDB).QueryContext", f"{_PG}/base.go", 308, "..."),
                (
                    "main.(*Reconciler).scanShard",
                    f"{_APP}/reconcile.go",
                    118,
                    f"{a()}, {{0xb1c8e8, {a()}}}, 0x{rng.randrange(16):x}",
                ),
                ("main.(*Reconciler).worker", f"{_APP}/reconcile.go", 74, f"{a()}, {{0xb1c8e8, {a()}}}, {a()}, {a()}"),
            ],
            ("main.(*Reconciler).Run", f"{_APP}/reconcile.go", 51, coordinator),
        )
    # charge handlers: a few hold a connection (their INSERT in flight), the rest queue for one
    handlers: list[int] = []
    for _ in range(holding):
        gid = next(ids)
        handlers.append(gid)
        w.block(
            gid,
            "IO wait",
            _handler(
                w,
                shared,
                [
                    *_conn_read(w),
                    (f"{_PGPKG}.readSimpleQuery", f"{_PG}/messages.go", 1004, f"{{0xb1c8e8, {a()}}}, {a()}"),
                    (f"{_PGPKG}.(*Tx).exec.func1.2", f"{_PG}/tx.go", 207, a()),
                    (
                        f"{_POOL}.(*Conn).WithReader",
                        f"{_PG}/internal/pool/conn.go",
                        84,
                        f"{a()}, {{0xb1c8e8?, {a()}?}}, 0x0, {a()}",
                    ),
                    (f"{_PGPKG}.(*Tx).exec.func1", f"{_PG}/tx.go", 206, f"{{0xb1c8e8, {a()}}}, {a()}"),
                    (f"{_PGPKG}.(*Tx).withConn", f"{_PG}/tx.go", 106, f"{a()}, {{0xb1c8e8, {a()}}}, {a()}"),
                    (
                        f"{_PGPKG}.(*Tx).exec",
                        f"{_PG}/tx.go",
                        194,
                        f"{a()}, {{0xb1c8e8, {a()}}}, {{0x9a11a0, {a()}}}, {{{a()}, 0x3, 0x3}}",
                    ),
                    (f"{_PGPKG}.(*Tx).ExecContext", f"{_PG}/tx.go", 182, "..."),
                ],
                87,
            ),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3285, 1),
        )
    for _ in range(waiting):
        gid = next(ids)
        handlers.append(gid)
        w.block(
            gid,
            "select",
            _handler(
                w,
                shared,
                [
                    (
                        "runtime.gopark",
                        f"{_GOROOT}/runtime/proc.go",
                        402,
                        "0xc0004f1a40?, 0x2?, 0x0?, 0x0?, 0xc0004f19f4?",
                    ),
                    ("runtime.selectgo", f"{_GOROOT}/runtime/select.go", 327, f"{a()}, {a()}, 0x0?, 0x0, 0x0?, 0x1"),
                    (
                        f"{_POOL}.(*ConnPool).waitTurn",
                        f"{_PG}/internal/pool/pool.go",
                        280,
                        f"{shared['pool']}, {{0xb1c8e8, {a()}}}",
                    ),
                    *_begin(w, shared),
                ],
                74,
            ),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3285, 1),
        )
    # every running handler has its connection's background read in IO wait
    for parent in handlers:
        w.block(
            next(ids),
            "IO wait",
            [
                *_net_read(w),
                ("net/http.(*connReader).backgroundRead", f"{_GOROOT}/net/http/server.go", 681, a()),
            ],
            ("net/http.(*connReader).startBackgroundRead", f"{_GOROOT}/net/http/server.go", 677, parent),
        )
    for _ in range(idle_conns):
        w.block(
            next(ids),
            "IO wait",
            [
                *_net_read(w),
                (
                    "net/http.(*connReader).Read",
                    f"{_GOROOT}/net/http/server.go",
                    789,
                    f"{a()}, {{{a()}, 0x1000, 0x1000}}",
                ),
                ("bufio.(*Reader).fill", f"{_GOROOT}/bufio/bufio.go", 110, a()),
                ("bufio.(*Reader).Peek", f"{_GOROOT}/bufio/bufio.go", 148, f"{a()}, 0x4"),
                ("net/http.(*conn).serve", f"{_GOROOT}/net/http/server.go", 2074, f"{a()}, {{0xb22d48, {a()}}}"),
            ],
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3285, 1),
        )
    return "\n\n".join(w.blocks) + "\n"
