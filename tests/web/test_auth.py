"""Staff accounts over HTTP: login, cookie and bearer sessions, logout, roles, throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from common import accounts
from common.account_tables import LoginFailure
from common.db import unit_of_work
from tests.e2e.conftest import app_settings, client  # noqa: F401 - fixtures
from web.auth import LoginThrottle

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
    assert body["user"] == {"id": 3, "email": "marketer@shop.example", "role": "marketer", "grants": []} and body["token_type"] == "bearer"
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
    headers = bearer(client, "agent")
    with unit_of_work(users) as s:
        accounts.set_active(s, "agent@shop.example", False)
    assert login(client, "agent@shop.example").status_code == 401
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_repeated_failures_lock_the_attacker_not_the_staff_member(client, users):  # noqa: F811
    """Finding 7: five wrong tries by anyone used to lock the account itself for 15 minutes."""
    for _ in range(5):
        assert login(client, "admin@shop.example", "not the password").status_code == 401
    blocked = login(client, "admin@shop.example")  # even the right password waits now, from this address
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert login(client, "marketer@shop.example").status_code == 200  # other accounts are unaffected
    from fastapi.testclient import TestClient
    with TestClient(client.app, client=("203.0.113.7", 4000)) as elsewhere:  # the owner, from another address
        assert login(elsewhere, "admin@shop.example").status_code == 200


def test_the_throttle_is_atomic_under_parallel_attempts(client, users, monkeypatch):  # noqa: F811
    """Finding 7: 40 parallel wrong attempts checked 19 passwords with a limit of 5."""
    from concurrent.futures import ThreadPoolExecutor

    checked = []
    real = accounts.verify_password

    def counting(password_hash, password):
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(lambda i: login(client, "admin@shop.example", f"guess {i}").status_code, range(40)))
    assert len(checked) <= 5, len(checked)
    assert codes.count(401) == len(checked) and codes.count(429) == 40 - len(checked)


def test_forwarded_addresses_count_only_from_trusted_proxies(client, users):  # noqa: F811
    """Finding 7: X-Forwarded-For from any local peer bypassed the per-address block (25 of 25)."""
    from fastapi.testclient import TestClient
    with TestClient(client.app, client=("127.0.0.1", 4000)) as local:
        for i in range(6):
            res = local.post("/api/v1/auth/login", json={"email": "admin@shop.example", "password": "wrong!!"},
                             headers={"X-Forwarded-For": f"198.51.100.{i}"})
        assert res.status_code == 429  # the header was ignored: every try came from 127.0.0.1
    client.app.state.components.settings.trusted_proxies = ["10.0.0.0/8"]
    try:
        with TestClient(client.app, client=("10.1.2.3", 4000)) as proxy:
            for _ in range(6):
                res = proxy.post("/api/v1/auth/login", json={"email": "agent@shop.example", "password": "wrong!!"},
                                 headers={"X-Forwarded-For": "6.6.6.6, 10.9.9.9"})
            assert res.status_code == 429  # 6.6.6.6 (the nearest untrusted hop) is blocked ...
            ok = proxy.post("/api/v1/auth/login", json={"email": "agent@shop.example", "password": PASSWORD},
                            headers={"X-Forwarded-For": "192.0.2.1"})
            assert ok.status_code == 200  # ... not everyone behind the proxy
    finally:
        client.app.state.components.settings.trusted_proxies = []


def test_the_throttle_count_is_shared_by_worker_processes_and_expires(sessions):
    """Two throttles on one database stand for two `keepcart serve --workers` processes."""
    now = [datetime(2026, 11, 25, 9, 0, tzinfo=UTC)]
    workers = [LoginThrottle(sessions, per_pair=3, per_address=5, window=900, clock=lambda: now[0]) for _ in range(2)]
    for i in range(3):
        assert workers[i % 2].begin("ada@shop.example", "10.0.0.1")[1] == 0  # three wrong passwords
    assert workers[0].begin("ada@shop.example", "10.0.0.1") == ([], 901)  # the pair is blocked everywhere
    assert workers[1].begin("ada@shop.example", "10.0.0.9")[1] == 0  # not from another address
    ids, wait = workers[1].begin("bob@shop.example", "10.0.0.1")  # 4 of 5 for the address
    assert wait == 0
    workers[1].succeed("bob@shop.example", "10.0.0.1", ids)  # a success does not count
    now[0] += timedelta(seconds=901)
    assert workers[1].begin("ada@shop.example", "10.0.0.1")[1] == 0  # the window has passed
    with sessions() as s:  # ... and the expired rows were deleted
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == 2


def test_throttle_keys_fit_their_column_for_the_longest_inputs(sessions):
    throttle = LoginThrottle(sessions, per_pair=1)
    email, address = "a" * 244 + "@shop.example", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
    assert throttle.begin(email, address)[1] == 0
    assert throttle.begin(email, address)[1] > 0  # the hashed key counts like any other
    with sessions() as s:
        assert max(len(k) for k in s.scalars(select(LoginFailure.key))) <= 300
