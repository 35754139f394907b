"""Fixed-window request counters shared by every worker and instance: Redis when configured, else the database.

A counter is one key per (limit, subject, window) incremented atomically: Redis `INCR`, or an SQL
upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, on SQLite and PostgreSQL alike). Either way
`keepcart serve --workers N` and several servers on one database or one Redis count together.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Engine, Integer, String, Table, delete, text
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, UTCDateTime
from common.errors import KeepcartError

log = logging.getLogger(__name__)


class RateCounter(Base):
    """How many requests one subject made in one window; rows past `expires_at` are deleted now and then."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateLimited(KeepcartError):
    """Too many requests; `retry_after` says in how many seconds the window opens again."""

    def __init__(self, what: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many {what}; try again in {retry_after} s")


@dataclass(frozen=True)
class Limit:
    name: str  # e.g. "messages per conversation"
    subject: str  # e.g. the conversation id
    limit: int  # 0: no limit


class Counter(Protocol):
    def increment(self, keys: list[str], ttl: int) -> dict[str, int]: ...


class SqlCounter:
    """Counters in the `rate_limit_counters` table: one upsert statement for all keys of a request."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._next_cleanup = 0.0
        self._postgres = engine.dialect.name == "postgresql"
        self._insert: Any  # the dialect's insert(), which has on_conflict_do_update
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            self.engine = engine
            self._insert = postgresql_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            self.engine = _unsynced_sqlite(engine)
            self._insert = sqlite_insert

    def increment(self, keys: list[str], ttl: int) -> dict[str, int]:
        now = self.clock()
        expires = datetime.fromtimestamp(now + ttl, UTC)
        table = cast(Table, RateCounter.__table__)
        stmt = self._insert(table).values([{"key": k, "count": 1, "expires_at": expires} for k in keys])
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"count": table.c.count + 1})
        with self.engine.begin() as conn:
            if self._postgres:  # a lost count after a crash is harmless: do not wait for the WAL flush
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            counts = {key: count for key, count in conn.execute(stmt.returning(table.c.key, table.c.count))}
            if now >= self._next_cleanup:
                self._next_cleanup = now + 60
                conn.execute(delete(table).where(table.c.expires_at < datetime.fromtimestamp(now, UTC)))
        return counts


def _unsynced_sqlite(engine: Engine) -> Engine:
    """A second engine on the same SQLite file whose commits skip fsync: counters need atomicity, not durability
    (a count lost in a power cut only lets a few more requests through), and an fsync per request cost ~10 ms."""
    from sqlalchemy import event

    from common.db import make_engine

    own = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(own, "connect")
    def _no_sync(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.close()

    return own


class RedisCounter:
    """Counters in Redis: INCR and a first-time EXPIRE in one MULTI/EXEC per request."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def increment(self, keys: list[str], ttl: int) -> dict[str, int]:
        pipe = self.client.pipeline(transaction=True)
        for key in keys:
            pipe.incr(f"keepcart:rl:{key}")
            pipe.expire(f"keepcart:rl:{key}", ttl, nx=True)
        replies = pipe.execute()
        return {key: int(replies[2 * i]) for i, key in enumerate(keys)}


class RateLimiter:
    """Checks several limits in one round trip; raises RateLimited with the longest wait among those exceeded."""

    def __init__(self, counter: Counter, window_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.counter, self.window, self.clock = counter, window_seconds, clock

    def check(self, limits: list[Limit]) -> None:
        active = [lim for lim in limits if lim.limit > 0 and lim.subject]
        if not active:
            return
        now = self.clock()
        window = int(now // self.window)
        keys = [f"{lim.name}:{lim.subject}:{window}" for lim in active]
        try:
            counts = self.counter.increment(keys, ttl=2 * self.window)
        except Exception:  # noqa: BLE001 - a broken limiter must not take the chat down: fail open, loudly
            log.warning("rate-limit counter unavailable; requests are not limited", exc_info=True)
            return
        over = [lim for lim, key in zip(active, keys) if counts.get(key, 0) > lim.limit]
        if over:
            retry_after = max(1, math.ceil((window + 1) * self.window - now))
            raise RateLimited(over[0].name, retry_after)

