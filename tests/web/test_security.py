"""Browser defences: CSRF on cookie sessions, security headers, /docs without a CDN, the demo guard."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from common import accounts
from common.db import unit_of_work
from tests.e2e.conftest import app_settings, client, start  # noqa: F401 - fixtures

PASSWORD = "support rocks!"


@pytest.fixture
def cookie_client(client):  # noqa: F811
    """A browser session: the console signed in with the cookie only."""
    with unit_of_work(client.app.state.components.sessions) as s:
        accounts.create_user(s, "sam@shop.example", PASSWORD, "agent")
    res = client.post("/api/v1/auth/login", json={"email": "sam@shop.example", "password": PASSWORD})
    assert res.status_code == 200 and "keepcart_staff" in client.cookies
    return client


def test_cookie_state_changes_need_this_servers_origin(cookie_client):
    """Finding 10: the body-less cookie POSTs (release, logout) were open to same-site CSRF."""
    c = cookie_client
    cid, shopper = start(c, "C001")
    c.post(f"/api/v1/staff/conversations/{cid}/messages", json={"text": "hi"}, headers={"Origin": "http://testserver"})
    for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}, {"Referer": "http://testserver.evil.example/x"},
                    {"Origin": "http://testserver:8080"}):
        for url in (f"/api/v1/staff/conversations/{cid}/release", "/api/v1/auth/logout"):
            res = c.post(url, headers=headers)
            assert res.status_code == 403 and "forgery" in res.json()["detail"], (headers, url, res.text)
    assert c.get("/api/v1/auth/me").status_code == 200  # still signed in: nothing happened
    assert c.get(f"/api/v1/conversations/{cid}/messages", headers=shopper).json()["status"] == "handed_off"
    ok = c.post(f"/api/v1/staff/conversations/{cid}/release", headers={"Referer": "http://testserver/staff"})
    assert ok.status_code == 200
    assert c.post("/api/v1/auth/logout", headers={"Origin": "http://testserver"}).status_code == 204


def test_configured_cors_origins_and_bearer_tokens_pass(cookie_client):
    c = cookie_client
    cid, _ = start(c, "C001")
    c.post(f"/api/v1/staff/conversations/{cid}/messages", json={"text": "hi"}, headers={"Origin": "http://testserver"})
    release = f"/api/v1/staff/conversations/{cid}/release"
    assert c.post(release, headers={"Origin": "https://shop.example"}).status_code == 403
    c.app.state.components.settings.cors_origins = ["https://shop.example/"]
    assert c.post(release, headers={"Origin": "https://shop.example"}).status_code == 200
    token = c.post("/api/v1/auth/login", json={"email": "sam@shop.example", "password": PASSWORD},
                   headers={"Origin": "http://testserver"}).json()["token"]
    res = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    # a script with a bearer token is no browser riding on a cookie: no Origin needed
    assert c.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204


def test_every_response_carries_security_headers(client):  # noqa: F811
    for url in ("/api/v1/health", "/api/v1/auth/me", "/staff", "/docs", "/openapi.json", "/static/widget.js", "/nope"):
        res = client.get(url)
        h = res.headers
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY", url
        assert "frame-ancestors 'none'" in h["content-security-policy"] and h["referrer-policy"], url
        assert "strict-transport-security" not in h, url  # plain http: no HSTS
    assert "script-src 'self'" in client.get("/staff").headers["content-security-policy"]
    https = TestClient(client.app, base_url="https://testserver")
    assert "max-age=" in https.get("/api/v1/health").headers["strict-transport-security"]


def test_api_docs_load_nothing_from_elsewhere(client):  # noqa: F811
    page = client.get("/docs")
    assert page.status_code == 200 and "/static/api_docs.js" in page.text
    assert "cdn" not in page.text.lower() and "http" not in page.text.replace('href="/openapi.json"', "")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert client.get("/static/api_docs.js").status_code == 200
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize("host, allowed", [("0.0.0.0", False), ("192.168.1.5", False), ("::", False),
                                           ("127.0.0.1", True), ("localhost", True), ("::1", True)])
def test_demo_mode_refuses_to_serve_beyond_loopback(cli_data_dir, monkeypatch, host, allowed):
    """Finding 6: `KEEPCART_DEMO_MODE=true keepcart serve --host <not loopback>` started silently."""
    import uvicorn
    from typer.testing import CliRunner

    from cli import context
    from cli.main import app

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k))
    monkeypatch.setenv("KEEPCART_DEMO_MODE", "true")
    context.settings.cache_clear()
    result = CliRunner().invoke(app, ["serve", "--host", host])
    if allowed:
        assert result.exit_code == 0 and started and started[0]["proxy_headers"] is False, result.output
    else:
        assert result.exit_code == 1 and not started
        assert "refusing to serve it on" in result.output and "KEEPCART_DEMO_ALLOW_REMOTE" in result.output
        monkeypatch.setenv("KEEPCART_DEMO_ALLOW_REMOTE", "true")
        context.settings.cache_clear()
        assert CliRunner().invoke(app, ["serve", "--host", host]).exit_code == 0 and started


def test_the_demo_sign_in_answers_only_loopback_clients(engine, sessions, tmp_path):
    from bot.keyword_parser import KeywordParser
    from common.settings import Settings
    from tests.factories import small_shop
    from web.app import create_app
    from web.components import build_components

    small_shop(sessions)
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False), demo_mode=True)
    app = create_app(settings, build_components(settings, migrate=False, parser=KeywordParser(), engine=engine))
    with TestClient(app, client=("203.0.113.9", 5000)) as remote:
        res = remote.post("/demo/sign-in", json={"customer_id": "C001"})
        assert res.status_code == 403 and "KEEPCART_DEMO_ALLOW_REMOTE" in res.json()["detail"]
    with TestClient(app, client=("127.0.0.1", 5000)) as local:
        token = local.post("/demo/sign-in", json={"customer_id": "C001"}).json()["shopper_token"]
        assert local.post("/api/v1/conversations", json={"shopper_token": token}).json()["customer_id"] == "C001"
        page = local.get("/")
        assert "'sha256-" in page.headers["content-security-policy"] and "unsafe-inline" not in page.headers["content-security-policy"]
