"""The probe's own httpx transport: timestamps taken at the socket, no pool to pay for.

httpx stays the client (``httpx.AsyncClient(transport=ProbeTransport(...))``)
and httpcore still speaks HTTP/1.1 (:class:`httpcore.AsyncHTTP11Connection`
over h11). What this module replaces is the layer under them: the network
stream and the connection pool.

* :class:`TimedStream` is an :class:`asyncio.Protocol` that is also an
  httpcore network stream. It writes the phase boundaries of the attempt into
  a :class:`Timing` where they happen: ``last_write`` the instant *before* the
  last request bytes are handed to the kernel, ``first_byte`` inside
  ``data_received``, the callback the event loop runs as soon as the socket
  has data. Neither waits for the probe's task to be scheduled again, so under
  load a boundary may be late by the loop's own lag but the server wait is
  never shorter than the server's: the request left after ``last_write`` and
  the answer arrived before ``first_byte``.
* :class:`ProbeTransport` dials every cold attempt itself (the address was
  resolved and timed before) and, with keep-alive on, keeps idle
  connections per origin in a plain list. httpcore's general pool (locks,
  request queue, a scan of every connection per request) costs more than the
  rest of a cold probe and buys nothing here: each attempt owns its
  connection.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx

__all__ = ["TIMING", "ProbeTransport", "TimedStream", "Timing"]

#: The request extension that carries an attempt's :class:`Timing` to the transport.
TIMING = "apiprobe.timing"


def _now_ms() -> float:
    return time.perf_counter() * 1000.0


class Timing:
    """Phase boundaries of one attempt, perf-counter milliseconds (None: did not happen).

    Attributes
    ----------
    connect_start, connect_end : float or None
        Before the connect call; when the loop saw the connection established.
    tls_start, tls_end : float or None
        Around the TLS handshake.
    first_write, last_write : float or None
        The instant before the first and before the last non-empty write of the request.
    write_end : float or None
        When the kernel had taken the last write (None while a write is under way).
    write_failed : bool
        A write raised (httpcore then still tries to read an early answer).
    writing : bool
        A write is under way (waiting for the peer to take the bytes).
    first_byte, last_byte : float or None
        The first and the latest ``data_received`` after the request started.
    reused : bool
        The attempt went over a kept-alive connection.
    """

    __slots__ = (
        "connect_end",
        "connect_start",
        "first_byte",
        "first_write",
        "last_byte",
        "last_write",
        "reused",
        "tls_end",
        "tls_start",
        "write_end",
        "write_failed",
        "writing",
    )

    def __init__(self) -> None:
        self.connect_start: float | None = None
        self.connect_end: float | None = None
        self.tls_start: float | None = None
        self.tls_end: float | None = None
        self.first_write: float | None = None
        self.last_write: float | None = None
        self.write_end: float | None = None
        self.write_failed = False
        self.writing = False
        self.first_byte: float | None = None
        self.last_byte: float | None = None
        self.reused = False

    def pending(self) -> str:
        """The phase the attempt was in when it stopped.

        Returns
        -------
        str
            ``dns`` (no connection tried yet), ``connect``, ``tls``, ``send``, ``wait``
            (request written, no byte back yet) or ``receive`` (bytes came back).
        """
        if not self.reused:
            if self.connect_start is None:
                return "dns"
            if self.connect_end is None:
                return "connect"
            if self.tls_start is not None and self.tls_end is None:
                return "tls"
        if self.write_failed or self.writing or (self.first_byte is None and self.last_write is None):
            return "send"
        return "wait" if self.first_byte is None else "receive"


class TimedStream(asyncio.Protocol, httpcore.AsyncNetworkStream):
    """One TCP (or TLS) connection as an httpcore network stream that timestamps its I/O.

    Parameters
    ----------
    loop : asyncio.AbstractEventLoop
        The loop the connection lives on.
    timing : Timing
        Where the current attempt's boundaries go; :attr:`timing` is swapped
        when a kept-alive connection serves the next attempt.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timing: Timing) -> None:
        self._loop = loop
        self.timing = timing
        self._transport: asyncio.Transport | None = None
        self._chunks: list[bytes] = []
        self._eof = False
        self._lost: BaseException | None = None
        self._read_waiter: asyncio.Future[None] | None = None
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None

    # asyncio.Protocol callbacks: run by the loop the moment the socket has news.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.timing.connect_end = _now_ms()
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now = _now_ms()
        timing = self.timing
        if timing.first_byte is None:
            timing.first_byte = now
        timing.last_byte = now
        self._chunks.append(data)
        self._wake_reader()

    def eof_received(self) -> bool | None:
        self._eof = True
        self._wake_reader()
        return None  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._lost = exc
        self._wake_reader()
        self._wake_writer()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_writer()

    def _wake_reader(self) -> None:
        waiter = self._read_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_writer(self) -> None:
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self, waiter: asyncio.Future[None], timeout: float | None, error: type[Exception]) -> None:
        handle = None if timeout is None else self._loop.call_later(timeout, _expire, waiter, error)
        try:
            await waiter
        finally:
            if handle is not None:
                handle.cancel()

    # httpcore.AsyncNetworkStream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Return up to ``max_bytes`` received bytes; ``b""`` at end of stream.

        Raises
        ------
        httpcore.ReadTimeout
            When nothing arrives within ``timeout`` seconds.
        httpcore.ReadError
            When the connection broke (reset) instead of closing.
        """
        while not self._chunks:
            if self._eof:
                if self._lost is not None:
                    raise httpcore.ReadError(str(self._lost) or type(self._lost).__name__) from self._lost
                return b""
            self._read_waiter = self._loop.create_future()
            try:
                await self._wait(self._read_waiter, timeout, httpcore.ReadTimeout)
            finally:
                self._read_waiter = None
        data = self._chunks.pop(0) if len(self._chunks[0]) <= max_bytes else b""
        if not data:  # split an oversized chunk
            head = self._chunks[0]
            data, self._chunks[0] = head[:max_bytes], head[max_bytes:]
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Hand ``buffer`` to the kernel, waiting while the send buffer is full.

        Raises
        ------
        httpcore.WriteError
            When the connection is already closed.
        httpcore.WriteTimeout
            When the peer does not take the bytes within ``timeout`` seconds.
        """
        if not buffer:
            return  # h11's empty end-of-message: no bytes, no boundary
        transport = self._transport
        timing = self.timing
        if transport is None or transport.is_closing():
            timing.write_failed = True
            raise httpcore.WriteError("the connection is closed")
        now = _now_ms()
        if timing.first_write is None:
            timing.first_write = now
        timing.last_write = now  # before the bytes leave: never later than they did
        timing.write_end = None
        timing.writing = True
        transport.write(buffer)
        if self._paused and self._lost is None:
            self._drain_waiter = self._loop.create_future()
            try:
                await self._wait(self._drain_waiter, timeout, httpcore.WriteTimeout)
            except httpcore.WriteTimeout:
                timing.write_failed = True
                raise
            finally:
                self._drain_waiter = None
        if self._lost is not None:
            timing.write_failed = True
            raise httpcore.WriteError(str(self._lost) or type(self._lost).__name__) from self._lost
        timing.writing = False
        timing.write_end = _now_ms()

    async def aclose(self) -> None:
        """Close the connection gracefully (FIN, and close_notify over TLS); never raises.

        Used after a complete exchange; a failed one is dropped with :meth:`abort`,
        because a graceful close waits for the peer, who may never answer.
        """
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Drop the connection at once, pending bytes and all; never raises."""
        if self._transport is not None:
            self._transport.abort()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade this connection to TLS in place and return it.

        Raises
        ------
        httpcore.ConnectTimeout
            When the handshake does not finish within ``timeout`` seconds.
        httpcore.ConnectError
            When the handshake fails; the :class:`ssl.SSLError` is the cause.
        """
        assert self._transport is not None
        self.timing.tls_start = _now_ms()
        try:
            async with asyncio.timeout(timeout):
                tls = await self._loop.start_tls(self._transport, self, ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            self.abort()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:
            self.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        except BaseException:  # cancelled (the attempt's deadline): never leave the socket open
            self.abort()
            raise
        if tls is None:  # the peer closed during the handshake
            self.abort()
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        self.timing.tls_end = _now_ms()
        self._transport = tls
        return self

    def get_extra_info(self, info: str) -> Any:
        """``ssl_object``, ``client_addr``, ``server_addr``, ``socket`` or ``is_readable``."""
        if info == "is_readable":  # idle keep-alive connection: data or EOF means the server hung up
            return bool(self._chunks) or self._eof
        if self._transport is None:
            return None
        key = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        return self._transport.get_extra_info(key)


def _expire(waiter: asyncio.Future[None], error: type[Exception]) -> None:
    if not waiter.done():
        waiter.set_exception(error("timed out"))


async def open_stream(host: str, port: int, timing: Timing, timeout: float | None) -> TimedStream:
    """Connect to ``host:port`` (an address, already resolved) and return the timed stream.

    Raises
    ------
    httpcore.ConnectTimeout
        When the connection is not up within ``timeout`` seconds.
    httpcore.ConnectError
        When it is refused or unreachable; the :class:`OSError` is the cause.
    """
    loop = asyncio.get_running_loop()
    stream = TimedStream(loop, timing)
    timing.connect_start = _now_ms()
    try:
        async with asyncio.timeout(timeout):
            await loop.create_connection(lambda: stream, host, port)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"connect to {host}:{port} timed out") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    return stream


def _to_httpx(exc: Exception) -> httpx.HTTPError:
    """The httpx exception of the same name, as httpx's own transport raises it."""
    kind: type[httpx.HTTPError] = getattr(httpx, type(exc).__name__, httpx.TransportError)
    return kind(str(exc))


_CORE_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol)


class _Body(httpx.AsyncByteStream):
    """The response body; closing it releases the connection (idle list or closed)."""

    def __init__(self, transport: ProbeTransport, key: tuple[Any, ...], conn: httpcore.AsyncHTTP11Connection,
                 stream: TimedStream, core: httpcore.Response) -> None:  # fmt: skip
        self._transport, self._key, self._conn, self._stream, self._core = transport, key, conn, stream, core

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._core.aiter_stream():
                yield chunk
        except _CORE_ERRORS as exc:
            raise _to_httpx(exc) from exc

    async def aclose(self) -> None:
        try:
            await self._core.aclose()
        finally:
            await self._transport._release(self._key, self._conn, self._stream)


class ProbeTransport(httpx.AsyncBaseTransport):
    """An httpx transport for probes: HTTP/1.1, dialled per attempt, keep-alive optional.

    Each request must carry a :class:`Timing` in ``extensions[TIMING]`` and
    its URL's host must be an address (the probe resolved the name itself);
    ``sni_hostname`` names the server for TLS.

    Parameters
    ----------
    ssl_context : ssl.SSLContext
        Context for https, built once per run.
    keepalive : bool
        Keep idle connections per origin for the next attempt.
    keepalive_expiry : float
        Seconds an idle connection is kept.
    """

    def __init__(self, ssl_context: ssl.SSLContext, *, keepalive: bool = False, keepalive_expiry: float = 5.0) -> None:
        self._ssl_context = ssl_context
        self._keepalive = keepalive
        self._expiry = keepalive_expiry
        self._idle: dict[tuple[Any, ...], list[tuple[httpcore.AsyncHTTP11Connection, TimedStream]]] = {}

    def _take_idle(self, key: tuple[Any, ...]) -> tuple[httpcore.AsyncHTTP11Connection, TimedStream] | None:
        idle = self._idle.get(key)
        while idle:
            conn, stream = idle.pop()
            if conn.is_idle() and not conn.has_expired():
                return conn, stream
            stream.abort()
        return None

    async def _release(self, key: tuple[Any, ...], conn: httpcore.AsyncHTTP11Connection, stream: TimedStream) -> None:
        """After a response: keep the connection, close it (exchange complete) or drop it."""
        if not conn.is_idle():  # the body was not read to the end, or the exchange failed
            stream.abort()
            await conn.aclose()
        elif self._keepalive:
            self._idle.setdefault(key, []).append((conn, stream))
        else:
            await conn.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a new (or idle kept-alive) connection; the body streams.

        Raises
        ------
        httpx.TransportError
            The httpx class of the same name as httpcore's (``ConnectError``,
            ``ReadTimeout``, ...), with the network error as its cause.
        """
        timing: Timing = request.extensions[TIMING]
        timeouts = request.extensions.get("timeout", {})
        url = request.url
        scheme, host, port = url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)
        sni = request.extensions.get("sni_hostname")
        key = (scheme, host, port, sni, request.headers.get("host"))  # per name, like Go's transport, not per address
        pooled = self._take_idle(key) if self._keepalive else None
        try:
            if pooled is not None:
                conn, stream = pooled
                stream.timing = timing
                timing.reused = True
            else:
                stream = await open_stream(host, port, timing, timeouts.get("connect"))
                if scheme == "https":
                    await stream.start_tls(self._ssl_context, sni or host, timeouts.get("connect"))
                origin = httpcore.Origin(scheme.encode(), host.encode(), port)
                conn = httpcore.AsyncHTTP11Connection(origin, stream, self._expiry if self._keepalive else None)
            core_request = httpcore.Request(
                method=request.method,
                url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=port, target=url.raw_path),
                headers=request.headers.raw,
                content=request.stream,
                extensions={"timeout": timeouts},
            )
            try:
                core = await conn.handle_async_request(core_request)
            except BaseException:
                stream.abort()
                await conn.aclose()
                raise
        except _CORE_ERRORS as exc:
            raise _to_httpx(exc) from exc
        return httpx.Response(
            status_code=core.status,
            headers=core.headers,
            stream=_Body(self, key, conn, stream, core),
            extensions=core.extensions,
        )

    async def aclose(self) -> None:
        """Close every idle connection."""
        for idle in self._idle.values():
            for _conn, stream in idle:
                stream.abort()
        self._idle.clear()
