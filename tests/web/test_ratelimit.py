"""Rate limits: 429 with Retry-After and a JSON body, counted per address, shopper and conversation,
shared by every app instance on the same database (or Redis)."""

from __future__ import annotations

import socket
import uuid

import pytest
from fastapi.testclient import TestClient

from bot.keyword_parser import KeywordParser
from common.rate_limits import Limit, RateLimited, RateLimiter, RedisCounter, SqlCounter
from tests.e2e.conftest import app_settings, client, shopper, start  # noqa: F401 - fixtures
from web.app import create_app
from web.components import build_components


def _send(c, cid, headers, mid):
    return c.post(f"/api/v1/conversations/{cid}/messages", headers=headers, json={"text": "hi", "client_message_id": mid})


def test_messages_per_conversation_get_429_with_retry_after(app_settings, client):  # noqa: F811
    app_settings.rate_limit.messages_per_conversation = 3
    cid, headers = start(client, "C001")
    assert [_send(client, cid, headers, f"m{i}").status_code for i in range(3)] == [200, 200, 200]
    res = _send(client, cid, headers, "m3")
    assert res.status_code == 429
    assert res.json()["error"] == "too_many_requests" and "messages in this conversation" in res.json()["detail"]
    assert 1 <= int(res.headers["Retry-After"]) <= 60
    other, other_headers = start(client, "C002")
    assert _send(client, other, other_headers, "m0").status_code == 200  # another shopper is not throttled


def test_messages_per_shopper_count_across_conversations(app_settings, client):  # noqa: F811
    app_settings.rate_limit.messages_per_shopper = 2
    first, h1 = start(client, "C001")
    second, h2 = start(client, "C001")
    assert _send(client, first, h1, "a").status_code == 200
    assert _send(client, second, h2, "b").status_code == 200
    assert _send(client, second, h2, "c").status_code == 429


def test_opening_conversations_is_limited_per_shopper_and_per_address(app_settings, client):  # noqa: F811
    app_settings.rate_limit.opens_per_shopper = 2
    app_settings.rate_limit.opens_per_address = 4
    body = {"shopper_token": shopper("C001")}
    assert [client.post("/api/v1/conversations", json=body).status_code for _ in range(3)] == [201, 201, 429]
    assert [client.post("/api/v1/conversations", json={}).status_code for _ in range(2)] == [201, 429]  # 4 from here


def test_two_app_instances_on_one_database_share_the_counts(app_settings, client, engine):  # noqa: F811
    app_settings.rate_limit.messages_per_conversation = 2
    second = create_app(app_settings, build_components(app_settings, migrate=False, parser=KeywordParser(), engine=engine))
    cid, headers = start(client, "C001")
    with TestClient(second) as other:
        assert _send(client, cid, headers, "a").status_code == 200
        assert _send(other, cid, headers, "b").status_code == 200
        assert _send(client, cid, headers, "c").status_code == 429
        assert _send(other, cid, headers, "d").status_code == 429


def test_the_window_opens_again(engine):
    now = [1000.0]
    limiter = RateLimiter(SqlCounter(engine, clock=lambda: now[0]), window_seconds=60, clock=lambda: now[0])
    limit = [Limit("messages in this conversation", "c1", 2)]
    limiter.check(limit)
    limiter.check(limit)
    with pytest.raises(RateLimited) as info:
        limiter.check(limit)
    assert info.value.retry_after == 20  # window 960-1020
    now[0] = 1021.0
    limiter.check(limit)


def test_a_broken_counter_fails_open():
    class Down:
        def increment(self, keys, ttl):
            raise ConnectionError("redis is down")

    RateLimiter(Down(), 60).check([Limit("messages", "x", 1)] * 3)


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.3).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_redis_counter_counts_atomically_and_expires():
    counter = RedisCounter("redis://127.0.0.1:6379/0")
    key = f"test:{uuid.uuid4()}"
    assert counter.increment([key], ttl=5) == {key: 1}
    assert counter.increment([key, key + "b"], ttl=5) == {key: 2, key + "b": 1}
    assert 0 < counter.client.ttl(f"keepcart:rl:{key}") <= 5
    limiter = RateLimiter(counter, 60)
    subject = str(uuid.uuid4())
    limiter.check([Limit("m", subject, 1)])
    with pytest.raises(RateLimited):
        limiter.check([Limit("m", subject, 1)])
