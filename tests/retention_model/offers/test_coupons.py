from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from common.db import unit_of_work
from common.errors import Conflict, Forbidden, InvalidInput, NotFound
from retention_model.offers.coupons import CODE_RE, BudgetExhausted, issue_for_exposure, normalise_code, redeem
from retention_model.offers.rules import OfferRuleSpec
from retention_model.offers.store import create_rule, get_rule
from retention_model.offers.tables import CouponRow, ExposureRow
from tests.retention_model.offers.factories import NOW, scored_customer


def setup_rule(sessions, exposures: int = 1, customers=("C001",), **spec) -> tuple[int, list[int]]:
    body = {"name": "Save", "kind": "percent", "value": "10", "min_basket": "30", "triggers": ["cancel_order"],
            "active": True, "validity_days": 14}
    body.update(spec)
    with unit_of_work(sessions) as s:
        for cid in customers:
            scored_customer(s, cid)
        rule = create_rule(s, OfferRuleSpec.model_validate(body), "test").rule
        ids = []
        for i in range(exposures):
            row = ExposureRow(rule_id=rule.id, rule_version=1, customer_id=customers[i % len(customers)],
                              conversation_id=f"conv-{i}", trigger="cancel_order", decision="offer",
                              cost_estimate=Decimal("5.00"), expected_value=10.0, created_at=NOW)
            s.add(row)
            s.flush()
            ids.append(row.id)
    return rule.id, ids


def test_issue_is_idempotent_per_exposure(sessions):
    rule_id, (eid,) = setup_rule(sessions, budget_count=5)
    first = issue_for_exposure(sessions, eid, NOW)
    again = issue_for_exposure(sessions, eid, NOW + timedelta(minutes=1))
    assert first == again and CODE_RE.match(first.code)
    assert first.expires_at == NOW + timedelta(days=14) and first.reserved == Decimal("5.00")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CouponRow)) == 1
        assert get_rule(s, rule_id).spent_count == 1 and get_rule(s, rule_id).spent_money == Decimal("5.00")


def test_codes_are_unique_and_normalised():
    from retention_model.offers.coupons import new_code

    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    code = next(iter(codes))
    assert normalise_code(code.lower().replace("-", " ")) == code


def test_budget_in_count_and_money_stops_issuing(sessions):
    _, ids = setup_rule(sessions, exposures=4, budget_count=3)
    issued = [issue_for_exposure(sessions, e, NOW) for e in ids[:3]]
    assert len({c.code for c in issued}) == 3
    with pytest.raises(BudgetExhausted):
        issue_for_exposure(sessions, ids[3], NOW)
    _, ids = setup_rule(sessions, exposures=3, customers=("C002",), name="money", budget_money="12.00")
    issue_for_exposure(sessions, ids[0], NOW)
    issue_for_exposure(sessions, ids[1], NOW)  # 10.00 reserved
    with pytest.raises(BudgetExhausted):
        issue_for_exposure(sessions, ids[2], NOW)  # 15.00 > 12.00


def test_money_budget_is_used_to_the_cent(sessions):
    # 4.90 × 300 = 1470.00: binary floats would refuse the 300th coupon
    _, ids = setup_rule(sessions, exposures=3, budget_money="14.70")
    with unit_of_work(sessions) as s:
        for e in ids:
            s.get(ExposureRow, e).cost_estimate = Decimal("4.90")
    assert len([issue_for_exposure(sessions, e, NOW) for e in ids]) == 3


@pytest.mark.postgres
def test_fifty_concurrent_issuances_against_a_budget_of_ten(sessions):
    _, ids = setup_rule(sessions, exposures=50, customers=tuple(f"C{i:03d}" for i in range(50)), budget_count=10)
    barrier = threading.Barrier(50)
    issued, refused, errors = [], [], []

    def worker(eid: int) -> None:
        barrier.wait()
        try:
            issued.append(issue_for_exposure(sessions, eid, NOW))
        except BudgetExhausted:
            refused.append(eid)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(e,)) for e in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(issued) == 10 and len(refused) == 40
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CouponRow)) == 10


def test_redemption_rules(sessions):
    _, ids = setup_rule(sessions, exposures=2, customers=("C001", "C002"), max_discount="4")
    ada = issue_for_exposure(sessions, ids[0], NOW)
    bob = issue_for_exposure(sessions, ids[1], NOW)
    with unit_of_work(sessions) as s:
        with pytest.raises(NotFound):
            redeem(s, "KC-AAAA-BBBB-CCCC", "O1", "C001", Decimal("50"), NOW)
        with pytest.raises(Forbidden, match="another customer"):
            redeem(s, bob.code, "O1", "C001", Decimal("50"), NOW)
        with pytest.raises(InvalidInput, match="at least 30"):
            redeem(s, ada.code, "O1", "C001", Decimal("20"), NOW)
        with pytest.raises(Conflict, match="expired"):
            redeem(s, ada.code, "O1", "C001", Decimal("50"), NOW + timedelta(days=14))
        done = redeem(s, ada.code.lower(), "O1", "C001", Decimal("50"), NOW + timedelta(days=1))
        assert done.discount == Decimal("4.00") and not done.replayed  # 10% of 50, capped at 4
    with unit_of_work(sessions) as s:
        assert redeem(s, ada.code, "O1", "C001", Decimal("50"), NOW).replayed  # webhook retry
        with pytest.raises(Conflict, match="already redeemed"):
            redeem(s, ada.code, "O2", "C001", Decimal("50"), NOW)


def test_holdout_exposure_gets_no_coupon(sessions):
    _, (eid,) = setup_rule(sessions)
    with unit_of_work(sessions) as s:
        s.get(ExposureRow, eid).decision = "holdout"
    with pytest.raises(Conflict, match="holdout"):
        issue_for_exposure(sessions, eid, NOW)
