"""Stored customer scores: the batch writes them, the bot reads one row per turn (a primary-key get)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from retention_model.tables import CustomerScore

UPDATABLE = ("churn_probability", "risk_band", "expected_purchases", "expected_value", "reasons", "model_id", "scored_at")


@dataclass(frozen=True)
class RiskSnapshot:
    """A shopper's latest churn risk and value, with the reasons staff can read."""

    customer_id: str
    probability: float
    band: str
    expected_purchases: float
    expected_value: float
    reasons: list[dict[str, Any]] = field(default_factory=list)
    model_id: str = ""
    scored_at: datetime | None = None
    stale: bool = False


def get_risk(session: Session, customer_id: str, now: datetime, max_age_hours: float) -> RiskSnapshot | None:
    """The stored score of one customer, flagged stale when older than `max_age_hours`; None if never scored."""
    row = session.get(CustomerScore, str(customer_id))
    if row is None:
        return None
    stale = row.scored_at is None or now - row.scored_at > timedelta(hours=max_age_hours)
    return RiskSnapshot(
        customer_id=row.customer_id, probability=float(row.churn_probability), band=row.risk_band,
        expected_purchases=float(row.expected_purchases or 0.0), expected_value=float(row.expected_value or 0.0),
        reasons=list(row.reasons or []), model_id=row.model_id, scored_at=row.scored_at, stale=stale,
    )


def write_scores(session: Session, rows: Iterable[dict[str, Any]], chunk: int = 500) -> int:
    """Insert or overwrite score rows (keys as CustomerScore columns) in chunks; works on SQLite and PostgreSQL."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    if dialect not in ("postgresql", "sqlite"):
        raise RuntimeError(f"score upsert supports SQLite and PostgreSQL, not {dialect}")
    batch: list[dict[str, Any]] = []
    written = 0

    def flush() -> None:
        nonlocal written
        if not batch:
            return
        stmt = insert(CustomerScore).values(batch)
        stmt = stmt.on_conflict_do_update(index_elements=[CustomerScore.customer_id], set_={c: stmt.excluded[c] for c in UPDATABLE})
        session.execute(stmt)
        written += len(batch)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            flush()
    flush()
    return written
