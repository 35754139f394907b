from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from common.db import unit_of_work
from retention_model.scores import get_risk, write_scores
from retention_model.tables import CustomerScore
from shop.tables import Customer

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def score(customer_id: str, probability: float, scored_at: datetime, model_id: str = "churn-1") -> dict:  # type: ignore[type-arg]
    return {
        "customer_id": customer_id, "churn_probability": probability, "risk_band": "high" if probability > 0.6 else "low",
        "expected_purchases": 1.5, "expected_value": 42.0, "model_id": model_id, "scored_at": scored_at,
        "reasons": [{"factor": "rhythm", "effect": "raises", "impact": 0.2, "text": "no order for 94 days, usually orders every 30"}],
    }


def test_upsert_then_read_with_stale_flag(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        s.add_all([Customer(id=cid, email=f"{cid}@example.com", name=cid) for cid in ("00042", "00043")])
    with unit_of_work(sessions) as s:
        assert write_scores(s, [score("00042", 0.8, NOW - timedelta(hours=50)), score("00043", 0.1, NOW)]) == 2
    with sessions() as s:
        old = get_risk(s, "00042", NOW, max_age_hours=36)
        assert old is not None and old.stale and old.band == "high" and old.probability == 0.8
        assert old.reasons[0]["text"].startswith("no order for 94 days")
        fresh = get_risk(s, "00043", NOW, max_age_hours=36)
        assert fresh is not None and not fresh.stale and fresh.expected_value == 42.0
        assert get_risk(s, "99999", NOW, 36) is None
    with unit_of_work(sessions) as s:  # a rescore overwrites in place
        write_scores(s, [score("00042", 0.3, NOW, model_id="churn-2")])
    with sessions() as s:
        again = get_risk(s, "00042", NOW, 36)
        assert again is not None and not again.stale and again.probability == 0.3 and again.model_id == "churn-2"
        assert again.scored_at == NOW
        assert s.scalar(select(func.count()).select_from(CustomerScore)) == 2
