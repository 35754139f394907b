"""The dialogue manager: one shopper message in, the events of the turn out.

handle() is pure apart from the ports it was given (parser, shop, knowledge, retention); persisting
the events is the chat service's job, so the same manager runs in tests with fakes. The actions
themselves live in `bot/order_actions.py` and `bot/care_actions.py`, registered by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import care_actions, order_actions  # noqa: F401  (they register the actions)
from bot import events as ev
from bot.actions import ACTIONS, TALK_TO_PERSON, Action, Outcome, yes_no
from bot.address import parse_address, street_line
from bot.events import BotMessage, Event
from bot.language import LanguageDetector, unsupported_language_reply
from bot.nlu.types import Parse
from bot.order_actions import items_named
from bot.order_refs import FIRST, LAST, OTHER, SECOND, IdShape, lines_named, named_as_order, resolve, words
from bot.policy import (
    CONFIRMATIONS,
    DIGRESSION_CONFIDENCE,
    FLOW_VERBS,
    FREE_TEXT_FORMS,
    READ_ONLY,
    Decision,
    decide,
    flow_of,
    is_question,
    question_like,
)
from bot.ports import KnowledgeSource, Parser, RetentionAdvisor
from bot.responses import BUTTONS, Reply, button, render
from bot.state import ConversationState
from common.shopper_text import for_reading
from shop.backend import OrderView, ProductView, ShopBackend

# Churn signals the dialogue emits: action -> the trigger name offer rules refer to. Offer rules accept
# exactly these names (retention_model.offers.rules.TRIGGERS; a test keeps the two in step).
# What the NLU may make of a bare address ("Kurfürstendamm 21, 10719 Berlin") sent outside any form.
# Requests an unclear follow-up naming only an order continues ("and my first order?").
FOLLOW_UP_FLOWS = frozenset({"track_order", "cancel_order", "return_order", "change_shipping_address"})
# What the bot still does while the shopper waits for a person: look things up, never change them.
WAITING_ANSWERS = READ_ONLY - {"answer_from_knowledge", "contact_info", "greet", "capabilities"} | {"goodbye"}
ADDRESS_MISREADS = frozenset({"fallback", "greet", "answer_from_knowledge", "affirm_no_context", "deny_no_context"})
CHURN_SIGNALS = {"do_cancel": "cancel_order", "do_return": "return_order", "refund_status": "get_refund",
                 "complaint": "complaint", "item_damaged": "complaint", "parcel_missing": "complaint",
                 "goodbye": "goodbye_at_risk", "leave_shop": "leaving", "close_account": "delete_account"}
WAIT_BEFORE_OPTIONS = timedelta(minutes=5)
RETURN_PAYLOAD = BUTTONS["offer_return"]["payload"].split("{", 1)[0]  # what "Start a return" says before the order id
RETURN_PREFIX = "I want to return"  # what every "Start a return" button's message begins with


@dataclass(frozen=True)
class Turn:
    events: list[Event]
    messages: list[BotMessage]


def _money(order: OrderView) -> str:
    return f"€{order.total:.2f}" if order.currency == "EUR" else f"{order.total:.2f} {order.currency}"


def _day(value: datetime | None) -> str:
    return value.strftime("%d %B %Y").lstrip("0") if value else "an unknown date"


def order_values(order: OrderView) -> dict[str, Any]:
    expected = (order.shipped_at + timedelta(days=3)) if order.shipped_at else None
    return {"order_id": order.id, "items": order.describe_items(), "total": _money(order), "placed": _day(order.placed_at),
            "shipped": _day(order.shipped_at), "delivered": _day(order.delivered_at), "carrier": order.carrier or "our carrier",
            "tracking": order.tracking_number or "not yet available", "status": order.status,
            "expected": expected.strftime("%A %d %B").replace(" 0", " ") if expected else "in a few days"}


def product_card(p: ProductView) -> dict[str, Any]:
    return {"type": "product", "id": p.id, "title": p.name, "category": p.category, "price": f"€{p.price:.2f}"}


def order_button(order: OrderView) -> dict[str, str]:
    return {"title": f"{order.id} · {order.describe_items(1)} · {order.placed_at:%d %b} · {order.status}", "payload": order.id}


class DialogueManager:
    """Decides and performs each turn through the ports it is given."""

    def __init__(self, parser: Parser, shop: ShopBackend, knowledge: KnowledgeSource | None = None,
                 retention: RetentionAdvisor | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 actions: dict[str, Action] | None = None, order_id_pattern: str | None = None,
                 recommender: Callable[[str, int], list[str]] | None = None, language: LanguageDetector | None = None,
                 handoff_wait: timedelta = WAIT_BEFORE_OPTIONS) -> None:
        self.parser, self.shop, self.knowledge, self.retention, self.clock = parser, shop, knowledge, retention, clock
        self.language, self.handoff_wait = language, handoff_wait
        self.actions = {**ACTIONS, **(actions or {})}
        self.recommender = recommender
        self._shape: IdShape | None = IdShape(0, 64, False, pattern=order_id_pattern) if order_id_pattern else None

    def understand(self, text: str) -> Parse:
        """The NLU's reading of one message (kept apart so a turn can parse before taking its locks)."""
        return self.parser.parse(for_reading(text))

    def id_shape(self) -> IdShape | None:
        """The shop's order-id format: the setting, else learnt once from the shop's own ids."""
        if self._shape is None:
            self._shape = IdShape.learn(self.shop.sample_order_ids())
        return self._shape

    def handle(self, state: ConversationState, text: str, parse: Parse | None = None) -> Turn:
        text = for_reading(text)  # "ｃａｎｃｅｌ" is "cancel" to every parser below
        parse = parse or self.understand(text)
        # An address ("Meir 1, 2000 Antwerpen, BE") names places, not the shopper's language.
        guess = self.language.detect(text) if self.language is not None and not self._parses_as_address(state, text) else None
        events = [Event(ev.INTENT_PARSED, {**parse.to_dict(), "language": guess.code if guess else None})]
        # Inside a form (an address being given or corrected: "Schillerstr. 12, 80336 München") the form answers.
        if guess is not None and self.language is not None and self.language.is_unsupported(guess) and not state.handed_off \
                and not state.form:
            decision, outcome = Decision("unsupported_language"), self._unsupported_language(guess.code or "", state)
        elif state.handed_off:
            outcome, name = self._while_waiting(state, parse), "waiting"
            decision = Decision(name)
        else:
            order_id, wants_other = self._reference(state, parse)
            decision = decide(parse, state, order_id)
            if self._follows_up(state, parse, order_id):  # "cancel 999…" (not found), then "ok, my most recent order"
                decision = decide(replace(parse, intent=state.last_intent or parse.intent), state, order_id)
            if state.form == "confirm_address" and decision.action in ("confirm_again", "keep", "correct_order") \
                    and (self._parses_as_address(state, text) or street_line(text)):
                decision = Decision("address_given", state.slots.get("order_id"))  # "no wait, make it Meir 10, …"
            elif state.form in ("ask_return_reason", "confirm_return") and decision.action not in ("do_return", "correct_order") \
                    and not is_question(parse) and self._corrects_items(state, parse):
                decision = Decision("return_items", state.slots.get("order_id"))  # "actually also the bulbs"
            elif not state.form and state.customer_id and decision.action in ADDRESS_MISREADS \
                    and self._parses_as_address(state, text):
                # a bare new address: offer to change an order's; right after an address change that failed
                # (shipped, not theirs), that order is the one they meant: say again why not, never pick another
                failed = state.last_intent == "change_shipping_address"
                decision = Decision("change_address", order_id or (state.last_order_id if failed else None))
            if decision.action == "affirm_no_context" and state.person_asked:
                decision = Decision("handoff")
            elif decision.action == "affirm_no_context" and state.return_offered:
                # "Shall I start a return?" "ok": the same as pressing its button (its items, its reason)
                pressed = state.return_offered
                parse = self.understand(pressed if " " in pressed else f"{RETURN_PAYLOAD}{pressed}")  # or an order id
                decision = Decision("return_order", self._reference(state, parse)[0])
            if wants_other and decision.action in ("keep", "confirm_again", "order_chosen"):
                decision = Decision("correct_order", None)
            outcome = self.actions[decision.action](self, decision, state, parse)
            if decision.digression and state.form:
                self._resume(state, outcome)
            signal = outcome.signal or CHURN_SIGNALS.get(decision.action)
            if outcome.succeeded and signal:
                self._consider_offer(signal, state, outcome)
            if state.form and not outcome.sets_form():
                outcome.events.insert(0, Event(ev.FORM_SET, {"form": None, "slots": {}}))
        messages = [render(r) for r in outcome.replies]
        # "… I can start a return for it. Shall I?" with its button: a plain yes next turn is pressing it
        # (an offer card may follow the question)
        offered = [b["payload"] for m in messages if m.text.rstrip().endswith("?")
                   for b in m.buttons if b.get("payload", "").startswith(RETURN_PREFIX)]
        # "Shall I get a person …?" with the button: a plain yes to it next turn is a yes to the hand-off
        asked = bool(messages) and messages[-1].text.rstrip().endswith("?")
        asked_person = asked and TALK_TO_PERSON in messages[-1].buttons and not offered
        action_event = Event(ev.ACTION_EXECUTED, {"action": decision.action, "order_id": decision.order_id or outcome.order_id,
                                                 "fallback": outcome.fallback, "nlu_model": parse.model_id,
                                                 "digression": decision.digression, "asked_person": asked_person,
                                                 "offered_return": offered[0] if offered else None})
        events += [action_event, *outcome.events]
        events += [Event(ev.BOT_UTTERED, m.to_payload()) for m in messages]
        return Turn(events, messages)

    # -- references and forms ------------------------------------------------------------
    def _reference(self, state: ConversationState, parse: Parse) -> tuple[str | None, bool]:
        """The order the message names (in the shop's id format), and whether it asks for "the other" one."""
        shape = self.id_shape()
        ids = shape.find(parse.text) if shape else []
        ids += [v for v in parse.entity_values("order_id") if (shape is None or shape.matches(v)) and v not in ids]
        if not ids and state.form not in FREE_TEXT_FORMS:  # "order 2000000001": not found, never another order
            ids = named_as_order(parse.text)
        if ids:
            return ids[0], False
        current = state.slots.get("order_id")
        if not (state.form in CONFIRMATIONS and current and state.customer_id) or parse.intent == "affirm":
            return None, False
        change = {"confirm_cancel": "cancel", "confirm_return": "return", "confirm_address": "change_address"}[state.form or ""]
        orders = [o for o in self.shop.list_orders(state.customer_id, limit=10) if self.shop.why_not(o, change) is None]
        hits = resolve(parse.text, orders, None, current, parse.entity_values("date"))
        others = [o.id for o in hits if o.id != current]
        if len(others) == 1 and len(hits) == 1:
            return others[0], False
        return None, bool(set(words(parse.text)) & OTHER)

    def _corrects_items(self, state: ConversationState, parse: Parse) -> bool:
        """Whether a message in a return's form changes which of the order's items go back."""
        order = self.shop.get_order(state.customer_id or "", str(state.slots.get("order_id") or ""))
        return order is not None and items_named(order, state.slots, parse.text) is not None

    def _follows_up(self, state: ConversationState, parse: Parse, order_id: str | None) -> bool:
        """An unclear message that only names an order (by id, position or a product in it) continues the
        last order request.

        "ok the real one then, my most recent order" after an order that was not found reads to the NLU
        like nothing in particular; the request it completes is the one just made.
        """
        if state.form or state.last_intent not in FOLLOW_UP_FLOWS:
            return False
        ws = set(words(parse.text))
        pointer = bool(ws & (FIRST | LAST | SECOND | OTHER) and ws & {"order", "one", "purchase"})
        if pointer and parse.intent == "track_order" and not ws & set(FLOW_VERBS) and not question_like(parse):
            return True  # "my most recent order" reads as "an order" to the NLU, however sure: it answers the last request
        if parse.confidence >= DIGRESSION_CONFIDENCE:
            return False
        if order_id is not None or pointer:
            return True
        # "and the kettle, is it in there?" right after tracking another order: the order holding the kettle
        # ("is the lantern rechargeable?" about the order just shown asks about the product, not the order)
        if state.customer_id is None:
            return False
        named = [o.id for o in self.shop.list_orders(state.customer_id, 10) if lines_named(o, parse.text)]
        return bool(named) and state.last_order_id not in named

    def _resume(self, state: ConversationState, outcome: Outcome) -> None:
        """After a digression, ask the open question again and keep the form."""
        prompt = self.form_prompt(state)
        if prompt is not None:
            order_id = state.slots.get("order_id")
            key = f"resume_{flow_of(state.form)}" if order_id else "resume_choose"
            outcome.replies.append(Reply(key, {"order_id": order_id}))
            outcome.replies.append(prompt)
        outcome.events = [e for e in outcome.events if e.type != ev.FORM_SET]
        outcome.form(state.form, **state.slots)

    def form_prompt(self, state: ConversationState) -> Reply | None:
        """The question a form is waiting for, as first asked."""
        slots, form = state.slots, state.form or ""
        order = self.shop.get_order(state.customer_id or "", slots.get("order_id") or "") if slots.get("order_id") else None
        values = order_values(order) if order else {"order_id": slots.get("order_id", ""), "items": "", "total": ""}
        if form == "confirm_cancel":
            return Reply("confirm_cancel", values, buttons=yes_no())
        if form == "ask_return_reason":
            return Reply("ask_return_reason", {**values, "items": slots.get("items_text") or values["items"]})
        if form == "confirm_return":
            return Reply("confirm_return", {"order_id": values["order_id"], "items": slots.get("items_text", ""),
                                            "reason": slots.get("reason", "")}, buttons=yes_no())
        if form == "ask_address":
            return Reply("ask_address", values)
        if form == "confirm_address":
            return Reply("confirm_address", {"order_id": values["order_id"], "address": slots.get("shown", "")}, buttons=yes_no())
        if form.startswith("choose_order:"):
            orders = [o for o in self.shop.list_orders(state.customer_id or "", 10) if o.id in slots.get("candidates", [])]
            return Reply("choose_order", buttons=[order_button(o) for o in orders[:5]])
        return None

    def _parses_as_address(self, state: ConversationState, text: str) -> bool:
        customer = self.shop.find_customer(state.customer_id) if state.customer_id else None
        return parse_address(text, customer.country if customer else None) is not None

    def _unsupported_language(self, code: str, state: ConversationState) -> Outcome:
        """A language the NLU was not trained on: say, in that language, which ones it speaks; offer a person."""
        text, buttons = unsupported_language_reply(code, self.language.spoken if self.language else ["en"])
        out = Outcome(replies=[Reply("unsupported_language", {"text": text}, buttons=buttons)])
        return out.form(state.form, **state.slots) if state.form else out

    # -- hand-off --------------------------------------------------------------------------
    def _while_waiting(self, state: ConversationState, parse: Parse) -> Outcome:
        """A person is in charge: acknowledge once, answer help-centre questions, never leave the shopper alone."""
        out = Outcome()
        lowered = " ".join(words(parse.text))
        if state.agent_joined:
            return out  # the colleague answers; the bot stays quiet
        emails = parse.entity_values("email")
        if emails:
            out.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": "waiting", "contact_email": emails[0]}))
            return out.say("email_noted", email=emails[0])
        if lowered in ("continue with the bot", "back to the bot", "continue with you") or parse.text.strip() == BUTTONS["back_to_bot"]["payload"]:
            out.events.append(Event(ev.HANDED_OFF, {"active": False, "by": "shopper"}))
            return out.say("back_to_bot")
        answer = self._waiting_answer(state, parse)
        if answer is not None:
            if not state.waiting_acknowledged:
                answer.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": "waiting", "acknowledged": True}))
                answer.replies.append(Reply("waiting_ack"))
            return answer
        waited = state.handed_off_at is not None and self.clock() - state.handed_off_at >= self.handoff_wait
        if waited and not state.wait_options_shown:
            out.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": "waiting", "options_shown": True}))
            return out.say("waiting_too_long", buttons=[button("back_to_bot")])
        if not state.waiting_acknowledged:
            out.events.append(Event(ev.HANDED_OFF, {"active": True, "reason": "waiting", "acknowledged": True}))
            return out.say("waiting_ack")
        return out

    def _waiting_answer(self, state: ConversationState, parse: Parse) -> Outcome | None:
        """What the bot still does while a person is on the way: answer from the help centre, look
        something up (that changes nothing). A question it cannot answer waits for the person."""
        decision = decide(parse, state)
        lookup = decision.action in WAITING_ANSWERS and parse.confidence >= DIGRESSION_CONFIDENCE
        policy = parse.intent == "contact_customer_service" or parse.intent in care_actions.KNOWLEDGE_ONLY
        # "do I have to pay for the return shipping?" reads as a return request: as a question, still answered
        if policy or question_like(parse) and not lookup:
            answered = care_actions.knowledge_answer(self, parse)
            if answered is not None:
                answered.replies.insert(0, Reply("waiting_answer"))
                return answered
        if lookup:  # "where is my order?" while waiting: looking something up changes nothing
            looked_up = self.actions[decision.action](self, decision, state, parse)
            if decision.action not in ("goodbye", "thanks"):
                looked_up.replies.insert(0, Reply("waiting_lookup"))
            return looked_up
        return None

    # -- offers ----------------------------------------------------------------------------
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

    def name_part(self, state: ConversationState) -> str:
        customer = self.shop.find_customer(state.customer_id) if state.customer_id else None
        return f" {customer.name.split()[0]}" if customer else ""


__all__ = ["DialogueManager", "Turn", "Outcome", "TALK_TO_PERSON", "order_values", "product_card", "order_button"]
