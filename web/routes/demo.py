"""The demo shop's page: pick a customer, chat as them. Mounted only with KEEPCART_DEMO_MODE.

A real shop signs its shoppers in on its own site and mints the shopper token there; this
page does it for any demo customer so the demo can be tried without a shop.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import func, select

from common import signing
from common.errors import Forbidden, NotFound
from shop.tables import Customer, Order
from web.deps import ComponentsDep
from web.security import client_address, is_loopback

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


def _inline_hashes(html: str, tag: str) -> list[str]:
    """CSP hashes of the page's own inline <script>/<style> blocks (found with plain string search)."""
    hashes, start = [], 0
    while (open_at := html.find(f"<{tag}>", start)) >= 0:
        body_at = open_at + len(tag) + 2
        end = html.find(f"</{tag}>", body_at)
        digest = base64.b64encode(hashlib.sha256(html[body_at:end].encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
        start = end
    return hashes


@cache
def _page() -> tuple[str, str]:
    html = PAGE.read_text(encoding="utf-8")
    csp = (f"default-src 'none'; script-src 'self' {' '.join(_inline_hashes(html, 'script'))}; "
           f"style-src 'self' {' '.join(_inline_hashes(html, 'style'))}; connect-src 'self'; img-src 'self' data:; "
           "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    return html, csp


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> HTMLResponse:
    """The demo shop front page with the chat widget; only its own inline script and style may run."""
    html, csp = _page()
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


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
def sign_in(body: SignIn, request: Request, components: ComponentsDep) -> dict[str, str]:
    """A shopper token for a demo customer, as the shop's own site would issue it (loopback clients only,
    unless KEEPCART_DEMO_ALLOW_REMOTE)."""
    settings = components.settings
    if not settings.demo_allow_remote and not is_loopback(client_address(request, settings.trusted_proxies)):
        raise Forbidden("the demo signs in anyone as any customer: only from this machine (KEEPCART_DEMO_ALLOW_REMOTE=true to allow)")
    if components.shop.find_customer(body.customer_id) is None:
        raise NotFound(f"customer {body.customer_id} not found")
    token = signing.shopper_token(components.keys.shopper.current, body.customer_id, audience=settings.keys.shopper_audience)
    return {"shopper_token": token}
