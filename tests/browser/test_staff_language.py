"""The support console shows the detected language of each shopper message, as text."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from bot import events as ev
from bot.events import Event
from bot.transcript import TranscriptStore
from common import accounts
from common.db import make_engine, make_session_factory, unit_of_work
from common.migrate import upgrade
from common.settings import Settings
from tests.browser.conftest import STAFF, MarkdownKnowledge, PolicyAwareParser, free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A server like conftest's, plus its transcript store to write conversations the bot would have."""
    import uvicorn

    from web.app import create_app
    from web.components import build_components

    settings = Settings(data_dir=tmp_path_factory.mktemp("language"), secret_key="c" * 40)
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        accounts.create_user(session, STAFF[0], STAFF[1], "staff")
    app = create_app(settings, build_components(settings, migrate=False, parser=PolicyAwareParser(), engine=engine,
                                                knowledge=MarkdownKnowledge()))
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", store=TranscriptStore(sessions))
    srv.should_exit = True
    thread.join(10)
    engine.dispose()


def parsed(text: str, language: object) -> list[Event]:
    payload = {"text": text, "intent": "out_of_scope", "confidence": 0.3, "ranking": [], "entities": []}
    if language is not None:
        payload["language"] = language
    return [Event(ev.USER_UTTERED, {"text": text}), Event(ev.INTENT_PARSED, payload)]


def test_each_shopper_message_shows_its_language(desk, browser):
    conversation = desk.store.create(None)
    desk.store.append(conversation.id, [*parsed("Hallo, wo ist meine Bestellung?", "de"),
                                        *parsed("ok", None),
                                        *parsed("Bonjour", "<img src=x onerror=\"document.body.dataset.pwned='1'\">"),
                                        Event(ev.HANDED_OFF, {"active": True, "reason": "language"})], status="handed_off")
    page = browser.new_page()
    page.goto(desk.url + "/staff")
    page.fill("input[name=email]", STAFF[0])
    page.fill("input[name=password]", STAFF[1])
    page.click("form#login button")
    page.click("#conversations li:not(.hint) >> nth=0")
    page.wait_for_selector(".ev-shopper")
    rows = page.locator(".ev-shopper")
    assert rows.count() == 3
    assert rows.nth(0).evaluate("n => n.firstChild.textContent") == "Hallo, wo ist meine Bestellung?"
    assert rows.nth(0).locator(".lang").inner_text() == "DE"
    assert rows.nth(0).locator(".lang").get_attribute("title") == "Language of this message: de"
    assert rows.nth(1).locator(".lang").count() == 0  # unknown: no badge
    assert rows.nth(2).locator(".lang").inner_text().startswith("<IMG SRC=X")  # shown as text, never as HTML
    assert page.evaluate("document.body.dataset.pwned") is None and page.locator("#transcript img").count() == 0
    page.close()
