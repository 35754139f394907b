"""The retention offers console in a real browser: create a rule, switch it on, preview it, read its report."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.browser.conftest import MARKETER, STAFF

pytestmark = pytest.mark.browser


def sign_in(browser, server, who):  # type: ignore[no-untyped-def]
    page = browser.new_context().new_page()
    response = page.goto(server + "/marketing")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("input[name=email]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("form#login button")
    page.wait_for_selector("#desk:not([hidden])")
    return page


def test_a_marketer_creates_switches_on_and_reads_a_rule(server, browser):
    page = sign_in(browser, server, MARKETER)
    page.click("#new-rule summary")
    rule = json.loads(page.input_value("#rule-json"))
    page.fill("#rule-json", json.dumps({**rule, "kind": "bogus"}))
    page.click("#create-rule")
    page.wait_for_selector("#new-result:has-text('Error 422')")
    page.fill("#rule-json", "{not json")
    page.click("#create-rule")
    page.wait_for_selector("#new-result:has-text('Not valid JSON')")
    page.fill("#rule-json", json.dumps({**rule, "name": "<b>Loyal</b> complainers"}))
    page.click("#preview-new")
    page.wait_for_selector("#new-result:has-text('scored shoppers eligible')")
    page.click("#create-rule")
    page.wait_for_selector("#new-result:has-text('Created rule')")
    row = page.locator("#rules tr", has_text="<b>Loyal</b> complainers")  # the name is text, not markup
    assert row.locator("td").nth(6).inner_text() == "no"
    row.locator("text=Switch on").click()
    page.wait_for_selector("#rules tr:has-text('Switch off')")
    page.locator("#rules tr", has_text="Loyal").locator("text=Report").click()
    page.wait_for_selector("#detail:has-text('No comparison yet')")
    assert page.locator("#rules b").count() == 0
    page.close()


def test_support_staff_may_look_but_not_change(server, browser):
    token = httpx.post(server + "/api/v1/auth/login", json={"email": MARKETER[0], "password": MARKETER[1]}).json()["token"]
    httpx.post(server + "/api/v1/offers", headers={"Authorization": f"Bearer {token}"},
               json={"name": "Win back", "kind": "recommendations", "triggers": ["goodbye_at_risk"]}).raise_for_status()
    page = sign_in(browser, server, STAFF)
    page.wait_for_selector("#rules tr")
    assert page.locator("#rules tr button", has_text="Switch").count() == 0  # no control the API would refuse
    assert page.locator("#rules tr button", has_text="Preview").count() == 0
    assert not page.locator("#new-rule").is_visible()
    page.close()
    staff = httpx.post(server + "/api/v1/auth/login", json={"email": STAFF[0], "password": STAFF[1]}).json()["token"]
    rule_id = httpx.get(server + "/api/v1/offers", headers={"Authorization": f"Bearer {staff}"}).json()[0]["id"]
    refused = httpx.delete(server + f"/api/v1/offers/{rule_id}", headers={"Authorization": f"Bearer {staff}"})
    assert refused.status_code == 403  # and the API refuses it anyway
