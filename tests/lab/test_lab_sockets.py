"""The lab's listening sockets: what asyncio does with the connections they accept."""

from __future__ import annotations

import asyncio
import socket

from apiprobe.lab._sockets import bind_socket


def test_accepted_connections_have_nagle_off_like_a_go_server() -> None:
    # Nagle on a server that writes twice (TLS 1.3 session tickets, then the answer) makes
    # the second write wait for the client's delayed ACK: 40 ms stalls in a "healthy" endpoint.
    async def main() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Server(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        sock = bind_socket("127.0.0.1")
        sock.setblocking(False)
        server = await loop.create_server(Server, sock=sock)
        port = sock.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    assert asyncio.run(main()) != 0
