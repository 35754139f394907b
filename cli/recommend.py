"""`keepcart recommend`: measure the recommender on a time split."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.context import fail, run_or_fail, write_report

app = typer.Typer(help="Product recommendations: evaluate next-purchase ranking against popularity and item-kNN.", no_args_is_help=True)


@app.command("evaluate")
def evaluate_cmd(
    transactions: Annotated[Path, typer.Option("--transactions", help="Transactions CSV with product_id (customer_id, ordered_at, amount, product_id; optional order_id...).")],
    cutoff: Annotated[str, typer.Option("--cutoff", help="Last day of training history (YYYY-MM-DD); targets are products a known customer first buys after it.")],
    report: Annotated[Path, typer.Option("--report", help="JSON report to write: hit_rate, ndcg and the baselines'.")],
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Length of each ranked list (full ranking over all products).")] = 10,
    horizon_days: Annotated[int | None, typer.Option("--horizon-days", min=1, help="Only count purchases within this many days after the cutoff (default: all later purchases).")] = None,
    products: Annotated[Path | None, typer.Option("--products", help="Optional products CSV (product_id, name; optional category, description, repeat_purchase) for text similarity.")] = None,
    text_model: Annotated[str | None, typer.Option("--text-model", help="sentence-transformers model for product texts (default: all-MiniLM-L6-v2 when --products is given).")] = None,
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Also write one JSON line per customer: customer_id, recommended, bought.")] = None,
) -> None:
    """Fit on purchases up to the cutoff and rank every product for each known customer."""
    from retention_model.evaluation import evaluate_recommender
    from retention_model.features import cutoff_boundary
    from retention_model.pipeline import DEFAULT_TEXT_MODEL, text_encoder
    from retention_model.transactions import load_products_csv, load_transactions_csv

    tx = run_or_fail(load_transactions_csv, transactions)
    encoder, name = None, ""
    if products is not None:
        tx.products = run_or_fail(load_products_csv, products)
        try:
            encoder, name = text_encoder(text_model or DEFAULT_TEXT_MODEL)
        except OSError as exc:
            raise fail(f"cannot load text model {text_model or DEFAULT_TEXT_MODEL!r}: {exc}") from None
    result, rows = run_or_fail(evaluate_recommender, tx, run_or_fail(cutoff_boundary, cutoff), k, horizon_days, encoder, name)
    write_report(report, result, predictions, rows)
    typer.echo(f"{result['customers']} customers with first-time purchases after {result['cutoff']}, {result['items']} products ranked")
    typer.echo(f"{'model':<12}hit_rate@{k} {result['hit_rate']:.4f}  ndcg@{k} {result['ndcg']:.4f}")
    for base, m in result["baselines"].items():
        typer.echo(f"{base:<12}hit_rate@{k} {m['hit_rate']:.4f}  ndcg@{k} {m['ndcg']:.4f}")
    typer.echo(f"report -> {report}")


@app.command("show")
def show_cmd(
    customer: Annotated[str | None, typer.Option("--customer", help="Recommend for this customer id.")] = None,
    similar_to: Annotated[str | None, typer.Option("--similar-to", help="Products similar to this product id.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many products.")] = 5,
    model_dir: Annotated[Path | None, typer.Option("--model", help="Recommender artifact (default: <data_dir>/models/recommender, written by `keepcart demo` or the shop pipeline).")] = None,
) -> None:
    """What the recommender suggests for a shopper, or as "similar to this product", with product names."""
    from cli.context import session_factory, settings
    from retention_model.recommend import Recommender
    from shop.sql_backend import SqlShopBackend

    if (customer is None) == (similar_to is None):
        raise fail("give exactly one of --customer or --similar-to")
    model = run_or_fail(Recommender.load, model_dir or settings().data_dir / "models" / "recommender")
    ids = model.recommend(customer, k) if customer is not None else run_or_fail(model.similar, similar_to, k)
    names = {p.id: p.name for p in SqlShopBackend(session_factory()).get_products(ids)}
    typer.echo(f"{'for customer ' + repr(customer) if customer is not None else 'similar to ' + repr(similar_to)}:")
    for rank, product_id in enumerate(ids, 1):
        typer.echo(f"{rank:3d}. {product_id:<12} {names.get(product_id, '(not in the shop database)')}")
