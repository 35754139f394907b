"""Who may call what: one declared table of route -> access, enforced by one app-wide dependency.

Roles: `agent` (support: transcripts, replies, take-over, labels, a shopper's churn risk),
`support_lead` (an agent who also sees offer results), `marketer` (offer rules, previews and their
aggregate reports; no transcripts unless the account holds the `read_transcripts` grant) and `admin`
(everything, the audit log too). A route missing from `MATRIX` is refused (403) and fails
`tests/web/test_permissions.py`, which walks `app.routes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from common.accounts import UserInfo
from common.errors import Forbidden
from web.auth import staff_from_request
from web.security import csrf_failure

AGENT, LEAD, MARKETER, ADMIN = "agent", "support_lead", "marketer", "admin"
EVERY_ROLE = frozenset({AGENT, LEAD, MARKETER, ADMIN})
SUPPORT = frozenset({AGENT, LEAD, ADMIN})
OFFER_EDITORS = frozenset({MARKETER, ADMIN})


@dataclass(frozen=True)
class Public:
    """Anyone; the route itself checks what it needs (a shopper token, a conversation token, a signature)."""

    why: str


@dataclass(frozen=True)
class Staff:
    """Signed-in staff of these roles, or of any role when the account holds `grant`."""

    roles: frozenset[str]
    grant: str | None = None

    def allows(self, user: UserInfo) -> bool:
        return user.role in self.roles or (self.grant is not None and self.grant in user.grants)


Access = Public | Staff
CONVERSATION_TOKEN = Public("the conversation token of exactly this conversation and shopper (web/deps.py)")
TRANSCRIPTS = Staff(SUPPORT, grant="read_transcripts")

MATRIX: dict[tuple[str, str], Access] = {
    ("GET", "/api/v1/health"): Public("monitoring"),
    ("POST", "/api/v1/conversations"): Public("anonymous, or signed in by a shopper token from the shop"),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): CONVERSATION_TOKEN,
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): CONVERSATION_TOKEN,
    ("POST", "/api/v1/conversations/{conversation_id}/token"): Public("the shopper token of its shopper, or a live conversation token"),
    ("POST", "/api/v1/auth/login"): Public("e-mail and password, throttled"),
    ("POST", "/api/v1/auth/logout"): Staff(EVERY_ROLE),
    ("GET", "/api/v1/auth/me"): Staff(EVERY_ROLE),
    ("GET", "/api/v1/offers"): Staff(EVERY_ROLE),
    ("POST", "/api/v1/offers"): Staff(OFFER_EDITORS),
    ("GET", "/api/v1/offers/{rule_id}"): Staff(EVERY_ROLE),
    ("PUT", "/api/v1/offers/{rule_id}"): Staff(OFFER_EDITORS),
    ("DELETE", "/api/v1/offers/{rule_id}"): Staff(OFFER_EDITORS),
    ("GET", "/api/v1/offers/{rule_id}/versions"): Staff(EVERY_ROLE),
    ("POST", "/api/v1/offers/preview"): Staff(OFFER_EDITORS),
    ("GET", "/api/v1/offers/{rule_id}/report"): Staff(frozenset({MARKETER, LEAD, ADMIN})),
    ("POST", "/api/v1/coupons/redeem"): Public("the shop's webhook signature (X-Keepcart-Signature)"),
    ("GET", "/api/v1/customers/{customer_id}/risk"): Staff(SUPPORT),
    ("GET", "/api/v1/staff/conversations"): TRANSCRIPTS,
    ("GET", "/api/v1/staff/conversations/{conversation_id}"): TRANSCRIPTS,
    ("POST", "/api/v1/staff/conversations/{conversation_id}/messages"): Staff(SUPPORT),
    ("POST", "/api/v1/staff/conversations/{conversation_id}/release"): Staff(SUPPORT),
    ("PUT", "/api/v1/staff/conversations/{conversation_id}/messages/{seq}/label"): Staff(SUPPORT),
    ("GET", "/api/v1/audit"): Staff(frozenset({ADMIN})),
    ("GET", "/"): Public("the demo shop page (demo mode only)"),
    ("GET", "/demo/customers"): Public("demo mode only, loopback unless KEEPCART_DEMO_ALLOW_REMOTE"),
    ("POST", "/demo/sign-in"): Public("demo mode only, loopback unless KEEPCART_DEMO_ALLOW_REMOTE"),
    ("GET", "/staff"): Public("the console page; its API calls are checked"),
    ("GET", "/marketing"): Public("the console page; its API calls are checked"),
    ("GET", "/docs"): Public("the API reference page"),
    ("GET", "/openapi.json"): Public("the API description"),
}


def enforce(request: Request) -> None:
    """Runs before every API route: looks the route up in `MATRIX` and lets through only what it allows."""
    route = request.scope.get("route")
    access = MATRIX.get((request.method, getattr(route, "path_format", "")))
    if access is None:
        raise Forbidden("this route is not in the access matrix")
    if isinstance(access, Staff):
        components = request.app.state.components
        user = staff_from_request(request, components)
        failure = csrf_failure(request, components.settings)
        if failure:
            raise Forbidden(failure)
        if not access.allows(user):
            needs = " or ".join(sorted(access.roles)) + (f" (or the {access.grant} grant)" if access.grant else "")
            raise Forbidden(f"needs the {needs} role; you are {user.role}")
        request.state.staff_user = user


def signed_in_staff(request: Request) -> UserInfo:
    """The user `enforce` let through (routes use it to name who acted)."""
    user = getattr(request.state, "staff_user", None)
    if user is None:  # only reachable when a Staff route was declared Public by mistake
        raise Forbidden("this route is not declared for staff in the access matrix")
    return user


StaffUser = Annotated[UserInfo, Depends(signed_in_staff)]
