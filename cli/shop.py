"""`keepcart shop`: the shop's data — import from CSV, mint shopper tokens."""

from __future__ import annotations

from pathlib import Path

import typer

from cli import context

app = typer.Typer(help="The shop's customers, products and orders.", no_args_is_help=True)


@app.command("import")
def import_csv(
    customers: Path | None = typer.Option(None, exists=True, dir_okay=False, help="customers.csv: id,email,name[,address_line,city,postal_code,country,created_at]"),
    products: Path | None = typer.Option(None, exists=True, dir_okay=False, help="products.csv: id,name,category,price[,description,repeat_purchase]"),
    orders: Path | None = typer.Option(None, exists=True, dir_okay=False, help="orders.csv, one row per line: order_id,customer_id,placed_at,status,product_id,quantity,unit_price[,...]"),
) -> None:
    """Import (or update) the shop from CSV files in one transaction: any bad row and nothing is written."""
    from common.db import unit_of_work
    from shop.importer import import_shop

    if not (customers or products or orders):
        raise context.fail("give at least one of --customers, --products, --orders", code=2)
    with unit_of_work(context.session_factory()) as session:
        summary = context.run_or_fail(import_shop, session, customers, products, orders)
    typer.echo(f"imported {summary.customers} customers, {summary.products} products, "
               f"{summary.orders} orders with {summary.order_lines} lines")


@app.command()
def token(
    customer_id: str = typer.Argument(..., help="The customer to sign in"),
    ttl: int = typer.Option(3600, min=60, help="Validity in seconds (at most KEEPCART_KEYS__SHOPPER_TOKEN_MAX_HOURS)"),
) -> None:
    """Print a shopper token for a customer: an HS256 JWT signed with the shop key, as the shop's site makes one."""
    from common import signing
    from shop.sql_backend import SqlShopBackend

    settings = context.settings()
    if ttl > settings.keys.shopper_token_max_hours * 3600:
        raise context.fail(f"--ttl {ttl}: longer than KEEPCART_KEYS__SHOPPER_TOKEN_MAX_HOURS "
                           f"({settings.keys.shopper_token_max_hours:g} h); the server would refuse it", code=2)
    if SqlShopBackend(context.session_factory()).find_customer(customer_id) is None:
        raise context.fail(f"customer {customer_id!r} not found")
    typer.echo(signing.shopper_token(settings.resolved_secret_key(), customer_id, ttl, audience=settings.keys.shopper_audience))
