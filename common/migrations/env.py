"""Alembic environment: runs migrations on the connection or URL Keepcart hands in."""

from __future__ import annotations

from alembic import context

from common.db import Base, make_engine
from common.schema import load_all_tables

load_all_tables()
config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no connection handed in and no sqlalchemy.url set: nothing to migrate")
    engine = make_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
