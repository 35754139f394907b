"""Is the database there and writable? Asked at start (refuse to serve) and by `/api/v1/health` (report it).

A read-only SQLite file or a PostgreSQL standby answers `SELECT 1` happily and then fails every turn;
only a write shows it. The probe writes one row and rolls it back, so it leaves nothing behind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Engine, Table
from sqlalchemy.exc import SQLAlchemyError

from common.rate_limits import RateCounter


def write_problem(engine: Engine) -> str | None:
    """None when a write works; else one line saying what is wrong."""
    try:
        with engine.connect() as conn:
            with conn.begin() as tx:
                table = cast(Table, RateCounter.__table__)
                conn.execute(table.insert().values(key="health-probe", count=0, expires_at=datetime.now(UTC)))
                tx.rollback()
    except SQLAlchemyError as exc:
        return _first_line(exc)
    except OSError as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else orig.__class__.__name__
    if "read-only" in message or "readonly" in message:
        return f"the database is read-only ({message})"
    return message
