"""`keepcart serve`: run the web app."""

from __future__ import annotations

import os

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
    settings.resolved_secret_key()  # create it before workers race to
    context.session_factory(migrate=True)
    typer.secho(f"Keepcart is serving on http://{host}:{port} (loading the models takes a few seconds)", fg="green", bold=True)
    uvicorn.run("web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level.lower(), access_log=False)
