"""Drafts: the approval queue, one draft, approve / edit+approve / reject / regenerate, bulk approve."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.access import require_campaign, visible_draft
from api.auth import Principal
from api.deps import Approver, EngineDep, Offset, Reader, ServicesDep, SessionDep
from api.draft_views import draft_public, load_contexts, pending_drafts, queue_item
from api.errors import problem_responses
from api.schemas import (
    BulkApprove,
    BulkApproveResult,
    BulkSkip,
    DraftAction,
    DraftApprove,
    DraftPublic,
    DraftQueueItem,
    DraftRegenerate,
    DraftReject,
    Page,
)
from api.services import DraftOutcome, WorkflowError
from tools.crm.models import Draft, DraftStatus, Lead

router = APIRouter(prefix="/api/drafts", tags=["drafts"], responses=problem_responses(400, 401, 403, 422))
_ACTION_RESPONSES = problem_responses(404, 409)


def action_public(outcome: DraftOutcome) -> DraftAction:
    """The API form of a draft outcome."""
    return DraftAction(draft_id=outcome.draft_id, status=outcome.status, lead_id=outcome.lead_id,
                       lead_status=outcome.lead_status, approved_draft_id=outcome.approved_draft_id,
                       outbox_id=outcome.outbox_id, task_id=outcome.task_id)


def authorize_draft(engine: Engine, principal: Principal, draft_id: uuid.UUID) -> None:
    """404/403 unless the caller may act on this draft (runs in a worker thread)."""
    with Session(engine) as session:
        visible_draft(session, principal, draft_id)


@router.get("", response_model=Page[DraftQueueItem], summary="The approval queue")
def queue(
    principal: Reader,
    session: SessionDep,
    campaign_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Page[DraftQueueItem]:
    """Pending drafts of visible campaigns, riskiest first, then most valuable."""
    if campaign_id is not None:
        require_campaign(principal, campaign_id)
    contexts = pending_drafts(session, principal, campaign_id=campaign_id)
    window = contexts[offset:offset + limit]
    return Page(items=[queue_item(c) for c in window], total=len(contexts), limit=limit, offset=offset)


@router.get("/{draft_id}", response_model=DraftPublic, responses=problem_responses(404), summary="Get a draft")
def read_draft(draft_id: uuid.UUID, principal: Reader, session: SessionDep) -> DraftPublic:
    """A draft with its claims (each with fact and source), guardrails and risk."""
    draft, _lead = visible_draft(session, principal, draft_id)
    return draft_public(load_contexts(session, [draft])[0])


@router.post("/{draft_id}/approve", response_model=DraftAction, responses=_ACTION_RESPONSES,
             summary="Approve (or edit and approve)")
async def approve(
    draft_id: uuid.UUID,
    principal: Approver,
    engine: EngineDep,
    services: ServicesDep,
    body: Annotated[DraftApprove | None, Body()] = None,
) -> DraftAction:
    """Approve as is, or with a new subject/body (a new version is kept); queues the mail."""
    await run_in_threadpool(authorize_draft, engine, principal, draft_id)
    edit = body or DraftApprove()
    outcome = await services.drafts.approve_draft(draft_id, principal.actor, edited_body=edit.body,
                                                  edited_subject=edit.subject)
    return action_public(outcome)


@router.post("/{draft_id}/reject", response_model=DraftAction, responses=_ACTION_RESPONSES,
             summary="Reject with a reason")
async def reject(draft_id: uuid.UUID, body: DraftReject, principal: Approver, engine: EngineDep,
                 services: ServicesDep) -> DraftAction:
    """Reject; the reason is kept."""
    await run_in_threadpool(authorize_draft, engine, principal, draft_id)
    return action_public(await services.drafts.reject_draft(draft_id, principal.actor, body.reason))


@router.post("/{draft_id}/regenerate", response_model=DraftAction, responses=_ACTION_RESPONSES,
             summary="Regenerate with an instruction")
async def regenerate(draft_id: uuid.UUID, body: DraftRegenerate, principal: Approver, engine: EngineDep,
                     services: ServicesDep) -> DraftAction:
    """Ask the writer for a new version following the instruction."""
    await run_in_threadpool(authorize_draft, engine, principal, draft_id)
    return action_public(await services.drafts.regenerate_draft(draft_id, principal.actor, body.instruction))


def _bulk_candidates(engine: Engine, principal: Principal, body: BulkApprove) -> tuple[list[uuid.UUID],
                                                                                       list[BulkSkip]]:
    """Drafts to approve and those skipped; 403 when any draft is outside the caller's campaigns."""
    with Session(engine) as session:
        ids = list(dict.fromkeys(body.draft_ids))
        rows = list(session.exec(select(Draft, Lead).join(Lead, col(Lead.id) == col(Draft.lead_id))
                                 .where(col(Draft.id).in_(ids))))
        for _draft, lead in rows:
            require_campaign(principal, lead.campaign_id)
        found = {draft.id: draft for draft, _lead in rows}
        skipped = [BulkSkip(draft_id=i, reason="no such draft") for i in ids if i not in found]
        pending = [found[i] for i in ids if i in found and found[i].status is DraftStatus.pending]
        skipped += [BulkSkip(draft_id=i, reason=f"draft is {found[i].status.value}") for i in ids
                    if i in found and found[i].status is not DraftStatus.pending]
        chosen: list[uuid.UUID] = []
        for ctx in load_contexts(session, pending):
            if body.only_low_risk and ctx.risk.level != "low":
                skipped.append(BulkSkip(draft_id=ctx.draft.id, reason=f"risk is {ctx.risk.level}"))
            else:
                chosen.append(ctx.draft.id)
        return chosen, skipped


async def bulk_approve_drafts(engine: Engine, services: ServicesDep, principal: Principal,
                              body: BulkApprove) -> BulkApproveResult:
    """Approve the chosen drafts one transaction each; refusals are reported, not raised."""
    chosen, skipped = await run_in_threadpool(_bulk_candidates, engine, principal, body)
    approved: list[DraftAction] = []
    for draft_id in chosen:
        try:
            approved.append(action_public(await services.drafts.approve_draft(draft_id, principal.actor)))
        except WorkflowError as exc:
            skipped.append(BulkSkip(draft_id=draft_id, reason=str(exc)))
    return BulkApproveResult(approved=approved, skipped=skipped)


@router.post("/bulk-approve", response_model=BulkApproveResult, summary="Approve many drafts")
async def bulk_approve(body: BulkApprove, principal: Approver, engine: EngineDep,
                       services: ServicesDep) -> BulkApproveResult:
    """Approve several drafts; by default only low-risk ones, the rest are listed as skipped."""
    return await bulk_approve_drafts(engine, services, principal, body)
