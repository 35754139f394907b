"""`keepcart privacy`: a shopper's data out (export), personal data gone (erase), old transcripts anonymised (purge).

Erasing keeps what the shop's figures rest on: the customer row stays under its id (the shop's own
pseudonym) with name, e-mail and address blanked, orders keep totals and status, offer exposures and
coupons stay (reports, budgets), and each conversation keeps its events' types, times, intents and
actions while every text, entity and order reference is removed. The transcript log is append-only
everywhere else; this is its one deliberate exception. See docs/privacy.md.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.tables import ConversationRow, EventRow
from cli import context
from common.db import unit_of_work, utcnow
from common.errors import NotFound
from common.rate_limits import RateCounter
from retention_model.offers.tables import CouponRow, ExposureRow
from retention_model.tables import CustomerScore
from shop.tables import Customer, Order, ReturnRequest

app = typer.Typer(help="Shoppers' personal data: export, erase, and anonymise old transcripts.", no_args_is_help=True)

ANONYMISED = "anonymised"  # conversation status once its texts are gone
# Event payload keys that say what happened without saying anything about the person.
KEPT_KEYS = frozenset({"intent", "confidence", "action", "role", "agent", "by", "active", "reason", "trigger", "rule_id",
                       "variant", "doc_id", "title", "url", "model_id", "channel", "form", "decision", "seq"})


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns}


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_customer(session: Session, customer_id: str) -> dict[str, Any]:
    """Everything Keepcart holds about one shopper, table by table."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id!r} is not in the shop")
    orders = session.scalars(select(Order).where(Order.customer_id == customer_id).order_by(Order.placed_at)).all()
    order_ids = [o.id for o in orders]
    conversations = session.scalars(select(ConversationRow).where(ConversationRow.customer_id == customer_id)
                                    .order_by(ConversationRow.created_at)).all()
    events = {c.id: [_row(e) for e in session.scalars(select(EventRow).where(EventRow.conversation_id == c.id).order_by(EventRow.seq))]
              for c in conversations}
    score = session.get(CustomerScore, customer_id)
    return {
        "customer_id": customer_id,
        "exported_at": utcnow().isoformat(),
        "customer": _row(customer),
        "orders": [{**_row(o), "lines": [_row(line) for line in o.lines]} for o in orders],
        "returns": [_row(r) for r in session.scalars(select(ReturnRequest).where(ReturnRequest.order_id.in_(order_ids)))],
        "conversations": [{**_row(c), "events": events[c.id]} for c in conversations],
        "churn_score": _row(score) if score else None,
        "offer_exposures": [_row(x) for x in session.scalars(select(ExposureRow).where(ExposureRow.customer_id == customer_id))],
        "coupons": [_row(c) for c in session.scalars(select(CouponRow).where(CouponRow.customer_id == customer_id))],
    }


def _scrub(payload: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in payload.items() if k in KEPT_KEYS and not isinstance(v, (dict, list))}, ANONYMISED: True}


def anonymise_conversation(session: Session, conversation: ConversationRow) -> int:
    """Remove every text of one conversation and unlink it from the shopper; returns the events changed."""
    changed = 0
    for event in session.scalars(select(EventRow).where(EventRow.conversation_id == conversation.id)):
        if not event.payload.get(ANONYMISED):
            event.payload = _scrub(event.payload)
            changed += 1
    conversation.customer_id = None
    conversation.status = ANONYMISED
    return changed


def erase_customer(session: Session, customer_id: str) -> dict[str, int]:
    """Blank the shopper's personal data everywhere; counts and money figures stay. Returns what changed."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id!r} is not in the shop")
    token = hashlib.sha256(customer_id.encode()).hexdigest()[:12]
    customer.name, customer.email = "erased", f"erased-{token}@invalid"
    customer.address_line = customer.city = customer.postal_code = ""
    orders = session.scalars(select(Order).where(Order.customer_id == customer_id)).all()
    for order in orders:
        order.ship_name = order.ship_address_line = order.ship_city = order.ship_postal_code = ""
        order.tracking_number = None
    order_ids = [o.id for o in orders]
    returns = session.scalars(select(ReturnRequest).where(ReturnRequest.order_id.in_(order_ids))).all()
    for ret in returns:
        ret.reason = ""
    conversations = session.scalars(select(ConversationRow).where(ConversationRow.customer_id == customer_id)).all()
    events = sum(anonymise_conversation(session, c) for c in conversations)
    scores = session.execute(delete(CustomerScore).where(CustomerScore.customer_id == customer_id)).rowcount
    session.execute(delete(RateCounter).where(RateCounter.key.like(f"%:{customer_id}:%")))
    return {"orders": len(orders), "returns": len(returns), "conversations": len(conversations), "events": events,
            "churn_scores": scores}


def purge_transcripts(session: Session, older_than_days: int, now: datetime | None = None) -> int:
    """Anonymise every conversation whose last event is older than the retention period; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=older_than_days)
    old = session.scalars(select(ConversationRow).where(ConversationRow.last_event_at < cutoff,
                                                        ConversationRow.status != ANONYMISED)).all()
    for conversation in old:
        anonymise_conversation(session, conversation)
    return len(old)


@app.command("export")
def export_cmd(customer_id: str = typer.Argument(..., help="The shop's customer id, exactly as stored"),
               out: Path | None = typer.Option(None, help="Write the JSON here instead of printing it")) -> None:
    """Print (or write) one shopper's data from every table as JSON: the answer to an access request."""
    with context.session_factory()() as session:
        data = context.run_or_fail(export_customer, session, customer_id)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if out:
        out.write_text(text + "\n")
        typer.echo(f"wrote {out} ({len(data['orders'])} orders, {len(data['conversations'])} conversations)")
    else:
        typer.echo(text)


@app.command("erase")
def erase_cmd(customer_id: str = typer.Argument(..., help="The shop's customer id, exactly as stored"),
              yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation")) -> None:
    """Erase one shopper's personal data everywhere (name, e-mail, addresses, every chat text, churn score);
    order totals, offer exposures, coupons and report figures are kept."""
    if not yes:
        typer.confirm(f"Erase the personal data of customer {customer_id}? This cannot be undone", abort=True)
    with unit_of_work(context.session_factory()) as session:
        done = context.run_or_fail(erase_customer, session, customer_id)
    typer.echo(f"erased customer {customer_id}: " + ", ".join(f"{v} {k}" for k, v in done.items()))


@app.command("purge")
def purge_cmd(days: int | None = typer.Option(None, min=1, help="Retention period (default: KEEPCART_TRANSCRIPT_RETENTION_DAYS)")) -> None:
    """Anonymise transcripts whose last message is older than the retention period (`serve` does it at start)."""
    days = days or context.settings().transcript_retention_days
    if not days:
        raise context.fail("no retention period: pass --days N or set KEEPCART_TRANSCRIPT_RETENTION_DAYS", code=2)
    with unit_of_work(context.session_factory()) as session:
        count = purge_transcripts(session, days)
        left = session.scalar(select(func.count()).select_from(ConversationRow).where(ConversationRow.status != ANONYMISED))
    typer.echo(f"anonymised {count} conversation(s) older than {days} days; {left} kept in full")
