"""Migrations build the schema from empty, are idempotent, and match the SQLAlchemy models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from common.db import Base
from common.migrate import current_revision, upgrade
from common.schema import load_all_tables


def test_upgrade_from_empty_creates_every_table_and_is_idempotent(engine):
    load_all_tables()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    head = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == head


def test_models_and_migrations_agree(engine):
    load_all_tables()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # type comparisons of the UTC/JSON variants are noise; missing tables, columns or indexes are not
    structural = [d for d in diff if not (isinstance(d, list) or d[0] in ("modify_type",))]
    assert structural == [], structural


def test_0005_renames_the_staff_role_to_agent_and_back(engine):
    from alembic import command
    from sqlalchemy import text

    from common.migrate import alembic_config

    def run(step, revision):
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, revision)

    run(command.downgrade, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO staff_users (email, password_hash, role, active, session_version, created_at) "
                          "VALUES ('sam@shop.example', 'x', 'staff', true, 1, '2026-11-27 10:00:00')"))
    run(command.upgrade, "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT role, grants FROM staff_users")).one()[0] == "agent"
        assert conn.execute(text("SELECT count(*) FROM staff_audit")).scalar() == 0
    run(command.downgrade, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT role FROM staff_users")).scalar() == "staff"
    run(command.upgrade, "head")
