"""A small shop with enough customers for a few stories, the real wiring, the keyword parser."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.keyword_parser import KeywordParser
from common.db import unit_of_work
from common.settings import Settings
from conversation_tests.drivers import InProcessDriver
from conversation_tests.shoppers import ShopperPicker
from tests.factories import NOW, add_customer, add_order, small_shop
from web.components import build_components

SECRET = "t" * 40


def story_shop(sessions) -> None:  # type: ignore[no-untyped-def]
    """small_shop (C001 Ada, C002 Bob) plus C003 with a paid order and C004 with a fresh delivery."""
    small_shop(sessions)
    with unit_of_work(sessions) as s:
        add_customer(s, "C003", "Cleo Park", country="NL")
        add_customer(s, "C004", "Dan Roe", country="FR")
        s.flush()
        add_order(s, "3000000001", "C003", "paid", 1, [("P002", 1, "24.50")])
        add_order(s, "4000000001", "C004", "delivered", 5, [("P001", 1, "59.00")], delivered_at=NOW - timedelta(days=3))


@pytest.fixture
def components(engine, sessions, tmp_path):  # type: ignore[no-untyped-def]
    story_shop(sessions)
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False), secret_key=SECRET)
    return build_components(settings, migrate=False, parser=KeywordParser(), engine=engine)


@pytest.fixture
def driver(components) -> InProcessDriver:  # type: ignore[no-untyped-def]
    return InProcessDriver(components.chat, components.store)


@pytest.fixture
def picker(components) -> ShopperPicker:  # type: ignore[no-untyped-def]
    return ShopperPicker(components.sessions)
