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


@app.command()
def customers(
    status: list[str] = typer.Option([], "--status", help="Only customers with an order in this status (repeatable: all of them)"),
    country: str | None = typer.Option(None, "--country", help="Only customers in this country (two letters, e.g. DE)"),
    risk: str | None = typer.Option(None, "--risk", help="Only this churn-risk band: low, medium, high or lapsed (no order for longer than the churn horizon)"),
    limit: int = typer.Option(20, "--limit", min=1, max=100_000, help="Customers to list"),
) -> None:
    """List the shop's customers with their orders, country and churn risk: who to sign in as to try a flow."""
    from sqlalchemy import func, select

    from retention_model.churn import BANDS
    from retention_model.tables import CustomerScore
    from shop.tables import Customer, Order, OrderStatus

    bad = sorted(set(status) - {s.value for s in OrderStatus})
    if bad:
        raise context.fail(f"--status {', '.join(bad)}: not an order status ({', '.join(s.value for s in OrderStatus)})", code=2)
    if risk is not None and risk not in BANDS:
        raise context.fail(f"--risk {risk}: one of {', '.join(BANDS)}", code=2)
    query = (select(Customer, CustomerScore.risk_band, CustomerScore.churn_probability)
             .join(CustomerScore, CustomerScore.customer_id == Customer.id, isouter=True).order_by(Customer.id).limit(limit))
    for s in status:
        query = query.where(Customer.id.in_(select(Order.customer_id).where(Order.status == s)))
    if country:
        query = query.where(Customer.country == country.upper())
    if risk:
        query = query.where(CustomerScore.risk_band == risk)
    with context.session_factory()() as session:
        rows = session.execute(query).all()
        ids = [c.id for c, _, _ in rows]
        counts: dict[str, dict[str, int]] = {}
        for cid, st, n in session.execute(select(Order.customer_id, Order.status, func.count(Order.id))
                                          .where(Order.customer_id.in_(ids)).group_by(Order.customer_id, Order.status)):
            counts.setdefault(cid, {})[st] = n
    if not rows:
        typer.echo("no customer matches")
        return
    typer.echo(f"{'customer':10} {'name':24} {'country':7} {'orders':>6}  {'risk':13} statuses")
    for c, band, probability in rows:
        mine = counts.get(c.id, {})
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(mine.items()))
        risk_text = f"{band} {probability:.2f}" if band else "not scored"
        typer.echo(f"{c.id:10} {c.name[:24]:24} {c.country or '-':7} {sum(mine.values()):>6}  {risk_text:13} {statuses}")
