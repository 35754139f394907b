"""Transactions read from the shop database, plus support contacts from Keepcart's own transcripts."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.tables import ConversationRow, EventRow
from retention_model.transactions import Transactions, from_frames
from shop.tables import Customer, Order, OrderLine, Product

LINE_FRAME_COLUMNS = ["customer_id", "order_id", "ordered_at", "amount", "product_id", "quantity", "status"]


def _intent_name(payload: object) -> str:
    if not isinstance(payload, dict):
        return ""
    intent = payload.get("intent")
    if isinstance(intent, dict):
        intent = intent.get("name")
    return str(intent or "")


def load_contacts(session: Session) -> pd.DataFrame:
    """One row per conversation of a known customer: when, whether it held a complaint or a handoff."""
    convs = session.execute(
        select(ConversationRow.id, ConversationRow.customer_id, ConversationRow.created_at).where(ConversationRow.customer_id.is_not(None))
    ).all()
    frame = pd.DataFrame(convs, columns=["conversation_id", "customer_id", "at"])
    if frame.empty:
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "at": pd.Series(dtype="datetime64[ns, UTC]"), "complaint": pd.Series(dtype=bool), "escalated": pd.Series(dtype=bool)})
    events = session.execute(
        select(EventRow.conversation_id, EventRow.type, EventRow.payload)
        .join(ConversationRow, ConversationRow.id == EventRow.conversation_id)
        .where(ConversationRow.customer_id.is_not(None), EventRow.type.in_(("intent_parsed", "handed_off")))
    ).all()
    complaints = {cid for cid, kind, payload in events if kind == "intent_parsed" and _intent_name(payload) == "complaint"}
    handoffs = {cid for cid, kind, _ in events if kind == "handed_off"}
    frame["complaint"] = frame["conversation_id"].isin(complaints)
    frame["escalated"] = frame["conversation_id"].isin(handoffs)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame.drop(columns="conversation_id")


def load_transactions_from_shop(session: Session, with_contacts: bool = True) -> Transactions:
    """Every order line of every customer; orders without lines count with their total."""
    rows = session.execute(
        select(Order.customer_id, Order.id, Order.placed_at, Order.status, Order.total, OrderLine.product_id, OrderLine.quantity, OrderLine.unit_price)
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .order_by(Order.customer_id, Order.placed_at)
    ).all()
    frame = pd.DataFrame(rows, columns=["customer_id", "order_id", "ordered_at", "status", "total", "product_id", "quantity", "unit_price"])
    if frame.empty:
        lines = pd.DataFrame({c: pd.Series(dtype=object) for c in LINE_FRAME_COLUMNS})
    else:
        has_line = frame["product_id"].notna()
        qty = frame["quantity"].astype(float)
        frame["amount"] = (qty * frame["unit_price"].astype(float)).where(has_line, frame["total"].astype(float))
        frame["quantity"] = qty.where(has_line, 1.0)
        lines = frame[LINE_FRAME_COLUMNS]
    products = pd.DataFrame(
        session.execute(select(Product.id, Product.name, Product.category, Product.description, Product.repeat_purchase, Product.active)).all(),
        columns=["product_id", "name", "category", "description", "repeat_purchase", "active"],
    )
    contacts = load_contacts(session) if with_contacts else None
    customers = [c for (c,) in session.execute(select(Customer.id)).all()]
    return from_frames(lines, products=products, contacts=contacts, source="shop database", customers=customers)
