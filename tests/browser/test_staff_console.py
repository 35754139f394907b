"""The support console in a real browser: sign in, take over a waiting conversation, reply, fix a label."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import STAFF, fresh_chat

pytestmark = pytest.mark.browser


def test_staff_take_over_a_waiting_shopper_from_the_console(server, browser):
    shopper = fresh_chat(browser, server)
    typed = "<img src=x onerror=\"document.body.dataset.pwned='1'\"> I need a human"
    shopper.fill(".kc-input", typed)
    shopper.press(".kc-input", "Enter")
    shopper.wait_for_selector(".kc-bot .kc-bubble")

    console = browser.new_context().new_page()  # the agent's own browser: its own cookies
    errors: list[str] = []
    console.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = console.goto(server + "/staff")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    console.wait_for_selector("form#login")
    assert not console.is_visible("#desk")  # nothing of the desk before signing in
    console.fill("input[name=email]", STAFF[0])
    console.fill("input[name=password]", STAFF[1])
    console.click("form#login button")
    console.wait_for_selector("#conversations li:not(.hint)")
    assert not console.is_visible("form#login")  # the sign-in form is gone once signed in
    console.click("#conversations li >> nth=0")
    console.wait_for_selector(".ev-shopper")
    assert console.locator(".ev-shopper").first.evaluate("n => n.firstChild.textContent") == typed  # shown as text
    assert console.evaluate("document.body.dataset.pwned") is None and console.locator("#transcript img").count() == 0
    assert "Understood: contact_human_agent" in console.inner_text(".ev-shopper .nlu")

    console.select_option(".ev-shopper select", "complaint")
    console.click(".ev-shopper .nlu button")
    console.wait_for_selector("text=Corrected ✓")
    console.fill("#reply-text", "Hi, Sam here. How can I help?")
    console.click(".reply button")
    console.wait_for_selector(".ev-agent")

    shopper.wait_for_selector(".kc-agent .kc-bubble", timeout=10_000)
    assert shopper.inner_text(".kc-agent .kc-bubble") == "Hi, Sam here. How can I help?"
    console.click("text=Hand back to the bot")
    console.wait_for_selector("text=Handed back to the bot by sam@shop.example")
    assert not [e for e in errors if "Content Security Policy" in e]
    token = httpx.post(server + "/api/v1/auth/login", json={"email": STAFF[0], "password": STAFF[1]}).json()["token"]
    conversation_id = shopper.evaluate("JSON.parse(localStorage.getItem('keepcart.conversation.anon')).id")
    events = httpx.get(f"{server}/api/v1/staff/conversations/{conversation_id}", headers={"Authorization": f"Bearer {token}"}).json()["events"]
    assert [e["payload"]["intent"] for e in events if e["type"] == "label_corrected"] == ["complaint"]
    shopper.close()
    console.close()
