"""Privacy: secrets masked before storage, a shopper's data exported and erased, old transcripts anonymised."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from typer.testing import CliRunner

from bot.tables import ConversationRow, EventRow
from cli.main import app as cli
from cli.privacy import erase_customer, export_customer, purge_transcripts
from common.db import unit_of_work, utcnow
from retention_model.offers.tables import ExposureRow, OfferRuleRow
from shop.tables import Customer, Order
from tests.e2e.conftest import app_settings, client, start  # noqa: F401 - fixtures
from tests.factories import small_shop

CARD = "4111 1111 1111 1111"


def _chat(client, customer_id):  # noqa: F811
    cid, headers = start(client, customer_id)
    for i, text in enumerate([f"my card {CARD} was charged twice", "where is my order?"]):
        res = client.post(f"/api/v1/conversations/{cid}/messages", headers=headers, json={"text": text, "client_message_id": f"m{i}"})
        assert res.status_code == 200, res.text
    return cid, headers


def _exposure(sessions, customer_id, conversation_id):
    with unit_of_work(sessions) as s:
        rule = OfferRuleRow(name="r", definition={})
        s.add(rule)
        s.flush()
        s.add(ExposureRow(rule_id=rule.id, rule_version=1, customer_id=customer_id, conversation_id=conversation_id,
                          trigger="cancel_order", decision="treat", expected_value=10.0, cost_estimate=Decimal("5")))


def test_export_holds_the_shoppers_data_from_every_table_and_no_card_number(client, sessions):  # noqa: F811
    cid, _ = _chat(client, "C001")
    _chat(client, "C002")
    _exposure(sessions, "C001", cid)
    with sessions() as s:
        data = export_customer(s, "C001")
    text = json.dumps(data)
    assert data["customer"]["email"] == "c001@example.com" and len(data["orders"]) == 4
    assert data["orders"][0]["lines"] and [c["id"] for c in data["conversations"]] == [cid]
    said = [e["payload"]["text"] for e in data["conversations"][0]["events"] if e["type"] == "user_uttered"]
    assert said == ["my card [card ending 1111] was charged twice", "where is my order?"]
    assert len(data["offer_exposures"]) == 1 and "C002" not in text and "4111 1111" not in text


def test_erase_blanks_personal_data_keeps_aggregates_and_leaves_others_alone(client, sessions):  # noqa: F811
    cid, headers = _chat(client, "C001")
    other, _ = _chat(client, "C002")
    _exposure(sessions, "C001", cid)
    with sessions() as s:
        totals = [o.total for o in s.scalars(select(Order).where(Order.customer_id == "C001").order_by(Order.id))]
    with unit_of_work(sessions) as s:
        done = erase_customer(s, "C001")
    assert done["conversations"] == 1 and done["orders"] == 4 and done["events"] > 4
    with sessions() as s:
        ada = s.get(Customer, "C001")
        assert (ada.name, ada.address_line, ada.city, ada.postal_code) == ("erased", "", "", "")
        assert ada.email.startswith("erased-") and "c001" not in ada.email
        orders = s.scalars(select(Order).where(Order.customer_id == "C001").order_by(Order.id)).all()
        assert [o.total for o in orders] == totals and {o.ship_address_line for o in orders} == {""}
        payloads = [e.payload for e in s.scalars(select(EventRow).where(EventRow.conversation_id == cid))]
        assert all(p.get("anonymised") and "text" not in p and "entities" not in p for p in payloads)
        assert any(p.get("intent") == "track_order" for p in payloads)  # what happened stays for the figures
        assert s.get(ConversationRow, cid).customer_id is None
        assert s.scalar(select(func.count()).select_from(ExposureRow)) == 1  # offer figures kept
        bob = [e.payload for e in s.scalars(select(EventRow).where(EventRow.conversation_id == other))]
        assert any("text" in p for p in bob) and s.get(Customer, "C002").name == "Bob Stone"
    history = client.get(f"/api/v1/conversations/{cid}/messages", headers=headers)
    assert history.status_code == 403  # the conversation belongs to nobody now: the erased shopper's token opens nothing


def test_purge_anonymises_only_conversations_past_the_retention_period(client, sessions):  # noqa: F811
    old, _ = _chat(client, "C001")
    recent, _ = _chat(client, "C002")
    with unit_of_work(sessions) as s:
        s.execute(update(ConversationRow).where(ConversationRow.id == old).values(last_event_at=utcnow() - timedelta(days=40)))
    with unit_of_work(sessions) as s:
        assert purge_transcripts(s, 30) == 1
    with unit_of_work(sessions) as s:
        assert purge_transcripts(s, 30) == 0  # once is enough
        texts = {c: [e.payload.get("text") for e in s.scalars(select(EventRow).where(EventRow.conversation_id == c))]
                 for c in (old, recent)}
    assert set(texts[old]) == {None} and "where is my order?" in texts[recent]


def test_the_privacy_commands(cli_data_dir, monkeypatch):
    from cli import context

    small_shop(context.session_factory())
    runner = CliRunner()
    exported = runner.invoke(cli, ["privacy", "export", "C001"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["customer"]["name"] == "Ada Lovelace"
    missing = runner.invoke(cli, ["privacy", "export", "NOPE"])
    assert missing.exit_code == 1 and "'NOPE' is not in the shop" in missing.output
    erased = runner.invoke(cli, ["privacy", "erase", "C001", "--yes"])
    assert erased.exit_code == 0 and "erased customer C001: 4 orders" in erased.output
    assert json.loads(runner.invoke(cli, ["privacy", "export", "C001"]).output)["customer"]["name"] == "erased"
    unset = runner.invoke(cli, ["privacy", "purge"])
    assert unset.exit_code == 2 and "KEEPCART_TRANSCRIPT_RETENTION_DAYS" in unset.output
    monkeypatch.setenv("KEEPCART_TRANSCRIPT_RETENTION_DAYS", "30")
    context.settings.cache_clear()
    purged = runner.invoke(cli, ["privacy", "purge"])
    assert purged.exit_code == 0 and "older than 30 days" in purged.output


def test_serve_anonymises_old_transcripts_at_start(cli_data_dir, monkeypatch):
    from bot import events as ev
    from bot.events import Event
    from bot.transcript import TranscriptStore
    from cli import context
    from cli.serve import database_ready_or_exit

    sessions = context.session_factory()
    small_shop(sessions)
    store = TranscriptStore(sessions)
    old, recent = store.create("C001").id, store.create("C002").id
    for cid in (old, recent):
        store.append(cid, [Event(ev.USER_UTTERED, {"text": "my address is Hauptstraße 5"}, client_message_id="m1")])
    with unit_of_work(sessions) as s:
        s.execute(update(ConversationRow).where(ConversationRow.id == old).values(last_event_at=utcnow() - timedelta(days=91)))
    monkeypatch.setenv("KEEPCART_TRANSCRIPT_RETENTION_DAYS", "90")
    context.settings.cache_clear()
    database_ready_or_exit()
    assert store.get(old).status == "anonymised" and store.get(recent).status == "open"
    assert [e.payload.get("text") for e in store.events(recent)][-1] == "my address is Hauptstraße 5"
