"""A pool-limited upstream: an HTTP/1.1 server that serves only ``capacity`` requests at once.

Handbook §2.5 (connection-pool exhaustion) needs an upstream whose
throughput saturates at a known concurrency: :class:`PoolServer` accepts any
number of connections, but only ``capacity`` requests are *served* at a time
(each takes ``service_ms``); the rest queue in FIFO order. A concurrency sweep
(:func:`apiprobe.probe.concurrency.probe_concurrency`) against it shows the
knee at ``capacity``: up to it, latency stays at ``service_ms``; beyond it,
throughput stays at ``capacity / service_ms`` and latency grows linearly with
concurrency (Little's law).

``/metrics`` answers in the Go client's names (see :mod:`apiprobe.lab._metrics`):
the promhttp request counter, duration histogram and in-flight gauge of its
traffic (``handler="/"``), and the slots as a ``database/sql`` pool in the names
of ``dlmiddlecote/sqlstats`` with ``db_name="lab"``. A slot is a connection
that ``database/sql`` opens when a request needs one and none is idle, and,
with no idle limit or lifetime, keeps: ``open`` is the most slots ever held at
once, ``idle`` is ``open - in_use``, ``waited_for`` and ``blocked_seconds``
count the requests that queued for a slot and their total wait.

The server runs on its own asyncio loop in a daemon thread, like the fault
lab. Query parameter ``ms`` overrides the service time of one request
(``/?ms=500``); the response body is JSON with the in-flight and queued counts
seen when the request was admitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeoutError
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from apiprobe.errors import InvalidParameterError, LabError
from apiprobe.lab._metrics import CONTENT_TYPE, HttpMetrics, PoolStats
from apiprobe.lab._server import run_loop

__all__ = ["PoolServer"]

logger = logging.getLogger("apiprobe.lab")

_MAX_HEAD = 64 * 1024
_MAX_BODY = 16 * 1024 * 1024
_MAX_SERVICE_MS = 10 * 60 * 1000.0
_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 10.0


class PoolServer:
    """HTTP/1.1 server on loopback that serves at most ``capacity`` requests at once.

    Parameters
    ----------
    capacity
        Requests served concurrently; further requests wait (FIFO) for a slot.
    service_ms
        Time each request holds its slot, in ms.
    host
        Loopback address to listen on.
    port
        TCP port (0: a free port chosen by the OS).

    Attributes
    ----------
    served : int
        Requests answered so far.
    max_in_flight : int
        Highest number of requests served at the same time (never above ``capacity``).
    max_queued : int
        Highest number of requests waiting for a slot.
    waited : int
        Requests that had to wait for a slot.
    blocked_s : float
        Their total wait, in seconds. ``/metrics`` exposes these as a database/sql pool.
    metrics : HttpMetrics
        The counters behind ``/metrics``.

    Examples
    --------
    >>> with PoolServer(capacity=2, service_ms=50) as upstream:  # doctest: +SKIP
    ...     sweep = probe_concurrency(upstream.url, levels=(1, 2, 4, 8))
    """

    def __init__(self, capacity: int = 2, service_ms: float = 50.0, host: str = "127.0.0.1", *, port: int = 0) -> None:
        if capacity < 1:
            raise InvalidParameterError("capacity must be at least 1")
        if service_ms < 0:
            raise InvalidParameterError("service_ms must not be negative")
        self.capacity = int(capacity)
        self.service_ms = float(service_ms)
        self.host = host
        self._port = port
        self.served = 0
        self.in_flight = 0
        self.queued = 0
        self.max_in_flight = 0
        self.max_queued = 0
        self.waited = 0
        self.blocked_s = 0.0
        self.metrics = HttpMetrics(pool=self.pool_stats)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The TCP port being listened on."""
        if self._server is None:
            raise LabError("PoolServer is not running: call start() or use it as a context manager")
        sock = self._server.sockets[0]
        return int(sock.getsockname()[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> PoolServer:
        """Start listening; return ``self``. Raises :class:`~apiprobe.errors.LabError` on failure."""
        with self._lock:
            if self._server is not None:
                return self
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=run_loop, args=(loop,), name="apiprobe-pool-server", daemon=True)
            thread.start()
            future = asyncio.run_coroutine_threadsafe(self._open(), loop)
            try:
                self._server = future.result(timeout=_START_TIMEOUT_S)
            except (OSError, FutureTimeoutError) as exc:
                future.cancel()
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=_STOP_TIMEOUT_S)
                raise LabError(f"pool server could not listen on {self.host}:{self._port}: {exc}") from exc
            self._loop, self._thread = loop, thread
        return self

    def stop(self) -> None:
        """Close the listener and every connection, stop the loop and join the thread."""
        with self._lock:
            loop, thread, server = self._loop, self._thread, self._server
            self._loop = self._thread = self._server = None
        if loop is None or thread is None or server is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(server), loop).result(timeout=_STOP_TIMEOUT_S)
        except Exception:  # pragma: no cover - best effort
            logger.warning("pool server: clean shutdown failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=_STOP_TIMEOUT_S)

    def __enter__(self) -> PoolServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"PoolServer(capacity={self.capacity}, service_ms={self.service_ms:g}, {where})"

    def pool_stats(self) -> PoolStats:
        """The slots as ``sql.DBStats``: capacity, slots opened so far, held now, waits and their total time."""
        return PoolStats(self.capacity, self.max_in_flight, self.in_flight, self.waited, self.blocked_s)

    # -- serving -----------------------------------------------------------------------------

    async def _open(self) -> asyncio.Server:
        self._slots = asyncio.Semaphore(self.capacity)
        return await asyncio.start_server(self._client, self.host, self._port, backlog=1024)

    async def _close(self, server: asyncio.Server) -> None:
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2.0)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                keep = await self._one_request(reader, writer)
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        if len(head) > _MAX_HEAD:
            await _respond(writer, 431, b"request head too large\n", keep=False)
            return False
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await _respond(writer, 400, b"bad request line\n", keep=False)
            return False
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > _MAX_BODY or "transfer-encoding" in headers:
            await _respond(writer, 400, b"only Content-Length bodies are accepted\n", keep=False)
            return False
        if int(length):
            await reader.readexactly(int(length))
        keep = headers.get("connection", "").lower() != "close" and parts[2] == "HTTP/1.1"
        target = urlsplit(parts[1])
        if target.path == "/metrics":  # uninstrumented, as promhttp.Handler() usually is
            await _respond(writer, 200, self.metrics.render(), keep=keep, content_type=CONTENT_TYPE)
            return keep
        started = time.perf_counter()
        self.metrics.in_flight += 1
        try:
            status = await self._serve(writer, target.query, keep)
        finally:
            self.metrics.in_flight -= 1
        self.metrics.observe(status, parts[0], "/", time.perf_counter() - started)
        return keep

    async def _serve(self, writer: asyncio.StreamWriter, query_text: str, keep: bool) -> int:
        """Hold a slot for the service time and answer; return the status written."""
        query = dict(parse_qsl(query_text))
        try:
            service_ms = min(float(query.get("ms", self.service_ms)), _MAX_SERVICE_MS)
        except ValueError:
            await _respond(writer, 400, b"ms must be a number\n", keep=keep)
            return 400
        assert self._slots is not None
        queued_at_arrival = self.queued
        self.queued += 1
        must_wait = self._slots.locked()
        if must_wait:
            self.max_queued = max(self.max_queued, self.queued)
            self.waited += 1
        arrived = asyncio.get_running_loop().time()
        try:
            async with self._slots:
                self.blocked_s += asyncio.get_running_loop().time() - arrived if must_wait else 0.0
                self.queued -= 1
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                in_flight = self.in_flight
                try:
                    if service_ms > 0:
                        await asyncio.sleep(service_ms / 1000.0)
                finally:
                    self.in_flight -= 1
        except asyncio.CancelledError:
            raise
        self.served += 1
        body = (
            json.dumps(
                {
                    "capacity": self.capacity,
                    "in_flight": in_flight,
                    "queued_at_arrival": queued_at_arrival,
                    "service_ms": service_ms,
                }
            ).encode()
            + b"\n"
        )
        await _respond(writer, 200, body, keep=keep, content_type="application/json")
        return 200


async def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    *,
    keep: bool,
    content_type: str = "text/plain; charset=utf-8",
) -> None:
    reason = {200: "OK", 400: "Bad Request", 431: "Request Header Fields Too Large"}.get(status, "")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nServer: apiprobe-lab-pool\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {'keep-alive' if keep else 'close'}\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
