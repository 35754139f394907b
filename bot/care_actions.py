"""Actions that answer and care: small talk, help-centre answers, products, after-sales problems,
churn moments and hand-offs. Personal where it can be: a signed-in shopper's generic question
("when will my parcel arrive?") is answered about their own order when one fits.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot import events as ev
from bot.actions import TALK_TO_PERSON, Outcome, action
from bot.events import Event
from bot.order_actions import choose
from bot.order_refs import lines_named, product_words, resolve
from bot.policy import KNOWLEDGE_INTENTS, STRONG_CONFIDENCE, Decision, is_question
from bot.responses import Reply, button

if TYPE_CHECKING:
    from bot.dialogue import DialogueManager
    from bot.nlu.types import Parse
    from bot.state import ConversationState
    from shop.backend import OrderView

# A help-centre passage that sends the shopper to the team gets the button that does it.
SEND_TO_US = ("customer service", "contact us", "contact our team", "get in touch")
FOLLOW_UP_WORDS = 5  # a question this short after a help-centre answer may be an elliptical follow-up
KNOWLEDGE_ONLY = KNOWLEDGE_INTENTS | {"delivery_period", "delivery_options", "check_refund_policy"}


def knowledge_answer(dm: DialogueManager, parse: Parse, key: str = "knowledge_answer",
                     buttons: list[dict[str, str]] | None = None) -> Outcome | None:
    """The help centre's answer with its source, or None when nothing clears the threshold."""
    # the typo-repaired reading: "how long do refnds take" misses the article that "refunds" finds
    sure = parse.intent in KNOWLEDGE_ONLY and parse.confidence >= STRONG_CONFIDENCE  # a policy question, certainly
    answer = dm.knowledge.answer(parse.repaired or parse.text, lenient=sure) if dm.knowledge else None
    if answer is None or dm.knowledge is None:
        return None
    buttons = list(buttons or [])
    if TALK_TO_PERSON not in buttons and any(p in answer.text.lower() for p in SEND_TO_US):
        buttons.append(TALK_TO_PERSON)  # "send it to customer service and we check it": we are right here
    out = Outcome(replies=[Reply(key, {"answer": answer.text}, buttons=buttons,
                                 sources=[{"title": answer.title, "url": answer.url}])])
    out.events.append(Event(ev.KNOWLEDGE_RETRIEVED, {"doc_id": answer.doc_id, "title": answer.title, "url": answer.url,
                                                     "score": round(float(answer.score), 4), "index_id": dm.knowledge.index_id}))
    return out


def _missed(dm: DialogueManager, parse: Parse) -> Outcome:
    """Nothing fits: say so, offer what we can do, and record the gap for `keepcart kb gaps`."""
    missed = Event(ev.KNOWLEDGE_MISSED, {"question": parse.text, "intent": parse.intent,
                                         "index_id": dm.knowledge.index_id if dm.knowledge else ""})
    return Outcome(replies=[Reply("no_knowledge", buttons=[TALK_TO_PERSON])], events=[missed])


@action("greet")
def greet(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return Outcome().say("greet", name_part=dm.name_part(state))


@action("capabilities")
def capabilities(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """"Are you a bot?", "what can you do?": say what it is and what it can do, a person one click away."""
    return Outcome().say("capabilities", buttons=[TALK_TO_PERSON])


@action("goodbye")
def goodbye(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return Outcome().say("goodbye", name_part=dm.name_part(state))


@action("thanks")
def thanks(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return Outcome().say("thanks")


@action("affirm_no_context")
def affirm_no_context(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return Outcome().say("affirm_no_context")


@action("deny_no_context")
def deny_no_context(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return Outcome().say("deny_no_context")


@action("fallback")
def fallback(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    answered = knowledge_answer(dm, parse)  # out of the NLU's scope may still be in the help centre
    if answered is None and state.answered_question and len(parse.text.split()) <= FOLLOW_UP_WORDS and is_question(parse):
        # "how much?" right after "do you deliver to Spain?": the short follow-up asks about the same topic
        answered = knowledge_answer(dm, replace(parse, text=f"{state.answered_question} {parse.text}", repaired=None))
    if answered is not None:
        return answered
    if state.fallbacks >= 1:
        return Outcome(replies=[Reply("fallback_offer_human", buttons=[TALK_TO_PERSON])], fallback=True)
    return Outcome(fallback=True).say("fallback")


@action("handoff")
def handoff(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    out = Outcome().say("handoff")
    out.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": parse.intent}))
    return out


@action("complaint")
def complaint(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    out = Outcome().say("complaint")
    out.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": "complaint"}))
    return out


@action("answer_from_knowledge")
def answer_from_knowledge(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    return knowledge_answer(dm, parse) or _missed(dm, parse)


@action("contact_info")
def contact_info(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """Opening hours, phone, e-mail: answered from the help centre, with a person one click away."""
    answered = knowledge_answer(dm, parse, "contact_info", buttons=[TALK_TO_PERSON])
    return answered or Outcome().say("contact_fallback", buttons=[TALK_TO_PERSON])


@action("search_products")
def search_products(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    from bot.dialogue import product_card

    # "do you offer gift wrapping" reads like a product search: when no product is named, or none
    # is found, the help centre may have the answer.
    named = parse.entity_values("product")
    answered = None if named else knowledge_answer(dm, parse)
    if answered is not None:
        return answered
    products = dm.shop.search_products(" ".join(named) or parse.text, limit=4)
    if products:
        return Outcome(replies=[Reply("products_found", cards=[product_card(p) for p in products])])
    answered = knowledge_answer(dm, parse) if named else None
    if answered is not None and _speaks_of(answered, " ".join(named)):
        return answered  # "gift wrapping" is a service the help centre describes, not a product
    wanted = " ".join(named) or " ".join(sorted(product_words(parse.text) - {"sell", "have", "you", "any"}))
    return Outcome().say("products_none", wanted=wanted) if wanted else Outcome().say("products_none_generic")


def _speaks_of(answered: Outcome, named: str) -> bool:
    """Whether the cited passage names what the shopper asked about (not merely a nearby topic)."""
    reply = answered.replies[0]
    said = product_words(" ".join([str(reply.values.get("answer", ""))] + [str(s.get("title", "")) for s in reply.sources]))
    return bool(product_words(named) & said)


@action("recommend")
def recommend(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """Personal picks from the recommender for a signed-in shopper; popular products otherwise."""
    from bot.dialogue import product_card

    ids: list[str] = []
    if state.customer_id and dm.recommender is not None:
        ids = dm.recommender(state.customer_id, 4)
    products = dm.shop.get_products(ids) if ids else []
    if products:
        return Outcome(replies=[Reply("recommend", cards=[product_card(p) for p in products])])
    popular = dm.recommender("", 4) if dm.recommender is not None else []
    products = dm.shop.get_products(popular) if popular else []
    if products:
        return Outcome(replies=[Reply("recommend_popular", cards=[product_card(p) for p in products])])
    return knowledge_answer(dm, parse) or _missed(dm, parse)


def _about(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse,
           statuses: tuple[str, ...]) -> OrderView | None:
    """The order a message is about: its id, else one it names ("the mug arrived broken"), else the one
    under discussion, else the latest fitting one."""
    if not state.customer_id:
        return None
    if d.order_id:
        return dm.shop.get_order(state.customer_id, d.order_id)
    current = state.slots.get("order_id")
    orders = [o for o in dm.shop.list_orders(state.customer_id, limit=10) if o.status in statuses]
    named = resolve(parse.text, orders, None, current, parse.entity_values("date"))
    if named:
        return named[0]
    if current:
        order = next((o for o in orders if o.id == current), None) or dm.shop.get_order(state.customer_id, current)
        if order is not None and order.status in statuses:
            return order
    return orders[0] if orders else None


def _unbought(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome | None:
    """"The candle holder is chipped" from a shopper none of whose recent orders holds one: say so and ask
    which order it was, never give the steps for another order."""
    asked = [p for p in parse.entity_values("product") if product_words(p)]
    if d.order_id or not asked or not state.customer_id:
        return None
    orders = dm.shop.list_orders(state.customer_id, limit=10)
    named = resolve(parse.text, orders, None, state.slots.get("order_id"), parse.entity_values("date"))
    if not orders or named or any(lines_named(o, p) for o in orders for p in asked):
        return None
    out = choose(dm, orders, d.action)
    out.replies.insert(0, Reply("product_not_in_orders", {"product": asked[0]}))
    return out


def _with_article(dm: DialogueManager, parse: Parse, out: Outcome) -> Outcome:
    """Cite the help-centre article behind personal steps (the lost-parcel or damaged-item page)."""
    answered = knowledge_answer(dm, parse)
    if answered is not None:
        first = out.replies[0]
        out.replies[0] = Reply(first.key, first.values, first.buttons, first.cards, answered.replies[0].sources)
        out.events += answered.events
    return out


@action("arrival")
def arrival(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """"When will my parcel arrive?": the shopper's own shipped order when there is one."""
    from bot.dialogue import order_values

    current = state.slots.get("order_id")
    mine = dm.shop.get_order(state.customer_id, current) if current and state.customer_id else None
    # the order being talked about, else the one on its way, else one still being prepared
    order = mine or _about(dm, d, state, parse, ("shipped",)) or _about(dm, d, state, parse, ("paid", "placed"))
    if order is not None and order.status == "shipped":
        return Outcome().say("arrival_shipped", **order_values(order))
    if order is not None:
        return Outcome().say(f"order_status_{order.status}", **order_values(order))
    return knowledge_answer(dm, parse, "arrival_generic") or _missed(dm, parse)


@action("parcel_missing")
def parcel_missing(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """"It says delivered but nothing came": the lost-parcel steps for their order, a person offered."""
    from bot.dialogue import order_values

    unbought = _unbought(dm, d, state, parse)
    if unbought is not None:
        return unbought
    order = _about(dm, d, state, parse, ("delivered",))
    if order is not None and order.status == "delivered":
        return _with_article(dm, parse, Outcome().say("parcel_missing", buttons=[TALK_TO_PERSON], **order_values(order)))
    if _about(dm, d, state, parse, ("shipped", "paid", "placed")) is not None:
        return arrival(dm, d, state, parse)  # "my order never came" while it is still on its way: where it is
    return knowledge_answer(dm, parse, "parcel_missing_generic", buttons=[TALK_TO_PERSON]) or _missed(dm, parse)


@action("item_damaged")
def item_damaged(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """"It arrived broken": the damaged-item steps for their order, with a return or a person offered."""
    from bot.dialogue import order_values

    unbought = _unbought(dm, d, state, parse)
    if unbought is not None:
        return unbought
    order = _about(dm, d, state, parse, ("delivered",))
    if order is not None and order.status == "delivered":
        late = dm.shop.why_not(order, "return")
        if late is not None:  # outside the return window: never offer a return the shop will refuse
            out = Outcome().say("item_damaged_no_return", buttons=[TALK_TO_PERSON], reason=late, **order_values(order))
            return _with_article(dm, parse, out)
        named = lines_named(order, parse.text)  # "my serum leaked": the return button is for the serum alone
        items = ", ".join(order.lines[i].product_name for i in named) if 0 < len(named) < len(order.lines) else ""
        start = button("start_return_items", order_id=order.id, items=items) if items else button("start_return", order_id=order.id)
        return _with_article(dm, parse, Outcome().say("item_damaged", buttons=[start, TALK_TO_PERSON], **order_values(order)))
    return knowledge_answer(dm, parse, "item_damaged_generic", buttons=[TALK_TO_PERSON]) or _missed(dm, parse)


@action("upset")
def upset(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """"😡😡😡": an upset shopper gets sympathy, a request to say what happened, and a person offered."""
    return Outcome().say("upset", buttons=[TALK_TO_PERSON]).form(None)


@action("leave_shop")
def leave_shop(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """"I'm done with this shop": listen, offer a person; the retention agent may add an offer."""
    return Outcome().say("leave_shop", buttons=[TALK_TO_PERSON], name_part=dm.name_part(state)).form(None)


@action("close_account")
def close_account(dm: DialogueManager, d: Decision, state: ConversationState, parse: Parse) -> Outcome:
    """Closing an account is explained and handed to a person, never done by the bot."""
    answered = knowledge_answer(dm, parse)
    sources = answered.replies[0].sources if answered else []
    out = Outcome(replies=[Reply("close_account", buttons=[TALK_TO_PERSON], sources=sources)],
                  events=answered.events if answered else [])
    return out.form(None)
