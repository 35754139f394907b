from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from common.db import unit_of_work
from retention_model.offers.reports import ExposureFact, build_report, difference, rule_report
from retention_model.offers.rules import OfferRuleSpec
from retention_model.offers.store import create_rule
from retention_model.offers.tables import CouponRow, ExposureRow
from tests.factories import add_order
from tests.retention_model.offers.factories import NOW, scored_customer


def F(decision, retained, variant=None, p=0.5, **kw):
    return ExposureFact(decision, variant if decision == "offer" else None, p, retained=retained, **kw)


def test_difference_and_confidence_interval_by_hand():
    d = difference(60, 100, 40, 100)
    # p1 = .6, p0 = .4, se = sqrt(.24/100 + .24/100) = 0.069282; 1.96 × se = 0.135789
    assert d["difference"] == pytest.approx(0.2)
    assert d["ci95"] == pytest.approx([0.0642, 0.3358], abs=1e-4)
    assert difference(1, 2, 0, 0)["ci95"] is None


def test_report_arithmetic_on_a_hand_made_history():
    facts = (
        [F("offer", True, "a", shown=True, accepted=True, issued=True, redeemed=True, discount=Decimal("5.00"))] * 3
        + [F("offer", False, "a", shown=True, issued=True)] * 1
        + [F("offer", True, "b", issued=True, redeemed=True, discount=Decimal("2.50"))] * 2
        + [F("offer", None, "b", issued=True)] * 2  # too recent to count
        + [F("holdout", True)] * 1 + [F("holdout", False)] * 3
        + [F("blocked", None)] * 2
    )
    r = build_report(facts, retention_days=30, min_per_group=1)
    assert (r["eligible"], r["exposed"], r["treatment"], r["holdout"], r["blocked"], r["pending"]) == (14, 12, 8, 4, 2, 2)
    assert (r["shown"], r["accepted"], r["issued"], r["redeemed"], r["cost"]) == (4, 3, 8, 5, "20.00")
    assert r["retention"]["treatment"] == {"n": 6, "retained": 5, "rate": 0.8333}
    assert r["retention"]["holdout"] == {"n": 4, "retained": 1, "rate": 0.25}
    assert r["retention"]["difference"] == pytest.approx(0.5833, abs=1e-4)
    a, b = r["variants"]
    assert (a["variant"], a["exposed"], a["redeemed"], a["cost"], a["redemption_rate"]) == ("a", 4, 3, "15.00", 0.75)
    assert a["retention"]["treatment"]["rate"] == 0.75 and b["retention"]["treatment"] == {"n": 2, "retained": 2, "rate": 1.0}
    assert [d["decile"] for d in r["uplift_by_risk_decile"]] == [6]  # every p is 0.5


def test_deciles_need_enough_shoppers_in_both_groups():
    facts = [F("offer", True, p=0.95)] * 40 + [F("holdout", False, p=0.95)] * 40 + [F("offer", True, p=0.15)] * 40 \
        + [F("holdout", True, p=0.15)] * 10
    deciles = build_report(facts, 30, min_per_group=30)["uplift_by_risk_decile"]
    assert [(d["decile"], d["difference"]) for d in deciles] == [(10, 1.0)]


def test_loader_reads_exposures_coupons_and_orders(sessions):
    with unit_of_work(sessions) as s:
        scored_customer(s, "C1", orders=0)
        scored_customer(s, "C2", orders=0)
        rid = create_rule(s, OfferRuleSpec.model_validate({"name": "r", "kind": "fixed", "value": "5",
                                                           "triggers": ["cancel_order"]}), "t").rule.id
        at = NOW - timedelta(days=40)
        e1 = ExposureRow(rule_id=rid, rule_version=1, customer_id="C1", trigger="cancel_order", decision="offer",
                         churn_probability=0.5, created_at=at, shown_at=at)
        e2 = ExposureRow(rule_id=rid, rule_version=1, customer_id="C2", trigger="cancel_order", decision="holdout",
                         churn_probability=0.5, created_at=at)
        s.add_all([e1, e2])
        s.flush()
        s.add(CouponRow(code="KC-AAAA-BBBB-CCCC", exposure_id=e1.id, rule_id=rid, customer_id="C1", kind="fixed",
                        value=Decimal("5"), reserved=Decimal("5"), issued_at=at, expires_at=at + timedelta(days=14),
                        redeemed_at=at + timedelta(days=2), order_id="O1", discount=Decimal("5")))
        add_order(s, "O1", "C1", "delivered", 38, [])  # 2 days after the exposure (NOW is an hour after the shop's clock)
        add_order(s, "O2", "C2", "cancelled", 30, [])  # cancelled: not a purchase
    with sessions() as s:
        r = rule_report(s, rid, 30, NOW)
    assert r["retention"]["treatment"]["retained"] == 1 and r["retention"]["holdout"]["retained"] == 0
    assert (r["shown"], r["redeemed"], r["cost"]) == (1, 1, "5.00")
