"""`keepcart serve --workers N`: the listener uvicorn binds must give connections TCP_NODELAY."""

from __future__ import annotations

import asyncio
import socket

import pytest
from uvicorn.config import Config

from cli.serve import tcp_listener_for_workers


def nodelay_of_an_accepted_connection(listener: socket.socket) -> int:
    """Serve `listener` the way a uvicorn worker does (asyncio with sock=) and report the option."""
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(run())
    return seen[0]


def test_worker_connections_get_tcp_nodelay(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(Config, "bind_socket", Config.bind_socket)  # restored after the test
    tcp_listener_for_workers()
    tcp_listener_for_workers()  # idempotent: wraps once
    listener = Config(app=lambda: None, host="127.0.0.1", port=0).bind_socket()
    assert listener.proto == socket.IPPROTO_TCP and listener.get_inheritable()
    assert nodelay_of_an_accepted_connection(listener) == 1  # 0 without the fix: ~40 ms per keep-alive reply
