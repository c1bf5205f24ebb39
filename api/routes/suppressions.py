"""The suppression list: masked entries, and adding addresses or domains."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import func, select

from api.deps import Offset, Reader, SessionDep, SettingsDep, SuppressionWriter
from api.errors import ApiProblem, problem_responses
from api.schemas import Page, SuppressionCreate, SuppressionPublic
from tools.crm.models import Suppression
from tools.crm.suppression import add_suppression, list_suppressions

router = APIRouter(prefix="/api/suppressions", tags=["suppressions"], responses=problem_responses(400, 401, 403, 422))


@router.get("", response_model=Page[SuppressionPublic], summary="List suppressions")
def list_route(
    _principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Page[SuppressionPublic]:
    """Entries, newest first: keyed hashes with masked hints, never the address."""
    total = session.exec(select(func.count()).select_from(Suppression)).one()
    rows = list_suppressions(session, limit=limit, offset=offset)
    return Page(items=[SuppressionPublic.model_validate(r, from_attributes=True) for r in rows], total=total,
                limit=limit, offset=offset)


@router.post("", response_model=SuppressionPublic, status_code=201, summary="Suppress an address or domain")
def add_route(body: SuppressionCreate, principal: SuppressionWriter, session: SessionDep,
              settings: SettingsDep) -> SuppressionPublic:
    """Never mail this address (or anyone at this domain) again; idempotent."""
    try:
        entry = add_suppression(session, value=body.value, kind=body.kind, reason=body.reason,
                                secret=settings.secret_key.get_secret_value(), source="api", actor=principal.actor)
    except ValueError as exc:
        raise ApiProblem(422, str(exc), kind="validation-error") from exc
    session.commit()
    return SuppressionPublic.model_validate(entry, from_attributes=True)
