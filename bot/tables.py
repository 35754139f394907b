"""SQL tables for conversations: an append-only event log per conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import Base, JSONType, UTCDateTime, utcnow


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(20), default="widget")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class EventRow(Base):
    __tablename__ = "conversation_events"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_conversation_events_conversation_seq"),
        UniqueConstraint("conversation_id", "client_message_id", name="uq_conversation_events_client_message"),
        Index("ix_conversation_events_type_created_at", "type", "created_at"),  # reports: one event type over a period
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    client_message_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
