"""`keepcart db`: schema migrations."""

from __future__ import annotations

import typer

from cli import context

app = typer.Typer(help="Database schema: create or upgrade the tables.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Create or upgrade the database schema to the latest version (safe to run repeatedly)."""
    from common.migrate import current_revision
    from common.migrate import upgrade as do_upgrade

    engine = context.engine()
    before = current_revision(engine)
    do_upgrade(engine, revision)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    typer.echo(f"database {url}: {before or 'empty'} -> {after}")


@app.command()
def current() -> None:
    """Print the database's schema revision."""
    from common.migrate import current_revision

    typer.echo(current_revision(context.engine()) or "empty")
