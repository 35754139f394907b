"""The widget in a real browser: sign in on the demo page, chat, reload, and no HTML injection."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_signed_in_shopper_chats_and_history_survives_reload(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.click("button[data-customer='C001']")
    page.wait_for_selector("text=Signed in as Ada Lovelace")
    page.fill(".kc-input", "where is my order?")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble")
    assert "1000000004" in page.inner_text(".kc-bot .kc-bubble")
    page.reload()
    page.wait_for_selector(".kc-bot .kc-bubble")
    assert page.locator(".kc-shopper .kc-bubble").first.inner_text() == "where is my order?"
    page.close()


def test_buttons_send_their_payload(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.click("button[data-customer='C001']")
    page.wait_for_selector("text=Signed in as Ada Lovelace")
    page.evaluate("window.Keepcart.reset()")
    page.reload()
    page.fill(".kc-input", "cancel order 1000000004")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-button:text('Yes')")
    page.click(".kc-button:text('Yes')")
    page.wait_for_selector("text=order 1000000004 is cancelled")
    page.close()


def test_typed_markup_is_shown_as_text(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    payload = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"
    page.fill(".kc-input", payload)
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble")
    assert page.locator(".kc-shopper .kc-bubble").last.inner_text() == payload
    assert page.evaluate("document.body.dataset.pwned") is None
    assert page.locator(".kc-log img").count() == 0
    page.close()


def test_help_centre_markdown_is_rendered_safely(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.fill(".kc-input", "what is your return policy")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble strong")
    bubble = page.locator(".kc-bot .kc-bubble").last
    assert bubble.locator("strong").inner_text() == "30 days"
    assert bubble.locator("li").count() == 2
    assert bubble.locator("a").get_attribute("href") == "https://help.example/returns"
    assert bubble.locator("a").count() == 1  # the javascript: link stays plain text
    assert page.locator(".kc-source").get_attribute("href") == "https://help.example/returns"
    page.close()


def test_a_message_typed_while_the_conversation_opens_waits_for_it(server, browser):
    """On a slow connection the shopper may type before the conversation exists; nothing is lost."""
    page = browser.new_page()
    held = []
    page.route("**/api/v1/conversations", lambda route: held.append(route))  # hold the widget's POST
    page.goto(server + "/")
    page.evaluate("window.Keepcart.reset()")
    page.reload()
    while len(held) < 2:  # the first page load's request, then the reload's
        page.wait_for_timeout(20)
    page.fill(".kc-input", "what is your return policy")
    page.press(".kc-input", "Enter")
    page.wait_for_timeout(300)
    assert page.locator(".kc-error").count() == 0  # it used to fail at once: "Not sent: ... null"
    held[-1].continue_()
    page.wait_for_selector(".kc-bot .kc-bubble strong")
    assert page.locator(".kc-shopper .kc-bubble").last.inner_text() == "what is your return policy"
    page.close()


def test_a_persons_reply_reaches_the_shopper_while_the_bot_waits(server, browser):
    import httpx

    from tests.browser.conftest import STAFF, fresh_chat

    page = fresh_chat(browser, server)
    page.fill(".kc-input", "I want to talk to a human")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble")
    conversation_id = page.evaluate("JSON.parse(localStorage.getItem('keepcart.conversation.anon')).id")
    token = httpx.post(server + "/api/v1/auth/login", json={"email": STAFF[0], "password": STAFF[1]}).json()["token"]
    staff = {"Authorization": f"Bearer {token}"}
    reply = "Hi, Sam here <img src=x onerror=alert(1)>"
    assert httpx.post(f"{server}/api/v1/staff/conversations/{conversation_id}/messages", headers=staff,
                      json={"text": reply}).status_code == 201
    page.wait_for_selector(".kc-agent .kc-bubble", timeout=10_000)  # polled: the shopper sent nothing
    assert page.locator(".kc-agent .kc-bubble").inner_text() == reply and page.locator(".kc-log img").count() == 0
    httpx.post(f"{server}/api/v1/staff/conversations/{conversation_id}/release", headers=staff).raise_for_status()
    page.close()


def test_the_next_shopper_on_this_browser_never_continues_the_conversation(server, browser):
    """Finding 10: the stored conversation was reused by the next person who signed in on the same browser."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/")
    page.wait_for_selector("button[data-customer]")  # the demo page lists its customers once they are fetched
    first, second = page.eval_on_selector_all("button[data-customer]", "bs => bs.map(b => b.dataset.customer)")[:2]
    page.click(f"button[data-customer='{first}']")
    page.wait_for_selector("text=Signed in as")
    page.fill(".kc-input", "where is my order?")
    page.press(".kc-input", "Enter")
    page.wait_for_selector(".kc-bot .kc-bubble")
    keys = page.evaluate("Object.keys(localStorage)")
    assert f"keepcart.conversation.shopper:{first}" in keys
    page.evaluate("localStorage.setItem('keepcart.conversation.signed', localStorage.getItem(Object.keys(localStorage)"
                  ".find(k => k.startsWith('keepcart.conversation.shopper'))))")  # as the old widget stored it
    page.click(f"button[data-customer='{second}']")
    page.wait_for_function("k => localStorage.getItem(k) !== null", arg=f"keepcart.conversation.shopper:{second}")
    assert page.locator(".kc-shopper .kc-bubble").count() == 0  # a fresh conversation, none of the first shopper's
    keys = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('keepcart.conversation.'))")
    assert keys == [f"keepcart.conversation.shopper:{second}"]
    context.close()
