"""The port the dialogue calls: one offer (or none) for a shopper at a trigger, recorded and issued.

`RetentionAgent.offer_for` loads the active rules and the shopper's context, asks `advise`, records
the exposure (treatment, hold-out, or blocked by a cap or the budget), issues the coupon for a
treatment and returns the card to show. Hold-out shoppers get None, exactly like shoppers with
no offer, so the conversation cannot tell the groups apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from common.db import unit_of_work, utcnow
from common.errors import NotFound
from retention_model.offers.coupons import BudgetExhausted, CouponInfo, find_for_exposure, issue_for_exposure
from retention_model.offers.decision import DEFAULT_SALT, Advice, ShopperContext, advise
from retention_model.offers.rules import FrequencyCap, OfferRule, variant_terms
from retention_model.offers.store import exposure_history, load_active_rules, rule_from_row, shopper_context
from retention_model.offers.tables import ExposureRow, OfferRuleRow
from retention_model.offers.uplift import ShopUplift

Recommender = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class OfferCard:
    """What the dialogue shows: the text, and the code when there is one."""

    exposure_id: int
    rule_id: int
    variant: str | None
    kind: str
    text: str
    code: str | None = None
    value: Decimal | None = None
    min_basket: Decimal | None = None
    expires_at: datetime | None = None
    product_ids: list[str] = field(default_factory=list)


def lock_customer_offers(session: Session, customer_id: str) -> None:
    """Serialise offer decisions per shopper until the transaction ends (the chat turn's, in a turn).

    Caps are read-then-insert; on PostgreSQL two conversations of one shopper could otherwise both
    read "no offer yet" and both insert one. SQLite turns already hold the database's write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"keepcart-offer:{customer_id}"})


def _money(value: Decimal) -> str:
    return f"€{value:.2f}".replace(".00", "")


def describe(kind: str, value: Decimal | None, code: str | None, expires_at: datetime | None,
             min_basket: Decimal | None = None) -> str:
    """The offer in one sentence, e.g. "10% off your next order with code KC-…, valid until 12 Dec"."""
    until = f", valid until {expires_at.day} {expires_at:%b}" if expires_at else ""
    basket = f" over {_money(min_basket)}" if min_basket else ""
    if kind == "percent":
        return f"{Decimal(value or 0).normalize():f}% off your next order{basket} with code {code}{until}"
    if kind == "fixed":
        return f"{_money(value or Decimal(0))} off your next order{basket} with code {code}{until}"
    if kind == "free_shipping":
        return f"Free shipping on your next order{basket} with code {code}{until}"
    return "A few picks we think you'll like"


class RetentionAgent:
    """Decides, records and issues offers inside a conversation turn."""

    def __init__(self, sessions: sessionmaker[Session], salt: str = DEFAULT_SALT,
                 global_cap: FrequencyCap | None = FrequencyCap(max_offers=1, days=30),
                 recommender: Recommender | None = None, recommendations: int = 3,
                 score_max_age_hours: float = 36.0, uplift_model_dir: Path | None = None) -> None:
        self.sessions = sessions
        self.uplift_model_dir = uplift_model_dir
        self._uplift: tuple[float, ShopUplift] | None = None
        self.score_max_age_hours = score_max_age_hours
        self.salt = salt
        self.global_cap = global_cap
        self.recommender = recommender
        self.recommendations = recommendations

    def advise(self, customer_id: str, trigger: str, now: datetime | None = None) -> Advice | None:
        """The decision without recording anything (what-if for consoles and tests)."""
        now = now or utcnow()
        with self.sessions() as session:
            shopper = shopper_context(session, customer_id, now, self.score_max_age_hours)
            if shopper is None:
                return None
            rules = load_active_rules(session)
            return advise(self._with_uplift(shopper, trigger, rules), trigger, rules, exposure_history(session, customer_id, now), now,
                          self.salt, self.global_cap)

    def offer_for(self, customer_id: str, trigger: str, conversation_id: str | None, now: datetime | None = None) -> OfferCard | None:
        """The card to show, or None (no offer, hold-out, or budget gone). Retries in a conversation are idempotent."""
        now = now or utcnow()
        with unit_of_work(self.sessions) as session:
            lock_customer_offers(session, customer_id)
            if conversation_id:
                earlier = session.scalar(select(ExposureRow).where(
                    ExposureRow.conversation_id == conversation_id, ExposureRow.customer_id == customer_id,
                    ExposureRow.trigger == trigger, ExposureRow.decision.in_(("offer", "holdout"))))
                if earlier is not None:
                    exposure_id, decision = earlier.id, earlier.decision
                    session.rollback()
                    return self._finish(exposure_id, now) if decision == "offer" else None
            shopper = shopper_context(session, customer_id, now, self.score_max_age_hours)
            if shopper is None:
                return None
            rules = load_active_rules(session)
            shopper = self._with_uplift(shopper, trigger, rules)
            advice = advise(shopper, trigger, rules, exposure_history(session, customer_id, now), now, self.salt,
                            self.global_cap)
            blocked_rules = {r.id: r for r in rules}
            for b in advice.blocked:
                self._record(session, blocked_rules[b.rule_id], customer_id, conversation_id, trigger, "blocked", None,
                             shopper.churn_probability, shopper.risk_band, b.expected_value, b.cost, b.reason, now)
            if advice.decision == "none" or advice.rule is None:
                return None
            exposure_id = self._record(session, advice.rule, customer_id, conversation_id, trigger, advice.decision,
                                       advice.variant, shopper.churn_probability, shopper.risk_band,
                                       advice.expected_value, advice.cost, advice.reason, now)
        return self._finish(exposure_id, now) if advice.decision == "offer" else None

    def _with_uplift(self, shopper: ShopperContext, trigger: str, rules: Sequence[OfferRule]) -> ShopperContext:
        """The shopper with their expected uplift, when a rule targets by uplift and the shop's model exists."""
        if shopper.churn_probability is None or not any(r.targeting.by != "risk" for r in rules):
            return shopper
        model = self._uplift_model()
        if model is None:
            return shopper
        uplift, rank = model.estimate(shopper, trigger)
        return replace(shopper, uplift=uplift, uplift_rank=rank)

    def _uplift_model(self) -> ShopUplift | None:
        """The shop's uplift model, reloaded when `keepcart offers uplift fit-shop` has rewritten it."""
        manifest = self.uplift_model_dir / "manifest.json" if self.uplift_model_dir else None
        if manifest is None or not manifest.exists():
            return None
        stamp = manifest.stat().st_mtime
        if self._uplift is None or self._uplift[0] != stamp:
            self._uplift = (stamp, ShopUplift.load(self.uplift_model_dir))  # type: ignore[arg-type]
        return self._uplift[1]

    def _finish(self, exposure_id: int, now: datetime) -> OfferCard | None:
        """Issue the coupon of an offer exposure (idempotent) and build its card."""
        with self.sessions() as session:
            exposure = session.get(ExposureRow, exposure_id)
            rule_row = session.get(OfferRuleRow, exposure.rule_id) if exposure else None
            if exposure is None or rule_row is None:
                raise NotFound(f"exposure {exposure_id} not found")
            rule = rule_from_row(rule_row)
            kind, _ = variant_terms(rule, exposure.variant)
        if kind != "recommendations":
            try:
                issue_for_exposure(self.sessions, exposure_id, now)
            except BudgetExhausted:  # spent by a concurrent conversation since the decision
                with unit_of_work(self.sessions) as session:
                    session.execute(update(ExposureRow).where(ExposureRow.id == exposure_id)
                                    .values(decision="blocked", reason="budget exhausted at issue"))
                return None
        return self._card(exposure_id)

    def _record(self, session: Session, rule: OfferRule, customer_id: str, conversation_id: str | None, trigger: str,
                decision: str, variant: str | None, p: float | None, band: str | None, ev: float, cost: Decimal,
                reason: str, now: datetime) -> int:
        row = ExposureRow(rule_id=rule.id, rule_version=rule.version, customer_id=customer_id,
                          conversation_id=conversation_id, trigger=trigger, decision=decision, variant=variant,
                          churn_probability=p, risk_band=band, expected_value=round(ev, 4), cost_estimate=cost,
                          reason=reason[:500], created_at=now)
        session.add(row)
        session.flush()
        return row.id

    def _card(self, exposure_id: int) -> OfferCard:
        with self.sessions() as session:
            exposure = session.get(ExposureRow, exposure_id)
            if exposure is None:
                raise NotFound(f"exposure {exposure_id} not found")
            coupon: CouponInfo | None = find_for_exposure(session, exposure_id)
        if coupon is None:
            products = self.recommender(exposure.customer_id, self.recommendations) if self.recommender else []
            return OfferCard(exposure_id, exposure.rule_id, exposure.variant, "recommendations",
                             describe("recommendations", None, None, None), product_ids=products)
        return OfferCard(exposure_id, exposure.rule_id, exposure.variant, coupon.kind,
                         describe(coupon.kind, coupon.value, coupon.code, coupon.expires_at, coupon.min_basket),
                         coupon.code, coupon.value, coupon.min_basket, coupon.expires_at)

    def mark_shown(self, exposure_id: int, now: datetime | None = None) -> None:
        """The shopper saw the card (first time only)."""
        self._mark(exposure_id, "shown_at", now)

    def mark_accepted(self, exposure_id: int, now: datetime | None = None) -> None:
        """The shopper took the offer up in the conversation (clicked, copied or said yes)."""
        self._mark(exposure_id, "accepted_at", now)

    def _mark(self, exposure_id: int, column: str, now: datetime | None) -> None:
        with unit_of_work(self.sessions) as session:
            col = getattr(ExposureRow, column)
            done = session.execute(update(ExposureRow).where(ExposureRow.id == exposure_id, col.is_(None))
                                   .values({column: now or utcnow()}).execution_options(synchronize_session=False))
            if done.rowcount == 0 and session.get(ExposureRow, exposure_id) is None:  # type: ignore[attr-defined]
                raise NotFound(f"exposure {exposure_id} not found")
