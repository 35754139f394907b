"""A real server on a free port and Debian's Chromium driven by Playwright (skipped without them)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from bot.keyword_parser import KeywordParser
from common import accounts
from common.db import make_engine, make_session_factory, unit_of_work
from common.migrate import upgrade
from common.settings import Settings
from tests.factories import small_shop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STAFF = ("sam@shop.example", "support rocks!")
MARKETER = ("mia@shop.example", "marketing rocks!")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class PolicyAwareParser(KeywordParser):
    """The keyword rules plus one policy intent, so a help-centre answer can be shown."""

    def parse(self, text: str):  # type: ignore[no-untyped-def]
        from bot.nlu.types import Parse

        if "policy" in text.lower():
            return Parse(text, "check_refund_policy", 1.0, [("check_refund_policy", 1.0)], [], self.model_id)
        return super().parse(text)


class MarkdownKnowledge:
    index_id = "kb-browser-test"

    def answer(self, query: str, lenient: bool = False) -> SimpleNamespace:
        text = ("Returns are free within **30 days**.\n- keep the labels\n- see [our guide](https://help.example/returns)"
                "\n[click me](javascript:document.body.dataset.pwned='1')")
        return SimpleNamespace(text=text, title="Returns", url="https://help.example/returns", doc_id="returns", score=0.9)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from web.app import create_app
    from web.components import build_components

    data = tmp_path_factory.mktemp("browser")
    settings = Settings(data_dir=data, secret_key="b" * 40, demo_mode=True)
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    sessions = make_session_factory(engine)
    small_shop(sessions)
    with unit_of_work(sessions) as session:
        accounts.create_user(session, STAFF[0], STAFF[1], "staff")
        accounts.create_user(session, MARKETER[0], MARKETER[1], "marketer")
    app = create_app(settings, build_components(settings, migrate=False, parser=PolicyAwareParser(), engine=engine,
                                                knowledge=MarkdownKnowledge()))
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def fresh_chat(browser, server: str):  # type: ignore[no-untyped-def]
    """A page whose widget starts a new, anonymous conversation."""
    page = browser.new_page()
    page.goto(server + "/")
    page.evaluate("window.Keepcart.reset()")
    page.reload()
    return page
