"""Actions on the shopper's orders: track, cancel, return, change the address, refunds, choosing an order.

Nothing here changes the shop without an explicit "yes" to a question that summarised the change
(the `do_*` actions run only from a confirmation form); the eligibility rules are the shop port's
(`ShopBackend.why_not`), so the dialogue explains exactly what the shop would refuse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.actions import TALK_TO_PERSON, Outcome, action, yes_no
from bot.address import ParsedAddress, parse_address, street_line
from bot.order_refs import FIRST, FUNCTION_WORDS, LAST, OTHER, PRONOUNS, SECOND, lines_named, resolve, words
from bot.policy import REASON_MARKERS, Decision, asks_return_status
from bot.responses import Reply, button
from common.errors import Conflict, NotFound
from shop.backend import RETURN_WINDOW_DAYS, OrderView

if TYPE_CHECKING:
    from bot.dialogue import DialogueManager
    from bot.nlu.types import Parse
    from bot.state import ConversationState

CHANGE_OF = {"cancel_order": "cancel", "return_order": "return", "change_address": "change_address"}
NONE_ELIGIBLE = {"cancel_order": "none_eligible_cancel", "return_order": "none_eligible_return",
                 "change_address": "none_eligible_address"}
REFUSED = {"cancel_order": "cannot_cancel", "return_order": "cannot_return", "change_address": "cannot_change_address"}
NOT_A_REASON = frozenset("yes no ok okay sure yeah nope maybe idk dunno hmm what why".split())


def _values(order: OrderView) -> dict[str, Any]:
    from bot.dialogue import order_values

    return order_values(order)


def choose(dm: DialogueManager, orders: list[OrderView], flow: str, again: bool = False) -> Outcome:
    from bot.dialogue import order_button

    out = Outcome(replies=[Reply("choose_order_again" if again else "choose_order", buttons=[order_button(o) for o in orders[:5]])])
    return out.form(f"choose_order:{flow}", candidates=[o.id for o in orders[:10]])


def pick_order(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse, flow: str,
               candidates: list[str] | None = None) -> tuple[OrderView | None, Outcome | None]:
    """The order a request is about: named by id, described (date, product, position), or the only eligible one."""
    if not state.customer_id:
        return None, Outcome().say("needs_sign_in", buttons=[TALK_TO_PERSON]).form(None)
    if d.order_id:
        order = dm.shop.get_order(state.customer_id, d.order_id)
        return (order, None) if order else (None, Outcome().say("order_not_found", order_id=d.order_id).form(None))
    orders = dm.shop.list_orders(state.customer_id, limit=10)
    if candidates is not None:
        orders = [o for o in orders if o.id in candidates] or orders
    if not orders:
        return None, Outcome().say("no_orders").form(None)
    named = resolve(parse.text, orders, None, state.slots.get("order_id"), parse.entity_values("date"))
    if not named:
        named = [o for o in orders if any(lines_named(o, p) for p in parse.entity_values("product"))]
    change = CHANGE_OF.get(flow)
    pool = named or orders
    eligible = [o for o in pool if change is None or dm.shop.why_not(o, change) is None]
    asked_for = parse.entity_values("product")
    if asked_for and not named and change is not None and eligible and candidates is None:
        # "send back the shoes" when no recent order has shoes: say so, never pick another order silently
        out = choose(dm, eligible, flow, again=False)
        out.replies.insert(0, Reply("product_not_in_orders", {"product": asked_for[0]}))
        return None, out
    if change is None:  # track, refunds: the described order, else the latest
        return pool[0], None
    if len(eligible) == 1:
        return eligible[0], None
    if not eligible:
        if len(named) == 1:  # the shopper named one: say exactly why not
            problem = dm.shop.why_not(named[0], change) or ""
            return None, Outcome().say(REFUSED[flow], order_id=named[0].id, reason=problem).form(None)
        return None, Outcome().say(NONE_ELIGIBLE[flow], return_days=RETURN_WINDOW_DAYS).form(None)
    return None, choose(dm, eligible, flow, again=candidates is not None)


def change_key(state: ConversationState, kind: str) -> str | None:
    """The idempotency key of a shop change: the turn's message and the kind of change."""
    return f"{state.turn_key}/{kind}" if state.turn_key else None


ASKING = frozenset("how what when which why is are does do".split())
FILLERS = frozenset("hmm hm hmmm um umm uh ok okay so and but oh well wait sorry actually also then".split())
# Question openings that, from a signed-in shopper, ask for the change itself.
ASKING_TO_DO = frozenset({"is it possible to", "is there a way", "would it be possible", "is it ok to", "is it okay to"})


def policy_question(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome | None:
    """"How long do I have to return something?" asks the policy, not to start a return: answer it.

    An anonymous shopper's "can I …" is a policy question too; a signed-in shopper's starts the flow.
    """
    words_ = words(parse.text)
    while words_ and words_[0] in FILLERS:  # "hmm what's the return window again?" is still a question
        words_ = words_[1:]
    first = words_[0].split("'")[0] if words_ else ""  # "what's" asks as "what" does
    if d.order_id or not (first in ASKING or not state.customer_id and first in ("can", "could")):
        return None
    if state.customer_id and " ".join(words_[:4]) in ASKING_TO_DO:
        return None  # a signed-in "is it possible to change the address of my order?" asks for it to be done
    from bot.care_actions import knowledge_answer

    return knowledge_answer(dm, parse)


def _order_for_change(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse,
                      flow: str) -> tuple[OrderView | None, Outcome | None]:
    """The order a change request is about, or the outcome that answers instead (a policy question,
    a choice of orders, or why the order cannot get this change)."""
    asked = policy_question(dm, d, state, parse)
    if asked is not None:
        return None, asked
    order, out = pick_order(dm, d, state, parse, flow)
    if out or order is None:
        return None, out
    problem = dm.shop.why_not(order, CHANGE_OF[flow])
    return (None, Outcome().say(REFUSED[flow], order_id=order.id, reason=problem).form(None)) if problem else (order, None)


@action("track_order")
def track_order(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    if asks_for_orders(parse.text) and state.customer_id and not d.order_id:
        orders = dm.shop.list_orders(state.customer_id, limit=10)
        pointed = resolve(parse.text, orders, None, None, parse.entity_values("date"))  # "of my orders, the second one"
        if len(orders) > 1 and not pointed:  # "what other orders do I have?": the list, each a button to look at (no form:
            from bot.dialogue import order_button  # a list is not a question the shopper must answer)

            return Outcome().say("your_orders", buttons=[order_button(o) for o in orders[:5]]).form(None)
    order, out = pick_order(dm, d, state, parse, "track_order")
    if out:
        return out
    assert order is not None
    return Outcome(order_id=order.id).say(f"order_status_{order.status}", **_values(order)).form(None)


@action("cancel_order")
def cancel_order(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    order, out = _order_for_change(dm, d, state, parse, "cancel_order")
    if out:
        return out
    assert order is not None
    confirm = Reply("confirm_cancel", _values(order), buttons=yes_no())
    named = lines_named(order, parse.text)
    if named and len(named) < len(order.lines):  # "cancel just the pepper mill": the shop cancels whole orders only
        items = ", ".join(order.lines[i].product_name for i in named)
        return Outcome(replies=[Reply("cancel_whole_only", {"items": items}), confirm]).form("confirm_cancel", order_id=order.id)
    return Outcome(replies=[confirm]).form("confirm_cancel", order_id=order.id)


@action("do_cancel")
def do_cancel(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    try:
        order = dm.shop.cancel_order(state.customer_id or "", d.order_id or "", idempotency_key=change_key(state, "cancel"))
    except (Conflict, NotFound) as exc:
        return Outcome().say("cannot_cancel", order_id=d.order_id, reason=str(exc).split(": ", 1)[-1]).form(None).failed()
    return Outcome().say("cancelled", order_id=order.id).form(None)


@action("return_order")
def return_order(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    order, out = _order_for_change(dm, d, state, parse, "return_order")
    if out:
        return out
    assert order is not None
    chosen = lines_named(order, parse.text) if len(order.lines) > 1 else []
    items = ", ".join(order.lines[i].product_name for i in chosen) if chosen else order.describe_items()
    slots = {"order_id": order.id, "product_ids": [order.lines[i].product_id for i in chosen], "items_text": items}
    reason = state.slots.get("reason") if (state.form or "").startswith("choose_order:") else stated_reason(parse.text)
    if reason:  # given with the request or while choosing the order: straight to the confirmation
        return Outcome(replies=[Reply("confirm_return", {"order_id": order.id, "items": items, "reason": reason},
                                      buttons=yes_no())]).form("confirm_return", **slots, reason=reason)
    return Outcome().say("ask_return_reason", **{**_values(order), "items": items}).form("ask_return_reason", **slots)


def stated_reason(text: str) -> str | None:
    """The reason given with the request itself: "return order 1042 because it's too small" -> "it's too small"."""
    ws = text.split()
    at = next((i for i, w in enumerate(ws) if w.lower().strip(",.;:-") in REASON_MARKERS), None)
    rest = " ".join(ws[at + 1:])[:300] if at is not None else ""
    return rest if rest and plausible_reason(rest) else None


# Words that only point at an order: "the second one" picks an order and says nothing of why.
POINTING = FUNCTION_WORDS | FIRST | SECOND | LAST | OTHER | PRONOUNS


def plausible_reason(text: str) -> bool:
    """A return reason has some words and is not a bare yes/no or a question."""
    ws = words(text)
    letters = sum(c.isalpha() for c in text)
    return (letters >= 3 and not (len(ws) == 1 and ws[0] in NOT_A_REASON) and not text.strip().endswith("?")
            and any(w not in POINTING and not w.isdigit() for w in ws))


def asks_for_orders(text: str) -> bool:
    """ "What orders do I have?", "my order history": the list, not the latest order."""
    ws = set(words(text))
    return "orders" in ws or "history" in ws and "order" in ws


DURATION = ("how long", "how many days", "how many weeks", "how soon", "how quickly", "how fast")


def asks_duration(text: str) -> bool:
    """ "How long does a refund take?": a question about time in general, not about one order."""
    lowered = " ".join(words(text))
    return any(d in lowered for d in DURATION)


ADDING = frozenset("also too and plus well additionally".split())


def items_named(order: OrderView, slots: dict[str, Any], text: str) -> list[str] | None:
    """The product ids a correction of a return's items asks for, or None when it names no other items:
    "actually also the bulbs" adds them, "only the bulbs" / "the bulbs instead" replaces the choice."""
    named = [order.lines[i].product_id for i in lines_named(order, text)] if len(order.lines) > 1 else []
    chosen = list(slots.get("product_ids") or [])
    if not named:
        return None
    wanted = list(dict.fromkeys(chosen + named)) if set(words(text)) & ADDING and chosen else named
    everything = {line.product_id for line in order.lines}
    return None if set(wanted) == (set(chosen) or everything) else wanted


@action("return_items")
def return_items(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """A correction of what goes back, at the reason question or the confirmation: ask again with the new items."""
    order = dm.shop.get_order(state.customer_id or "", d.order_id or "")
    wanted = items_named(order, state.slots, parse.text) if order else None
    if order is None or wanted is None:
        return Outcome(replies=[Reply("confirm_again", buttons=yes_no())]).form(state.form, **state.slots)
    whole = set(wanted) == {line.product_id for line in order.lines}
    ids = [] if whole else wanted
    items = order.describe_items() if whole else ", ".join(line.product_name for line in order.lines if line.product_id in ids)
    slots = {**state.slots, "product_ids": ids, "items_text": items}
    reason = state.slots.get("reason")
    if reason:
        return Outcome(replies=[Reply("confirm_return", {"order_id": order.id, "items": items, "reason": reason},
                                      buttons=yes_no())]).form("confirm_return", **slots)
    return Outcome().say("ask_return_reason", **{**_values(order), "items": items}).form("ask_return_reason", **slots)


@action("return_reason_given")
def return_reason_given(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    if not plausible_reason(parse.text):
        return Outcome().say("reason_unclear").form(state.form, **state.slots)
    reason = " ".join(parse.text.split())[:300]
    slots = {**state.slots, "reason": reason}
    return Outcome(replies=[Reply("confirm_return", {"order_id": d.order_id, "items": slots.get("items_text", ""),
                                                     "reason": reason}, buttons=yes_no())]).form("confirm_return", **slots)


@action("do_return")
def do_return(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    try:
        rma = dm.shop.start_return(state.customer_id or "", d.order_id or "", str(state.slots.get("reason", "")),
                                   list(state.slots.get("product_ids") or []), idempotency_key=change_key(state, "return"))
    except (Conflict, NotFound) as exc:
        return Outcome().say("cannot_return", order_id=d.order_id, reason=str(exc).split(": ", 1)[-1]).form(None).failed()
    return Outcome().say("return_started", return_id=rma.id, order_id=rma.order_id).form(None)


@action("change_address")
def change_address(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    order, out = _order_for_change(dm, d, state, parse, "change_address")
    if out:
        return out
    assert order is not None
    given = _address_in_request(dm, state, parse.text)  # "change the address to Meir 1, 2000 Antwerpen"
    if given is not None:
        return _confirm_address(order.id, given)
    return Outcome().say("ask_address", order_id=order.id).form("ask_address", order_id=order.id)


def _address_in_request(dm: DialogueManager, state: ConversationState, text: str) -> ParsedAddress | None:
    """"change the address to Meir 1, 2000 Antwerpen", or a bare address sent without a question asked."""
    customer = dm.shop.find_customer(state.customer_id) if state.customer_id else None
    country = customer.country if customer else None
    lowered = text.lower()
    cut = max(lowered.rfind(" to "), lowered.rfind(" is now "), lowered.rfind(": "))
    if cut >= 0:
        return parse_address(text[cut:].split(maxsplit=1)[-1], country)
    return parse_address(text, country)


def _confirm_address(order_id: str | None, address: ParsedAddress) -> Outcome:
    shown = address.shown()
    return Outcome(replies=[Reply("confirm_address", {"order_id": order_id, "address": shown}, buttons=yes_no())]).form(
        "confirm_address", order_id=order_id, address=address.to_dict(), shown=shown)


@action("address_given")
def address_given(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    customer = dm.shop.find_customer(state.customer_id) if state.customer_id else None
    address = parse_address(parse.text, customer.country if customer else None)
    pending, line = state.slots.get("address"), street_line(parse.text)
    if address is None and state.form == "confirm_address" and line and isinstance(pending, dict):
        address = ParsedAddress(line, pending["postal_code"], pending["city"], pending["country"])  # "no, number 7"
    if address is None:
        return Outcome().say("address_unclear").form("ask_address", **state.slots)
    return _confirm_address(d.order_id, address)


@action("do_change_address")
def do_change_address(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    from shop.backend import Address

    a = state.slots.get("address") or {}
    address = Address("", a.get("line", ""), a.get("city", ""), a.get("postal_code", ""), a.get("country", ""))
    try:
        order = dm.shop.change_shipping_address(state.customer_id or "", d.order_id or "", address,
                                                idempotency_key=change_key(state, "address"))
    except (Conflict, NotFound) as exc:
        return Outcome().say("cannot_change_address", order_id=d.order_id, reason=str(exc).split(": ", 1)[-1]).form(None).failed()
    return Outcome().say("address_changed", order_id=order.id, address=order.address.one_line()).form(None)


@action("refund_status")
def refund_status(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    if not state.customer_id:
        from bot.care_actions import answer_from_knowledge

        return answer_from_knowledge(dm, d, state, parse)
    recent = [] if d.order_id else dm.shop.list_orders(state.customer_id, limit=10)
    if not d.order_id and not resolve(parse.text, recent, None):
        for candidate in recent:  # "where is my return?": the one registered
            rma = dm.shop.find_return(state.customer_id, candidate.id)
            if rma is not None and candidate.status in ("delivered", "shipped"):
                return Outcome().say("refund_return_registered", return_id=rma.id, **_values(candidate)).form(None)
        if asks_return_status(parse):  # asked about a return, and none is registered
            settled = next((o for o in recent if o.status in ("returned", "refunded")), None)
            if settled is not None:  # "where's my refund for the returned order?": that order's refund
                return Outcome().say(f"refund_{settled.status}", return_days=RETURN_WINDOW_DAYS, **_values(settled)).form(None)
            return Outcome().say("no_return_registered", return_days=RETURN_WINDOW_DAYS).form(None)
        if asks_duration(parse.text):  # "how long does the refund take?" with no return under way: the policy
            from bot.care_actions import knowledge_answer

            answered = knowledge_answer(dm, parse)
            if answered is not None:
                return answered
    order, out = pick_order(dm, d, state, parse, "refund_status")
    if out:
        return out
    assert order is not None
    rma = dm.shop.find_return(state.customer_id, order.id) if order.status in ("delivered", "shipped") else None
    if rma is not None:
        return Outcome().say("refund_return_registered", return_id=rma.id, **_values(order)).form(None)
    if order.status == "delivered":
        late = dm.shop.why_not(order, "return")
        if late is not None:
            return Outcome().say("refund_delivered_late", buttons=[TALK_TO_PERSON], reason=late, **_values(order)).form(None)
        return Outcome().say("refund_delivered", buttons=[button("offer_return", order_id=order.id)], **_values(order)).form(None)
    key = {"refunded": "refund_refunded", "returned": "refund_returned", "cancelled": "refund_cancelled",
           "shipped": "refund_shipped"}.get(order.status, "refund_other")
    return Outcome().say(key, return_days=RETURN_WINDOW_DAYS, **_values(order)).form(None)


@action("order_chosen")
def order_chosen(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """An answer to "which order?" that is not a button: "the pan", "my last order", "from early November"."""
    flow = (state.form or "choose_order:track_order").split(":", 1)[1]
    order, out = pick_order(dm, d, state, parse, flow, candidates=list(state.slots.get("candidates") or []))
    if out:
        if flow == "return_order" and out.sets_form() and parse.intent not in ("affirm", "deny") and plausible_reason(parse.text):
            out.events[-1].payload["slots"]["reason"] = " ".join(parse.text.split())[:300]  # "it doesn't fit": keep it
        return out
    assert order is not None
    return dm.actions[flow](dm, Decision(flow, order.id), state, parse)


@action("correct_order")
def correct_order(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """"No, the other order" / "actually order 1002": start the same flow again for the order meant."""
    flow = {"confirm_cancel": "cancel_order", "confirm_return": "return_order",
            "confirm_address": "change_address"}.get(state.form or "", "track_order")
    if d.order_id:
        return dm.actions[flow](dm, Decision(flow, d.order_id), state, parse)
    orders = [o for o in dm.shop.list_orders(state.customer_id or "", 10) if o.id != state.slots.get("order_id")]
    change = CHANGE_OF.get(flow)
    eligible = [o for o in orders if change is None or dm.shop.why_not(o, change) is None]
    if len(eligible) == 1:
        return dm.actions[flow](dm, Decision(flow, eligible[0].id), state, parse)
    if not eligible:
        return Outcome().say(NONE_ELIGIBLE[flow], return_days=RETURN_WINDOW_DAYS).form(None)
    return choose(dm, eligible, flow)


@action("keep")
def keep(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return Outcome().say("kept").form(None)


@action("confirm_again")
def confirm_again(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return Outcome(replies=[Reply("confirm_again", buttons=yes_no())]).form(state.form, **state.slots)


@action("resume")
def resume(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    prompt = dm.form_prompt(state)
    return Outcome(replies=[prompt] if prompt else []).form(state.form, **state.slots)
