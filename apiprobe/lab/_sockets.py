"""Raw sockets for the TCP-level faults the kernel produces for us.

``refused``
    A socket bound to a port but never listening. The kernel answers every SYN
    with RST (``ECONNREFUSED``), and holding the binding keeps any other
    process from taking the port.

``syn_drop``
    A socket listening with ``backlog=0`` that never calls ``accept()``. Linux
    admits ``backlog + 1`` established connections to the accept queue, so the
    lab fills it with one connection of its own; from then on the kernel drops
    incoming SYNs without answering (``ListenOverflows``), and a client's
    ``connect()`` hangs in ``SYN-SENT`` until its own timeout fires.
    :func:`open_syn_drop` checks this at start instead of trusting it.
"""

from __future__ import annotations

import contextlib
import select
import socket

from apiprobe.errors import LabError

#: How many filler connections may be needed before the accept queue is full.
_MAX_FILLERS = 16
#: How long a verifying connect may take before we call its SYN dropped (loopback answers in µs).
_PROBE_WAIT_S = 0.05


def family_of(host: str) -> socket.AddressFamily:
    """``AF_INET6`` for an IPv6 literal, ``AF_INET`` otherwise."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bind_socket(host: str) -> socket.socket:
    """A TCP socket bound to an ephemeral port on ``host`` (not listening yet).

    The protocol is named (``IPPROTO_TCP``, not 0) because asyncio turns Nagle's
    algorithm off (``TCP_NODELAY``, as Go's servers do) only on connections
    accepted from a socket that says it is TCP; without it a TLS 1.3 answer
    (session tickets, then the response) waited out the client's 40 ms delayed ACK.
    """
    sock = socket.socket(family_of(host), socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((host, 0))
    except BaseException:
        sock.close()
        raise
    return sock


def port_of(sock: socket.socket) -> int:
    """The local port a socket is bound to."""
    return int(sock.getsockname()[1])


def _connect_within(address: tuple[str, int], family: socket.AddressFamily, wait: float) -> socket.socket | None:
    """Start a non-blocking connect; return the socket if it completes within ``wait`` seconds."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        err = sock.connect_ex(address)
        if err == 0:
            return sock
        _, writable, _ = select.select([], [sock], [], wait)
        if writable and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            return sock
    except BaseException:
        sock.close()
        raise
    sock.close()
    return None


def open_syn_drop(host: str) -> tuple[socket.socket, list[socket.socket]]:
    """Open a listening socket whose accept queue is full, so new SYNs are dropped.

    Parameters
    ----------
    host : str
        IP literal to bind.

    Returns
    -------
    tuple of (socket, list of socket)
        The listener and the client-side filler connections that keep its queue
        full. Close the fillers before the listener.

    Raises
    ------
    OSError
        If the queue cannot be filled (a kernel that never drops SYNs for a full
        accept queue); the caller turns it into a ``LabError``.
    """
    listener = bind_socket(host)
    fillers: list[socket.socket] = []
    try:
        listener.listen(0)
        address = (host, port_of(listener))
        family = family_of(host)
        for _ in range(_MAX_FILLERS):
            conn = _connect_within(address, family, 1.0 if not fillers else _PROBE_WAIT_S)
            if conn is None:
                if not fillers:
                    raise LabError(f"syn_drop: cannot connect to own listener {address}")
                return listener, fillers  # this SYN went unanswered: the queue is full
            fillers.append(conn)
        raise LabError(f"syn_drop: accept queue of {address} still admits SYNs after {_MAX_FILLERS} connections")
    except BaseException:
        for sock in fillers:
            sock.close()
        listener.close()
        raise


def close_all(sockets: list[socket.socket]) -> None:
    """Close sockets, ignoring errors (teardown path)."""
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.close()
