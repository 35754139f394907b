"""The widget as a new shopper meets it: a greeting, close and reopen, a phone screen, offers without a code."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import fresh_chat

pytestmark = pytest.mark.browser


def test_it_greets_with_what_it_can_do_and_that_a_person_is_reachable(server, browser):
    page = fresh_chat(browser, server)
    greeting = page.locator(".kc-greeting")
    assert greeting.is_visible()
    text = greeting.inner_text()
    assert "track, cancel or return your orders" in text and "A person from our team is reachable" in text
    page.click(".kc-greeting .kc-button")
    page.wait_for_selector(".kc-shopper .kc-bubble")
    assert page.locator(".kc-shopper .kc-bubble").last.inner_text() == "I want to talk to a person"
    page.close()


def test_it_closes_to_a_launcher_and_reopens_with_the_conversation(server, browser):
    page = fresh_chat(browser, server)
    page.fill(".kc-input", "what is your return policy")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble")
    page.click(".kc-close")
    assert not page.locator(".kc-widget").is_visible() and page.locator(".kc-launcher").is_visible()
    page.reload()  # stays closed while the shopper browses the shop
    assert not page.locator(".kc-widget").is_visible() and page.locator(".kc-launcher").is_visible()
    page.click(".kc-launcher")
    page.wait_for_selector(".kc-bot .kc-bubble")
    assert page.locator(".kc-widget").is_visible() and not page.locator(".kc-launcher").is_visible()
    assert page.locator(".kc-shopper .kc-bubble").last.inner_text() == "what is your return policy"
    page.close()


def test_on_a_phone_it_starts_closed_then_fills_the_screen_without_sideways_scrolling(server, browser):
    page = browser.new_page(viewport={"width": 375, "height": 667})
    page.goto(server + "/")
    page.evaluate("window.Keepcart.reset()")
    page.reload()
    assert page.locator(".kc-launcher").is_visible() and not page.locator(".kc-widget").is_visible()
    page.click(".kc-launcher")
    box = page.locator(".kc-widget").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 667}
    page.fill(".kc-input", "a-very-long-word-" * 12 + " where is my order?")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble")
    assert page.evaluate("document.querySelector('.kc-widget').scrollWidth") <= 375
    assert page.evaluate("document.querySelector('.kc-log').scrollWidth <= document.querySelector('.kc-log').clientWidth")
    assert page.locator(".kc-form").bounding_box()["y"] + page.locator(".kc-form").bounding_box()["height"] <= 667
    page.close()


def _turn(cards: list[dict]) -> str:
    message = {"seq": 900, "role": "shopper", "text": "what should I buy?", "created_at": None, "buttons": [], "cards": [], "sources": []}
    reply = {**message, "seq": 901, "role": "bot", "text": "You might like our new Stoneware Espresso Cup Set.", "cards": cards}
    return json.dumps({"message": message, "replies": [reply], "replayed": False, "status": "open"})


@pytest.mark.parametrize(("card", "boxes"), [
    ({"type": "offer", "kind": "recommendation", "code": None, "rule_id": 1, "exposure_id": 2}, 0),
    ({"type": "offer", "kind": "percent_off", "code": "KC-TEST-CODE", "rule_id": 1, "exposure_id": 3}, 1),
])
def test_an_offer_without_a_code_draws_no_empty_code_box(server, browser, card, boxes):
    page = fresh_chat(browser, server)
    page.route("**/api/v1/conversations/*/messages",
               lambda route: route.fulfill(status=200, content_type="application/json", body=_turn([card]))
               if route.request.method == "POST" else route.continue_())
    page.fill(".kc-input", "what should I buy?")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble")
    assert page.locator(".kc-card-offer").count() == boxes
    assert page.locator("text=Your code").count() == boxes
    if boxes:
        assert page.locator(".kc-code").inner_text() == "KC-TEST-CODE"
    page.close()
