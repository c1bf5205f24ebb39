"""Campaigns: create from a CampaignSpec, validate, start/pause/resume, status, metrics, assignments."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from agents.campaign import CampaignSpec
from api.access import campaign_filter, require_campaign
from api.deps import Admin, CampaignWriter, Offset, Reader, ServicesDep, SessionDep
from api.errors import ApiProblem, field_errors, problem_responses
from api.metrics import funnel, reply_rates, status_counts
from api.schemas import (
    AssignmentCreate,
    AssignmentPublic,
    CampaignAction,
    CampaignCreate,
    CampaignDetail,
    CampaignMetrics,
    CampaignPublic,
    CampaignStatus,
    CampaignValidation,
    Page,
)
from api.schemas.campaigns import CAMPAIGN_EXAMPLE
from api.services import CampaignOutcome
from api.users import assign_campaign, assignees_of_campaign, get_user, get_user_by_email, unassign_campaign
from api.workflow import CREATED
from tools.crm.models import Campaign, Lead
from tools.crm.repository import NotFound, get_campaign, get_campaign_by_name, record_audit

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"], responses=problem_responses(400, 401, 403, 422))
CampaignId = Annotated[uuid.UUID, "campaign id"]


def _lead_counts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not ids:
        return {}
    rows = session.exec(select(Lead.campaign_id, func.count()).where(col(Lead.campaign_id).in_(ids))
                        .group_by(col(Lead.campaign_id)))
    return {campaign_id: int(count) for campaign_id, count in rows}


def campaign_public(campaign: Campaign, leads: int) -> CampaignPublic:
    """A campaign row for lists."""
    spec = campaign.spec or {}
    description = spec.get("description") if isinstance(spec.get("description"), str) else None
    return CampaignPublic(id=campaign.id, name=campaign.name, status=campaign.status, description=description,
                          created_at=campaign.created_at, updated_at=campaign.updated_at, leads=leads)


def campaign_detail(session: Session, campaign: Campaign) -> CampaignDetail:
    """A campaign with its spec."""
    base = campaign_public(campaign, _lead_counts(session, [campaign.id]).get(campaign.id, 0))
    return CampaignDetail(**base.model_dump(), spec=campaign.spec)


@router.get("", response_model=Page[CampaignPublic], summary="List campaigns")
def list_campaigns(
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[CampaignPublic]:
    """Campaigns the caller may see, by name."""
    statement = select(Campaign)
    scope = campaign_filter(principal, Campaign.id)
    if scope is not None:
        statement = statement.where(scope)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = list(session.exec(statement.order_by(col(Campaign.name)).offset(offset).limit(limit)))
    counts = _lead_counts(session, [c.id for c in rows])
    return Page(items=[campaign_public(c, counts.get(c.id, 0)) for c in rows], total=total, limit=limit,
                offset=offset)


@router.post("", response_model=CampaignDetail, status_code=201, responses=problem_responses(409),
             summary="Create a campaign")
def create_campaign(body: CampaignCreate, principal: CampaignWriter, session: SessionDep) -> CampaignDetail:
    """Create a campaign from the same model as the YAML file; it starts in state ``created``."""
    if get_campaign_by_name(session, name=body.name) is not None:
        raise ApiProblem(409, f"a campaign named {body.name} already exists", kind="conflict")
    spec = CampaignSpec.model_validate(body.model_dump()).model_dump(mode="json")
    campaign = Campaign(name=body.name, spec=spec, status=CREATED)
    session.add(campaign)
    record_audit(session, action="campaign.created", actor=principal.actor, entity_type="campaign",
                 entity_id=campaign.id, data={"name": body.name})
    session.commit()
    return campaign_detail(session, campaign)


@router.post("/validate", response_model=CampaignValidation, summary="Validate a campaign spec")
def validate_campaign(
    _principal: Reader,
    body: Annotated[dict[str, Any], Body(openapi_examples={"valid": {"value": CAMPAIGN_EXAMPLE}})],
) -> CampaignValidation:
    """Check a spec without saving it: field errors, and legal details a mail footer still needs."""
    try:
        spec = CampaignSpec.model_validate(body)
    except ValidationError as exc:
        errors = field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
        return CampaignValidation(valid=False, errors=errors)
    return CampaignValidation(valid=True, missing_for_sending=spec.sender.legal.missing_for_sending())


@router.get("/{campaign_id}", response_model=CampaignDetail, responses=problem_responses(404),
            summary="Get a campaign")
def read_campaign(campaign_id: CampaignId, principal: Reader, session: SessionDep) -> CampaignDetail:
    """A campaign with its spec."""
    require_campaign(principal, campaign_id)
    return campaign_detail(session, get_campaign(session, campaign_id=campaign_id))


def _action(outcome: CampaignOutcome) -> CampaignAction:
    return CampaignAction(id=outcome.campaign_id, name=outcome.name, status=outcome.status,
                          previous_status=outcome.previous_status)


_ACTION_RESPONSES = problem_responses(404, 409)


@router.post("/{campaign_id}/start", response_model=CampaignAction, responses=_ACTION_RESPONSES,
             summary="Start a campaign")
async def start_campaign(campaign_id: CampaignId, principal: CampaignWriter, services: ServicesDep) -> CampaignAction:
    """created|paused → running (409 otherwise). Honours ``Idempotency-Key``."""
    require_campaign(principal, campaign_id)
    return _action(await services.campaigns.start(campaign_id, actor=principal.actor))


@router.post("/{campaign_id}/pause", response_model=CampaignAction, responses=_ACTION_RESPONSES,
             summary="Pause a campaign")
async def pause_campaign(campaign_id: CampaignId, principal: CampaignWriter, services: ServicesDep) -> CampaignAction:
    """running → paused: no new work, nothing sent."""
    require_campaign(principal, campaign_id)
    return _action(await services.campaigns.pause(campaign_id, actor=principal.actor))


@router.post("/{campaign_id}/resume", response_model=CampaignAction, responses=_ACTION_RESPONSES,
             summary="Resume a campaign")
async def resume_campaign(campaign_id: CampaignId, principal: CampaignWriter,
                          services: ServicesDep) -> CampaignAction:
    """paused → running."""
    require_campaign(principal, campaign_id)
    return _action(await services.campaigns.resume(campaign_id, actor=principal.actor))


@router.get("/{campaign_id}/status", response_model=CampaignStatus, responses=problem_responses(404),
            summary="Campaign status with counts")
def campaign_status(campaign_id: CampaignId, principal: Reader, session: SessionDep) -> CampaignStatus:
    """Leads, drafts and outbox rows by state, open tasks, and the funnel."""
    require_campaign(principal, campaign_id)
    campaign = get_campaign(session, campaign_id=campaign_id)
    counts = status_counts(session, campaign_id=campaign_id)
    return CampaignStatus(id=campaign.id, name=campaign.name, status=campaign.status,
                          funnel=funnel(session, campaign_id=campaign_id), **counts)


@router.get("/{campaign_id}/metrics", response_model=CampaignMetrics, responses=problem_responses(404),
            summary="Funnel and reply rate by prompt version")
def campaign_metrics(campaign_id: CampaignId, principal: Reader, session: SessionDep) -> CampaignMetrics:
    """Funnel counts and reply rate of first mails by the prompt version that wrote them."""
    require_campaign(principal, campaign_id)
    get_campaign(session, campaign_id=campaign_id)
    return CampaignMetrics(campaign_id=campaign_id, funnel=funnel(session, campaign_id=campaign_id),
                           reply_rates=reply_rates(session, campaign_id=campaign_id))


@router.get("/{campaign_id}/assignments", response_model=list[AssignmentPublic], responses=problem_responses(404),
            summary="Reps of a campaign")
def list_assignments(campaign_id: CampaignId, _admin: Admin, session: SessionDep) -> list[AssignmentPublic]:
    """Users assigned to the campaign (admins only)."""
    get_campaign(session, campaign_id=campaign_id)
    return [AssignmentPublic(user_id=u.id, email=u.email, campaign_id=campaign_id)
            for u in assignees_of_campaign(session, campaign_id=campaign_id)]


@router.post("/{campaign_id}/assignments", response_model=AssignmentPublic, status_code=201,
             responses=problem_responses(404), summary="Assign a rep")
def add_assignment(campaign_id: CampaignId, body: AssignmentCreate, admin: Admin,
                   session: SessionDep) -> AssignmentPublic:
    """Let a user work on the campaign (idempotent; admins only)."""
    user = get_user_by_email(session, email=body.email)
    if user is None:
        raise NotFound(f"no user {body.email}")
    assign_campaign(session, user=user, campaign_id=campaign_id, actor=admin.actor)
    session.commit()
    return AssignmentPublic(user_id=user.id, email=user.email, campaign_id=campaign_id)


@router.delete("/{campaign_id}/assignments/{user_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problem_responses(404), summary="Unassign a rep")
def remove_assignment(campaign_id: CampaignId, user_id: Annotated[uuid.UUID, "user id"], admin: Admin,
                      session: SessionDep) -> Response:
    """Remove a user from the campaign (admins only)."""
    user = get_user(session, user_id=user_id)
    if not unassign_campaign(session, user=user, campaign_id=campaign_id, actor=admin.actor):
        raise NotFound(f"user {user.email} is not assigned to campaign {campaign_id}")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
