"""`keepcart demo`: prepare the demo shop (database, data, models, index) and serve it.

Each step reuses what an earlier run built and rebuilds only when its inputs changed, so the
first start trains everything (minutes) and later starts take seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

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


def prepare_nlu() -> str:
    from bot.nlu.training_data import default_training_files
    from common.artifacts import MANIFEST, hash_files, read_manifest

    settings = context.settings()
    out, files = settings.nlu_model_dir(), default_training_files()
    if (out / MANIFEST).exists():
        manifest = read_manifest(out)
        if manifest.get("data_hash") == hash_files(files) and manifest.get("params", {}).get("base_model") == settings.nlu.base_model:
            return f"NLU model {manifest['id']} is up to date"
    from bot.nlu.recipes import train_nlu

    manifest = train_nlu(files, out, settings.nlu.base_model, progress=True)
    return f"trained NLU model {manifest['id']} (validation {_fmt(manifest.get('metrics', {}))})"


def prepare_knowledge_base() -> str:
    from knowledge_base.building import build_or_load, default_sources, is_up_to_date
    from knowledge_base.embedder import Embedder

    settings = context.settings()
    sources, index_dir = settings.kb.sources or default_sources(), settings.kb_index_dir()
    if is_up_to_date(sources, index_dir, settings.kb.embedding_model):
        return "help-centre index is up to date"
    kb = build_or_load(sources, index_dir, Embedder(settings.kb.embedding_model, bulk_precision=settings.kb.bulk_precision), progress=True)
    return f"built help-centre index {kb.index_id}"


def prepare_retention() -> str:
    from datetime import UTC, datetime

    settings = context.settings()
    sessions = context.session_factory()
    fresh = _fresh_scores(sessions, settings.retention.score_max_age_hours)
    if fresh and (settings.churn_model_dir() / "manifest.json").exists():
        return f"models and churn scores ({fresh} old) kept; `keepcart churn score` refreshes them"

    from common.db import unit_of_work
    from retention_model.offers.demo_rules import install_demo_rules
    from retention_model.pipeline import train_and_score_shop

    result = train_and_score_shop(sessions, settings.data_dir / "models", settings.retention.horizon_days,
                                  datetime.now(UTC), progress=True, text_model=settings.kb.embedding_model)
    with unit_of_work(sessions) as session:
        installed = install_demo_rules(session)
    state = "trained" if result["retrained"] else "unchanged"
    return f"churn and recommendation models {state}; scored {result['scores']['scored']} customers; {installed} demo offer rules installed"


def _fresh_scores(sessions, max_age_hours: float) -> str | None:  # type: ignore[no-untyped-def]
    """How old the newest churn scores are, when younger than the stale limit; else None."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from retention_model.tables import CustomerScore

    with sessions() as session:
        newest = session.scalar(select(func.max(CustomerScore.scored_at)))
    if newest is None:
        return None
    age = datetime.now(UTC) - (newest if newest.tzinfo else newest.replace(tzinfo=UTC))
    return f"{age.total_seconds() / 3600:.1f} h" if age.total_seconds() < max_age_hours * 3600 else None


def command_hint() -> str:
    """How to reach `keepcart` from a shell: scripts/demo installs it into .venv, which is not on the PATH."""
    import shutil
    import sys

    exe = Path(sys.executable).parent / "keepcart"
    if shutil.which("keepcart") == str(exe) or not exe.exists():
        return "commands: keepcart --help (e.g. keepcart shop customers --limit 5)"
    activate = exe.parent / "activate"
    return (f"commands: run `. {activate}` in your shell to put `keepcart` on the PATH "
            f"(or call {exe} directly), then e.g. keepcart shop customers --limit 5")


def _fmt(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k}={v}" for k, v in metrics.items()) or "no metrics"


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
    _step("NLU model (intents and entities)", prepare_nlu)
    _step("Help-centre index", prepare_knowledge_base)
    _step("Churn risk, customer value, recommendations and offers", prepare_retention)
    typer.echo(command_hint(), err=True)
    if prepare_only:
        typer.echo("demo prepared")
        return
    context.record_data_dir(settings.data_dir)  # commands run from other folders find this shop
    run_server(host, port, demo=True)
