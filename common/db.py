"""Database engine, sessions and the one metadata every table lives on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from common.sqlite_gate import GatedConnection

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL, plain JSON elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Keepcart stores UTC-aware timestamps only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with sane defaults: SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # GatedConnection: this process's writers queue first come, first served (common.sqlite_gate)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30, "factory": GatedConnection})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


# The connection of the chat turn running in this context (thread or task), if any.
_turn_connection: ContextVar[Connection | None] = ContextVar("keepcart_turn_connection", default=None)


class TurnSessions(sessionmaker[Session]):
    """A session factory whose sessions join the running turn's transaction, when there is one.

    Inside `turn_transaction`, every `sessions()` call (the shop, the transcript store, the offer
    agent...) gets a session on the turn's connection that works in a SAVEPOINT: its `commit()`
    releases the savepoint, its `rollback()` undoes only its own work, and nothing is durable until
    the turn commits. So a turn's message, shop changes, offer exposure, coupon and events commit
    together or not at all, without every port having to take a session argument.
    """

    def __call__(self, **local_kw: Any) -> Session:
        conn = _turn_connection.get()
        if conn is not None and conn.engine is self.kw.get("bind") and "bind" not in local_kw:
            local_kw = {**local_kw, "bind": conn, "join_transaction_mode": "create_savepoint"}
        return super().__call__(**local_kw)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return TurnSessions(engine, expire_on_commit=False)


def in_turn() -> bool:
    """True inside `turn_transaction` (ports may rely on its locks)."""
    return _turn_connection.get() is not None


@contextmanager
def turn_transaction(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """One transaction for a whole chat turn; commits when the block ends without error.

    SQLite takes the database's write lock at once (BEGIN IMMEDIATE), so two turns never interleave
    and never fail on a late lock upgrade; on PostgreSQL the caller locks the rows it needs
    (the conversation row, see `TranscriptStore.claim`).
    """
    engine = factory.kw["bind"]
    if _turn_connection.get() is not None:
        raise RuntimeError("a chat turn is already running in this context")
    with engine.connect() as conn:
        conn.begin()  # begun before any session joins, so sessions only ever take savepoints
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite's own BEGIN is deferred to the first write
        token = _turn_connection.set(conn)
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            _turn_connection.reset(token)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits only when the block finishes without error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
