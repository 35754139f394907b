"""Response templates: every wording the bot uses lives here, keyed by name.

Templates are `str.format` strings over the outcome's variables; the consistency test checks
that every key the actions use exists here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.events import BotMessage

TEMPLATES: dict[str, str] = {
    "greet": "Hi{name_part}! I'm the shop's assistant. I can track, cancel or return an order, change a delivery address, answer questions about shipping, returns and payments, or get you a person.",
    "goodbye": "Thanks for stopping by{name_part}. Have a lovely day!",
    "thanks": "You're welcome! Anything else I can do for you?",
    "affirm_no_context": "Great. What can I help you with?",
    "deny_no_context": "No problem. Is there something else I can help with?",
    "fallback": "Sorry, I didn't quite understand that. You can ask me about an order (tracking, cancelling, returns, address changes) or about shipping, returns and payments.",
    "fallback_offer_human": "I'm still not sure what you need. Shall I get a person from our team to help you?",
    "needs_sign_in": "To look at your orders I need to know who you are: please sign in to your account on the shop and open the chat again.",
    "no_orders": "I can't find any orders on your account yet.",
    "order_not_found": "I couldn't find order {order_id} on your account. Could you check the number?",
    "order_status_placed": "Your order {order_id} ({items}) was placed on {placed} and is waiting for payment confirmation.",
    "order_status_paid": "Your order {order_id} ({items}) is paid and being prepared; it usually ships within 1–2 business days.",
    "order_status_shipped": "Your order {order_id} ({items}) shipped on {shipped} with {carrier}. Tracking number: {tracking}.",
    "order_status_delivered": "Your order {order_id} ({items}) was delivered on {delivered}.",
    "order_status_cancelled": "Your order {order_id} ({items}) was cancelled.",
    "order_status_returned": "Your order {order_id} ({items}) was returned to us; the refund follows within 5–10 business days.",
    "order_status_refunded": "Your order {order_id} ({items}) has been refunded ({total}).",
    "choose_order": "Which order do you mean?",
    "none_eligible_cancel": "None of your recent orders can still be cancelled: orders can be cancelled only before they ship. A shipped order can be returned once it arrives.",
    "none_eligible_return": "I can't find a delivered order from the last 30 days on your account that can be returned.",
    "none_eligible_address": "None of your orders can still get a new address: that is possible only before an order ships.",
    "confirm_cancel": "Shall I cancel order {order_id} ({items}, {total})?",
    "cancelled": "Done: order {order_id} is cancelled. You'll get a confirmation email, and any payment is refunded within 5–10 business days.",
    "cannot_cancel": "I can't cancel order {order_id}: {reason}.",
    "confirm_again": "Sorry, I need a clear yes or no before I change anything. Shall I go ahead?",
    "kept": "Okay, I've left everything as it was.",
    "ask_return_reason": "I can start a return for order {order_id} ({items}). What's the reason for the return?",
    "return_started": "Your return {return_id} for order {order_id} is registered. You'll receive a free return label by email; the refund follows 5–10 business days after the parcel reaches us.",
    "cannot_return": "I can't start a return for order {order_id}: {reason}.",
    "ask_address": "What's the new delivery address for order {order_id}? Please write it as: street and number, postal code and city, country code (e.g. Hauptstraße 5, 10115 Berlin, DE).",
    "address_unclear": "I couldn't read that as an address. Please write: street and number, postal code and city, country code (e.g. Hauptstraße 5, 10115 Berlin, DE).",
    "confirm_address": "Change the delivery address of order {order_id} to {address}?",
    "address_changed": "Done: order {order_id} will be delivered to {address}.",
    "cannot_change_address": "I can't change the address of order {order_id}: {reason}.",
    "refund_status": "{detail}",
    "knowledge_answer": "{answer}",
    "no_knowledge": "I'm not sure about that one and I'd rather not guess. Shall I get a person from our team?",
    "handoff": "I've asked a colleague from our team to join this chat. Our team is here Mon–Fri 8:00–20:00 and Sat 9:00–16:00 (CET); outside those hours we reply by email.",
    "complaint": "I'm really sorry about that. I've passed this on to a colleague from our team, who will look into it personally.",
    "products_found": "Here is what I found:",
    "offer": "{offer}",
    "products_none": "I couldn't find a matching product. Could you describe it differently?",
}


@dataclass(frozen=True)
class Reply:
    """A reply before rendering: a template key, its variables and the widget extras."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)


def render(reply: Reply) -> BotMessage:
    text = TEMPLATES[reply.key].format(**reply.values)
    return BotMessage(text=text, buttons=reply.buttons, cards=reply.cards, sources=reply.sources)
