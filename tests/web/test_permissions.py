"""The access matrix, checked against the app's own routes (not a hand-written list):
every route is declared, and every role gets exactly what the matrix says on every staff route."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Route

from bot.keyword_parser import KeywordParser
from common import accounts
from common.db import unit_of_work
from common.settings import Settings
from tests.factories import small_shop
from web.app import create_app
from web.components import build_components
from web.permissions import MATRIX, Staff

PASSWORD = "correct horse battery"
AS_MARKETER_WITH_GRANT = "granted"


@pytest.fixture
def app(engine, sessions, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False),
                        secret_key="m" * 40, demo_mode=True)
    small_shop(sessions)
    app = create_app(settings, build_components(settings, migrate=False, parser=KeywordParser(), engine=engine))
    with unit_of_work(sessions) as s:
        for role in accounts.ROLES:
            accounts.create_user(s, f"{role}@shop.example", PASSWORD, role)
        accounts.create_user(s, f"{AS_MARKETER_WITH_GRANT}@shop.example", PASSWORD, "marketer")
        accounts.set_grants(s, f"{AS_MARKETER_WITH_GRANT}@shop.example", ["read_transcripts"])
    return app


def app_operations(app) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, included routers flattened (FastAPI keeps them nested)."""
    ops = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute | Route):
            ops |= {(m, context.path_format) for m in getattr(route, "methods", None) or () if m != "HEAD"}
    return ops


def test_every_route_is_in_the_matrix_and_the_matrix_names_only_real_routes(app):
    ops = app_operations(app)
    assert len(ops) > 25
    assert sorted(ops - set(MATRIX)) == [], "routes missing from web/permissions.py MATRIX"
    assert sorted(set(MATRIX) - ops) == [], "MATRIX entries for routes that do not exist"


def fill(path: str) -> str:
    return path.replace("{rule_id}", "1").replace("{seq}", "2").replace("{conversation_id}", "c1").replace("{customer_id}", "C001")


def test_each_role_gets_exactly_what_the_matrix_allows(app):
    with TestClient(app) as client:
        tokens = {}
        for who in (*accounts.ROLES, AS_MARKETER_WITH_GRANT):
            res = client.post("/api/v1/auth/login", json={"email": f"{who}@shop.example", "password": PASSWORD})
            tokens[who] = {"Authorization": f"Bearer {res.json()['token']}"}
            client.cookies.clear()
        with client.app.state.components.sessions() as s:
            users = {u.email.split("@")[0]: u for u in accounts.list_users(s)}
        checked = 0
        for (method, path), access in MATRIX.items():
            if not isinstance(access, Staff) or path == "/api/v1/auth/logout":
                continue
            url = fill(path)
            assert client.request(method, url, json={}).status_code == 401, (method, path)
            for who, headers in tokens.items():
                res = client.request(method, url, json={}, headers=headers)
                allowed = access.allows(users[who])
                assert (res.status_code == 403) == (not allowed), (who, method, path, res.status_code, res.text)
                checked += 1
        assert checked >= 5 * 15


def test_marketers_read_aggregates_not_transcripts_unless_granted(app):
    transcript = MATRIX[("GET", "/api/v1/staff/conversations/{conversation_id}")]
    report = MATRIX[("GET", "/api/v1/offers/{rule_id}/report")]
    reply = MATRIX[("POST", "/api/v1/staff/conversations/{conversation_id}/messages")]
    marketer = accounts.UserInfo(1, "m@x", "marketer", True, 1, None, None)  # type: ignore[arg-type]
    granted = accounts.UserInfo(1, "m@x", "marketer", True, 1, None, None, ("read_transcripts",))  # type: ignore[arg-type]
    assert report.allows(marketer) and not transcript.allows(marketer)
    assert transcript.allows(granted) and not reply.allows(granted)  # reading is granted, answering is not
