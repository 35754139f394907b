"""What to do next, given what the shopper said and where the conversation stands. Pure.

Inside a form the message is first understood as a whole (Rasa's unhappy paths): a clear "yes"
confirms only a confirmation question; "no" or a change of mind leaves the form; a confident
question or read-only request is a digression — answered, then the form resumes with a reminder;
a new request that changes the shop replaces the form; anything else is offered to the slot, whose
validation (in the dialogue) decides whether it is a plausible value.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.moods import mood_of
from bot.nlu.types import OUT_OF_SCOPE, Parse
from bot.state import ConversationState

ORDER_FLOWS = {"track_order": "track_order", "cancel_order": "cancel_order", "return_order": "return_order",
               "change_shipping_address": "change_address", "track_refund": "refund_status", "get_refund": "refund_status"}
KNOWLEDGE_INTENTS = frozenset({
    "change_order", "check_cancellation_fee", "check_invoice", "check_payment_methods", "check_refund_policy",
    "create_account", "delivery_options", "edit_account", "get_invoice",
    "newsletter_subscription", "payment_issue", "place_order", "recover_password", "registration_problems",
    "review", "set_up_shipping_address", "switch_account", "use_voucher",
})
SIMPLE = {"greet": "greet", "goodbye": "goodbye", "thanks": "thanks", "affirm": "affirm_no_context",
          "deny": "deny_no_context", "contact_human_agent": "handoff", "contact_customer_service": "contact_info",
          "complaint": "complaint", "product_search": "search_products", OUT_OF_SCOPE: "fallback",
          "delivery_period": "arrival", "parcel_missing": "parcel_missing", "item_damaged": "item_damaged",
          "leave_shop": "leave_shop", "delete_account": "close_account", "recommend_me": "recommend",
          "bot_challenge": "capabilities"}

# Every intent the NLU knows must map to an action (checked by tests/bot/test_policy.py).
INTENT_ACTIONS: dict[str, str] = {**ORDER_FLOWS, **{i: "answer_from_knowledge" for i in KNOWLEDGE_INTENTS}, **SIMPLE}

# Actions that only read: inside a form they are answered and the form goes on.
READ_ONLY = frozenset({"answer_from_knowledge", "contact_info", "track_order", "refund_status", "search_products", "arrival",
                       "recommend", "greet", "thanks", "capabilities"})
# Confirmation forms: the answers that fill them.
CONFIRMATIONS = {
    "confirm_cancel": {"affirm": "do_cancel", "deny": "keep"},
    "confirm_return": {"affirm": "do_return", "deny": "keep"},
    "confirm_address": {"affirm": "do_change_address", "deny": "keep"},
}
# Forms that take free text, and the action that validates and fills the slot.
FREE_TEXT_FORMS = {"ask_address": "address_given", "ask_return_reason": "return_reason_given"}
STRONG_CONFIDENCE = 0.85
DIGRESSION_CONFIDENCE = 0.6
# A statement of leaving whose complaint reading has at least this probability is handled as a complaint.
GRIEVANCE_SHARE = 0.15
# ... or that names what went wrong: the share alone moves with every retraining of the NLU. Not "again" or
# "lost": "I won't order from you again" and "you've lost a customer" are plain leaving.
GRIEVANCES = frozenset("""late delayed broken damaged unhappy disappointed disappointing terrible awful worst
useless rude wrong missing""".split())


@dataclass(frozen=True)
class Decision:
    action: str
    order_id: str | None = None
    digression: bool = False  # answer, then resume the form that was open


def flow_of(form: str | None) -> str | None:
    """The order flow a form belongs to (choose_order:cancel_order -> cancel_order)."""
    if not form:
        return None
    if form.startswith("choose_order:"):
        return form.split(":", 1)[1]
    return {"confirm_cancel": "cancel_order", "confirm_return": "return_order", "ask_return_reason": "return_order",
            "ask_address": "change_address", "confirm_address": "change_address"}.get(form)


def decide(parse: Parse, state: ConversationState, order_id: str | None = None) -> Decision:
    """`order_id` is the order the message names, already checked against the shop's id format."""
    mood = mood_of(parse.text)
    if mood is not None and state.form in CONFIRMATIONS:
        return Decision("confirm_again", state.slots.get("order_id"))  # "👍" to "Shall I cancel it?": ask for a yes
    if mood == "upset":
        return Decision("upset", order_id)  # "😡😡😡": never "I didn't understand"
    if mood == "pleased" and not state.form:
        return Decision("thanks", order_id)
    action = INTENT_ACTIONS.get(parse.intent, "fallback")
    if action in ("track_order", "return_order") and asks_return_status(parse):
        action = "refund_status"  # "what is the status of my return" tracks the return, not the parcel
    if action == "leave_shop" and (dict(parse.ranking).get("complaint", 0.0) >= GRIEVANCE_SHARE
                                   or set(_words(parse)) & GRIEVANCES):
        action = "complaint"  # "third late delivery, I'm done with you": a person puts the grievance right first
    confident = parse.confidence >= STRONG_CONFIDENCE
    form = state.form
    if not form:
        if parse.intent in ("affirm", "deny") and _starts_with(parse, YES_WORDS) and not _has_no(parse):
            verbs = [FLOW_VERBS[w] for w in _words(parse) if w in FLOW_VERBS]
            if verbs:  # "yes cancel it" after the bot suggested it: the request, not a yes to nothing
                return Decision(verbs[0], order_id)
        return Decision(action, order_id)
    slot_order = state.slots.get("order_id")
    deny_bar = DIGRESSION_CONFIDENCE if form in FREE_TEXT_FORMS else STRONG_CONFIDENCE  # "no wait, stop" ends a free-text form
    plain_yes = _plain_yes(parse, form)
    if form in CONFIRMATIONS and _hesitant(parse):
        return Decision("confirm_again", slot_order)  # "hmm maybe, I don't know" is neither yes nor no
    if form in CONFIRMATIONS and _starts_with(parse, NO_WORDS) and action in ORDER_FLOWS.values() and action not in READ_ONLY \
            and action != flow_of(form) and parse.confidence >= DIGRESSION_CONFIDENCE:
        return Decision(action, order_id or slot_order)  # "no wait, don't cancel, change the address instead"
    if parse.intent == "deny" and parse.confidence >= deny_bar and not order_id and not plain_yes:
        return Decision("keep", slot_order)
    if form == "ask_return_reason" and action == "complaint" and not question_like(parse):
        return Decision(FREE_TEXT_FORMS[form], slot_order)  # "the colour looks different" is why it goes back
    if form in CONFIRMATIONS:
        answer = CONFIRMATIONS[form].get(parse.intent)
        if parse.intent == "affirm" and _has_no(parse):
            answer = None  # "yes but wait": a hedged yes changes nothing
        if not order_id and (plain_yes or action == flow_of(form) and _starts_with(parse, NO_WORDS)):
            # "yes, cancel it" / "ok yes cancel" / "no, don't cancel", whatever intent the NLU gave them
            answer, confident = CONFIRMATIONS[form]["affirm" if plain_yes else "deny"], True
        if answer and confident and not (order_id and order_id != slot_order):
            return Decision(answer, slot_order)
        other_flow = action in ORDER_FLOWS.values() and action != flow_of(form) and parse.confidence >= STRONG_CONFIDENCE
        if (order_id and order_id != slot_order or parse.intent == "deny" and _points_elsewhere(parse)) and not other_flow:
            return Decision("correct_order", order_id or slot_order)  # "no, the other order", "actually 1002"
        if parse.intent == "deny" and not other_flow:
            return Decision(CONFIRMATIONS[form]["deny"], slot_order)  # "actually nevermind, keep them": a no is a no
    elif form.startswith("choose_order:"):
        if order_id:
            return Decision(form.split(":", 1)[1], order_id)
        if not (action in READ_ONLY and parse.confidence >= DIGRESSION_CONFIDENCE and parse.intent != OUT_OF_SCOPE):
            return Decision("order_chosen", None)  # a description: "the pan", "my last order", "from early November"
    if action == "handoff" or action in ("complaint", "leave_shop", "close_account", "goodbye") and confident:
        return Decision(action, order_id)  # the conversation moves on; the form is dropped
    if action in ORDER_FLOWS.values() and action not in READ_ONLY and parse.confidence >= STRONG_CONFIDENCE:
        if action == flow_of(form) and not order_id:
            if form in FREE_TEXT_FORMS and not _restates(parse, action):
                return Decision(FREE_TEXT_FORMS[form], slot_order)  # "it is too small" reads as a return: it is the reason
            return Decision("resume", slot_order)  # "I want to return it" again: just ask the open question
        return Decision(action, order_id)  # a new change request replaces the open one
    asks = question_like(parse) and (form in FREE_TEXT_FORMS or parse.intent != OUT_OF_SCOPE or parse.text.rstrip().endswith("?"))
    if (form in FREE_TEXT_FORMS or form in CONFIRMATIONS) and asks and parse.intent not in ("affirm", "deny"):
        return Decision(action if action in READ_ONLY else "fallback", order_id, digression=True)  # never a slot value
    if action in READ_ONLY and parse.confidence >= DIGRESSION_CONFIDENCE and parse.intent not in ("affirm", "deny"):
        if form in FREE_TEXT_FORMS and not question_like(parse):
            return Decision(FREE_TEXT_FORMS[form], slot_order)  # "it arrived broken" is a reason, not a question
        return Decision(action, order_id, digression=True)
    if form in FREE_TEXT_FORMS:
        return Decision(FREE_TEXT_FORMS[form], slot_order)
    if form in CONFIRMATIONS:
        return Decision("confirm_again", slot_order)
    return Decision(action, order_id)


RETURN_WORDS = frozenset("return returns returned refund refunds refunded".split())
STATUS_WORDS = frozenset("status progress update happened happening received arrived".split())


def asks_return_status(parse: Parse) -> bool:
    """"What's the status of my return?", "where is my refund?" — not "how do I return something"."""
    ws = [w.strip(",.!?'") for w in parse.text.lower().replace("'s ", " is ").replace("wheres ", "where is ").split()]
    ws = ws[:next((i for i, w in enumerate(ws) if w in REASON_MARKERS), len(ws))]  # "...because it arrived damaged" is no status
    if not RETURN_WORDS & set(ws):
        return False
    return bool(STATUS_WORDS & set(ws)) or any(ws[i:i + 3] in (["where", "is", "my"], ["where", "are", "my"])
                                               for i in range(len(ws)))

QUESTION_WORDS = frozenset("what how when where why which who whom whose can could do does did is are will would should may "
                           "wie was wann wo warum quand comment pourquoi".split())


YES_WORDS = frozenset("yes yeah yep yup sure ok okay please absolutely definitely correct".split())


NO_WORDS = frozenset("no nope nah don't dont not".split())


# Verbs that name a change request even when the NLU reads the message as a bare yes or no.
FLOW_VERBS = {"cancel": "cancel_order", "return": "return_order", "track": "track_order"}


def _words(parse: Parse) -> list[str]:
    return [w.strip(",.!?") for w in parse.text.lower().split()]


REASON_MARKERS = frozenset("because since cause coz cuz bc".split())
# Words that name a flow's request itself: a message in its free-text form without them is the value asked for.
REQUEST_WORDS = {"return_order": RETURN_WORDS, "change_address": frozenset("address change update".split())}


def _restates(parse: Parse, flow: str) -> bool:
    """"I want to return it" restates the open request; "it is too small" or "return it because it's too small" answers it."""
    words = set(_words(parse))
    return bool(REQUEST_WORDS.get(flow, frozenset()) & words) and not REASON_MARKERS & words


# Words that may follow a yes and keep it a plain yes ("yes please", "ok go ahead", "sure, do it").
AFFIRM_FILLER = frozenset("please do it go ahead that's thats fine right good great perfect thing of course "
                          "the this that my order one then and just now".split())
# Words that restate the pending change ("yes, cancel it", "yes, use the new address").
CONFIRM_ECHO = {"confirm_cancel": frozenset("cancel cancelled cancelling".split()),
                "confirm_return": frozenset("return returning send back register".split()),
                "confirm_address": frozenset("use change new address deliver send there".split())}
HESITANT = ("maybe", "perhaps", "not sure", "unsure", "don't know", "dont know", "dunno", "idk", "no idea")


def _plain_yes(parse: Parse, form: str) -> bool:
    """A yes that answers the confirmation, and only that: "yes", "ok go ahead", "yes, cancel it".

    A yes word alone or with filler ("yes please") is a yes whatever the NLU says; followed by
    anything else it counts only when the NLU reads the whole message as agreeing or as the pending
    request itself: "ok thanks", "ok stop" or "ok, where is my other order" confirm nothing (the
    shop's data never changes on a pleasantry).
    """
    if not _starts_with(parse, YES_WORDS) or _has_no(parse) or question_like(parse):
        return False
    rest = [w.strip(",.!") for w in parse.text.lower().split()[1:]]
    if all(w in YES_WORDS | AFFIRM_FILLER | CONFIRM_ECHO.get(form, frozenset()) or not w for w in rest):
        return True
    return parse.intent == "affirm" or INTENT_ACTIONS.get(parse.intent) == flow_of(form)


# Words with which a "no" points at another order or item ("no, the other one", "not that, the first").
ELSEWHERE = frozenset("other another different wrong instead first second third last latest previous earlier older "
                      "newer recent".split())


def _points_elsewhere(parse: Parse) -> bool:
    return any(w in ELSEWHERE for w in _words(parse))


def _hesitant(parse: Parse) -> bool:
    text = " " + " ".join(_words(parse)) + " "
    return any(f" {h} " in text for h in HESITANT)


def _starts_with(parse: Parse, first_words: frozenset[str]) -> bool:
    first = parse.text.strip().split(maxsplit=1)[0].lower().strip(",.!") if parse.text.strip() else ""
    return first in first_words


def _has_no(parse: Parse) -> bool:
    return any(w in NO_WORDS | {"but", "wait"} for w in _words(parse))


def question_like(parse: Parse) -> bool:
    """A question by its form, or an aside: a question mark, or a question word or an aside first."""
    return is_question(parse) or _first_word(parse) in ("wait", "btw", "also", "hmm", "oh")


def is_question(parse: Parse) -> bool:
    """A question by its form alone: a question mark, or a question word first ("hmm actually also
    the french press" is an aside, not a question)."""
    return parse.text.strip().endswith("?") or _first_word(parse) in QUESTION_WORDS


def _first_word(parse: Parse) -> str:
    text = parse.text.strip()
    return text.split(maxsplit=1)[0].lower().strip(",.!") if text else ""
