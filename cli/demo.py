"""`keepcart demo`: prepare the demo shop (database, data, models, index) and serve it.

Each step reuses what an earlier run built and rebuilds only when its inputs changed, so the
first start trains everything (minutes) and later starts take seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import typer

from cli import context
from cli.serve import run_server


def _step(title: str, work: Callable[[], str]) -> None:
    started = time.perf_counter()
    typer.secho(f"==> {title}", bold=True, err=True)
    detail = work()
    typer.echo(f"    {detail} ({time.perf_counter() - started:.1f} s)", err=True)


def prepare_shop(customers: int, seed: int) -> str:
    from common.db import unit_of_work
    from shop.demo import demo_shop_is_present, generate_demo_shop

    sessions = context.session_factory()
    with sessions() as session:
        if demo_shop_is_present(session):
            return "demo shop already present"
    with unit_of_work(sessions) as session:
        summary = generate_demo_shop(session, seed=seed, customers=customers, progress=True)
    return f"generated {summary.customers} customers, {summary.products} products, {summary.orders} orders"


def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    customers: int = typer.Option(2000, min=50, help="Demo customers to generate on first start"),
    seed: int = typer.Option(7, help="Seed of the demo shop generator"),
    prepare_only: bool = typer.Option(False, "--prepare-only", help="Prepare everything, then exit instead of serving"),
) -> None:
    """Set up the demo shop in the data directory (database, data, models, index) and serve it."""
    settings = context.settings()
    typer.secho(f"Keepcart demo, data directory {settings.data_dir.resolve()}", bold=True, err=True)
    _step("Database schema", lambda: (context.session_factory(), "up to date")[1])
    _step("Demo shop", lambda: prepare_shop(customers, seed))
    if prepare_only:
        typer.echo("demo prepared")
        return
    run_server(host, port, demo=True)
