"""The staff audit log: reads, replies, take-over/hand-back, label corrections and rule changes, for admins."""

from __future__ import annotations

from common import accounts
from common.db import unit_of_work
from tests.e2e.conftest import app_settings, client, start  # noqa: F401 - fixtures

PASSWORD = "correct horse battery"
RULE = {"name": "Save", "kind": "percent", "value": "10", "triggers": ["cancel_order"]}


def bearer(client, email):  # noqa: F811
    res = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    client.cookies.clear()
    return {"Authorization": f"Bearer {res.json()['token']}"}


def test_staff_actions_are_recorded_and_only_admins_read_them(client):  # noqa: F811
    with unit_of_work(client.app.state.components.sessions) as s:
        for email, role in (("sam@shop.example", "agent"), ("mia@shop.example", "marketer"), ("root@shop.example", "admin")):
            accounts.create_user(s, email, PASSWORD, role)
    sam, mia, root = (bearer(client, e) for e in ("sam@shop.example", "mia@shop.example", "root@shop.example"))
    cid, shopper = start(client, "C001")
    said = client.post(f"/api/v1/conversations/{cid}/messages", headers=shopper, json={"text": "my parcel never came", "client_message_id": "m1"})
    seq = said.json()["message"]["seq"]
    assert client.get(f"/api/v1/staff/conversations/{cid}", headers=sam).status_code == 200
    assert client.post(f"/api/v1/staff/conversations/{cid}/messages", headers=sam, json={"text": "Sam here"}).status_code == 201
    assert client.put(f"/api/v1/staff/conversations/{cid}/messages/{seq}/label", headers=sam, json={"intent": "complaint"}).status_code == 200
    assert client.post(f"/api/v1/staff/conversations/{cid}/release", headers=sam).status_code == 200
    assert client.get(f"/api/v1/staff/conversations/{cid}", headers=mia).status_code == 403  # not granted: not read, not logged
    rid = client.post("/api/v1/offers", json=RULE, headers=mia).json()["id"]
    client.put(f"/api/v1/offers/{rid}", json={**RULE, "value": "15"}, headers=mia)
    client.delete(f"/api/v1/offers/{rid}", headers=mia)

    log = client.get("/api/v1/audit", headers=root)
    assert log.status_code == 200, log.text
    seen = [(e["actor_email"], e["action"], e["target"]) for e in reversed(log.json())]
    assert seen == [("sam@shop.example", "transcript.read", cid), ("sam@shop.example", "conversation.take_over", cid),
                    ("sam@shop.example", "conversation.reply", cid), ("sam@shop.example", "label.correct", cid),
                    ("sam@shop.example", "conversation.hand_back", cid), ("mia@shop.example", "offer_rule.create", str(rid)),
                    ("mia@shop.example", "offer_rule.update", str(rid)), ("mia@shop.example", "offer_rule.delete", str(rid))]
    assert log.json()[4]["detail"] == {"seq": seq, "intent": "complaint"}
    only_mia = client.get("/api/v1/audit", params={"actor": "MIA@shop.example", "limit": 2}, headers=root).json()
    assert [e["action"] for e in only_mia] == ["offer_rule.delete", "offer_rule.update"]
    older = client.get("/api/v1/audit", params={"before_id": only_mia[-1]["id"], "action": "offer_rule.create"}, headers=root).json()
    assert [e["target"] for e in older] == [str(rid)]
    assert client.get("/api/v1/audit", headers=sam).status_code == 403 and client.get("/api/v1/audit", headers=mia).status_code == 403
