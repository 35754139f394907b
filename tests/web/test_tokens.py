"""Keys and tokens over HTTP: the shop key mints only shopper tokens, conversation tokens are short-lived,
bound to their shopper and renewable, and no token bytes can make a route answer 500."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from common import accounts, signing
from common.db import unit_of_work
from tests.e2e.conftest import SECRET, app_settings, client, shopper, start  # noqa: F401 - fixtures


def test_the_shop_key_cannot_mint_staff_sessions_or_conversation_tokens(client):  # noqa: F811
    """Finding 5: with the shop secret anyone could mint an admin session, with any expiry."""
    with unit_of_work(client.app.state.components.sessions) as s:
        admin = accounts.create_user(s, "root@shop.example", "correct horse battery", "admin")
    for claims in ({"uid": admin.id, "ver": 1, "aud": "staff"}, {"uid": admin.id, "ver": 1}):
        forged = jwt.encode({**claims, "exp": int(time.time()) + 10 ** 8}, SECRET, algorithm="HS256")
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    cid, _ = start(client)
    forged = jwt.encode({"cid": cid, "aud": "conversation", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    assert client.get(f"/api/v1/conversations/{cid}/messages", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    real = client.post("/api/v1/auth/login", json={"email": "root@shop.example", "password": "correct horse battery"}).json()
    client.cookies.clear()
    assert jwt.get_unverified_header(real["token"])["kid"] == signing.kid_of(client.app.state.components.keys.staff.current)


def test_shopper_tokens_are_standard_jwts_with_audience_and_bounded_expiry(client):  # noqa: F811
    now = int(time.time())
    stock = jwt.encode({"sub": "C001", "aud": "keepcart", "exp": now + 600}, SECRET, algorithm="HS256")  # any library
    assert client.post("/api/v1/conversations", json={"shopper_token": stock}).json()["customer_id"] == "C001"
    for claims in ({"sub": "C001", "exp": now + 600}, {"sub": "C001", "aud": "keepcart"},
                   {"sub": "C001", "aud": "keepcart", "exp": now + 30 * 86400}, {"sub": "C001", "aud": "keepcart", "exp": "tomorrow"}):
        res = client.post("/api/v1/conversations", json={"shopper_token": jwt.encode(claims, SECRET, algorithm="HS256")})
        assert res.status_code == 401, (claims, res.text)


def test_conversation_tokens_are_short_lived_and_bound_to_their_shopper(client):  # noqa: F811
    cid, auth = start(client, "C001")
    claims = jwt.decode(auth["Authorization"][7:], options={"verify_signature": False})
    assert claims["sub"] == "C001" and claims["cid"] == cid and claims["exp"] - claims["iat"] == 120 * 60
    ring = client.app.state.components.keys.conversation
    other_shopper = ring.sign({"cid": cid, "sub": "C002"}, 60)  # a valid signature, the wrong shopper
    assert client.get(f"/api/v1/conversations/{cid}/messages", headers={"Authorization": f"Bearer {other_shopper}"}).status_code == 403
    expired = ring.sign({"cid": cid, "sub": "C001"}, 60, now=time.time() - 3600)
    res = client.get(f"/api/v1/conversations/{cid}/messages", headers={"Authorization": f"Bearer {expired}"})
    assert res.status_code == 401 and "expired" in res.json()["detail"]


def test_renewal_needs_the_same_shopper_signed_in(client):  # noqa: F811
    cid, auth = start(client, "C001")
    url = f"/api/v1/conversations/{cid}/token"
    renewed = client.post(url, json={"shopper_token": shopper("C001")})
    assert renewed.status_code == 200, renewed.text
    fresh = {"Authorization": f"Bearer {renewed.json()['token']}"}
    assert client.get(f"/api/v1/conversations/{cid}/messages", headers=fresh).status_code == 200
    assert client.post(url, json={"shopper_token": shopper("C002")}).status_code == 403  # another shopper signed in
    assert client.post(url, json={}, headers=auth).status_code == 401  # signed-in conversations need the shopper token
    anon, anon_auth = start(client)
    assert client.post(f"/api/v1/conversations/{anon}/token", json={}, headers=anon_auth).status_code == 200
    assert client.post(f"/api/v1/conversations/{anon}/token", json={}).status_code == 401
    assert client.post(f"/api/v1/conversations/{anon}/token", json={"shopper_token": shopper("C001")}).status_code == 403


BAD_TOKENS = ["abc.def.é", "eyJhbGciOiJIUzI1NiJ9.e30.\u00ff\u00fe", "a.b.\ud800", "é", "..", "a" * 5000,
              jwt.encode({"exp": "soon"}, "x" * 40, algorithm="HS256"),
              jwt.encode({"exp": 1e400, "uid": 1, "ver": 1}, "x" * 40, algorithm="HS256")]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_no_token_makes_an_authenticated_route_answer_500(client, token):  # noqa: F811
    """Finding 9: a non-ASCII signature (and an `exp` that is not a number) answered 500 on every such route."""
    cid, _ = start(client, "C001")
    header = b"Bearer " + token.encode("utf-8", "surrogatepass")  # raw bytes, as a hostile client sends them
    requests = [("GET", f"/api/v1/conversations/{cid}/messages", None), ("GET", "/api/v1/auth/me", None),
                ("GET", "/api/v1/staff/conversations", None), ("GET", "/api/v1/offers", None),
                ("POST", f"/api/v1/conversations/{cid}/token", {})]
    for method, url, body in requests:
        res = client.request(method, url, json=body, headers={"Authorization": header})
        assert res.status_code == 401, (url, res.status_code, res.text)
    res = client.post("/api/v1/conversations", content=json.dumps({"shopper_token": token}),  # \ud800 escaped
                      headers={"Content-Type": "application/json"})
    assert res.status_code in (401, 422), res.text


def test_nul_bytes_in_login_renewal_and_audit_filters_are_4xx(client):  # noqa: F811
    """Finding 9: NUL bytes reached PostgreSQL (login e-mail, ids) and answered 500."""
    res = client.post("/api/v1/auth/login", json={"email": "a\x00@shop.example", "password": "x"})
    assert res.status_code == 422 and "NUL" in str(res.json()["detail"])
    res = client.post("/api/v1/conversations/ab%00cd/token", json={"shopper_token": shopper("C001")})
    assert res.status_code in (404, 422)  # refused at the edge (NUL in the path) or as an unknown conversation
    with unit_of_work(client.app.state.components.sessions) as s:
        accounts.create_user(s, "root@shop.example", "correct horse battery", "admin")
    token = client.post("/api/v1/auth/login", json={"email": "root@shop.example", "password": "correct horse battery"}).json()["token"]
    client.cookies.clear()
    res = client.get("/api/v1/audit", params={"actor": "a\x00b"}, headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 422
