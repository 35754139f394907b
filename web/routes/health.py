"""Liveness and what is loaded, for load balancers and for the shop's engineers."""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter
from sqlalchemy import text

from web.deps import ComponentsDep
from web.errors import error_response
from web.schemas import Health

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", response_model=Health)
def health(components: ComponentsDep):  # type: ignore[no-untyped-def]
    """Checks the database and names the artifacts in use; 503 when the database is unreachable."""
    try:
        with components.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        db = "ok"
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        return error_response(503, "unhealthy", f"database: {exc.__class__.__name__}")
    index = getattr(components.knowledge, "index_id", None) if components.knowledge else None
    return Health(status="ok", database=db, nlu_model=components.parser.model_id, knowledge_index=index,
                  version=metadata.version("keepcart"))
