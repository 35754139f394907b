"""Forms that listen: digressions answered and resumed, corrections, confirmations that summarise."""

from __future__ import annotations

import pytest

from tests.bot.fakes import FakeShop, order
from tests.bot.test_dialogue import TABLE, Conversation

TABLE.update({
    "what is your return policy?": ("check_refund_policy", {}),
    "I want to cancel": ("cancel_order", {}),
    "no, the other order": ("deny", {}),
    "actually the mug": ("out_of_scope", {}),
    "Meir 1, 2000 Antwerpen, BE": ("out_of_scope", {}),
    "return the mug": ("return_order", {"product": "mug"}),
    "it is chipped": ("out_of_scope", {}),
    "never mind": ("deny", {}),
})
QUESTION = "what is your return policy?"


@pytest.fixture
def shop() -> FakeShop:
    two = order("1000000001", "delivered", 10)
    two = two.__class__(**{**two.__dict__, "lines": [*two.lines, order("x", "paid", 1, "Ceramic Mug").lines[0]]})
    return FakeShop([two, order("1000000002", "paid", 1, "Ceramic Mug"), order("1000000005", "paid", 4),
                     order("1000000003", "shipped", 3), order("1000000009", "paid", 2, customer="C2")])


FORMS = {
    "cancel": ["I want to cancel", "1000000002", "yes"],
    "return": ["I want to return something", "they are too small", "yes"],
    "address": ["change my address", "1000000002", "Meir 1, 2000 Antwerpen, BE", "yes"],
}


@pytest.mark.parametrize("flow", sorted(FORMS))
def test_an_unrelated_question_at_every_step_changes_nothing_and_the_form_resumes(shop, flow):
    steps = FORMS[flow]
    for stop in range(len(steps) - 1):  # ask the question before each answer the form waits for
        s = FakeShop(list(shop.orders.values()))
        c = Conversation(s)
        for text in steps[:stop + 1]:
            c.say(text)
        replies = c.say(QUESTION)
        assert "30 days" in replies[0], replies  # the question is answered ...
        assert replies[1].startswith("Back to"), replies  # ... and the form resumes with its question
        assert s.calls == [], f"{flow}: changed the shop after a digression at step {stop}"
        for text in steps[stop + 1:]:  # the form still completes
            c.say(text)
        assert len(s.calls) == 1, (flow, stop, s.calls)


def test_a_house_number_is_not_an_order_id_and_the_parsed_address_is_shown(shop):
    c = Conversation(shop)
    c.say("change my address")
    c.say("1000000002")
    reply = c.say("Meir 1, 2000 Antwerpen, BE")[0]
    assert "Meir 1, 2000 Antwerpen, Belgium" in reply and "couldn't find order" not in reply
    assert shop.calls == []
    c.say("yes")
    assert shop.orders["1000000002"].address.country == "BE" and shop.calls == [("address", "1000000002")]


def test_no_the_other_order_switches_to_it(shop):
    c = Conversation(shop)
    c.say("I want to cancel")
    c.say("1000000002")
    reply = c.say("no, the other order")[0]
    assert "Shall I cancel order 1000000005" in reply and shop.calls == []


def test_actually_the_mug_corrects_the_order(shop):
    c = Conversation(shop)
    c.say("I want to cancel")
    c.say("1000000005")
    assert "Shall I cancel order 1000000002" in c.say("actually the mug")[0]


def test_a_yes_outside_a_confirmation_changes_nothing(shop):
    c = Conversation(shop)
    c.say("I want to return something")
    c.say("never mind")
    assert "What can I help you with" in c.say("yes")[0] and shop.calls == []


def test_one_item_of_an_order_can_be_returned(shop):
    c = Conversation(shop)
    assert "Ceramic Mug" in c.say("return the mug")[0]
    confirm = c.say("it is chipped")[0]
    assert "return Ceramic Mug from order 1000000001" in confirm
    c.say("yes")
    assert shop.calls == [("return", "1000000001")]


def test_a_reason_given_with_the_request_goes_straight_to_the_confirmation(shop):
    TABLE["return order 1000000001 because it is too small"] = ("return_order", {"order_id": "1000000001"})
    c = Conversation(shop)
    confirm = c.say("return order 1000000001 because it is too small")[0]
    assert "1000000001" in confirm and "it is too small" in confirm and shop.calls == []
    c.say("yes")
    assert shop.calls == [("return", "1000000001")]


def test_an_order_pointer_is_not_taken_as_a_return_reason(shop):
    c = Conversation(shop)
    assert "What's the reason" in c.say("I want to return something")[0]
    assert "why you're returning" in c.say("the second one")[0] and shop.calls == []


@pytest.mark.parametrize("text", ["where's my refund for the returned order?", "wheres my refund??"])
def test_a_refund_question_about_a_returned_order_answers_with_that_order(text):
    TABLE[text] = ("track_refund", {})
    s = FakeShop([order("1000000007", "returned", 20), order("1000000001", "delivered", 3)])
    reply = Conversation(s).say(text)[0]
    assert "1000000007" in reply and "don't see a return" not in reply


def test_a_yes_to_the_offered_return_starts_it_and_a_thanks_does_not():
    TABLE["I'd like my money back"] = ("get_refund", {})
    for answer, starts in (("yes", True), ("thanks", False)):
        s = FakeShop([order("1000000001", "delivered", 3)])
        c = Conversation(s)
        assert "Shall I?" in c.say("I'd like my money back")[0]
        reply = c.say(answer)[0]
        assert ("What's the reason" in reply) is starts and s.calls == []


def test_a_question_is_not_taken_as_a_return_reason(shop):
    c = Conversation(shop)
    c.say("I want to return something")
    replies = c.say("why?")
    assert "What's the reason" in replies[-1] and shop.calls == []
    assert "why you're returning" in c.say("ok")[0]  # a bare "ok" is no reason either


def test_a_reason_given_while_choosing_the_order_is_kept(shop):
    TABLE["it doesn't fit"] = ("out_of_scope", {})
    s = FakeShop([order("1000000001", "delivered", 10), order("1000000006", "delivered", 12, "Ceramic Mug")])
    c = Conversation(s)
    assert "Which order" in c.say("I want to return something")[0]
    assert "Please pick one" in c.say("it doesn't fit")[0]
    confirm = c.say("1000000006")[0]
    assert "reason: \"it doesn't fit\"" in confirm and s.calls == []
    c.say("yes")
    assert s.calls == [("return", "1000000006")]


def test_a_different_request_with_an_order_id_at_a_confirmation_switches_flow(shop):
    TABLE["I want to return order 1000000001 instead"] = ("return_order", {})
    TABLE["no, don't cancel"] = ("cancel_order", {})
    c = Conversation(shop)
    c.say("I want to cancel")
    c.say("1000000002")
    assert "left everything as it was" in c.say("no, don't cancel")[0]
    c.say("I want to cancel")
    c.say("1000000002")
    assert "return for order 1000000001" in c.say("I want to return order 1000000001 instead")[0]
    assert shop.calls == []


def test_a_plain_yes_confirms_whatever_intent_the_nlu_gave_it(shop):
    TABLE["ok yes cancel"] = ("deny", {})
    TABLE["yes but wait"] = ("affirm", {})
    c = Conversation(shop)
    c.say("I want to cancel")
    c.say("1000000002")
    assert shop.calls == [] and "clear yes or no" in c.say("yes but wait")[0]
    assert "is cancelled" in c.say("ok yes cancel")[0] and shop.calls == [("cancel", "1000000002")]


def test_a_product_that_is_in_no_order_is_said_and_no_other_order_is_picked(shop):
    TABLE["send back the shoes"] = ("return_order", {"product": "shoes"})
    c = Conversation(shop)
    replies = c.say("send back the shoes")
    assert "couldn't find \"shoes\"" in replies[0] and "Which order" in replies[1]
    assert c.last_turn.messages[1].buttons and shop.calls == []


def test_where_is_my_return_answers_with_the_return_registered(shop):
    TABLE["what is the status of my return"] = ("track_order", {})
    c = Conversation(shop)
    c.say("I want to return something")
    c.say("they are too small")
    c.say("yes")
    reply = c.say("what is the status of my return")[0]
    assert "Your return R-1 for order 1000000001 is in progress" in reply  # a status, not a new registration


def test_a_return_status_question_without_a_return_says_none_is_registered(shop):
    TABLE["what is the status of my return"] = ("track_order", {})
    reply = Conversation(shop).say("what is the status of my return")[0]
    assert "don't see a return registered" in reply and shop.calls == []
