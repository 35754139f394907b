"""The support console page. Its script talks to the staff API with the session cookie."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["console"])
PAGE = Path(__file__).parent.parent / "templates" / "staff.html"
# Only our own script and styles run on the page: even a shopper's text that slipped into the DOM as
# markup could not execute (it is rendered with textContent; this is the second line of defence).
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


@router.get("/staff", response_class=HTMLResponse, include_in_schema=False)
def staff_page() -> HTMLResponse:
    """The support console (sign-in form first; every action is checked by the API)."""
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers={"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"})
