"""The marketer console's API: offer rules (CRUD, versions, preview, reports) and coupon redemption."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, Field

from common.db import unit_of_work, utcnow
from common.errors import InvalidInput, Unauthorized
from retention_model.offers import coupons, store
from retention_model.offers.population import scored_shoppers
from retention_model.offers.preview import preview_rule
from retention_model.offers.reports import rule_report
from retention_model.offers.rules import OfferRule, OfferRuleSpec
from web.deps import ComponentsDep
from web.permissions import StaffUser
from web.routes.audit import record
from web.schemas import Strict

router = APIRouter(prefix="/api/v1/offers", tags=["offers"])
coupons_router = APIRouter(prefix="/api/v1/coupons", tags=["coupons"])
SIGNATURE_HEADER = "X-Keepcart-Signature"


class RuleOut(OfferRule):
    spent_count: int = Field(description="Coupons issued so far")
    spent_money: Decimal = Field(description="Budget reserved by the coupons issued so far")
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    version: int
    change: str = Field(description="created, updated or deleted")
    changed_by: str
    changed_at: datetime
    definition: dict[str, Any]


class PreviewRequest(Strict):
    rule: OfferRuleSpec | None = Field(None, description="A draft rule to preview; omit to preview rule_ids")
    rule_ids: list[int] | None = Field(None, description="Stored rules to preview (default: every rule)")


class RedeemRequest(Strict):
    code: str = Field(min_length=4, max_length=40)
    order_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64)
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description="Basket total before the discount")


class RedeemResult(BaseModel):
    code: str
    order_id: str
    customer_id: str
    discount: Decimal = Field(description="The discount this coupon grants on the order")
    redeemed_at: datetime
    replayed: bool = Field(description="True when this order had already redeemed the code (a retried call)")


def _out(s: store.StoredRule) -> RuleOut:
    return RuleOut(**s.rule.model_dump(), spent_count=s.spent_count, spent_money=s.spent_money, created_at=s.created_at,
                   updated_at=s.updated_at)


@router.get("", response_model=list[RuleOut])
def list_offer_rules(user: StaffUser, components: ComponentsDep) -> list[RuleOut]:
    """Every offer rule (switched on or off) with the budget spent so far. Every staff role may read."""
    with components.sessions() as session:
        return [_out(s) for s in store.list_rules(session)]


@router.post("", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_offer_rule(body: OfferRuleSpec, user: StaffUser, components: ComponentsDep) -> RuleOut:
    """Create a rule (version 1). Marketers and admins only; field errors come back as 422 with their paths."""
    with unit_of_work(components.sessions) as session:
        created = _out(store.create_rule(session, body, user.email))
    record(components, user, "offer_rule.create", str(created.id), {"version": created.version})
    return created


@router.get("/{rule_id}", response_model=RuleOut)
def get_offer_rule(rule_id: int, user: StaffUser, components: ComponentsDep) -> RuleOut:
    """One rule as it stands now."""
    with components.sessions() as session:
        return _out(store.get_rule(session, rule_id))


@router.put("/{rule_id}", response_model=RuleOut)
def update_offer_rule(rule_id: int, body: OfferRuleSpec, user: StaffUser, components: ComponentsDep) -> RuleOut:
    """Replace a rule's definition; this writes a new version with who and when. Marketers and admins only."""
    with unit_of_work(components.sessions) as session:
        updated = _out(store.update_rule(session, rule_id, body, user.email))
    record(components, user, "offer_rule.update", str(rule_id), {"version": updated.version})
    return updated


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_offer_rule(rule_id: int, user: StaffUser, components: ComponentsDep) -> Response:
    """Retire a rule: it stops at once; its versions, exposures and coupons stay for the reports."""
    with unit_of_work(components.sessions) as session:
        store.delete_rule(session, rule_id, user.email)
    record(components, user, "offer_rule.delete", str(rule_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{rule_id}/versions", response_model=list[VersionOut])
def rule_versions(rule_id: int, user: StaffUser, components: ComponentsDep) -> list[VersionOut]:
    """Every saved version of a rule, oldest first, with the author and time of each change."""
    with components.sessions() as session:
        return [VersionOut(version=v.version, change=v.change, changed_by=v.changed_by, changed_at=v.changed_at,
                           definition=v.definition) for v in store.list_versions(session, rule_id)]


@router.post("/preview")
def preview(body: PreviewRequest, user: StaffUser, components: ComponentsDep) -> dict[str, Any]:
    """How many scored customers each rule would reach now, the expected redemptions and cost (within budget)."""
    now = utcnow()
    with components.sessions() as session:
        shoppers = scored_shoppers(session, now)
        if body.rule is not None:
            draft = OfferRule(**body.rule.model_dump(), id=0)
            previews = [preview_rule(draft, shoppers, now)]
        else:
            stored = store.list_rules(session)
            if body.rule_ids is not None:
                stored = [s for s in stored if s.rule.id in set(body.rule_ids)]
            previews = [preview_rule(s.rule, shoppers, now, s.spent_count, s.spent_money) for s in stored]
    return {"generated_at": now.isoformat(), "scored_customers": len(shoppers), "rules": [p.to_dict() for p in previews]}


@router.get("/{rule_id}/report")
def report(rule_id: int, user: StaffUser, components: ComponentsDep,
           retention_days: Annotated[int, Query(ge=1, le=365, description="A purchase within this many days counts as retained")] = 30,
           min_per_group: Annotated[int, Query(ge=1, le=10_000, description="Smallest group for a risk-decile line")] = 30,
           ) -> dict[str, Any]:
    """Funnel per variant (eligible, exposed, hold-out, shown, accepted, redeemed, cost) and retention of
    treatment vs hold-out with the difference and its 95% interval, plus uplift by churn-risk decile."""
    with components.sessions() as session:
        store.get_rule(session, rule_id)  # 404 for unknown rules
        return rule_report(session, rule_id, retention_days, utcnow(), min_per_group)


async def shop_signature(request: Request, components: ComponentsDep,
                         x_keepcart_signature: Annotated[str | None, Header()] = None) -> None:
    """Checks `X-Keepcart-Signature: sha256=<hex HMAC-SHA256 of the raw body with the webhook key>`.

    The webhook key is its own (`<data_dir>/keys/webhook.json` or KEEPCART_KEYS__WEBHOOK), never the key
    that verifies shopper tokens; every key still in its rotation grace period is accepted."""
    if not x_keepcart_signature or not x_keepcart_signature.startswith("sha256="):
        raise Unauthorized(f"sign the body: {SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 with the webhook key>")
    if not components.keys.webhook.check_mac(await request.body(), x_keepcart_signature[7:].strip()):
        raise Unauthorized("bad signature")


@coupons_router.post("/redeem", response_model=RedeemResult, dependencies=[Depends(shop_signature)])
def redeem(body: RedeemRequest, components: ComponentsDep) -> RedeemResult:
    """Called by the shop when an order uses a code (signed with the webhook key). Rejects unknown (404),
    foreign (403), expired or already used (409) codes and baskets under the minimum (422); retries are safe."""
    if not body.code.strip():
        raise InvalidInput("code: must not be empty")
    with unit_of_work(components.sessions) as session:
        done = coupons.redeem(session, body.code, body.order_id, body.customer_id, body.amount, utcnow())
    return RedeemResult(code=done.code, order_id=done.order_id, customer_id=done.customer_id, discount=done.discount,
                        redeemed_at=done.redeemed_at, replayed=done.replayed)
