"""The FastAPI app factory. Settings and components are built here, never at import time."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from common.settings import Settings, load_settings
from web import errors, security
from web.components import Components, build_components
from web.limits import RequestGuard
from web.routes import audit, auth, console, conversations, customers, demo, health, offers, staff, tokens

STATIC = Path(__file__).parent / "static"
MAX_BODY_BYTES = 256 * 1024


def create_app(settings: Settings | None = None, components: Components | None = None) -> FastAPI:
    settings = settings or load_settings()
    components = components or build_components(settings)
    app = FastAPI(title="Keepcart", version="0.1.0", description="Customer-service chatbot and retention agent API.",
                  responses=errors.DECLARED, docs_url=None, redoc_url=None)  # /docs is served locally by web/routes/console.py
    app.state.components = components
    errors.install(app)
    security.install(app, settings)  # access matrix, CSRF, security headers
    app.add_middleware(RequestGuard, max_bytes=MAX_BODY_BYTES)  # inside CORS, so its 413/422 carry CORS headers
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])

    app.include_router(health.router)
    app.include_router(conversations.router)
    app.include_router(tokens.router)
    app.include_router(auth.router)
    app.include_router(offers.router)
    app.include_router(offers.coupons_router)
    app.include_router(customers.router)
    app.include_router(staff.router)
    app.include_router(audit.router)
    app.include_router(console.router)
    if settings.demo_mode:
        app.include_router(demo.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
