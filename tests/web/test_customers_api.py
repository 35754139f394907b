"""Staff read a shopper's churn risk and its reasons; shoppers and strangers cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common import accounts
from common.db import unit_of_work, utcnow
from retention_model.tables import CustomerScore
from tests.e2e.conftest import app_settings, client  # noqa: F401 - fixtures

REASONS = [{"factor": "rhythm", "effect": "raises", "impact": 1.2, "text": "no order for 94 days, usually orders every 30"}]


@pytest.fixture
def staff(client):  # noqa: F811
    sessions = client.app.state.components.sessions
    with unit_of_work(sessions) as s:
        accounts.create_user(s, "sam@shop.example", "support rocks!", "staff")
        s.add(CustomerScore(customer_id="C001", churn_probability=0.81, risk_band="high", expected_purchases=0.4,
                            expected_value=35.5, reasons=REASONS, model_id="churn-test", scored_at=utcnow() - timedelta(hours=2)))
        s.add(CustomerScore(customer_id="C002", churn_probability=0.2, risk_band="low", expected_purchases=3.0,
                            expected_value=150.0, reasons=[], model_id="churn-test", scored_at=utcnow() - timedelta(days=3)))
    token = client.post("/api/v1/auth/login", json={"email": "sam@shop.example", "password": "support rocks!"}).json()["token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def test_staff_see_risk_value_and_plain_word_reasons(client, staff):  # noqa: F811
    res = client.get("/api/v1/customers/C001/risk", headers=staff)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["band"] == "high" and body["probability"] == pytest.approx(0.81) and body["expected_value"] == pytest.approx(35.5)
    assert body["reasons"][0]["text"] == "no order for 94 days, usually orders every 30" and body["stale"] is False
    assert client.get("/api/v1/customers/C002/risk", headers=staff).json()["stale"] is True  # 3 days > 36 h


def test_unknown_customers_and_strangers_are_refused(client, staff):  # noqa: F811
    missing = client.get("/api/v1/customers/C999/risk", headers=staff)
    assert missing.status_code == 404 and "keepcart churn score" in missing.json()["detail"]
    assert client.get("/api/v1/customers/C001/risk").status_code == 401
    shopper_token = client.post("/api/v1/conversations", json={}).json()["token"]  # a conversation token is no staff token
    assert client.get("/api/v1/customers/C001/risk", headers={"Authorization": f"Bearer {shopper_token}"}).status_code == 401
