"""The staff audit log: who read a transcript, replied, took over or handed back, corrected a label,
changed an offer rule. Written by the web layer after the action succeeded; read by admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.account_tables import AuditEntry
from common.db import utcnow

ACTIONS = ("transcript.read", "conversation.reply", "conversation.take_over", "conversation.hand_back",
           "label.correct", "offer_rule.create", "offer_rule.update", "offer_rule.delete")


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: int
    actor_email: str
    action: str
    target: str
    detail: dict[str, Any]


def record(session: Session, actor_id: int, actor_email: str, action: str, target: str,
           detail: dict[str, Any] | None = None, now: datetime | None = None) -> None:
    """Append one entry (the caller commits)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(AuditEntry(at=now or utcnow(), actor_id=actor_id, actor_email=actor_email, action=action,
                           target=target[:200], detail=detail or {}))


def entries(session: Session, actor_email: str | None = None, action: str | None = None, target: str | None = None,
            limit: int = 100, before_id: int | None = None) -> list[AuditRecord]:
    """Newest first; `before_id` pages back through older entries."""
    query = select(AuditEntry)
    if actor_email:
        query = query.where(AuditEntry.actor_email == actor_email)
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))
    return [AuditRecord(r.id, r.at, r.actor_id, r.actor_email, r.action, r.target, dict(r.detail or {})) for r in rows]
