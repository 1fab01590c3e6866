"""Demo goroutine dumps for handbook §2.5: an HTTP client service with an exhausted pool.

:func:`demo_goroutine_dump` writes the ``debug=2`` dump (Go 1.21+ format)
of a service ``quotes`` whose handlers call an upstream through an
``http.Client`` with ``MaxConnsPerHost = pool``: ``pool`` requests hold a
connection and wait for the slow upstream (their read loops in ``IO wait``),
``waiting`` more sit in ``net/http.(*Transport).getConn``; next to them a
mutex pile-up on a cache, sleeping refresh workers, idle keep-alive server
connections and the runtime's own goroutines. Output is deterministic for a
given seed.
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["demo_dump_pair", "demo_goroutine_dump", "write_demo_dumps"]

_GOROOT = "/usr/local/go/src"
_APP = "/app/internal/quotes"


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.blocks: list[str] = []
        self.next_id = 1

    def addr(self) -> str:
        return f"0xc000{self.rng.randrange(0x10000, 0xFFFFF) << 4:06x}"

    def pc(self) -> str:
        return f"+0x{self.rng.randrange(0x10, 0x9FF):x}"

    def block(
        self,
        gid: int,
        state: str,
        frames: list[tuple[str, str, int, str]],
        created: tuple[str, str, int, int | None] | None,
    ) -> None:
        lines = [f"goroutine {gid} [{state}]:"]
        for func, file, line, args in frames:
            lines.append(f"{func}({args})")
            off = "" if args == "..." else f" {self.pc()}"
            lines.append(f"\t{file}:{line}{off}")
        if created is not None:
            func, file, line, parent = created
            lines.append(f"created by {func}" + (f" in goroutine {parent}" if parent is not None else ""))
            lines.append(f"\t{file}:{line} {self.pc()}")
        self.blocks.append("\n".join(lines))


def _minutes(rng: random.Random, lo: int, hi: int) -> str:
    m = rng.randint(lo, hi)
    return "" if m == 0 else f", {m} minute" + ("s" if m != 1 else "")


def _handler_frames(w: _Writer, leaf: list[tuple[str, str, int, str]]) -> list[tuple[str, str, int, str]]:
    a = w.addr
    return [
        *leaf,
        ("main.(*QuoteHandler).ServeHTTP", f"{_APP}/handler.go", 58, f"{a()}, {{0x9a3c20, {a()}}}, {a()}"),
        (
            "net/http.serverHandler.ServeHTTP",
            f"{_GOROOT}/net/http/server.go",
            2938,
            f"{{{a()}?}}, {{0x9a3c20?, {a()}?}}, {a()}?",
        ),
        ("net/http.(*conn).serve", f"{_GOROOT}/net/http/server.go", 2009, f"{a()}, {{0x9a5a18, {a()}}}"),
    ]


def _client_do(w: _Writer) -> list[tuple[str, str, int, str]]:
    a = w.addr
    return [
        ("net/http.(*Transport).RoundTrip", f"{_GOROOT}/net/http/roundtrip.go", 17, f"{a()}?, {a()}?"),
        ("net/http.send", f"{_GOROOT}/net/http/client.go", 260, f"{a()}, {{0x9a1b60, {a()}}}, {{0x0?, 0x0?, 0x0?}}"),
        ("net/http.(*Client).send", f"{_GOROOT}/net/http/client.go", 182, f"{a()}, {a()}, {{0x0?, 0x0?, 0x0?}}"),
        ("net/http.(*Client).do", f"{_GOROOT}/net/http/client.go", 724, f"{a()}, {a()}"),
        ("net/http.(*Client).Do", f"{_GOROOT}/net/http/client.go", 590, "..."),
        ("main.(*UpstreamClient).FetchQuote", f"{_APP}/upstream.go", 41, f"{a()}, {{0x9a5a18, {a()}}}, {{{a()}, 0x6}}"),
    ]


def _poll_desc(rng: random.Random) -> str:
    return f"0x7f3a{rng.randrange(16**8):08x}, 0x72"


def _net_read(w: _Writer) -> list[tuple[str, str, int, str]]:
    """The frames of a goroutine blocked reading a socket (leaf first, up to net.(*conn).Read)."""
    a = w.addr
    return [
        ("internal/poll.runtime_pollWait", f"{_GOROOT}/runtime/netpoll.go", 343, _poll_desc(w.rng)),
        ("internal/poll.(*pollDesc).wait", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 84, f"{a()}?, {a()}?, 0x0"),
        ("internal/poll.(*pollDesc).waitRead", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 89, "..."),
        ("internal/poll.(*FD).Read", f"{_GOROOT}/internal/poll/fd_unix.go", 164, f"{a()}, {{{a()}, 0x1000, 0x1000}}"),
        ("net.(*netFD).Read", f"{_GOROOT}/net/fd_posix.go", 55, f"{a()}, {{{a()}?, 0x0?, 0x0?}}"),
        ("net.(*conn).Read", f"{_GOROOT}/net/net.go", 179, f"{a()}, {{{a()}?, 0x0?, 0x0?}}"),
    ]


def demo_goroutine_dump(
    *,
    waiting: int = 38,
    pool: int = 2,
    seed: int = 0,
    mutex_waiters: int = 6,
    sleepers: int = 4,
    idle_conns: int = 3,
    minutes: tuple[int, int] = (0, 4),
) -> str:
    """A realistic ``debug=2`` goroutine dump of a service whose HTTP client pool is exhausted.

    Parameters
    ----------
    waiting
        Handler goroutines waiting in ``net/http.(*Transport).getConn``.
    pool
        ``MaxConnsPerHost``: requests holding a connection (each with a read
        loop in ``IO wait`` and a write loop in ``select``).
    seed
        Seed of the addresses, ids and wait minutes.
    mutex_waiters
        Handlers blocked on a cache mutex (state ``sync.Mutex.Lock``).
    sleepers
        Background refresh workers in ``time.Sleep``.
    idle_conns
        Kept-alive server connections waiting for the next request.
    minutes
        Range of the wait minutes of the pool waiters.

    Returns
    -------
    str
        The dump text, as ``/debug/pprof/goroutine?debug=2`` would serve it.
    """
    rng = random.Random(seed)
    w = _Writer(rng)
    a = w.addr
    w.block(
        1,
        "IO wait, 14 minutes",
        [
            ("internal/poll.runtime_pollWait", f"{_GOROOT}/runtime/netpoll.go", 343, _poll_desc(rng)),
            ("internal/poll.(*pollDesc).wait", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 84, f"{a()}?, 0x4?, 0x0"),
            ("internal/poll.(*pollDesc).waitRead", f"{_GOROOT}/internal/poll/fd_poll_runtime.go", 89, "..."),
            ("internal/poll.(*FD).Accept", f"{_GOROOT}/internal/poll/fd_unix.go", 611, a()),
            ("net.(*netFD).accept", f"{_GOROOT}/net/fd_unix.go", 172, a()),
            ("net.(*TCPListener).accept", f"{_GOROOT}/net/tcpsock_posix.go", 152, a()),
            ("net.(*TCPListener).Accept", f"{_GOROOT}/net/tcpsock.go", 315, a()),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3056, f"{a()}, {{0x9a3e60, {a()}}}"),
            ("net/http.(*Server).ListenAndServe", f"{_GOROOT}/net/http/server.go", 2985, a()),
            ("main.main", "/app/cmd/quotes/main.go", 77, ""),
        ],
        None,
    )
    for gid, state, func, line in (
        (2, "force gc (idle), 14 minutes", "runtime.forcegchelper", 326),
        (3, "GC sweep wait", "runtime.bgsweep", 280),
        (4, "GC scavenge wait", "runtime.(*scavengerState).park", 425),
    ):
        w.block(
            gid,
            state,
            [
                ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 398, "0x0?, 0x0?, 0x0?, 0x0?, 0x0?"),
                ("runtime.goparkunlock", f"{_GOROOT}/runtime/proc.go", 404, "..."),
                (func, f"{_GOROOT}/runtime/mgc.go", line, a() if gid == 4 else ""),
            ],
            ("runtime.init.6" if gid == 2 else "runtime.gcenable", f"{_GOROOT}/runtime/proc.go", 314, 1),
        )
    w.block(
        5,
        "finalizer wait, 14 minutes",
        [
            ("runtime.gopark", f"{_GOROOT}/runtime/proc.go", 398, "0x9c4a40?, 0x0?, 0x0?, 0x0?, 0x0?"),
            ("runtime.runfinq", f"{_GOROOT}/runtime/mfinal.go", 193, ""),
        ],
        ("runtime.createfing", f"{_GOROOT}/runtime/mfinal.go", 163, 1),
    )
    for k in range(sleepers):
        w.block(
            6 + k,
            "sleep",
            [
                ("time.Sleep", f"{_GOROOT}/runtime/time.go", 195, f"0x{rng.choice([0x3B9ACA00, 0x12A05F200]):x}"),
                ("main.(*Refresher).loop", f"{_APP}/refresh.go", 33, a()),
            ],
            ("main.main", "/app/cmd/quotes/main.go", 61, 1),
        )
    next_id = 20
    ids = rng.sample(
        range(next_id, next_id + 20 * (waiting + pool + mutex_waiters + idle_conns + 10)),
        waiting + 3 * pool + mutex_waiters + idle_conns,
    )
    it = iter(sorted(ids))
    # requests holding a connection: the caller waits in persistConn.roundTrip, the read loop in IO wait
    for _ in range(pool):
        caller, reader, writer = next(it), next(it), next(it)
        w.block(
            caller,
            "select" + _minutes(rng, 0, 1),
            _handler_frames(
                w,
                [
                    ("net/http.(*persistConn).roundTrip", f"{_GOROOT}/net/http/transport.go", 2652, f"{a()}, {a()}"),
                    ("net/http.(*Transport).roundTrip", f"{_GOROOT}/net/http/transport.go", 603, f"{a()}, {a()}"),
                    *_client_do(w),
                ],
            ),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3086, 1),
        )
        w.block(
            reader,
            "IO wait" + _minutes(rng, 0, 1),
            [
                *_net_read(w),
                (
                    "net/http.(*persistConn).Read",
                    f"{_GOROOT}/net/http/transport.go",
                    1954,
                    f"{a()}, {{{a()}?, 0x0?, 0x0?}}",
                ),
                ("bufio.(*Reader).fill", f"{_GOROOT}/bufio/bufio.go", 113, a()),
                ("bufio.(*Reader).Peek", f"{_GOROOT}/bufio/bufio.go", 151, f"{a()}, 0x1"),
                ("net/http.(*persistConn).readLoop", f"{_GOROOT}/net/http/transport.go", 2118, a()),
            ],
            ("net/http.(*Transport).dialConn", f"{_GOROOT}/net/http/transport.go", 1776, caller),
        )
        w.block(
            writer,
            "select" + _minutes(rng, 0, 1),
            [("net/http.(*persistConn).writeLoop", f"{_GOROOT}/net/http/transport.go", 2421, a())],
            ("net/http.(*Transport).dialConn", f"{_GOROOT}/net/http/transport.go", 1777, caller),
        )
    lo, hi = minutes
    for _ in range(waiting):
        w.block(
            next(it),
            "select" + _minutes(rng, lo, hi),
            _handler_frames(
                w,
                [
                    (
                        "net/http.(*Transport).getConn",
                        f"{_GOROOT}/net/http/transport.go",
                        1406,
                        f"{a()}, {a()}, {{{{}}, 0x0, {{{a()}, 0x4}}, {{{a()}, 0x16}}, 0x0}}",
                    ),
                    ("net/http.(*Transport).roundTrip", f"{_GOROOT}/net/http/transport.go", 590, f"{a()}, {a()}"),
                    *_client_do(w),
                ],
            ),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3086, 1),
        )
    for _ in range(mutex_waiters):
        w.block(
            next(it),
            "sync.Mutex.Lock" + _minutes(rng, 0, 2),
            _handler_frames(
                w,
                [
                    ("sync.runtime_SemacquireMutex", f"{_GOROOT}/runtime/sema.go", 77, f"{a()}?, 0x0?, 0x1?"),
                    ("sync.(*Mutex).lockSlow", f"{_GOROOT}/sync/mutex.go", 171, a()),
                    ("sync.(*Mutex).Lock", f"{_GOROOT}/sync/mutex.go", 90, "..."),
                    ("main.(*QuoteCache).Get", f"{_APP}/cache.go", 29, f"{a()}, {{{a()}, 0x6}}"),
                ],
            ),
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3086, 1),
        )
    for _ in range(idle_conns):
        w.block(
            next(it),
            "IO wait",
            [
                *_net_read(w),
                (
                    "net/http.(*connReader).Read",
                    f"{_GOROOT}/net/http/server.go",
                    791,
                    f"{a()}, {{{a()}, 0x1000, 0x1000}}",
                ),
                ("bufio.(*Reader).fill", f"{_GOROOT}/bufio/bufio.go", 113, a()),
                ("bufio.(*Reader).Peek", f"{_GOROOT}/bufio/bufio.go", 151, f"{a()}, 0x4"),
                ("net/http.(*conn).serve", f"{_GOROOT}/net/http/server.go", 2044, f"{a()}, {{0x9a5a18, {a()}}}"),
            ],
            ("net/http.(*Server).Serve", f"{_GOROOT}/net/http/server.go", 3086, 1),
        )
    return "\n\n".join(w.blocks) + "\n"


def write_demo_dumps(out_dir: str | Path, *, waiting: int = 38, pool: int = 2, seed: int = 0) -> dict[str, Path]:
    """Write two dumps a few minutes apart: ``before`` and ``after`` (the pool-wait group grown).

    Parameters
    ----------
    out_dir
        Directory to write into (created if needed).
    waiting, pool, seed
        As for :func:`demo_goroutine_dump`; the later dump has ``waiting × 2 + 7``
        pool waiters that have waited longer.

    Returns
    -------
    dict of str to Path
        ``{"before": …/goroutines-before.txt, "after": …/goroutines-after.txt}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"before": out / "goroutines-before.txt", "after": out / "goroutines-after.txt"}
    before, after = demo_dump_pair(waiting=waiting, pool=pool, seed=seed)
    paths["before"].write_text(before, encoding="utf-8")
    paths["after"].write_text(after, encoding="utf-8")
    return paths


def demo_dump_pair(*, waiting: int = 38, pool: int = 2, seed: int = 0) -> tuple[str, str]:
    """The demo's two dumps as text: before, and a few minutes later with the pool-wait group grown.

    Parameters
    ----------
    waiting : int, default 38
        Pool waiters in the first dump; the later one has ``waiting × 2 + 7``.
    pool : int, default 2
        ``MaxConnsPerHost`` of the client (requests holding a connection).
    seed : int, default 0
        Seed of the first dump; the later one uses ``seed + 1``.

    Returns
    -------
    tuple of (str, str)
        The ``debug=2`` dump texts, before and after.
    """
    return (
        demo_goroutine_dump(waiting=waiting, pool=pool, seed=seed),
        demo_goroutine_dump(waiting=waiting * 2 + 7, pool=pool, seed=seed + 1, mutex_waiters=2, minutes=(2, 9)),
    )
