"""Shared fixtures: a migrated database on SQLite and, when configured, on PostgreSQL.

`KEEPCART_TEST_DATABASE_URL` (CI sets it) adds a PostgreSQL run of every `db` test; each test
gets its own schema there, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from common.db import make_engine, make_session_factory
from common.migrate import upgrade

PG_URL = os.environ.get("KEEPCART_TEST_DATABASE_URL")
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _pg_url() -> str:
    url = PG_URL or ""
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        pytest.skip("KEEPCART_TEST_DATABASE_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(_pg_url())
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(_pg_url(), connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def shared_data() -> Path:
    """`../shared/data`, or skip: the product never needs it, some tests read it when present."""
    path = SHARED / "data"
    if not path.exists():
        pytest.skip("../shared/data is absent")
    return path


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory (SQLite inside) for `keepcart` commands run in-process."""
    from cli import context

    monkeypatch.setenv("KEEPCART_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KEEPCART_DATABASE_URL", raising=False)
    context.settings.cache_clear()
    context.engine.cache_clear()
    yield tmp_path / "data"
    context.settings.cache_clear()
    context.engine.cache_clear()
