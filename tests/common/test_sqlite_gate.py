"""SQLite writers of one process are served in arrival order, so a busy writer cannot starve the others."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from common.db import make_engine
from common.sqlite_gate import FairLock, GatedConnection


def test_the_fair_lock_serves_waiters_before_a_holder_that_asks_again():
    lock = FairLock()
    order: list[str] = []
    assert lock.acquire(1)
    waiter = threading.Thread(target=lambda: (lock.acquire(5), order.append("waiter"), lock.release()))
    waiter.start()
    while not lock._waiters:  # the waiter is queued
        time.sleep(0.001)
    lock.release()
    assert lock.acquire(5)  # the old holder asks again at once: it must come after the waiter
    order.append("holder")
    lock.release()
    waiter.join()
    assert order == ["waiter", "holder"]


def test_a_waiter_that_times_out_leaves_the_queue():
    lock = FairLock()
    assert lock.acquire(1)
    assert lock.acquire(0.01) is False
    assert not lock._waiters
    lock.release()
    assert lock.acquire(0.01)  # free again


def test_a_looping_writer_lets_another_writer_in_at_its_next_commit(tmp_path):
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    busy, other = make_engine(url), make_engine(url)
    with busy.begin() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT)"))
    stop = threading.Event()
    loops: list[int] = []

    def loop() -> None:
        while not stop.is_set():
            with busy.connect() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.execute(text("INSERT INTO t VALUES ('busy')"))
                time.sleep(0.005)  # a turn's work, holding the write lock
                conn.commit()
            loops.append(1)

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        while len(loops) < 3:
            time.sleep(0.001)
        before = len(loops)
        with other.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES ('other')"))
        waited_loops = len(loops) - before
    finally:
        stop.set()
        thread.join()
    assert waited_loops <= 2  # at most the running transaction and one that was already queued


def test_engines_on_one_file_share_a_gate_and_release_it_after_autocommit_ddl(tmp_path):
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    first, second = make_engine(url), make_engine(url)
    with first.connect() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))  # pysqlite runs DDL outside a transaction
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, GatedConnection) and not dbapi._holding
    with second.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert conn.connection.dbapi_connection._gate is dbapi._gate
    assert dbapi._gate is not None and not dbapi._gate._held
