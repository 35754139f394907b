"""What to do next, given what the shopper said and where the conversation stands. Pure.

Forms (multi-turn flows) take precedence: inside a confirmation, "yes" confirms; a clearly
different request abandons the form and is handled as a fresh request.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.nlu.types import OUT_OF_SCOPE, Parse
from bot.state import ConversationState

ORDER_FLOWS = {"track_order": "track_order", "cancel_order": "cancel_order", "return_order": "return_order",
               "change_shipping_address": "change_address", "track_refund": "refund_status", "get_refund": "refund_status"}
KNOWLEDGE_INTENTS = frozenset({
    "change_order", "check_cancellation_fee", "check_invoice", "check_payment_methods", "check_refund_policy",
    "create_account", "delete_account", "delivery_options", "delivery_period", "edit_account", "get_invoice",
    "newsletter_subscription", "payment_issue", "place_order", "recover_password", "registration_problems",
    "review", "set_up_shipping_address", "switch_account",
})
SIMPLE = {"greet": "greet", "goodbye": "goodbye", "thanks": "thanks", "affirm": "affirm_no_context",
          "deny": "deny_no_context", "contact_human_agent": "handoff", "contact_customer_service": "handoff",
          "complaint": "complaint", "product_search": "search_products", OUT_OF_SCOPE: "fallback"}

# Every intent the NLU knows must map to an action (checked by tests/bot/test_policy.py).
INTENT_ACTIONS: dict[str, str] = {**ORDER_FLOWS, **{i: "answer_from_knowledge" for i in KNOWLEDGE_INTENTS}, **SIMPLE}

# Forms and the intents that fill them rather than abandon them.
FORM_CONTINUATIONS = {
    "confirm_cancel": {"affirm": "do_cancel", "deny": "keep"},
    "confirm_return": {"affirm": "do_return", "deny": "keep"},
    "confirm_address": {"affirm": "do_change_address", "deny": "keep"},
}
FREE_TEXT_FORMS = {"ask_address": "address_given", "ask_return_reason": "return_reason_given"}
STRONG_CONFIDENCE = 0.85


@dataclass(frozen=True)
class Decision:
    action: str
    order_id: str | None = None


def decide(parse: Parse, state: ConversationState) -> Decision:
    order_id = parse.first("order_id")
    if state.form in FORM_CONTINUATIONS:
        action = FORM_CONTINUATIONS[state.form].get(parse.intent)
        if action and parse.confidence >= STRONG_CONFIDENCE:
            return Decision(action, state.slots.get("order_id"))
        if action or parse.intent == OUT_OF_SCOPE:  # never act on a hesitant "yes": ask again
            return Decision("confirm_again", state.slots.get("order_id"))
    elif state.form in FREE_TEXT_FORMS:
        switching = parse.intent in ORDER_FLOWS or parse.intent in ("contact_human_agent", "deny")
        if not (switching and parse.confidence >= STRONG_CONFIDENCE):
            return Decision(FREE_TEXT_FORMS[state.form], state.slots.get("order_id"))
    elif state.form and state.form.startswith("choose_order:") and order_id:
        return Decision(state.form.split(":", 1)[1], order_id)
    action = INTENT_ACTIONS.get(parse.intent, "fallback")
    return Decision(action, order_id)
