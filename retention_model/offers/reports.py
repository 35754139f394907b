"""Offer reports: funnel per variant, and incremental retention of treatment over hold-out.

Retention = a purchase (any order not cancelled) within N days after the exposure. Treatment is
every shopper assigned to an offer, shown or not (intent to treat), so the comparison with the
hold-out stays unbiased. Exposures younger than N days are not counted yet ("pending").
The difference of proportions gets a 95% normal-approximation interval; uplift by churn-risk
decile is reported only for deciles with at least `min_per_group` shoppers in both groups.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention_model.offers.store import NOT_PURCHASES
from retention_model.offers.tables import CouponRow, ExposureRow
from shop.tables import Order

Z95 = 1.959963984540054


@dataclass(frozen=True)
class ExposureFact:
    decision: str  # offer / holdout / blocked
    variant: str | None
    churn_probability: float | None
    shown: bool = False
    accepted: bool = False
    issued: bool = False
    redeemed: bool = False
    discount: Decimal = Decimal("0")
    retained: bool | None = None  # None: exposure younger than the retention window
    targeting: str = "risk"  # how the decision picked the shopper: risk, uplift, or risk_fallback (no uplift model yet)


def targeting_of(reason: str) -> str:
    """Read back how a decision targeted the shopper from its recorded reason (see decision.rule_value)."""
    if "targeting: uplift" in reason:
        return "uplift"
    if "targeting: risk" in reason:
        return "risk_fallback"
    return "risk"


def proportion(hits: int, n: int) -> dict[str, Any]:
    return {"n": n, "retained": hits, "rate": round(hits / n, 4) if n else None}


def difference(t_hits: int, t_n: int, c_hits: int, c_n: int) -> dict[str, Any]:
    """Treatment minus hold-out retention with a 95% two-proportion normal-approximation interval."""
    out: dict[str, Any] = {"treatment": proportion(t_hits, t_n), "holdout": proportion(c_hits, c_n),
                           "difference": None, "ci95": None}
    if t_n and c_n:
        p1, p0 = t_hits / t_n, c_hits / c_n
        se = math.sqrt(p1 * (1 - p1) / t_n + p0 * (1 - p0) / c_n)
        out["difference"] = round(p1 - p0, 4)
        out["ci95"] = [round(p1 - p0 - Z95 * se, 4), round(p1 - p0 + Z95 * se, 4)]
    return out


def _retention(facts: Sequence[ExposureFact], decision: str) -> tuple[int, int]:
    done = [f for f in facts if f.decision == decision and f.retained is not None]
    return sum(1 for f in done if f.retained), len(done)


def _funnel(facts: Sequence[ExposureFact]) -> dict[str, Any]:
    offers = [f for f in facts if f.decision == "offer"]
    redeemed = sum(f.redeemed for f in offers)
    return {
        "exposed": len(offers), "shown": sum(f.shown for f in offers), "accepted": sum(f.accepted for f in offers),
        "issued": sum(f.issued for f in offers), "redeemed": redeemed,
        "redemption_rate": round(redeemed / len(offers), 4) if offers else None,
        "cost": str(sum((f.discount for f in offers if f.redeemed), Decimal("0")).quantize(Decimal("0.01"))),
    }


def build_report(facts: Sequence[ExposureFact], retention_days: int, min_per_group: int = 30) -> dict[str, Any]:
    """The report of one rule from its exposure facts. Pure arithmetic."""
    holdout = [f for f in facts if f.decision == "holdout"]
    exposed = [f for f in facts if f.decision in ("offer", "holdout")]
    c_hits, c_n = _retention(holdout, "holdout")
    t_hits, t_n = _retention(facts, "offer")
    names = sorted({f.variant or "" for f in facts if f.decision == "offer"})
    variants = []
    for name in names:
        group = [f for f in facts if f.decision == "offer" and (f.variant or "") == name]
        vh, vn = _retention(group, "offer")
        variants.append({"variant": name or None, **_funnel(group), "retention": difference(vh, vn, c_hits, c_n)})
    deciles = []
    for d in range(10):
        in_d = [f for f in exposed if f.churn_probability is not None and min(int(f.churn_probability * 10), 9) == d]
        th, tn = _retention(in_d, "offer")
        ch, cn = _retention(in_d, "holdout")
        if tn >= min_per_group and cn >= min_per_group:
            deciles.append({"decile": d + 1, "churn_probability": [d / 10, (d + 1) / 10], **difference(th, tn, ch, cn)})
    return {
        "retention_days": retention_days,
        "eligible": len(facts),
        "exposed": len(exposed),
        "treatment": len(exposed) - len(holdout),
        "holdout": len(holdout),
        "blocked": sum(1 for f in facts if f.decision == "blocked"),
        "pending": sum(1 for f in exposed if f.retained is None),
        **{k: v for k, v in _funnel(facts).items() if k != "exposed"},
        "retention": difference(t_hits, t_n, c_hits, c_n),
        "variants": variants,
        "uplift_by_risk_decile": deciles,
        "targeting": _targeting(exposed),
        "min_per_group": min_per_group,
    }


def _targeting(exposed: Sequence[ExposureFact]) -> dict[str, Any]:
    """Exposures by how they were targeted, and treatment vs hold-out among the uplift-targeted ones."""
    out: dict[str, Any] = {k: sum(1 for f in exposed if f.targeting == k) for k in ("risk", "uplift", "risk_fallback")}
    chosen = [f for f in exposed if f.targeting == "uplift"]
    if chosen:
        th, tn = _retention(chosen, "offer")
        ch, cn = _retention(chosen, "holdout")
        out["uplift_targeted_retention"] = difference(th, tn, ch, cn)
    return out


def load_facts(session: Session, rule_id: int, retention_days: int, now: datetime) -> list[ExposureFact]:
    """The rule's exposures with their coupon and whether the shopper bought again within the window."""
    window = timedelta(days=retention_days)
    rows = session.execute(
        select(ExposureRow, CouponRow.id, CouponRow.redeemed_at, CouponRow.discount)
        .outerjoin(CouponRow, CouponRow.exposure_id == ExposureRow.id)
        .where(ExposureRow.rule_id == rule_id).order_by(ExposureRow.id)).all()
    purchases: dict[str, list[datetime]] = {}
    exposed_customers = select(ExposureRow.customer_id).where(ExposureRow.rule_id == rule_id).distinct()
    for cid, placed in session.execute(select(Order.customer_id, Order.placed_at).where(
            Order.customer_id.in_(exposed_customers), Order.status.notin_(NOT_PURCHASES))):
        purchases.setdefault(cid, []).append(placed)
    facts = []
    for e, coupon_id, redeemed_at, discount in rows:
        matured = e.created_at + window <= now
        retained = None
        if matured:
            retained = any(e.created_at < t <= e.created_at + window for t in purchases.get(e.customer_id, ()))
        facts.append(ExposureFact(e.decision, e.variant, e.churn_probability, e.shown_at is not None,
                                  e.accepted_at is not None, coupon_id is not None, redeemed_at is not None,
                                  Decimal(discount or 0), retained, targeting_of(e.reason or "")))
    return facts


def rule_report(session: Session, rule_id: int, retention_days: int, now: datetime, min_per_group: int = 30) -> dict[str, Any]:
    return {"rule_id": rule_id, "generated_at": now.isoformat(),
            **build_report(load_facts(session, rule_id, retention_days, now), retention_days, min_per_group)}
