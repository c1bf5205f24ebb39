"""Data-subject requests for admins: export everything about a person, or erase it everywhere.

The address travels in the JSON body, never in the URL, so it does not end up in access
logs. The vector memory and the checkpointer are the app's (``app.state.memory``) when it
has one, else built from the settings.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from agents.compliance.gdpr import erase_from_settings, export_from_settings
from agents.compliance.subject import GdprError
from api.auth import Principal
from api.deps import get_engine, get_settings, require_admin
from api.errors import ApiProblem, problem_responses
from memory.types import Memory
from tools.settings import Settings

router = APIRouter(prefix="/api/gdpr", tags=["gdpr"], responses=problem_responses(401, 403, 422))

AdminDep = Annotated[Principal, Depends(require_admin)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class SubjectRequest(BaseModel):
    """Whose data."""

    email: str = Field(min_length=3, max_length=320, examples=["anna.schmidt@kunde.example"])


class ErasureRequest(SubjectRequest):
    """Whose data to erase; ``confirm`` must be true (erasure cannot be undone)."""

    confirm: bool = Field(default=False, description="Must be true.")


class ErasureResult(BaseModel):
    """What an erasure removed; ``residue`` lists anything still found (should be empty)."""

    contact_found: bool
    deleted: dict[str, int]
    memory_items: int
    checkpoint_threads: int
    files_deleted: int
    residue: list[str]


def _memory(request: Request) -> Memory | None:
    memory: Memory | None = getattr(request.app.state, "memory", None)
    return memory


@router.post("/export", summary="Export everything held about a person (DSGVO Art. 15/20)")
async def export_route(
    body: SubjectRequest, request: Request, admin: AdminDep, engine: EngineDep, settings: SettingsDep
) -> dict[str, Any]:
    """Every CRM row, research fact, mail, memory entry, checkpoint and audit event about the person."""
    try:
        return await export_from_settings(engine, email=body.email, settings=settings, memory=_memory(request))
    except GdprError as exc:
        raise ApiProblem(422, str(exc), kind="invalid-input") from exc


@router.post("/erase", response_model=ErasureResult, summary="Erase a person everywhere (DSGVO Art. 17)")
async def erase_route(
    body: ErasureRequest, request: Request, admin: AdminDep, engine: EngineDep, settings: SettingsDep
) -> ErasureResult:
    """Delete the person from every store; only a keyed-hash suppression and an audit event remain."""
    if not body.confirm:
        raise ApiProblem(422, "erasure cannot be undone: send confirm=true", kind="invalid-input")
    try:
        report = await erase_from_settings(
            engine, email=body.email, settings=settings, actor=admin.actor, memory=_memory(request)
        )
    except GdprError as exc:
        raise ApiProblem(422, str(exc), kind="invalid-input") from exc
    return ErasureResult(**report.as_dict())
