"""The request guard and the error table: hostile bodies get a 4xx that says why, never a 500."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from bot import events as ev
from bot.events import Event
from common import accounts
from common.db import unit_of_work
from tests.e2e.conftest import app_settings, client, start  # noqa: F401 - fixtures
from web.app import MAX_BODY_BYTES
from web.limits import RequestGuard


@pytest.fixture
def admin(client):  # noqa: F811
    with unit_of_work(client.app.state.components.sessions) as s:
        accounts.create_user(s, "ada@shop.example", "admin rocks!!", "admin")
    token = client.post("/api/v1/auth/login", json={"email": "ada@shop.example", "password": "admin rocks!!"}).json()["token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def _send(client, cid, headers, text, mid="m1"):  # noqa: F811
    return client.post(f"/api/v1/conversations/{cid}/messages", headers=headers, json={"text": text, "client_message_id": mid})


def test_a_chunked_body_is_cut_off_by_bytes_read() -> None:
    """At the ASGI level (the test client buffers whole bodies): a body without Content-Length stops
    being read as soon as it passes the limit, and the app behind never sees it."""
    read, sent = 0, []

    async def receive():
        nonlocal read
        read += 65536
        return {"type": "http.request", "body": b"x" * 65536, "more_body": read < 10_000 * 65536}  # 640 MB

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("the app behind the guard saw the body")

    scope = {"type": "http", "method": "POST", "path": "/api/v1/conversations", "query_string": b"",
             "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]}
    asyncio.run(RequestGuard(app, max_bytes=MAX_BODY_BYTES)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert b"too_large" in sent[1]["body"]
    assert read <= MAX_BODY_BYTES + 65536  # stopped at the limit, not after the whole stream


def test_a_declared_length_over_the_limit_is_refused_at_once(client):  # noqa: F811
    res = client.post("/api/v1/conversations", content=b"{" + b" " * MAX_BODY_BYTES + b"}",
                      headers={"Content-Type": "application/json"})
    assert res.status_code == 413 and str(MAX_BODY_BYTES) in res.json()["detail"]


@pytest.mark.parametrize("raw, says", [
    ('{"text": "hi \\u0000 there", "client_message_id": "m1"}', "NUL"),
    ('{"text": "hi \\ud800", "client_message_id": "m1"}', "lone surrogate"),
    ('{"text": "hi", "client_message_id": "m1", "n": Infinity}', "Infinity"),
    ('{"text": "hi", "client_message_id": "m1", "n": NaN}', "NaN"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_values_no_database_can_store_get_422(client, raw, says):  # noqa: F811
    cid, headers = start(client, "C001")
    res = client.post(f"/api/v1/conversations/{cid}/messages", content=raw.encode(),
                      headers={**headers, "Content-Type": "application/json"})
    assert res.status_code == 422, res.text
    assert says in str(res.json()["detail"])


def test_nul_in_a_path_or_login_email_gets_422(client):  # noqa: F811
    assert client.get("/api/v1/conversations/abc%00def/messages", headers={"Authorization": "Bearer x"}).status_code == 422
    res = client.post("/api/v1/auth/login", json={"email": "a\x00@b.example", "password": "x"})
    assert res.status_code == 422 and "NUL" in str(res.json()["detail"])


def test_shopper_text_is_cleaned_and_secrets_masked_before_it_is_stored(client):  # noqa: F811
    cid, headers = start(client, "C001")
    res = _send(client, cid, headers, "cafe\u0301 \u202emy card 4111 1111 1111 1111\x07")
    assert res.status_code == 200, res.text
    assert res.json()["message"]["text"] == "café my card [card ending 1111]"
    events = client.app.state.components.store.events(cid)
    stored = [e.payload["text"] for e in events if e.type == ev.USER_UTTERED]
    assert stored == ["café my card [card ending 1111]"]
    assert "4111" not in str([e.payload for e in events])


def test_empty_and_overlong_text_still_get_422(client):  # noqa: F811
    cid, headers = start(client, "C001")
    assert "must not be empty" in str(_send(client, cid, headers, " \x00 ".replace("\x00", "\x01")).json()["detail"])
    assert "longer than 500" in str(_send(client, cid, headers, "x" * 501).json()["detail"])


def test_a_bad_old_message_does_not_break_history_or_transcript(client, admin, engine):  # noqa: F811
    if engine.dialect.name != "sqlite":
        pytest.skip("only SQLite could ever store a lone surrogate")
    cid, headers = start(client, "C001")
    store = client.app.state.components.store
    store.append(cid, [Event(ev.USER_UTTERED, {"text": "hi \ud800"}, client_message_id="old")])
    history = client.get(f"/api/v1/conversations/{cid}/messages", headers=headers)
    assert history.status_code == 200 and history.json()["messages"][-1]["text"] == "hi \ufffd"
    transcript = client.get(f"/api/v1/staff/conversations/{cid}", headers=admin)
    assert transcript.status_code == 200
    assert _send(client, cid, headers, "where is my order?", "m2").status_code == 200  # the conversation goes on


def test_rule_ids_past_64_bits_and_huge_budgets_get_422(client, admin):  # noqa: F811
    assert client.get(f"/api/v1/offers/{2**63}", headers=admin).status_code in (404, 422)
    assert client.get(f"/api/v1/offers/{2**63}", headers=admin).status_code != 500
    rule = {"name": "Huge", "kind": "percent", "value": "10", "triggers": ["cancel_order"], "budget_count": 10**30}
    res = client.post("/api/v1/offers", json=rule, headers=admin)
    assert res.status_code == 422, res.text


def test_an_unexpected_error_says_what_is_known_not_that_the_message_was_kept(app_settings, client):  # noqa: F811
    cid, headers = start(client, "C001")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    client.app.state.components.chat.send = broken
    with TestClient(client.app, raise_server_exceptions=False) as c:
        res = _send(c, cid, headers, "hello")
    assert res.status_code == 500
    detail = res.json()["detail"]
    assert "kept" not in detail and "reference" in detail
