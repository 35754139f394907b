"""SQL tables for staff accounts (support agents, marketers, admins) and their failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, JSONType, UTCDateTime, utcnow


class StaffUser(Base):
    """One person who signs in to Keepcart. `session_version` bumps on logout to revoke old tokens."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    grants: Mapped[list[str]] = mapped_column(JSONType, default=list)


class LoginFailure(Base):
    """One sign-in attempt not cleared by a success, under one throttle key ("pair:…" or "addr:…"), shared by every worker."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AuditEntry(Base):
    """One staff action worth answering for later: who read a transcript, replied, took over, changed a rule."""

    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_at", "at"), Index("ix_staff_audit_actor_at", "actor_id", "at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), doc="what it was done to: conversation id, rule id, ...")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
