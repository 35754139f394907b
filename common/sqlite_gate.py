"""First come, first served writes to one SQLite file from the threads of one process.

SQLite lets one writer in at a time, and a writer that finds the file locked sleeps and polls
(its busy handler): whoever asks the moment the lock frees wins, however long the others waited.
A shopper sending messages in a loop (each chat turn holds the write lock, see
`common.db.turn_transaction`) could so starve a staff login or an offer save for the whole busy
timeout. Here every connection of the process queues for the file's gate before its first write
and passes it on, in arrival order, when its transaction ends. Other processes on the same file
still meet SQLite's own busy handler.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import deque
from typing import Any

# The first keyword of statements that take SQLite's write lock (pysqlite opens its implicit
# transaction before the DML ones; BEGIN IMMEDIATE/EXCLUSIVE take the lock at once).
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"})


class FairLock:
    """A lock handed to its waiters in the order they came (threading.Lock makes no such promise)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if waiter.acquire(timeout=max(timeout, 0.0)):
            return True  # handed over by release(): the lock stays held, now by us
        with self._mutex:
            try:
                self._waiters.remove(waiter)
            except ValueError:
                return True  # release() handed it over just as we timed out
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


_gates: dict[str, FairLock] = {}
_gates_mutex = threading.Lock()


def gate_for(database: str) -> FairLock | None:
    """The one gate of a database file in this process; None for in-memory databases."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = os.path.realpath(database)
    with _gates_mutex:
        return _gates.setdefault(key, FairLock())


def _first_keyword(sql: str) -> str:
    return sql.lstrip()[:16].split(None, 1)[0].upper() if sql.strip() else ""


def _is_write(sql: str) -> bool:
    word = _first_keyword(sql)
    if word == "BEGIN":
        head = " ".join(sql.split()[:2]).upper()
        return head in ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
    return word in _WRITES


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that queues at its file's gate before writing (pass as `factory=`)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._gate = gate_for(os.fspath(database)) if isinstance(database, str | os.PathLike) else None
        self._gate_timeout = float(kwargs.get("timeout", args[0] if args else 5.0))
        self._holding = False

    def cursor(self, factory: Any = None) -> Any:  # noqa: D102 - sqlite3's own signature
        return super().cursor(factory or GatedCursor)

    def _enter(self, sql: str) -> None:
        if self._gate is None or self._holding or not _is_write(sql):
            return
        if not self._gate.acquire(self._gate_timeout):
            raise sqlite3.OperationalError("database is locked")
        self._holding = True

    def _leave_if_done(self) -> None:
        if self._holding and not self.in_transaction:
            self._holding = False
            assert self._gate is not None
            self._gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_if_done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_if_done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._holding:
                self._holding = False
                assert self._gate is not None
                self._gate.release()


class GatedCursor(sqlite3.Cursor):
    def _gated(self, sql: str, run: Any) -> GatedCursor:
        conn: GatedConnection = self.connection  # type: ignore[assignment]
        conn._enter(sql)
        try:
            run()
        finally:
            conn._leave_if_done()
        return self

    def execute(self, sql: str, parameters: Any = (), /) -> GatedCursor:
        return self._gated(sql, lambda: super(GatedCursor, self).execute(sql, parameters))

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> GatedCursor:
        return self._gated(sql, lambda: super(GatedCursor, self).executemany(sql, seq_of_parameters))
