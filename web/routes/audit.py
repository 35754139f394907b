"""The staff audit log, for admins: who read which transcript, replied, took over, relabelled, changed a rule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from common import audit
from common.accounts import UserInfo
from common.db import unit_of_work
from common.errors import InvalidInput
from web.components import Components
from web.deps import ComponentsDep
from web.permissions import StaffUser

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int
    actor_email: str
    action: str
    target: str
    detail: dict[str, Any]


@router.get("", response_model=list[AuditOut])
def audit_log(user: StaffUser, components: ComponentsDep,
              actor: Annotated[str | None, Query(max_length=254, description="Only this staff e-mail")] = None,
              action: Annotated[str | None, Query(max_length=40, description="Only this action, e.g. transcript.read")] = None,
              target: Annotated[str | None, Query(max_length=200, description="Only this conversation or rule id")] = None,
              before_id: Annotated[int | None, Query(ge=1, le=2**62, description="Page back: entries older than this id")] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditOut]:
    """Staff actions, newest first. Admins only."""
    if any("\x00" in v for v in (actor, action, target) if v):
        raise InvalidInput("filters must not contain NUL characters")
    with components.sessions() as session:
        rows = audit.entries(session, actor.strip().lower() if actor else None, action, target, limit, before_id)
    return [AuditOut(**r.__dict__) for r in rows]


def record(components: Components, user: UserInfo, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
    """Write one audit entry in its own transaction (the routes call it once their action succeeded)."""
    with unit_of_work(components.sessions) as session:
        audit.record(session, user.id, user.email, action, target, detail)
