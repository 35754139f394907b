"""`keepcart serve`: run the web app."""

from __future__ import annotations

import os
import socket

import typer

from cli import context


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for all)"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (each loads the models once)"),
) -> None:
    """Upgrade the database, load the models and serve the chat API, the widget and the staff and marketer API."""
    run_server(host, port, workers)


def run_server(host: str, port: int, workers: int = 1, demo: bool = False) -> None:
    import uvicorn

    if demo:
        os.environ["KEEPCART_DEMO_MODE"] = "true"
        context.settings.cache_clear()
    settings = context.settings()
    os.environ.setdefault("KEEPCART_DATA_DIR", str(settings.data_dir.resolve()))  # workers resolve the same folder
    settings.resolved_secret_key()  # create it before workers race to
    context.session_factory(migrate=True)
    typer.secho(f"Keepcart is serving on http://{host}:{port} (loading the models takes a few seconds)", fg="green", bold=True)
    typer.echo(f"consoles: http://{host}:{port}/staff (support), http://{host}:{port}/marketing (offers); "
               "accounts: keepcart users create EMAIL --role staff|marketer|admin")
    if workers > 1:
        tcp_listener_for_workers()
    uvicorn.run("web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), access_log=False)


def tcp_listener_for_workers() -> None:
    """Make uvicorn's multi-worker listener a TCP socket asyncio recognises, so replies leave at once.

    With `--workers N` uvicorn binds the listening socket itself with `proto` 0; asyncio then never
    sets TCP_NODELAY on its connections, and every keep-alive request waits ~40 ms for the client's
    delayed ACK (uvicorn issue #3149, open; measured here: `/api/v1/health` p50 44 ms with 2 workers,
    1.8 ms with 1). The bound socket is re-wrapped with IPPROTO_TCP, as the proposed fix does.
    """
    from uvicorn.config import Config

    bind = Config.bind_socket
    if getattr(bind, "keepcart_tcp", False):
        return

    def bind_socket(self: Config) -> socket.socket:
        sock = bind(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
            inheritable = sock.get_inheritable()
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(inheritable)
        return sock

    bind_socket.keepcart_tcp = True  # type: ignore[attr-defined]
    Config.bind_socket = bind_socket  # type: ignore[method-assign]
