"""Liveness and readiness probes (no authentication)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EngineDep
from api.schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz() -> Health:
    """The process answers."""
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness (database reachable)",
    responses={503: {"model": Readiness, "description": "The database does not answer."}},
)
def readyz(engine: EngineDep) -> Readiness | JSONResponse:
    """Ready when the database answers a query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        body = Readiness(status="unavailable", database="error", detail=reason)
        return JSONResponse(body.model_dump(), status_code=503)
    return Readiness(status="ok", database="ok")
