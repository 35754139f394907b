"""The dialogue manager: one shopper message in, the events of the turn out.

handle() is pure apart from the ports it was given (parser, shop, knowledge); persisting
the events is the transcript store's job, so the same manager runs in tests with fakes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import events as ev
from bot.events import BotMessage, Event
from bot.policy import Decision, decide
from bot.nlu.types import Parse
from bot.ports import KnowledgeSource, Parser, RetentionAdvisor
from bot.responses import Reply, render
from bot.state import ConversationState
from common.errors import Conflict, NotFound
from shop.backend import (
    ADDRESS_CHANGEABLE,
    CANCELLABLE,
    RETURN_WINDOW_DAYS,
    RETURNABLE,
    Address,
    OrderView,
    ProductView,
    ShopBackend,
)

# Churn signals: an action that succeeded, and the trigger name offer rules refer to.
CHURN_SIGNALS = {"do_cancel": "cancel_order", "return_reason_given": "return_order", "refund_status": "get_refund",
                 "complaint": "complaint", "goodbye": "goodbye_at_risk"}
TALK_TO_PERSON = {"title": "Talk to a person", "payload": "I want to talk to a person"}
ADDRESS = re.compile(r"^\s*(?P<line>[^,]+),\s*(?P<postal>[A-Z0-9][A-Z0-9 -]{1,9}?)\s+(?P<city>[^,]+?)\s*,\s*(?P<country>[A-Za-z]{2})\s*\.?\s*$")


@dataclass
class Outcome:
    """What an action did: replies to render and state changes to record."""

    replies: list[Reply] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    succeeded: bool = True
    fallback: bool = False  # nothing understood: counts towards offering a person

    def say(self, key: str, **values: Any) -> Outcome:
        self.replies.append(Reply(key, values))
        return self

    def failed(self) -> Outcome:
        """Mark the action as not done, so it counts as no churn signal."""
        self.succeeded = False
        return self

    def form(self, name: str | None, **slots: Any) -> Outcome:
        self.events.append(Event(ev.FORM_SET, {"form": name, "slots": slots}))
        return self


@dataclass(frozen=True)
class Turn:
    events: list[Event]
    messages: list[BotMessage]


def _money(order: OrderView) -> str:
    return f"€{order.total:.2f}" if order.currency == "EUR" else f"{order.total:.2f} {order.currency}"


def _day(value: datetime | None) -> str:
    return value.strftime("%d %B %Y").lstrip("0") if value else "an unknown date"


def order_values(order: OrderView) -> dict[str, Any]:
    return {"order_id": order.id, "items": order.describe_items(), "total": _money(order), "placed": _day(order.placed_at),
            "shipped": _day(order.shipped_at), "delivered": _day(order.delivered_at), "carrier": order.carrier or "our carrier",
            "tracking": order.tracking_number or "not yet available"}


def product_card(p: ProductView) -> dict[str, Any]:
    return {"type": "product", "id": p.id, "title": p.name, "category": p.category, "price": f"€{p.price:.2f}"}


def order_button(order: OrderView) -> dict[str, str]:
    return {"title": f"{order.id} · {order.describe_items(1)} · {order.status}", "payload": order.id}


class DialogueManager:
    """Decides and performs each turn through the ports it is given."""

    def __init__(self, parser: Parser, shop: ShopBackend, knowledge: KnowledgeSource | None = None,
                 retention: RetentionAdvisor | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.parser, self.shop, self.knowledge, self.retention, self.clock = parser, shop, knowledge, retention, clock

    def understand(self, text: str) -> Parse:
        """The NLU's reading of one message (kept apart so a turn can parse before taking its locks)."""
        return self.parser.parse(text)

    def handle(self, state: ConversationState, text: str, parse: Parse | None = None) -> Turn:
        parse = parse or self.understand(text)
        events = [Event(ev.INTENT_PARSED, parse.to_dict())]
        if state.handed_off:  # a person is in charge: record what we understood, stay quiet
            return Turn(events, [])
        decision = decide(parse, state)
        outcome = self._run(decision, state, parse)
        if outcome.succeeded and decision.action in CHURN_SIGNALS:
            self._consider_offer(CHURN_SIGNALS[decision.action], state, outcome)
        if state.form and not any(e.type == ev.FORM_SET for e in outcome.events):
            outcome.events.insert(0, Event(ev.FORM_SET, {"form": None, "slots": {}}))
        action_event = Event(ev.ACTION_EXECUTED, {"action": decision.action, "order_id": decision.order_id,
                                                 "fallback": outcome.fallback, "nlu_model": parse.model_id})
        messages = [render(r) for r in outcome.replies]
        events += [action_event, *outcome.events]
        events += [Event(ev.BOT_UTTERED, m.to_payload()) for m in messages]
        return Turn(events, messages)

    def _consider_offer(self, trigger: str, state: ConversationState, outcome: Outcome) -> None:
        """Ask the retention agent whether this churn signal deserves an offer, and show it."""
        if self.retention is None or state.customer_id is None:
            return
        card = self.retention.offer_for(state.customer_id, trigger, state.conversation_id, self.clock())
        if card is None:
            return
        self.retention.mark_shown(card.exposure_id, self.clock())
        shown = {"type": "offer", "kind": card.kind, "code": card.code, "rule_id": card.rule_id, "exposure_id": card.exposure_id}
        cards = [shown, *(product_card(p) for p in self.shop.get_products(list(card.product_ids)))]
        outcome.replies.append(Reply("offer", {"offer": card.text}, cards=cards))
        outcome.events.append(Event(ev.OFFER_PRESENTED, {"trigger": trigger, "rule_id": card.rule_id, "variant": card.variant,
                                                         "exposure_id": card.exposure_id, "code": card.code, "kind": card.kind}))

    # -- actions --------------------------------------------------------------------------
    def _run(self, decision: Decision, state: ConversationState, parse: Any) -> Outcome:
        handler = getattr(self, f"_act_{decision.action}")
        return handler(decision, state, parse)

    def _name_part(self, state: ConversationState) -> str:
        customer = self.shop.find_customer(state.customer_id) if state.customer_id else None
        return f" {customer.name.split()[0]}" if customer else ""

    def _act_greet(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        return Outcome().say("greet", name_part=self._name_part(state))

    def _act_goodbye(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        return Outcome().say("goodbye", name_part=self._name_part(state))

    def _act_thanks(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        return Outcome().say("thanks")

    def _act_affirm_no_context(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        return Outcome().say("affirm_no_context")

    def _act_deny_no_context(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        return Outcome().say("deny_no_context")

    def _act_fallback(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        answered = self._knowledge_answer(parse)  # out of the NLU's scope may still be in the help centre
        if answered is not None:
            return answered
        if state.fallbacks >= 1:
            return Outcome(replies=[Reply("fallback_offer_human", buttons=[TALK_TO_PERSON])], fallback=True)
        return Outcome(fallback=True).say("fallback")

    def _act_handoff(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        out = Outcome().say("handoff")
        out.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": parse.intent}))
        return out

    def _act_complaint(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        out = Outcome().say("complaint")
        out.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": "complaint"}))
        return out

    def _act_confirm_again(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        return Outcome(replies=[Reply("confirm_again", buttons=_yes_no())]).form(state.form, **state.slots)

    def _act_keep(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        return Outcome().say("kept").form(None)

    def _act_answer_from_knowledge(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        answered = self._knowledge_answer(parse)
        if answered is None:  # recorded, so `keepcart kb gaps` shows support what the help centre lacks
            missed = Event(ev.KNOWLEDGE_MISSED, {"question": parse.text, "intent": parse.intent,
                                                 "index_id": self.knowledge.index_id if self.knowledge else ""})
            return Outcome(replies=[Reply("no_knowledge", buttons=[TALK_TO_PERSON])], events=[missed])
        return answered

    def _knowledge_answer(self, parse: Any) -> Outcome | None:
        """The help centre's answer with its source, or None when nothing clears the threshold."""
        answer = self.knowledge.answer(parse.text) if self.knowledge else None
        if answer is None or self.knowledge is None:
            return None
        out = Outcome(replies=[Reply("knowledge_answer", {"answer": answer.text}, sources=[{"title": answer.title, "url": answer.url}])])
        out.events.append(Event(ev.KNOWLEDGE_RETRIEVED, {"doc_id": answer.doc_id, "title": answer.title, "url": answer.url,
                                                         "score": round(float(answer.score), 4), "index_id": self.knowledge.index_id}))
        return out

    def _act_search_products(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        # "do you offer gift wrapping" reads like a product search: when no product is named, or none
        # is found, the help centre may have the answer.
        named = parse.entity_values("product")
        answered = None if named else self._knowledge_answer(parse)
        if answered is not None:
            return answered
        products = self.shop.search_products(" ".join(named) or parse.text, limit=4)
        if products:
            return Outcome(replies=[Reply("products_found", cards=[product_card(p) for p in products])])
        answered = self._knowledge_answer(parse) if named else None
        return answered or Outcome().say("products_none")

    # -- order flows ------------------------------------------------------------------------
    def _returnable(self, order: OrderView) -> bool:
        delivered = order.delivered_at or order.placed_at
        return order.status in RETURNABLE and self.clock() - delivered <= timedelta(days=RETURN_WINDOW_DAYS)

    def _pick_order(self, d: Decision, state: ConversationState, parse: Any, flow: str, statuses: tuple[str, ...] | None,
                    none_key: str) -> tuple[OrderView | None, Outcome | None]:
        """The order a request is about: named, described by product, or the only eligible one."""
        if not state.customer_id:
            return None, Outcome().say("needs_sign_in")
        if d.order_id:
            order = self.shop.get_order(state.customer_id, d.order_id)
            return (order, None) if order else (None, Outcome().say("order_not_found", order_id=d.order_id).form(None))
        orders = self.shop.list_orders(state.customer_id, limit=10)
        if not orders:
            return None, Outcome().say("no_orders")
        products = [p.lower() for p in parse.entity_values("product")]
        if products:
            words = {w for p in products for w in p.split() if len(w) > 2}
            matching = [o for o in orders if any(w in line.product_name.lower() for line in o.lines for w in words)]
            orders = matching or orders
        eligible = [o for o in orders if statuses is None or o.status in statuses]
        if flow == "return_order":
            eligible = [o for o in eligible if self._returnable(o)]
        if statuses is None or len(eligible) == 1:
            return (eligible or orders)[0], None
        if not eligible:
            return None, Outcome().say(none_key).form(None)
        out = Outcome(replies=[Reply("choose_order", buttons=[order_button(o) for o in eligible[:5]])])
        return None, out.form(f"choose_order:{flow}")

    def _act_track_order(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        order, out = self._pick_order(d, state, parse, "track_order", None, "no_orders")
        if out:
            return out
        assert order is not None
        return Outcome().say(f"order_status_{order.status}", **order_values(order)).form(None)

    def _act_cancel_order(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        order, out = self._pick_order(d, state, parse, "cancel_order", CANCELLABLE, "none_eligible_cancel")
        if out:
            return out
        assert order is not None
        if order.status not in CANCELLABLE:
            return Outcome().say("cannot_cancel", order_id=order.id, reason=f"it is already {order.status}").form(None)
        return Outcome(replies=[Reply("confirm_cancel", order_values(order), buttons=_yes_no())]).form("confirm_cancel", order_id=order.id)

    def _act_do_cancel(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        try:
            order = self.shop.cancel_order(state.customer_id or "", d.order_id or "")
        except (Conflict, NotFound) as exc:
            return Outcome().say("cannot_cancel", order_id=d.order_id, reason=str(exc).split(" is ", 1)[-1]).form(None).failed()
        return Outcome().say("cancelled", order_id=order.id).form(None)

    def _act_return_order(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        order, out = self._pick_order(d, state, parse, "return_order", RETURNABLE, "none_eligible_return")
        if out:
            return out
        assert order is not None
        if not self._returnable(order):
            reason = f"it is {order.status}" if order.status not in RETURNABLE else f"it was delivered more than {RETURN_WINDOW_DAYS} days ago"
            return Outcome().say("cannot_return", order_id=order.id, reason=reason).form(None)
        return Outcome().say("ask_return_reason", **order_values(order)).form("ask_return_reason", order_id=order.id)

    def _act_return_reason_given(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        try:
            rma = self.shop.start_return(state.customer_id or "", d.order_id or "", parse.text)
        except (Conflict, NotFound) as exc:
            return Outcome().say("cannot_return", order_id=d.order_id, reason=str(exc)).form(None).failed()
        return Outcome().say("return_started", return_id=rma.id, order_id=rma.order_id).form(None)

    def _act_change_address(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        order, out = self._pick_order(d, state, parse, "change_address", ADDRESS_CHANGEABLE, "none_eligible_address")
        if out:
            return out
        assert order is not None
        if order.status not in ADDRESS_CHANGEABLE:
            return Outcome().say("cannot_change_address", order_id=order.id, reason=f"it is already {order.status}").form(None)
        return Outcome().say("ask_address", order_id=order.id).form("ask_address", order_id=order.id)

    def _act_address_given(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        match = ADDRESS.match(parse.text)
        if not match:
            return Outcome().say("address_unclear").form("ask_address", order_id=d.order_id)
        address = {"line": match["line"].strip(), "postal_code": match["postal"].strip(), "city": match["city"].strip(),
                   "country": match["country"].upper()}
        shown = f"{address['line']}, {address['postal_code']} {address['city']}, {address['country']}"
        return Outcome(replies=[Reply("confirm_address", {"order_id": d.order_id, "address": shown}, buttons=_yes_no())]).form(
            "confirm_address", order_id=d.order_id, address=address)

    def _act_do_change_address(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        a = state.slots.get("address") or {}
        address = Address("", a.get("line", ""), a.get("city", ""), a.get("postal_code", ""), a.get("country", ""))
        try:
            order = self.shop.change_shipping_address(state.customer_id or "", d.order_id or "", address)
        except (Conflict, NotFound) as exc:
            return Outcome().say("cannot_change_address", order_id=d.order_id, reason=str(exc)).form(None)
        return Outcome().say("address_changed", order_id=order.id, address=order.address.one_line()).form(None)

    def _act_refund_status(self, d: Decision, state: ConversationState, parse: Any) -> Outcome:
        if not state.customer_id:
            return self._act_answer_from_knowledge(d, state, parse)
        order, out = self._pick_order(d, state, parse, "refund_status", None, "no_orders")
        if out:
            return out
        assert order is not None
        v = order_values(order)
        details = {
            "refunded": f"Order {order.id} has been refunded ({v['total']}) to your original payment method.",
            "returned": f"We received your return of order {order.id}; the refund of {v['total']} follows within 5–10 business days.",
            "cancelled": f"Order {order.id} was cancelled; any payment is refunded within 5–10 business days of the cancellation.",
            "delivered": f"Order {order.id} was delivered on {v['delivered']}. If you'd like your money back, I can start a return: just say \"return order {order.id}\".",
        }
        detail = details.get(order.status, f"Order {order.id} is {order.status}; nothing has been charged back. If you want to cancel it, say \"cancel order {order.id}\".")
        return Outcome().say("refund_status", detail=detail).form(None)


def _yes_no() -> list[dict[str, str]]:
    return [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"}]
