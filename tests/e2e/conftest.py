"""The real app over a real database (SQLite and PostgreSQL) with a small hand-made shop."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.keyword_parser import KeywordParser
from common import signing
from common.settings import Settings
from tests.factories import small_shop
from web.app import create_app
from web.components import build_components

SECRET = "s" * 40


@pytest.fixture
def app_settings(engine, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False), secret_key=SECRET,
                    max_message_chars=500)


@pytest.fixture
def client(app_settings, engine, sessions) -> TestClient:
    small_shop(sessions)
    components = build_components(app_settings, migrate=False, parser=KeywordParser(), engine=engine)
    with TestClient(create_app(app_settings, components)) as c:
        yield c


def shopper(customer_id: str) -> str:
    return signing.shopper_token(SECRET, customer_id)


def start(client: TestClient, customer_id: str | None = None) -> tuple[str, dict[str, str]]:
    body = {"shopper_token": shopper(customer_id)} if customer_id else {}
    res = client.post("/api/v1/conversations", json=body)
    assert res.status_code == 201, res.text
    data = res.json()
    return data["id"], {"Authorization": f"Bearer {data['token']}"}
