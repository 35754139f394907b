"""Liveness and what is loaded, for load balancers and for the shop's engineers."""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter

from common.db_probe import write_problem
from web.deps import ComponentsDep
from web.errors import error_response
from web.schemas import ErrorBody, Health

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", response_model=Health,
            responses={503: {"model": ErrorBody, "description": "The database is unreachable or read-only"}})
def health(components: ComponentsDep):  # type: ignore[no-untyped-def]
    """Checks that the database takes a write (rolled back) and names the artifacts in use; 503 when it is
    unreachable or read-only, so a load balancer stops sending shoppers whose turns would all fail."""
    problem = write_problem(components.engine)
    if problem:
        return error_response(503, "unhealthy", f"database: {problem}")
    db = "ok"
    index = getattr(components.knowledge, "index_id", None) if components.knowledge else None
    return Health(status="ok", database=db, nlu_model=components.parser.model_id, knowledge_index=index,
                  version=metadata.version("keepcart"))
