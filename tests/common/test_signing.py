"""Tokens: JWTs with one key ring per purpose, key ids for rotation, and only 401s for bad input."""

from __future__ import annotations

import time

import jwt
import pytest

from common import signing
from common.errors import Unauthorized
from common.signing import KeyRing

SECRET = "k" * 40
OLD = "o" * 40


def test_round_trip_expiry_and_key_id():
    ring = KeyRing(signing.CONVERSATION, (SECRET,))
    token = ring.sign({"cid": "c1"}, 60)
    assert jwt.get_unverified_header(token)["kid"] == signing.kid_of(SECRET)
    assert ring.verify(token)["cid"] == "c1"
    expired = ring.sign({"cid": "c1"}, 60, now=time.time() - 3600)
    with pytest.raises(Unauthorized, match="expired"):
        ring.verify(expired)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: "x" + t,
    lambda t: t.split(".")[0],
    lambda t: "",
    lambda t: "%%%.%%%",
    lambda t: t.rsplit(".", 1)[0] + ".é",  # non-ASCII signature: a 500 before (finding 9)
    lambda t: t.rsplit(".", 1)[0] + ".\ud800",
    lambda t: "é.é.é",
])
def test_tampered_tokens_are_rejected_with_401_only(mangle):
    ring = KeyRing(signing.SHOPPER, (SECRET,))
    token = signing.shopper_token(SECRET, "C1")
    with pytest.raises(Unauthorized):
        ring.verify(mangle(token), audience="keepcart")


@pytest.mark.parametrize("exp", ["soon", None, [1], {"a": 1}, 1e400])
def test_an_exp_that_is_not_a_number_is_401(exp):
    """Finding 9: `float(claims['exp'])` raised on a non-number and answered 500."""
    claims = {"sub": "C1", "aud": "keepcart"} | ({} if exp is None else {"exp": exp})
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized):
        KeyRing(signing.SHOPPER, (SECRET,)).verify(token, audience="keepcart")


def test_shopper_tokens_need_audience_and_a_bounded_expiry():
    ring = KeyRing(signing.SHOPPER, (SECRET,))
    now = int(time.time())
    assert ring.verify(signing.shopper_token(SECRET, "C1", 3600), audience="keepcart", max_ttl=86400)["sub"] == "C1"
    for claims in ({"sub": "C1", "exp": now + 60},  # no audience
                   {"sub": "C1", "aud": "another-app", "exp": now + 60}):
        with pytest.raises(Unauthorized):
            ring.verify(jwt.encode(claims, SECRET, algorithm="HS256"), audience="keepcart")
    forever = jwt.encode({"sub": "C1", "aud": "keepcart", "exp": now + 400 * 86400}, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized, match="too long"):
        ring.verify(forever, audience="keepcart", max_ttl=86400)
    none_alg = jwt.encode({"sub": "C1", "aud": "keepcart", "exp": now + 60}, None, algorithm="none")
    with pytest.raises(Unauthorized):
        ring.verify(none_alg, audience="keepcart")


def test_purposes_are_bound_and_rotated_keys_keep_verifying():
    conversation, staff = KeyRing(signing.CONVERSATION, (SECRET,)), KeyRing(signing.STAFF, ("s" * 40,))
    token = conversation.sign({"cid": "c"}, 60)
    with pytest.raises(Unauthorized):
        staff.verify(token)
    with pytest.raises(Unauthorized):  # same key, other purpose: the audience differs
        KeyRing(signing.STAFF, (SECRET,)).verify(token)
    old_token = KeyRing(signing.CONVERSATION, (OLD,)).sign({"cid": "c"}, 60)
    rotated = KeyRing(signing.CONVERSATION, (SECRET, OLD))
    assert rotated.verify(old_token)["cid"] == "c"
    assert jwt.get_unverified_header(rotated.sign({"cid": "c"}, 60))["kid"] == signing.kid_of(SECRET)
    with pytest.raises(Unauthorized):  # once the old key is dropped, its tokens stop
        KeyRing(signing.CONVERSATION, (SECRET,)).verify(old_token)


def test_webhook_macs_accept_any_key_of_the_ring():
    ring = KeyRing(signing.WEBHOOK, (SECRET, OLD))
    old_mac = KeyRing(signing.WEBHOOK, (OLD,)).mac(b"{}")
    assert ring.check_mac(b"{}", ring.mac(b"{}")) and ring.check_mac(b"{}", old_mac.upper())
    assert not ring.check_mac(b"{ }", old_mac) and not ring.check_mac(b"{}", "é" * 64)
