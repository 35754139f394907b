"""Consistency: every API route documents itself (its docstring becomes the OpenAPI description)."""

from __future__ import annotations

from bot.keyword_parser import KeywordParser
from common.settings import Settings
from web.app import create_app
from web.components import build_components


def test_every_route_has_a_docstring(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="r" * 40, demo_mode=True)
    app = create_app(settings, build_components(settings, parser=KeywordParser()))
    operations = [(method.upper(), path, op) for path, item in app.openapi()["paths"].items() for method, op in item.items()]
    assert len(operations) > 10
    missing = [f"{method} {path}" for method, path, op in operations if not op.get("description", "").strip()]
    assert missing == []
    components = app.state.components
    components.engine.dispose()
