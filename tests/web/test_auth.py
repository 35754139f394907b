"""Staff accounts over HTTP: login, cookie and bearer sessions, logout, roles, throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from common import accounts
from common.account_tables import LoginFailure
from common.db import unit_of_work
from web.auth import LoginThrottle
from tests.e2e.conftest import app_settings, client  # noqa: F401 - fixtures

PASSWORD = "correct horse battery"
RULE = {"name": "Save", "kind": "percent", "value": "10", "triggers": ["cancel_order"]}



@pytest.fixture
def users(client):  # noqa: F811
    sessions = client.app.state.components.sessions
    with unit_of_work(sessions) as s:
        for role in accounts.ROLES:
            accounts.create_user(s, f"{role}@shop.example", PASSWORD, role)
    return sessions


def login(client, email, password=PASSWORD):  # noqa: F811
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def bearer(client, role: str) -> dict[str, str]:  # noqa: F811
    res = login(client, f"{role}@shop.example")
    assert res.status_code == 200, res.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {res.json()['token']}"}


def test_login_sets_a_strict_httponly_cookie_and_returns_a_token(client, users):  # noqa: F811
    res = login(client, "Marketer@Shop.example ")
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["user"] == {"id": 2, "email": "marketer@shop.example", "role": "marketer"} and body["token_type"] == "bearer"
    cookie = res.headers["set-cookie"].lower()
    assert "keepcart_staff=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "max-age=43200" in cookie
    assert client.get("/api/v1/auth/me").json()["role"] == "marketer"  # the cookie alone signs in
    client.cookies.clear()
    assert client.get("/api/v1/auth/me").status_code == 401
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["email"] == "marketer@shop.example"


def test_wrong_email_and_wrong_password_look_the_same(client, users):  # noqa: F811
    a, b = login(client, "nobody@shop.example"), login(client, "staff@shop.example", "wrong password!")
    assert a.status_code == b.status_code == 401 and a.json() == b.json()
    assert a.json()["detail"] == "wrong e-mail or password"


def test_logout_revokes_every_token(client, users):  # noqa: F811
    headers = bearer(client, "admin")
    other = bearer(client, "admin")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.get("/api/v1/auth/me", headers=other).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged.token"}).status_code == 401


def test_deactivated_users_cannot_sign_in(client, users):  # noqa: F811
    headers = bearer(client, "staff")
    with unit_of_work(users) as s:
        accounts.set_active(s, "staff@shop.example", False)
    assert login(client, "staff@shop.example").status_code == 401
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_repeated_failures_are_throttled(client, users):  # noqa: F811
    for _ in range(5):
        assert login(client, "admin@shop.example", "not the password").status_code == 401
    blocked = login(client, "admin@shop.example")  # even the right password waits now
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert login(client, "marketer@shop.example").status_code == 200  # other accounts are unaffected


def test_the_throttle_count_is_shared_by_worker_processes_and_expires(sessions):
    """Two throttles on one database stand for two `keepcart serve --workers` processes."""
    now = [datetime(2026, 11, 25, 9, 0, tzinfo=UTC)]
    workers = [LoginThrottle(sessions, per_email=3, per_address=5, window=900, clock=lambda: now[0]) for _ in range(2)]
    for i in range(3):
        workers[i % 2].fail("ada@shop.example", "10.0.0.1")
    assert workers[0].retry_after("ada@shop.example", "10.0.0.9") == 901  # the e-mail is blocked everywhere
    assert workers[1].retry_after("bob@shop.example", "10.0.0.1") == 0  # 3 of 5 for the address
    now[0] += timedelta(seconds=901)
    assert workers[1].retry_after("ada@shop.example", "10.0.0.9") == 0  # the window has passed
    workers[0].fail("ada@shop.example", "10.0.0.1")  # ... and the expired rows are deleted
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 2
    workers[1].succeed("ada@shop.example")
    assert workers[0].retry_after("ada@shop.example", "10.0.0.1") == 0
    with sessions() as s:
        assert accounts.login_failures(s, "addr:10.0.0.1", now[0] - timedelta(hours=1)) == [now[0]]


@pytest.mark.parametrize("method, path, body, allowed", [
    ("get", "/api/v1/offers", None, {"staff", "marketer", "admin"}),
    ("post", "/api/v1/offers", RULE, {"marketer", "admin"}),
    ("put", "/api/v1/offers/{id}", RULE, {"marketer", "admin"}),
    ("delete", "/api/v1/offers/{id}", None, {"marketer", "admin"}),
    ("get", "/api/v1/offers/{id}/versions", None, {"staff", "marketer", "admin"}),
    ("post", "/api/v1/offers/preview", {}, {"marketer", "admin"}),
    ("get", "/api/v1/offers/{id}/report", None, {"staff", "marketer", "admin"}),
])
def test_roles_are_checked_on_every_route(client, users, method, path, body, allowed):  # noqa: F811
    kwargs = {"json": body} if body is not None else {}
    assert getattr(client, method)(path.format(id=1), **kwargs).status_code == 401
    for role in accounts.ROLES:
        created = client.post("/api/v1/offers", json=RULE, headers=bearer(client, "admin")).json()
        res = getattr(client, method)(path.format(id=created["id"]), headers=bearer(client, role), **kwargs)
        if role in allowed:
            assert res.status_code < 300, (role, res.text)
        else:
            assert res.status_code == 403 and "marketer or admin" in res.json()["detail"], (role, res.text)
