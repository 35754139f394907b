"""Response templates: every wording the bot uses lives here, keyed by name.

Templates are `str.format` strings over the outcome's variables; the consistency test checks
that every key the actions use exists here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.events import BotMessage

TEMPLATES: dict[str, str] = {
    "capabilities": "I'm the shop's virtual assistant, not a person. I can track, cancel or return an order, change a delivery address, answer questions about shipping, returns and payments, and suggest products. For anything else, a colleague from our team can take over.",
    "greet": "Hi{name_part}! I'm the shop's assistant. I can track, cancel or return an order, change a delivery address, answer questions about shipping, returns and payments, suggest products, or get you a person from our team.",
    "goodbye": "Thanks for stopping by{name_part}. Have a lovely day!",
    "thanks": "You're welcome! Anything else I can do for you?",
    "affirm_no_context": "Great. What can I help you with?",
    "deny_no_context": "No problem. Is there something else I can help with?",
    "fallback": "Sorry, I didn't quite understand that. You can ask me about an order (tracking, cancelling, returns, address changes) or about shipping, returns and payments.",
    "fallback_offer_human": "I'm still not sure what you need. Shall I get a person from our team to help you?",
    "needs_sign_in": "To look at your orders I need to know who you are: please sign in to your account on the shop and open the chat again. Ordered as a guest? The tracking link is in your shipping confirmation email, and a person from our team can help with your order number and email address.",
    "no_orders": "I can't find any orders on your account yet.",
    "order_not_found": "I couldn't find order {order_id} on your account. Could you check the number?",
    "order_status_placed": "Your order {order_id} ({items}, {total}) was placed on {placed} and is waiting for payment confirmation.",
    "order_status_paid": "Your order {order_id} ({items}, {total}) is paid and being prepared; it usually ships within 1–2 business days.",
    "order_status_shipped": "Your order {order_id} ({items}, {total}) shipped on {shipped} with {carrier}. Tracking number: {tracking}. Expected delivery: {expected}.",
    "order_status_delivered": "Your order {order_id} ({items}, {total}) was delivered on {delivered}.",
    "order_status_cancelled": "Your order {order_id} ({items}, {total}) was cancelled.",
    "order_status_returned": "Your order {order_id} ({items}, {total}) was returned to us; the refund follows within 5–10 business days.",
    "order_status_refunded": "Your order {order_id} ({items}) has been refunded ({total}).",
    "choose_order": "Which order do you mean?",
    "your_orders": "Here are your most recent orders. Pick one to see its details and where it is:",
    "product_not_in_orders": "I couldn't find \"{product}\" in your recent orders.",
    "choose_order_again": "I'm not sure which order you mean. Please pick one below, or tell me its number, a product in it or when you ordered it.",
    "none_eligible_cancel": "None of your recent orders can still be cancelled: orders can be cancelled only before they ship. A shipped order can be returned once it arrives.",
    "none_eligible_return": "I can't find a delivered order from the last {return_days} days on your account that can be returned.",
    "none_eligible_address": "None of your orders can still get a new address: that is possible only before an order ships.",
    "cancel_whole_only": "I can only cancel a whole order, not single items: to drop the {items}, cancel the order and order the rest again.",
    "confirm_cancel": "Shall I cancel order {order_id} ({items}, {total})?",
    "cancelled": "Done: order {order_id} is cancelled. You'll get a confirmation email, and any payment is refunded within 5–10 business days.",
    "cannot_cancel": "I can't cancel order {order_id}: {reason}.",
    "confirm_again": "Sorry, I need a clear yes or no before I change anything. Shall I go ahead?",
    "kept": "Okay, I've left everything as it was. Anything else I can help with?",
    "ask_return_reason": "I can start a return for order {order_id} ({items}). What's the reason for the return?",
    "reason_unclear": "Could you tell me in a few words why you're returning it (for example: it doesn't fit, it arrived damaged, I changed my mind)?",
    "confirm_return": "To confirm: return {items} from order {order_id}, reason: \"{reason}\". You'll get a free return label by email. Shall I register it?",
    "return_started": "Your return {return_id} for order {order_id} is registered. You'll receive a free return label by email; the refund follows 5–10 business days after the parcel reaches us.",
    "cannot_return": "I can't start a return for order {order_id}: {reason}.",
    "ask_address": "What's the new delivery address for order {order_id}? Please write it as: street and number, postal code and city, country (e.g. Hauptstraße 5, 10115 Berlin, DE).",
    "address_unclear": "I couldn't read that as an address. Please write: street and number, postal code and city, country (e.g. Hauptstraße 5, 10115 Berlin, DE).",
    "confirm_address": "Change the delivery address of order {order_id} to {address}?",
    "address_changed": "Done: order {order_id} will be delivered to {address}.",
    "cannot_change_address": "I can't change the address of order {order_id}: {reason}.",
    "resume_cancel_order": "Back to cancelling order {order_id}:",
    "resume_return_order": "Back to your return of order {order_id}:",
    "resume_change_address": "Back to the new address for order {order_id}:",
    "resume_choose": "Back to your request:",
    "refund_refunded": "Order {order_id} has been refunded ({total}) to your original payment method.",
    "refund_returned": "We received your return of order {order_id}; the refund of {total} follows within 5–10 business days.",
    "refund_cancelled": "Order {order_id} was cancelled; any payment is refunded within 5–10 business days of the cancellation.",
    "no_return_registered": "I don't see a return registered for your recent orders. Delivered orders can be returned within {return_days} days: just say \"return order\" and its number.",
    "refund_return_registered": "Your return {return_id} for order {order_id} is in progress: once the parcel reaches us and has been checked, the refund of {total} follows within 5–10 business days.",
    "refund_delivered_late": "Order {order_id} was delivered on {delivered}. I can't start a return for it: {reason}. If something is wrong with it, a colleague from our team can look at it with you.",
    "refund_delivered": "Order {order_id} was delivered on {delivered}. To get your money back, I can start a return for it. Shall I?",
    "refund_shipped": "Order {order_id} is on its way with {carrier}, so nothing has been refunded. Once it arrives you can return it within {return_days} days for a full refund — just tell me \"return order {order_id}\".",
    "refund_other": "Order {order_id} is {status}; nothing has been charged back. If you want to cancel it, say \"cancel order {order_id}\".",
    "knowledge_answer": "{answer}",
    "no_knowledge": "I'm not sure about that one and I'd rather not guess. I can help with your orders (tracking, cancelling, returns, address changes), or get a person from our team.",
    "contact_info": "{answer}",
    "contact_fallback": "Our team is here Mon–Fri 8:00–20:00 and Sat 9:00–16:00 (CET). Type \"talk to a person\" and a colleague joins this chat.",
    "handoff": "I've asked a colleague from our team to join this chat. Our team is here Mon–Fri 8:00–20:00 and Sat 9:00–16:00 (CET); outside those hours we reply by email.",
    "waiting_ack": "Thanks, I've added that to the conversation. A colleague from our team will reply here (Mon–Fri 8:00–20:00, Sat 9:00–16:00 CET; outside those hours by email). Meanwhile I can still answer help-centre questions and look up your orders.",
    "waiting_too_long": "Sorry for the wait — nobody from our team has been free yet. You can keep waiting, leave your email address so we can reply there, or continue with me.",
    "waiting_answer": "While you wait for our team, here is what our help centre says:",
    "waiting_lookup": "While you wait for our team:",
    "email_noted": "Thanks — our team will reply to {email}.",
    "back_to_bot": "Okay, I'm back. What can I help you with?",
    "complaint": "I'm really sorry about that. I've passed this on to a colleague from our team, who will look into it personally.",
    "products_found": "Here is what I found:",
    "products_none": "Sorry, we don't sell {wanted} — I couldn't find anything like it in our shop. I can show you our categories, or help with something else.",
    "products_none_generic": "I couldn't find a matching product. Could you describe it differently?",
    "recommend": "Here are a few picks based on what you've bought before:",
    "recommend_popular": "Here are a few of our customers' favourites:",
    "arrival_shipped": "Your order {order_id} ({items}) is on its way with {carrier} (tracking {tracking}); it should arrive by {expected}.",
    "arrival_generic": "{answer}",
    "parcel_missing": "I'm sorry your parcel hasn't turned up. Order {order_id} was marked delivered on {delivered} by {carrier}. Please check with neighbours and around your door, and wait one more business day: parcels marked delivered early sometimes arrive later. If it's still missing, we open an investigation with {carrier} and send a replacement or refund. Shall I get a person from our team to start that now?",
    "parcel_missing_generic": "{answer}",
    "item_damaged": "I'm sorry your order {order_id} ({items}) didn't arrive as it should (damaged, faulty or the wrong item). Keep the packaging and, if you can, take a photo. I can register a free return for order {order_id} right away (we refund or replace it), or get a person from our team. Shall I start the return?",
    "item_damaged_no_return": "I'm sorry your order {order_id} ({items}) didn't arrive as it should. I can't register a return for it here: {reason}. Keep the packaging and, if you can, take a photo. Shall I get a colleague from our team to look at it with you?",
    "item_damaged_generic": "{answer}",
    "upset": "I'm sorry something isn't right. Tell me what happened and I'll do my best to help — or shall I get a person from our team?",
    "leave_shop": "I'm sorry to hear that{name_part} — thank you for telling us. If something went wrong, I'd like to put it right: I can pass your feedback to our team or get a person to talk to you.",
    "close_account": "I'm sorry to see you go. Closing an account deletes your order history and saved details, so a colleague from our team does it for you after checking there are no open orders or returns. Shall I get a person to close your account?",
    "offer": "{offer}",
    "unsupported_language": "{text}",
}

# Buttons: the title the shopper sees and the message the button sends (a payload the NLU or the
# dialogue understands). A shop rewords titles here like any other sentence.
BUTTONS: dict[str, dict[str, str]] = {
    "talk_to_person": {"title": "Talk to a person", "payload": "I want to talk to a person"},
    "yes": {"title": "Yes", "payload": "yes"},
    "no": {"title": "No", "payload": "no"},
    "start_return": {"title": "Start a return", "payload": "I want to return order {order_id} because it arrived damaged"},
    "start_return_items": {"title": "Start a return", "payload": "I want to return the {items} from order {order_id} because it arrived damaged"},
    "offer_return": {"title": "Start a return", "payload": "I want to return order {order_id}"},
    "back_to_bot": {"title": "Continue with the bot", "payload": "/back_to_bot"},
}


def button(name: str, **values: str) -> dict[str, str]:
    b = BUTTONS[name]
    return {"title": b["title"].format(**values), "payload": b["payload"].format(**values)}


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
