"""Web pages of the approval queue and the draft page, and their form actions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from api.access import require_campaign, require_scope, visible_draft
from api.auth import Principal, Scope
from api.deps import EngineDep, ServicesDep, SessionDep, SettingsDep
from api.draft_views import claim_views, load_contexts, pending_drafts, risk_public
from api.routes.drafts import authorize_draft, bulk_approve_drafts
from api.schemas import BulkApprove
from api.web import claim_segments, render
from api.web_session import WebUser, check_csrf
from tools.settings import Settings

router = APIRouter(include_in_schema=False)
CsrfField = Annotated[str, Form(max_length=200)]


def _form_text(value: str | None) -> str | None:
    """Browsers send textarea line breaks as CRLF; drafts are stored with LF."""
    return None if value is None else value.replace("\r\n", "\n")


def _check(principal: Principal, settings: Settings, csrf_token: str) -> None:
    check_csrf(principal, settings, csrf_token)
    require_scope(principal, Scope.drafts_approve)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, principal: WebUser, session: SessionDep,
               campaign_id: uuid.UUID | None = None) -> HTMLResponse:
    """The approval queue: riskiest first; low-risk drafts can be approved in bulk."""
    if campaign_id is not None:
        require_campaign(principal, campaign_id)
    contexts = pending_drafts(session, principal, campaign_id=campaign_id)
    rows = [{"ctx": c, "risk": risk_public(c.risk)} for c in contexts]
    low = [c.draft.id for c in contexts if c.risk.level == "low"]
    return render(request, "queue.html", {"rows": rows, "low_risk_ids": low, "campaign_id": campaign_id},
                  principal=principal)


@router.post("/queue/bulk-approve")
async def bulk_approve_form(
    principal: WebUser,
    settings: SettingsDep,
    engine: EngineDep,
    services: ServicesDep,
    csrf_token: CsrfField = "",
    draft_id: Annotated[list[uuid.UUID] | None, Form()] = None,
) -> RedirectResponse:
    """Approve the listed low-risk drafts."""
    _check(principal, settings, csrf_token)
    if draft_id:
        await bulk_approve_drafts(engine, services, principal, BulkApprove(draft_ids=draft_id[:200],
                                                                          only_low_risk=True))
    return RedirectResponse("/queue?notice=bulk", status_code=303)


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def draft_page(request: Request, draft_id: uuid.UUID, principal: WebUser, session: SessionDep,
               edit: bool = False) -> HTMLResponse:
    """A draft beside the facts it cites; click a claim to see its source."""
    draft, _lead = visible_draft(session, principal, draft_id)
    ctx = load_contexts(session, [draft])[0]
    claims = claim_views(ctx)
    segments, unplaced = claim_segments(draft.body, [c.text for c in claims])
    cited = {c.fact.id for c in claims if c.fact is not None}
    return render(request, "draft.html", {
        "ctx": ctx, "draft": draft, "claims": claims, "segments": segments, "unplaced": unplaced,
        "facts": ctx.facts.facts, "cited": cited, "sources": ctx.facts.sources, "risk": risk_public(ctx.risk),
        "editing": edit, "pending": draft.status.value == "pending",
    }, principal=principal)


@router.post("/drafts/{draft_id}/approve")
async def approve_form(
    draft_id: uuid.UUID,
    principal: WebUser,
    settings: SettingsDep,
    engine: EngineDep,
    services: ServicesDep,
    csrf_token: CsrfField = "",
    subject: Annotated[str | None, Form(max_length=500)] = None,
    body: Annotated[str | None, Form(max_length=50_000)] = None,
) -> RedirectResponse:
    """Approve as is, or the edited text."""
    _check(principal, settings, csrf_token)
    await run_in_threadpool(authorize_draft, engine, principal, draft_id)
    await services.drafts.approve_draft(draft_id, principal.actor, edited_body=_form_text(body),
                                        edited_subject=subject)
    return RedirectResponse("/queue?notice=approved", status_code=303)


@router.post("/drafts/{draft_id}/reject")
async def reject_form(
    draft_id: uuid.UUID,
    principal: WebUser,
    settings: SettingsDep,
    engine: EngineDep,
    services: ServicesDep,
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    csrf_token: CsrfField = "",
) -> RedirectResponse:
    """Reject with a reason."""
    _check(principal, settings, csrf_token)
    await run_in_threadpool(authorize_draft, engine, principal, draft_id)
    await services.drafts.reject_draft(draft_id, principal.actor, reason)
    return RedirectResponse("/queue?notice=rejected", status_code=303)


@router.post("/drafts/{draft_id}/regenerate")
async def regenerate_form(
    draft_id: uuid.UUID,
    principal: WebUser,
    settings: SettingsDep,
    engine: EngineDep,
    services: ServicesDep,
    instruction: Annotated[str, Form(min_length=1, max_length=2000)],
    csrf_token: CsrfField = "",
) -> RedirectResponse:
    """Ask for a new version."""
    _check(principal, settings, csrf_token)
    await run_in_threadpool(authorize_draft, engine, principal, draft_id)
    await services.drafts.regenerate_draft(draft_id, principal.actor, instruction)
    return RedirectResponse("/queue?notice=regenerate", status_code=303)
