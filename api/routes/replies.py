"""Replies: received mail with its match and classification."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session, col, func, select

from api.access import campaign_filter, require_campaign, visible_reply
from api.deps import Offset, Reader, SessionDep
from api.errors import ApiProblem, problem_responses
from api.schemas import Page, ReplyPublic
from tools.crm.models import InboundMessage, Lead, ReplyClassification

router = APIRouter(prefix="/api/replies", tags=["replies"], responses=problem_responses(400, 401, 403, 422))


def reply_public(session: Session, inbound: InboundMessage, campaign_id: uuid.UUID | None) -> ReplyPublic:
    """A reply with its latest classification."""
    label = session.exec(select(ReplyClassification).where(ReplyClassification.inbound_id == inbound.id)
                         .order_by(col(ReplyClassification.created_at).desc())).first()
    return ReplyPublic(
        id=inbound.id, message_id=inbound.message_id, from_email=inbound.from_email, to_email=inbound.to_email,
        subject=inbound.subject, received_at=inbound.received_at, lead_id=inbound.lead_id, campaign_id=campaign_id,
        match_method=inbound.match_method, processed=inbound.processed,
        label=label.label if label else None, confidence=label.confidence if label else None,
        stage=label.stage if label else None, text=inbound.stripped_text or inbound.body_text,
    )


@router.get("", response_model=Page[ReplyPublic], summary="List replies")
def list_replies(
    principal: Reader,
    session: SessionDep,
    campaign_id: uuid.UUID | None = None,
    label: Annotated[str | None, Query(max_length=30)] = None,
    unmatched: Annotated[bool, Query(description="Only mail no thread matched (admins).")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[ReplyPublic]:
    """Received mail, newest first; reps see replies of their campaigns."""
    if campaign_id is not None:
        require_campaign(principal, campaign_id)
    statement: Any = select(InboundMessage, Lead.campaign_id).outerjoin(
        Lead, col(Lead.id) == col(InboundMessage.lead_id))
    conditions: list[Any] = []
    if unmatched:
        if principal.campaign_ids is not None:
            raise ApiProblem(403, "unmatched mail is visible to admins only", kind="forbidden")
        conditions.append(col(InboundMessage.lead_id).is_(None))
    scope = campaign_filter(principal, Lead.campaign_id)
    if scope is not None:
        conditions.append(scope)
    if campaign_id is not None:
        conditions.append(Lead.campaign_id == campaign_id)
    if label is not None:
        labelled = select(ReplyClassification.inbound_id).where(ReplyClassification.label == label)
        conditions.append(col(InboundMessage.id).in_(labelled))
    statement = statement.where(*conditions)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id))
                        .offset(offset).limit(limit))
    return Page(items=[reply_public(session, inbound, cid) for inbound, cid in rows], total=total, limit=limit,
                offset=offset)


@router.get("/{reply_id}", response_model=ReplyPublic, responses=problem_responses(404), summary="Get a reply")
def read_reply(reply_id: uuid.UUID, principal: Reader, session: SessionDep) -> ReplyPublic:
    """One received mail."""
    inbound = visible_reply(session, principal, reply_id)
    lead = session.get(Lead, inbound.lead_id) if inbound.lead_id else None
    return reply_public(session, inbound, lead.campaign_id if lead else None)
