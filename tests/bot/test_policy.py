"""Consistency between what the NLU can say and what the dialogue knows how to do."""

from __future__ import annotations

import pytest

from bot.actions import ACTIONS
from bot.dialogue import CHURN_SIGNALS
from bot.nlu.training_data import default_training_files, load_examples
from bot.policy import CONFIRMATIONS, FREE_TEXT_FORMS, INTENT_ACTIONS
from retention_model.offers.rules import TRIGGERS


def test_every_shipped_intent_has_a_policy_entry_and_an_action():
    intents = {e.intent for e in load_examples(default_training_files())}
    assert intents - set(INTENT_ACTIONS) == set()
    chosen = set(INTENT_ACTIONS.values()) | set(FREE_TEXT_FORMS.values()) | {a for f in CONFIRMATIONS.values() for a in f.values()}
    chosen |= {"correct_order", "order_chosen", "confirm_again", "resume"}
    assert chosen - set(ACTIONS) == set()
    assert set(CHURN_SIGNALS) <= set(ACTIONS)


def test_offer_rules_accept_exactly_the_churn_signals_the_dialogue_emits():
    assert set(CHURN_SIGNALS.values()) == TRIGGERS


def _at(form: str, text: str, intent: str, confidence: float = 0.95) -> str:
    from bot.nlu.types import Parse
    from bot.policy import decide
    from bot.state import ConversationState

    state = ConversationState("c", "C1", form=form, slots={"order_id": "1000000002"})
    return decide(Parse(text, intent, confidence), state).action


@pytest.mark.parametrize(("form", "text", "intent", "expected"), [
    ("confirm_cancel", "yes", "affirm", "do_cancel"),
    ("confirm_cancel", "yes please", "out_of_scope", "do_cancel"),
    ("confirm_cancel", "ok go ahead", "thanks", "do_cancel"),
    ("confirm_cancel", "yes, cancel it", "cancel_order", "do_cancel"),
    ("confirm_cancel", "ok then cancel it", "deny", "do_cancel"),  # the NLU misreads it; the words do not
    ("confirm_cancel", "yes", "deny", "do_cancel"),  # a misread plain yes is still a yes
    ("confirm_address", "yes, use the new address", "set_up_shipping_address", "do_change_address"),
    ("confirm_return", "yes, return it", "return_order", "do_return"),
])
def test_a_plain_yes_confirms(form, text, intent, expected):
    assert _at(form, text, intent) == expected


@pytest.mark.parametrize(("text", "intent"), [
    ("ok thanks", "thanks"),
    ("ok stop", "deny"),
    ("ok, and where is my other order", "track_order"),
    ("sure, tell me your return policy first", "check_refund_policy"),
    ("please talk to me about express delivery", "delivery_options"),
    ("hmm maybe, I don't know", "deny"),
    ("maybe", "affirm"),
    ("yes but wait", "affirm"),
])
def test_a_pleasantry_a_request_or_a_hesitation_after_a_yes_word_changes_nothing(text, intent):
    assert _at("confirm_cancel", text, intent) not in ("do_cancel", "do_return", "do_change_address")


def test_a_hesitation_asks_the_confirmation_again():
    assert _at("confirm_cancel", "hmm maybe, I don't know", "deny") == "confirm_again"


def test_a_complaint_while_asked_for_the_return_reason_is_the_reason():
    assert _at("ask_return_reason", "the colour looks different from the photos", "complaint") == "return_reason_given"


@pytest.mark.parametrize(("form", "text", "intent", "expected"), [
    ("ask_return_reason", "it is too small", "return_order", "return_reason_given"),
    ("ask_return_reason", "I want to return it because it's too small", "return_order", "return_reason_given"),
    ("ask_return_reason", "I want to return it", "return_order", "resume"),
    ("ask_address", "Hauptstrasse 5, 10115 Berlin", "change_shipping_address", "address_given"),
    ("ask_address", "I want to change my address", "change_shipping_address", "resume"),
])
def test_a_free_text_form_takes_a_same_flow_message_as_its_value_unless_it_restates_the_request(form, text, intent, expected):
    assert _at(form, text, intent, 0.9) == expected


def _leaving(complaint_share: float, text: str = "I think I'm done with you") -> str:
    from bot.nlu.types import Parse
    from bot.policy import decide
    from bot.state import ConversationState

    parse = Parse(text, "leave_shop", 1 - complaint_share,
                  ranking=[("leave_shop", 1 - complaint_share), ("complaint", complaint_share)])
    return decide(parse, ConversationState("c", "C1")).action


def test_leaving_over_a_grievance_is_handled_as_a_complaint_and_plain_leaving_is_not():
    assert _leaving(0.3) == "complaint"
    assert _leaving(0.01) == "leave_shop"
    assert _leaving(0.01, "third late delivery, I'm done with you") == "complaint"  # it names what went wrong
    assert _leaving(0.01, "too expensive, I'm going elsewhere") == "leave_shop"
    for plain in ("I don't think I'll order from you again", "you've lost a customer", "I'm never ordering here again"):
        assert _leaving(0.01, plain) == "leave_shop"


@pytest.mark.parametrize("text", ["actually nevermind, keep them", "no", "nah forget it"])
def test_a_no_at_a_confirmation_keeps_everything_whatever_the_confidence(text):
    assert _at("confirm_return", text, "deny", 0.7) == "keep"


@pytest.mark.parametrize("text", ["no, the other order", "no not that one, the first one", "wrong order"])
def test_a_no_that_points_at_another_order_corrects_it(text):
    assert _at("confirm_cancel", text, "deny", 0.7) == "correct_order"


@pytest.mark.parametrize(("text", "status"), [
    ("what is the status of my return?", True), ("where's my refund", True), ("any update on my return", True),
    ("how do I return something", False), ("where can I return my item", False), ("where is my order", False),
])
def test_a_question_about_a_return_in_progress_is_told_apart_from_starting_one(text, status):
    from bot.nlu.types import Parse
    from bot.policy import asks_return_status

    assert asks_return_status(Parse(text, "return_order", 0.9)) is status


def test_yes_with_a_change_verb_outside_a_form_is_that_request():
    from bot.nlu.types import Parse
    from bot.policy import decide
    from bot.state import ConversationState

    state = ConversationState("c", "C1")
    assert decide(Parse("yes cancel it", "deny", 0.9), state).action == "cancel_order"
    assert decide(Parse("ok, return it then", "affirm", 0.9), state).action == "return_order"
    assert decide(Parse("no don't cancel", "deny", 0.9), state).action == "deny_no_context"


def test_a_return_request_whose_reason_says_arrived_is_not_a_return_status_question():
    from bot.nlu.types import Parse
    from bot.policy import decide
    from bot.state import ConversationState

    state = ConversationState("c", "C1")
    assert decide(Parse("I want to return it because it arrived damaged", "return_order", 0.99), state).action == "return_order"
    assert decide(Parse("has my return arrived?", "return_order", 0.99), state).action == "refund_status"


def test_a_no_with_another_request_at_a_confirmation_makes_that_request_even_when_the_nlu_is_unsure():
    # the NLU read "no wait dont cancel, change the adress instead" as change_shipping_address 0.67
    assert _at("confirm_cancel", "no wait dont cancel, change the adress instead", "change_shipping_address", 0.67) \
        == "change_address"
    assert _at("confirm_cancel", "no wait dont cancel, change the adress instead", "change_shipping_address", 0.4) \
        != "change_address"  # too unsure to start anything
