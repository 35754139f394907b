"""Support staff: find handed-off conversations, read what the bot understood, take over, hand back, fix labels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common import accounts
from common.db import unit_of_work, utcnow
from tests.e2e.conftest import app_settings, client, start  # noqa: F401 - fixtures


@pytest.fixture
def staff(client):  # noqa: F811
    with unit_of_work(client.app.state.components.sessions) as s:
        accounts.create_user(s, "sam@shop.example", "support rocks!", "staff")
    token = client.post("/api/v1/auth/login", json={"email": "sam@shop.example", "password": "support rocks!"}).json()["token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def say(client, cid, shopper, text, mid):  # noqa: F811
    res = client.post(f"/api/v1/conversations/{cid}/messages", headers=shopper, json={"text": text, "client_message_id": mid})
    assert res.status_code == 200, res.text
    return [r["text"] for r in res.json()["replies"]]


def test_a_person_takes_over_answers_and_hands_back(client, staff):  # noqa: F811
    cid, shopper = start(client, "C001")
    assert say(client, cid, shopper, "where is my order?", "m1")  # the bot answers
    assert say(client, cid, shopper, "I want a human <b>now</b>", "m2")  # handed off: the bot says a person comes
    waiting = client.get("/api/v1/staff/conversations", params={"status": "handed_off"}, headers=staff).json()
    assert [c["id"] for c in waiting] == [cid] and waiting[0]["customer_id"] == "C001"

    transcript = client.get(f"/api/v1/staff/conversations/{cid}", headers=staff).json()
    said = [e for e in transcript["events"] if e["type"] == "user_uttered"]
    understood = [e["payload"]["intent"] for e in transcript["events"] if e["type"] == "intent_parsed"]
    assert [e["payload"]["text"] for e in said] == ["where is my order?", "I want a human <b>now</b>"]  # data, not markup
    assert understood == ["track_order", "contact_human_agent"] and "track_order" in transcript["intents"]

    sent = client.post(f"/api/v1/staff/conversations/{cid}/messages", headers=staff, json={"text": "Hi, Sam here. Let me look."})
    assert sent.status_code == 201 and sent.json()[-1]["payload"]["agent"] == "sam@shop.example"
    history = client.get(f"/api/v1/conversations/{cid}/messages", headers=shopper).json()
    assert history["status"] == "handed_off" and history["messages"][-1]["role"] == "agent"
    assert history["messages"][-1]["text"] == "Hi, Sam here. Let me look."
    assert say(client, cid, shopper, "thanks, order 1000000004", "m3") == []  # stored, the bot stays quiet

    assert client.post(f"/api/v1/staff/conversations/{cid}/release", headers=staff).status_code == 200
    assert client.get(f"/api/v1/conversations/{cid}/messages", headers=shopper).json()["status"] == "open"
    assert say(client, cid, shopper, "where is my order?", "m4")  # the bot is back
    again = client.post(f"/api/v1/staff/conversations/{cid}/release", headers=staff)
    assert again.status_code == 422 and "not with a person" in again.json()["detail"]


def test_staff_correct_labels_and_only_staff_may(client, staff):  # noqa: F811
    cid, shopper = start(client)
    say(client, cid, shopper, "my parcel never came", "m1")
    seq = next(e["seq"] for e in client.get(f"/api/v1/staff/conversations/{cid}", headers=staff).json()["events"]
               if e["type"] == "user_uttered")
    url = f"/api/v1/staff/conversations/{cid}/messages/{seq}/label"
    assert client.put(url, headers=staff, json={"intent": "complaint"}).status_code == 200
    fixed = client.put(url, headers=staff, json={"intent": "track_order"})
    assert fixed.status_code == 200 and fixed.json()["payload"] == {
        "seq": seq, "text": "my parcel never came", "intent": "track_order", "by": "sam@shop.example"}
    corrections = client.app.state.components.staff.corrections(utcnow() - timedelta(hours=1))
    assert [(c.text, c.intent) for c in corrections] == [("my parcel never came", "track_order")]  # the latest wins
    assert client.put(url, headers=staff, json={"intent": "teleport"}).status_code == 422
    assert client.put(f"/api/v1/staff/conversations/{cid}/messages/1/label", headers=staff,
                      json={"intent": "complaint"}).status_code == 404  # seq 1 is the conversation start
    assert client.get(f"/api/v1/staff/conversations/{cid}").status_code == 401
    assert client.get(f"/api/v1/staff/conversations/{cid}", headers=shopper).status_code == 401  # a conversation token
    assert client.get("/api/v1/staff/conversations/nope", headers=staff).status_code == 404
    assert client.get("/api/v1/staff/conversations", params={"status": "closed"}, headers=staff).status_code == 422


def test_keepcart_nlu_corrections_exports_training_data(cli_data_dir, tmp_path):
    from typer.testing import CliRunner

    from bot import events as ev
    from bot.events import Event
    from bot.nlu.training_data import default_training_files, load_examples
    from bot.policy import INTENT_ACTIONS
    from bot.staff import StaffDesk
    from bot.transcript import TranscriptStore
    from cli import context
    from cli.main import app

    desk = StaffDesk(TranscriptStore(context.session_factory()), INTENT_ACTIONS)
    for text, intents in (("my parcel never came", ["complaint", "track_order"]), ('is "Ocean Blue", dishwasher safe?\nthanks', ["out_of_scope"])):
        conversation = desk.store.create(None)
        [said] = desk.store.append(conversation.id, [Event(ev.USER_UTTERED, {"text": text})])
        for intent in intents:
            desk.correct_label(conversation.id, said.seq or 0, intent, "sam@shop.example")
    out = tmp_path / "corrections.csv"
    result = CliRunner().invoke(app, ["nlu", "corrections", "--out", str(out), "--days", "7"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"2 corrected message(s) from the last 7 days -> {out}")
    examples = load_examples([*default_training_files(), out])  # the next training run reads it as it is
    assert {(e.text, e.intent) for e in examples if e.text in ("my parcel never came", 'is "Ocean Blue", dishwasher safe?\nthanks')} == {
        ("my parcel never came", "track_order"), ('is "Ocean Blue", dishwasher safe?\nthanks', "out_of_scope")}
