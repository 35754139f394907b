"""A chat turn over HTTP through the real wiring: auth, persistence, idempotency, bad input."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.tables import EventRow
from tests.e2e.conftest import start


def count_events(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(EventRow))


def test_health(client):
    res = client.get("/api/v1/health")
    assert res.status_code == 200
    assert res.json()["database"] == "ok" and res.json()["nlu_model"] == "keyword-rules-v1"


def test_signed_in_shopper_gets_latest_order_status(client):
    cid, auth = start(client, "C001")
    res = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "where is my order?", "client_message_id": "m1"}, headers=auth)
    assert res.status_code == 200, res.text
    reply = res.json()["replies"][0]["text"]
    assert "1000000004" in reply and "paid" in reply
    history = client.get(f"/api/v1/conversations/{cid}/messages", headers=auth).json()
    assert [m["role"] for m in history["messages"]] == ["shopper", "bot"]
    assert history["messages"][0]["text"] == "where is my order?"


def test_retry_with_same_client_message_id_returns_same_reply_without_second_turn(client, sessions):
    cid, auth = start(client, "C001")
    body = {"text": "where is order 1000000003", "client_message_id": "abc-1"}
    first = client.post(f"/api/v1/conversations/{cid}/messages", json=body, headers=auth).json()
    events_after_first = count_events(sessions)
    second = client.post(f"/api/v1/conversations/{cid}/messages", json=body, headers=auth).json()
    assert second["replayed"] is True and first["replayed"] is False
    assert [r["text"] for r in second["replies"]] == [r["text"] for r in first["replies"]]
    assert "JD014600003SE" in first["replies"][0]["text"]
    assert count_events(sessions) == events_after_first
    clash = client.post(f"/api/v1/conversations/{cid}/messages", json={**body, "text": "something else"}, headers=auth)
    assert clash.status_code == 409


def test_cancel_flow_changes_the_order(client, sessions):
    cid, auth = start(client, "C001")
    ask = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "cancel order 1000000004", "client_message_id": "1"}, headers=auth).json()
    assert "Shall I cancel order 1000000004" in ask["replies"][0]["text"]
    done = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "yes", "client_message_id": "2"}, headers=auth).json()
    assert "order 1000000004 is cancelled" in done["replies"][0]["text"]
    from shop.tables import Order
    with sessions() as s:
        assert s.get(Order, "1000000004").status == "cancelled"


def test_shopper_cannot_reach_another_shoppers_order(client):
    cid, auth = start(client, "C001")
    res = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "where is order 2000000001", "client_message_id": "x"}, headers=auth)
    assert "couldn't find order 2000000001" in res.json()["replies"][0]["text"]


def test_conversation_is_readable_only_with_its_own_token(client):
    cid_a, auth_a = start(client, "C001")
    cid_b, auth_b = start(client, "C002")
    assert client.get(f"/api/v1/conversations/{cid_a}/messages", headers=auth_b).status_code == 403
    assert client.get(f"/api/v1/conversations/{cid_a}/messages").status_code == 401
    assert client.get(f"/api/v1/conversations/{cid_a}/messages", headers={"Authorization": "Bearer forged.token"}).status_code == 401
    assert client.get(f"/api/v1/conversations/{cid_a}/messages", headers=auth_a).status_code == 200


def test_anonymous_shopper_is_asked_to_sign_in(client):
    cid, auth = start(client)
    res = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "where is my order", "client_message_id": "1"}, headers=auth)
    assert "sign in" in res.json()["replies"][0]["text"]


def test_forged_or_unknown_shopper_token_is_rejected(client):
    from common import signing
    forged = signing.shopper_token("another-secret-that-is-long-enough-000", "C001")
    assert client.post("/api/v1/conversations", json={"shopper_token": forged}).status_code == 401
    from tests.e2e.conftest import shopper
    assert client.post("/api/v1/conversations", json={"shopper_token": shopper("C999")}).status_code == 422


def test_bad_input_gets_clear_4xx_and_writes_nothing(client, sessions):
    cid, auth = start(client, "C001")
    before = count_events(sessions)
    url = f"/api/v1/conversations/{cid}/messages"
    cases = [
        (client.post(url, json={"text": "", "client_message_id": "1"}, headers=auth), 422, "empty"),
        (client.post(url, json={"text": "   ", "client_message_id": "1"}, headers=auth), 422, "empty"),
        (client.post(url, json={"text": "x" * 501, "client_message_id": "1"}, headers=auth), 422, "longer than 500"),
        (client.post(url, content=b"{not json", headers={**auth, "Content-Type": "application/json"}), 400, "JSON"),
        (client.post(url, json={"text": "hi"}, headers=auth), 422, "client_message_id"),
        (client.post(url, json={"text": "hi", "client_message_id": "a b"}, headers=auth), 422, "client_message_id"),
        (client.post("/api/v1/conversations/nope/messages", json={"text": "hi", "client_message_id": "1"}, headers=auth), 403, "another"),
        (client.post(url, content=b"x" * 300_000, headers={**auth, "Content-Type": "application/json"}), 413, "body"),
    ]
    for res, status, words in cases:
        assert res.status_code == status, (res.status_code, res.text)
        assert words in str(res.json()["detail"]), res.json()
    assert count_events(sessions) == before


def test_unknown_conversation_with_valid_token_shape_is_404(client):
    token = client.app.state.components.keys.conversation.sign({"cid": "missing"}, 60)
    res = client.get("/api/v1/conversations/missing/messages", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 404


def test_timestamps_are_utc(client):
    cid, auth = start(client, "C001")
    res = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hello", "client_message_id": "1"}, headers=auth).json()
    assert res["message"]["created_at"].endswith(("+00:00", "Z"))
