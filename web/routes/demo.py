"""The demo shop's page: pick a customer, chat as them. Mounted only with KEEPCART_DEMO_MODE.

A real shop signs its shoppers in on its own site and mints the shopper token there; this
page does it for any demo customer so the demo can be tried without a shop.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import func, select

from common import signing
from common.errors import NotFound
from shop.tables import Customer, Order
from web.deps import ComponentsDep

router = APIRouter(tags=["demo"])
PAGE = Path(__file__).parent.parent / "templates" / "demo.html"


class DemoCustomer(BaseModel):
    id: str
    name: str
    email: str
    orders: int
    statuses: list[str]


class SignIn(BaseModel):
    customer_id: str


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> str:
    """The demo shop front page with the chat widget."""
    return PAGE.read_text(encoding="utf-8")


@router.get("/demo/customers", response_model=list[DemoCustomer])
def customers(components: ComponentsDep) -> list[DemoCustomer]:
    """A handful of demo customers whose orders cover every status, to try each flow."""
    with components.sessions() as session:
        picked: dict[str, set[str]] = {}
        for status in ("placed", "paid", "shipped", "delivered", "refunded"):
            ids = session.scalars(select(Order.customer_id).where(Order.status == status).order_by(Order.placed_at.desc()).limit(2)).all()
            for cid in ids:
                picked.setdefault(cid, set()).add(status)
        rows = session.execute(select(Customer, func.count(Order.id)).join(Order, isouter=True)
                               .where(Customer.id.in_(picked)).group_by(Customer.id).order_by(Customer.id)).all()
        return [DemoCustomer(id=c.id, name=c.name, email=c.email, orders=n, statuses=sorted(picked[c.id])) for c, n in rows]


@router.post("/demo/sign-in")
def sign_in(body: SignIn, components: ComponentsDep) -> dict[str, str]:
    """A shopper token for a demo customer, as the shop's own site would issue it."""
    if components.shop.find_customer(body.customer_id) is None:
        raise NotFound(f"customer {body.customer_id} not found")
    return {"shopper_token": signing.shopper_token(components.secret, body.customer_id)}
