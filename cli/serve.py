"""`keepcart serve`: run the web app."""

from __future__ import annotations

import ipaddress
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
    if settings.demo_mode and not settings.demo_allow_remote and not is_loopback_host(host):
        raise context.fail(f"demo mode signs in anyone as any customer: refusing to serve it on {host}; "
                           "use --host 127.0.0.1, or set KEEPCART_DEMO_ALLOW_REMOTE=true if you really mean it")
    os.environ.setdefault("KEEPCART_DATA_DIR", str(settings.data_dir.resolve()))  # workers resolve the same folder
    from common.keys import load_keys

    load_keys(settings)  # create the shop secret and the key files before workers race to
    database_ready_or_exit()
    typer.secho(f"Keepcart is serving on http://{host}:{port} (loading the models takes a few seconds)", fg="green", bold=True)
    typer.echo(f"consoles: http://{host}:{port}/staff (support), http://{host}:{port}/marketing (offers); "
               "accounts: keepcart users create EMAIL --role agent|support_lead|marketer|admin")
    if workers > 1:
        tcp_listener_for_workers()
    # Forwarded headers are read by the app, from KEEPCART_TRUSTED_PROXIES only (web/security.py); uvicorn's
    # own handling would believe any local process that sends X-Forwarded-For.
    uvicorn.run("web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), access_log=False, proxy_headers=False,
                timeout_graceful_shutdown=GRACEFUL_SECONDS)  # SIGTERM: stop within ~GRACEFUL_SECONDS, not never


GRACEFUL_SECONDS = 5


def database_ready_or_exit() -> None:
    """Migrate, then prove the database takes a write; else one clear line and exit 2 (no traceback)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from common.db_probe import write_problem

    shown = make_url(context.settings().resolved_database_url()).render_as_string(hide_password=True)
    try:
        context.session_factory(migrate=True)
        problem = write_problem(context.engine())
    except (SQLAlchemyError, OSError) as exc:
        orig = getattr(exc, "orig", None) or exc
        problem = (str(orig).strip().splitlines() or [orig.__class__.__name__])[0]
    if problem:
        raise context.fail(f"cannot serve: database {shown}: {problem}", code=2)
    days = context.settings().transcript_retention_days
    if days:  # the retention period is kept even by a server that is never told to purge
        from cli.privacy import purge_transcripts
        from common.db import unit_of_work

        with unit_of_work(context.session_factory(migrate=False)) as session:
            count = purge_transcripts(session, days)
        typer.echo(f"transcripts older than {days} days anonymised: {count}")


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: an address only this machine can reach."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
