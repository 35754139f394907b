"""The marketer console's API over HTTP: rules, versions, validation, preview, report, redemption."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from common import accounts
from common.db import unit_of_work
from retention_model.offers.agent import RetentionAgent
from retention_model.offers.tables import CouponRow
from retention_model.tables import CustomerScore
from tests.e2e.conftest import SECRET, app_settings, client  # noqa: F401 - fixtures
from tests.factories import NOW

RULE = {"name": "Save the cancellation", "kind": "percent", "value": "10", "min_basket": "20",
        "triggers": ["cancel_order"], "eligibility": {"risk_bands": ["high"]}, "holdout_share": 0.0,
        "budget_count": 100, "active": True}



@pytest.fixture
def marketer(client):  # noqa: F811
    sessions = client.app.state.components.sessions
    with unit_of_work(sessions) as s:
        accounts.create_user(s, "mia@shop.example", "marketing rocks!", "marketer")
        for cid, p, band in (("C001", 0.8, "high"), ("C002", 0.2, "low")):
            s.add(CustomerScore(customer_id=cid, churn_probability=p, risk_band=band, expected_purchases=2.0,
                                expected_value=150.0, reasons=[], model_id="test", scored_at=NOW))
    res = client.post("/api/v1/auth/login", json={"email": "mia@shop.example", "password": "marketing rocks!"})
    client.cookies.clear()
    return {"Authorization": f"Bearer {res.json()['token']}"}


def test_crud_writes_versions_with_author(client, marketer):  # noqa: F811
    created = client.post("/api/v1/offers", json=RULE, headers=marketer)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.json()["version"] == 1 and created.json()["spent_count"] == 0
    updated = client.put(f"/api/v1/offers/{rid}", json={**RULE, "value": "15"}, headers=marketer)
    assert updated.json()["version"] == 2 and updated.json()["value"] == "15"
    assert [r["id"] for r in client.get("/api/v1/offers", headers=marketer).json()] == [rid]
    versions = client.get(f"/api/v1/offers/{rid}/versions", headers=marketer).json()
    assert [(v["version"], v["change"], v["changed_by"]) for v in versions] == [
        (1, "created", "mia@shop.example"), (2, "updated", "mia@shop.example")]
    assert client.delete(f"/api/v1/offers/{rid}", headers=marketer).status_code == 204
    assert client.get(f"/api/v1/offers/{rid}", headers=marketer).status_code == 404
    assert len(client.get(f"/api/v1/offers/{rid}/versions", headers=marketer).json()) == 3


def test_validation_errors_name_each_field(client, marketer):  # noqa: F811
    bad = {**RULE, "kind": "bogus", "holdout_share": 2, "eligibility": {"countries": ["Germany"]}}
    res = client.post("/api/v1/offers", json=bad, headers=marketer)
    assert res.status_code == 422
    details = res.json()["detail"]
    for path in ("kind:", "holdout_share:", "eligibility.countries:"):
        assert any(d.startswith(path) for d in details), (path, details)


def test_preview_counts_reach_and_cost(client, marketer):  # noqa: F811
    res = client.post("/api/v1/offers/preview", json={"rule": RULE}, headers=marketer)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["scored_customers"] == 2
    (p,) = body["rules"]
    assert p["eligible"] == 1 and p["worth_offering"] == 1 and p["treatment"] == 1.0 and p["expected_cost"] > 0


def sign(body: bytes, secret: str) -> dict[str, str]:
    return {"X-Keepcart-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def redeem(client, payload: dict, secret: str | None = None):  # noqa: F811
    """Signed with the webhook key by default, as the shop does."""
    raw = json.dumps(payload).encode()
    return client.post("/api/v1/coupons/redeem", content=raw,
                       headers=sign(raw, secret or client.app.state.components.keys.webhook.current))


def test_coupon_redemption_and_report(client, marketer):  # noqa: F811
    rid = client.post("/api/v1/offers", json=RULE, headers=marketer).json()["id"]
    agent = RetentionAgent(client.app.state.components.sessions)
    card = agent.offer_for("C001", "cancel_order", "conv-1")
    assert card is not None and card.code
    agent.mark_shown(card.exposure_id)
    ok = {"code": card.code, "order_id": "1000000009", "customer_id": "C001", "amount": "80.00"}
    raw = json.dumps(ok).encode()
    assert client.post("/api/v1/coupons/redeem", content=raw, headers={"Content-Type": "application/json"}).status_code == 401
    assert redeem(client, ok, secret="x" * 40).status_code == 401
    assert redeem(client, ok, secret=SECRET).status_code == 401  # the shop key verifies shopper tokens, nothing else
    assert redeem(client, {**ok, "code": "KC-2222-3333-4444"}).status_code == 404
    assert redeem(client, {**ok, "customer_id": "C002"}).status_code == 403
    assert redeem(client, {**ok, "amount": "10.00"}).status_code == 422
    done = redeem(client, ok)
    assert done.status_code == 200, done.text
    assert done.json()["discount"] == "8.00" and done.json()["replayed"] is False
    assert redeem(client, ok).json()["replayed"] is True
    assert redeem(client, {**ok, "order_id": "other"}).status_code == 409
    report = client.get(f"/api/v1/offers/{rid}/report", headers=marketer).json()
    assert (report["exposed"], report["treatment"], report["shown"], report["redeemed"], report["cost"]) == (1, 1, 1, 1, "8.00")
    assert report["pending"] == 1  # retention is measured once the 30-day window has passed


def test_expired_codes_are_refused(client, marketer):  # noqa: F811
    client.post("/api/v1/offers", json=RULE, headers=marketer)
    sessions = client.app.state.components.sessions
    card = RetentionAgent(sessions).offer_for("C001", "cancel_order", "conv-2")
    with unit_of_work(sessions) as s:
        row = s.query(CouponRow).filter_by(code=card.code).one()
        row.expires_at = row.issued_at - timedelta(seconds=1)
    res = redeem(client, {"code": card.code, "order_id": "O9", "customer_id": "C001", "amount": "50"})
    assert res.status_code == 409 and "expired" in res.json()["detail"]
