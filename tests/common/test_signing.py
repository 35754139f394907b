from __future__ import annotations

import pytest

from common import signing
from common.errors import Unauthorized

SECRET = "k" * 40


def test_round_trip_and_expiry():
    token = signing.sign(SECRET, signing.SHOPPER, {"sub": "00042"}, 60, now=1000)
    assert signing.verify(SECRET, signing.SHOPPER, token, now=1059)["sub"] == "00042"
    with pytest.raises(Unauthorized, match="expired"):
        signing.verify(SECRET, signing.SHOPPER, token, now=1061)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: "x" + t,
    lambda t: t.split(".")[0],
    lambda t: "",
    lambda t: "%%%.%%%",
])
def test_tampered_tokens_are_rejected(mangle):
    token = signing.sign(SECRET, signing.SHOPPER, {"sub": "C1"}, 60)
    with pytest.raises(Unauthorized):
        signing.verify(SECRET, signing.SHOPPER, mangle(token))


def test_purpose_and_secret_are_bound():
    token = signing.sign(SECRET, signing.CONVERSATION, {"cid": "c"}, 60)
    with pytest.raises(Unauthorized):
        signing.verify(SECRET, signing.SHOPPER, token)
    with pytest.raises(Unauthorized):
        signing.verify("z" * 40, signing.CONVERSATION, token)
