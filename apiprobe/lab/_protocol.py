"""The fault lab's connections: the asyncio protocols that parse requests for :class:`FaultApp`, and their registry."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import ssl
import struct
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from apiprobe.lab._http import (
    MAX_BODY_BYTES,
    MAX_HEAD_BYTES,
    Connection,
    FaultApp,
    Request,
    _BadRequestError,
    build_response,
    json_body,
)

logger = logging.getLogger("apiprobe.lab")


class ConnectionRegistry:
    """Every live connection of a lab, so that stopping can close them all."""

    def __init__(self) -> None:
        self._live: set[asyncio.Protocol] = set()
        self._closed = False

    def add(self, protocol: asyncio.Protocol) -> bool:
        """Register a connection (from ``connection_made``).

        Returns
        -------
        bool
            False once the lab is stopping: the caller must abort the connection.
        """
        if self._closed:
            return False
        self._live.add(protocol)
        return True

    def discard(self, protocol: asyncio.Protocol) -> None:
        """Forget a connection (from ``connection_lost``)."""
        self._live.discard(protocol)

    def __len__(self) -> int:
        return len(self._live)

    async def abort_all(self, timeout: float = 5.0) -> None:
        """Refuse new connections, abort every live one and wait until each reported ``connection_lost``.

        Aborting is repeated while waiting: a connection accepted just before the
        servers closed may register itself after the first pass.
        """
        self._closed = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._live and loop.time() < deadline:
            for protocol in list(self._live):
                abort = getattr(protocol, "abort", None)
                if abort is not None:
                    abort()
            await asyncio.sleep(0.005)
        if self._live:
            logger.warning("fault lab: %d connection(s) did not close in %.1f s", len(self._live), timeout)


class RegisteredProtocol(asyncio.Protocol):
    """A connection the lab tracks in its :class:`ConnectionRegistry`, so stopping the lab drops it."""

    def __init__(self, registry: ConnectionRegistry) -> None:
        self._registry = registry
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if not self._registry.add(self):
            transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._registry.discard(self)

    def abort(self) -> None:
        """Drop the connection (used when the lab stops)."""
        if self._transport is not None:
            self._transport.abort()


class DiscardProtocol(RegisteredProtocol):
    """Accept, read and discard; never answer (the ``blackhole`` endpoint)."""

    def data_received(self, data: bytes) -> None:
        pass

    def eof_received(self) -> bool:
        # The client gave up (FIN): close our side too, or every timed-out probe would
        # leave a CLOSE_WAIT socket behind until the lab stops.
        return False


_LINGER_RST = struct.pack("ii", 1, 0)


def _log_task_result(task: asyncio.Task[Any]) -> None:
    """Done-callback: connection errors are expected (DEBUG), anything else is a lab bug (ERROR)."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    if isinstance(exc, OSError):
        logger.debug("fault lab: connection error in %s: %r", task.get_name(), exc)
    else:
        logger.error("fault lab: handler %s failed", task.get_name(), exc_info=exc)


class HttpProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection to the lab (plain, or TLS when ``ssl_context`` is given).

    Parameters
    ----------
    app : FaultApp
        The routes.
    registry : ConnectionRegistry
        Where the connection registers itself.
    ssl_context : ssl.SSLContext, optional
        Terminate TLS on this connection with :meth:`asyncio.loop.start_tls`
        before reading HTTP. Doing the handshake ourselves (rather than
        ``create_server(ssl=...)``) keeps connections that are still
        handshaking visible to the registry, so stopping closes them too.
    """

    def __init__(self, app: FaultApp, registry: ConnectionRegistry, ssl_context: ssl.SSLContext | None = None) -> None:
        self._app = app
        self._registry = registry
        self._ssl_context = ssl_context
        self._transport: asyncio.Transport | None = None  # what HTTP reads and writes (TLS or plain)
        self._raw: asyncio.Transport | None = None  # the TCP socket's transport
        self._buffer = bytearray()
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._closing = False
        self._eof = False
        self._paused = False

    # -- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._raw = transport
        if not self._registry.add(self):
            self._closing = True
            transport.abort()
            return
        if self._ssl_context is None:
            self._transport = transport
            return
        transport.pause_reading()  # the ClientHello belongs to the TLS layer, not to us
        task = asyncio.get_running_loop().create_task(self._handshake(transport, self._ssl_context))
        task.add_done_callback(_log_task_result)
        self._task = task

    async def _handshake(self, raw: asyncio.Transport, context: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(raw, self, context, server_side=True, ssl_handshake_timeout=30.0)
        except BaseException as exc:
            # asyncio does not always report connection_lost for a connection that dies
            # mid-handshake, so forget it here (discard is idempotent).
            self._closing = True
            raw.abort()
            self._registry.discard(self)
            if not isinstance(exc, Exception):
                raise  # cancelled by the lab stopping
            logger.debug("fault lab: TLS handshake failed: %r", exc)  # the client's business
            return
        finally:
            self._task = None
        if tls is None or self._closing:
            raw.abort()
            return
        self._transport = tls
        if self._buffer:
            self._process()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        self._buffer += data
        if len(self._buffer) > MAX_HEAD_BYTES + MAX_BODY_BYTES:
            self.abort()  # a client flooding a busy connection
            return
        if not self._busy and self._transport is not None:
            self._process()

    def eof_received(self) -> bool | None:
        self._eof = True
        if self._busy and self._ssl_context is None:
            return True  # half-closed: still answer the request in flight, then close
        self._closing = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._registry.discard(self)
        if self._task is not None:
            self._task.cancel()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._buffer and not self._busy and self._transport is not None:
            self._process()

    # -- used by Connection ----------------------------------------------------------

    @property
    def closing(self) -> bool:
        """Whether the connection is closing or closed."""
        return self._closing or self._transport is None or self._transport.is_closing()

    def write(self, data: bytes) -> None:
        """Write unless the connection is already closing."""
        if not self.closing and self._transport is not None:
            self._transport.write(data)

    async def drain(self) -> None:
        """Wait until everything written so far has been handed to the kernel."""
        while not self.closing and self._pending_bytes() > 0:
            await asyncio.sleep(0.002)

    def _pending_bytes(self) -> int:
        pending = self._raw.get_write_buffer_size() if self._raw is not None else 0
        if self._transport is not None and self._transport is not self._raw:
            pending += self._transport.get_write_buffer_size()
        return pending

    def close(self) -> None:
        """Graceful close (FIN once pending data is sent)."""
        self._closing = True
        if self._transport is not None:
            self._transport.close()
        elif self._raw is not None:
            self._raw.close()

    def reset(self) -> None:
        """Send a TCP RST: linger on with a zero timeout, then abort the raw socket."""
        self._closing = True
        raw = self._raw
        if raw is None:
            return
        sock = raw.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # the socket may already be gone
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        raw.abort()

    def abort(self) -> None:
        """Drop the connection immediately (lab shutdown)."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
        if self._raw is not None:
            self._raw.abort()

    def finish(self, keep_alive: bool) -> None:
        """End the current exchange; close unless keep-alive (and the client has not half-closed)."""
        if not keep_alive or self._eof:
            self.close()

    # -- request loop -----------------------------------------------------------------

    def _process(self) -> None:
        """Handle every complete request in the buffer, stopping at the first that waits."""
        while not self._busy and not self._paused and not self.closing:
            try:
                request = self._parse()
            except _BadRequestError as exc:  # refused before any route, as net/http does: not counted
                self._fail(exc)
                return
            if request is None:
                return
            conn = Connection(self, request)
            try:
                result = self._app.route(request)(conn)
            except _BadRequestError as exc:
                self._fail(exc, conn)
                return
            if result is None:
                conn.abandon()  # no-op once answered; /close and /garbage end here unanswered
                continue
            self._busy = True
            # The route coroutine itself is the task: a task cancelled before its first
            # step then still closes the coroutine (no "never awaited" warning).
            task = asyncio.get_running_loop().create_task(result, name=f"lab {request.path}")
            task.add_done_callback(functools.partial(self._request_done, conn))
            self._task = task
            return

    def _request_done(self, conn: Connection, task: asyncio.Task[None]) -> None:
        self._busy = False
        if self._task is task:
            self._task = None
        if task.cancelled():
            # The client went away (or the lab stops) while the route waited: a Go handler returns
            # when its request context is canceled, and promhttp counts it with code 200.
            conn.observe(200)
        elif isinstance(task.exception(), _BadRequestError):
            bad = task.exception()
            assert isinstance(bad, _BadRequestError)
            self._fail(bad, conn)
            return
        else:
            conn.abandon()  # no-op once answered; /reset ends here
        _log_task_result(task)
        if self._buffer and not self.closing:
            self._process()

    def _fail(self, exc: _BadRequestError, conn: Connection | None = None) -> None:
        """Answer a request the lab cannot serve with a 4xx, then close (counted under ``conn``'s route if given)."""
        self.write(build_response(exc.status, json_body({"error": exc.message}), keep_alive=False))
        if conn is not None:
            conn.observe(exc.status)
        self.close()

    def _parse(self) -> Request | None:
        """Cut one complete request off the buffer, or return None if more bytes are needed."""
        buf = self._buffer
        while buf.startswith(b"\r\n"):  # tolerate stray CRLF between requests (RFC 9112 §2.2)
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD_BYTES:
                raise _BadRequestError(431, "request head too large")
            return None
        head = bytes(buf[:end]).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
            raise _BadRequestError(400, f"malformed request line {request_line[:100]!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequestError(400, f"malformed header line {line[:100]!r}")
            key = name.lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        pos = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parsed = _dechunk(buf, pos)
            if parsed is None:
                return None
            body, pos = parsed
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise _BadRequestError(400, "invalid Content-Length") from None
            if not 0 <= length <= MAX_BODY_BYTES:
                raise _BadRequestError(413, "request body too large")
            if len(buf) < pos + length:
                return None
            body = bytes(buf[pos : pos + length])
            pos += length
        else:
            body = b""
        del buf[:pos]
        split = urlsplit(target)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        return Request(method.upper(), split.path or "/", query, version, headers, body)


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``pos``; None if incomplete."""
    out = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _BadRequestError(400, "invalid chunk size") from None
        pos = eol + 2
        if size == 0:
            # trailers, terminated by an empty line
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                line_empty = eol == pos
                pos = eol + 2
                if line_empty:
                    return bytes(out), pos
        if len(out) + size > MAX_BODY_BYTES:
            raise _BadRequestError(413, "request body too large")
        if len(buf) < pos + size + 2:
            return None
        out += buf[pos : pos + size]
        pos += size + 2
