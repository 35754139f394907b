"""The console pages (support at /staff, retention offers at /marketing). Their scripts talk to the
staff and offers APIs with the session cookie; every action is checked by the API, not the page."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["console"])
TEMPLATES = Path(__file__).parent.parent / "templates"
# Only our own script and styles run on the page: even a shopper's text that slipped into the DOM as
# markup could not execute (it is rendered with textContent; this is the second line of defence).
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


@cache
def _page(title: str, script: str, desk: str) -> str:
    """A console page: the shared shell (sign-in form, header) around one desk, built once."""
    shell = Template((TEMPLATES / "console.html").read_text(encoding="utf-8"))
    return shell.substitute(title=title, script=script, desk=(TEMPLATES / desk).read_text(encoding="utf-8").rstrip("\n"))


def _respond(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"})


@router.get("/staff", response_class=HTMLResponse, include_in_schema=False)
def staff_page() -> HTMLResponse:
    """The support console: conversations waiting for a person, transcripts, take-over, labels."""
    return _respond(_page("support console", "staff.js", "staff_desk.html"))


@router.get("/marketing", response_class=HTMLResponse, include_in_schema=False)
def marketing_page() -> HTMLResponse:
    """The retention offers console: rules, budgets, previews and results against the hold-out."""
    return _respond(_page("retention offers", "marketing.js", "marketing_desk.html"))


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs() -> HTMLResponse:
    """The API reference, rendered from /openapi.json by our own script (no CDN, unlike Swagger UI)."""
    return _respond((TEMPLATES / "api_docs.html").read_text(encoding="utf-8"))
