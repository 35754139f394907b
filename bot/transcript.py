"""The transcript store: conversations as append-only event logs in SQL."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import events as ev
from bot.events import Event
from bot.tables import ConversationRow, EventRow
from common.db import unit_of_work, utcnow
from common.errors import Conflict, NotFound


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    customer_id: str | None
    status: str
    created_at: datetime
    last_event_at: datetime


def _event(row: EventRow) -> Event:
    return Event(row.type, row.payload, row.seq, row.created_at, row.client_message_id)


def _info(row: ConversationRow) -> ConversationInfo:
    return ConversationInfo(row.id, row.customer_id, row.status, row.created_at, row.last_event_at)


APPEND_ATTEMPTS = 20


class TranscriptStore:
    """Appends events with consecutive sequence numbers; never updates or deletes one."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self._sessions

    def create(self, customer_id: str | None, channel: str = "widget") -> ConversationInfo:
        conversation_id = str(uuid.uuid4())
        now = utcnow()
        with unit_of_work(self._sessions) as session:
            row = ConversationRow(id=conversation_id, customer_id=customer_id, channel=channel, created_at=now, last_event_at=now, last_seq=1)
            session.add(row)
            session.flush()
            session.add(EventRow(conversation_id=conversation_id, seq=1, type=ev.CONVERSATION_STARTED,
                                 payload={"customer_id": customer_id, "channel": channel}, created_at=now))
            return _info(row)

    def get(self, conversation_id: str) -> ConversationInfo:
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                raise NotFound(f"conversation {conversation_id} not found")
            return _info(row)

    def events(self, conversation_id: str, after_seq: int = 0) -> list[Event]:
        with self._sessions() as session:
            rows = session.scalars(select(EventRow).where(EventRow.conversation_id == conversation_id, EventRow.seq > after_seq)
                                   .order_by(EventRow.seq)).all()
            return [_event(r) for r in rows]

    def list_conversations(self, status: str | None = None, limit: int = 50) -> list[ConversationInfo]:
        """Most recently active first, optionally only those with `status` (open, handed_off)."""
        with self._sessions() as session:
            query = select(ConversationRow).order_by(ConversationRow.last_event_at.desc(), ConversationRow.id).limit(limit)
            if status:
                query = query.where(ConversationRow.status == status)
            return [_info(r) for r in session.scalars(query)]

    def events_of_type(self, event_type: str, since: datetime) -> list[tuple[str, Event]]:
        """(conversation id, event) of one type from every conversation since `since`, oldest first (reports)."""
        with self._sessions() as session:
            rows = session.scalars(select(EventRow).where(EventRow.type == event_type, EventRow.created_at >= since)
                                   .order_by(EventRow.created_at, EventRow.id)).all()
            return [(r.conversation_id, _event(r)) for r in rows]

    def claim(self, conversation_id: str) -> None:
        """Lock the conversation for the running turn (inside `common.db.turn_transaction`).

        A second request for the same conversation waits here until the first turn commits, then
        sees its replies: a retry is answered once, and turns of one conversation never interleave.
        """
        with self._sessions() as session:
            found = session.scalar(select(ConversationRow.id).where(ConversationRow.id == conversation_id).with_for_update())
            if found is None:
                raise NotFound(f"conversation {conversation_id} not found")
            session.commit()

    def find_message(self, conversation_id: str, client_message_id: str) -> Event | None:
        with self._sessions() as session:
            row = session.scalars(select(EventRow).where(EventRow.conversation_id == conversation_id,
                                                          EventRow.client_message_id == client_message_id)).first()
            return _event(row) if row else None

    def append(self, conversation_id: str, events: list[Event], status: str | None = None) -> list[Event]:
        """Append `events` atomically after the current last one; returns them with seq and time.

        The conversation row is locked (PostgreSQL) and its `last_seq` bumped in the same
        transaction, so concurrent turns get distinct numbers; the unique (conversation, seq)
        key is the backstop. A repeated client message id raises Conflict.
        """
        for attempt in range(APPEND_ATTEMPTS):
            try:
                return self._append_once(conversation_id, events, status)
            except IntegrityError as exc:
                if "client_message" in str(exc.orig):
                    raise Conflict("this client_message_id was already used in this conversation") from None
                time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))  # jittered back-off, then re-read last_seq
        raise Conflict("the conversation is busy with other messages; retry with the same client_message_id")

    def _append_once(self, conversation_id: str, events: list[Event], status: str | None) -> list[Event]:
        now = utcnow()
        with unit_of_work(self._sessions) as session:
            conv = session.scalars(select(ConversationRow).where(ConversationRow.id == conversation_id).with_for_update()).first()
            if conv is None:
                raise NotFound(f"conversation {conversation_id} not found")
            first = conv.last_seq + 1
            rows = [EventRow(conversation_id=conversation_id, seq=first + i, type=e.type, payload=e.payload,
                             client_message_id=e.client_message_id, created_at=now) for i, e in enumerate(events)]
            values: dict[str, object] = {"last_seq": first + len(events) - 1, "last_event_at": now}
            if status:
                values["status"] = status
            result = cast(CursorResult[Any], session.execute(update(ConversationRow).where(
                ConversationRow.id == conversation_id, ConversationRow.last_seq == conv.last_seq).values(**values)))
            if result.rowcount != 1:  # someone appended between our read and write (SQLite has no row locks)
                raise IntegrityError("concurrent append", None, Exception("seq race"))
            session.add_all(rows)
            session.flush()
            return [_event(r) for r in rows]
