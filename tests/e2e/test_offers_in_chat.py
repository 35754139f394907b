"""A churn signal in a real conversation reaches the offer agent: exposure recorded, coupon shown."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from common.db import unit_of_work
from retention_model.offers.demo_rules import install_demo_rules
from retention_model.offers.tables import CouponRow, ExposureRow
from retention_model.tables import CustomerScore
from tests.e2e.conftest import start


def test_high_risk_shopper_cancelling_gets_an_offer_or_is_held_out(client, sessions):
    with unit_of_work(sessions) as s:
        install_demo_rules(s)
        s.add(CustomerScore(customer_id="C001", churn_probability=0.81, risk_band="high", expected_purchases=1.2,
                            expected_value=140.0, reasons=["no order for 60 days"], model_id="test", scored_at=datetime.now(UTC)))
    cid, auth = start(client, "C001")
    url = f"/api/v1/conversations/{cid}/messages"
    client.post(url, json={"text": "cancel order 1000000004", "client_message_id": "1"}, headers=auth)
    replies = client.post(url, json={"text": "yes", "client_message_id": "2"}, headers=auth).json()["replies"]
    assert "is cancelled" in replies[0]["text"]
    with sessions() as s:
        exposures = s.scalars(select(ExposureRow).where(ExposureRow.conversation_id == cid)).all()
        coupons = s.scalars(select(CouponRow)).all()
    assert [e.trigger for e in exposures] == ["cancel_order"]
    if exposures[0].decision == "offer":
        assert len(coupons) == 1 and coupons[0].code in replies[1]["text"]
        assert replies[1]["cards"][0]["type"] == "offer" and exposures[0].shown_at is not None
    else:
        assert exposures[0].decision == "holdout" and coupons == [] and len(replies) == 1
    # a replayed message does not decide twice
    client.post(url, json={"text": "yes", "client_message_id": "2"}, headers=auth)
    with sessions() as s:
        assert len(s.scalars(select(ExposureRow).where(ExposureRow.conversation_id == cid)).all()) == 1


def test_low_risk_shopper_gets_no_offer(client, sessions):
    with unit_of_work(sessions) as s:
        install_demo_rules(s)
        s.add(CustomerScore(customer_id="C001", churn_probability=0.05, risk_band="low", expected_purchases=4.0,
                            expected_value=300.0, reasons=[], model_id="test", scored_at=datetime.now(UTC)))
    cid, auth = start(client, "C001")
    url = f"/api/v1/conversations/{cid}/messages"
    client.post(url, json={"text": "cancel order 1000000004", "client_message_id": "1"}, headers=auth)
    replies = client.post(url, json={"text": "yes", "client_message_id": "2"}, headers=auth).json()["replies"]
    assert len(replies) == 1
    with sessions() as s:
        assert s.scalars(select(CouponRow)).all() == []
