"""Leads: filtered, paginated lists; detail with research facts and sources; the timeline."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session, col, func, or_, select

from api.access import campaign_filter, require_campaign, visible_lead
from api.deps import Offset, Reader, SessionDep
from api.errors import problem_responses
from api.facts import company_facts, employees_of
from api.schemas import (
    CompanySummary,
    ContactSummary,
    DraftSummary,
    FactPublic,
    LeadDetail,
    LeadPublic,
    Page,
    TimelineItem,
)
from tools.crm.models import Company, Contact, Lead, LeadStatus
from tools.crm.repository import drafts_of_lead, timeline

router = APIRouter(prefix="/api/leads", tags=["leads"], responses=problem_responses(400, 401, 403, 422))


def company_summary(company: Company | None) -> CompanySummary | None:
    """The company part of a lead."""
    if company is None:
        return None
    return CompanySummary(id=company.id, domain=company.domain, name=company.name or company.legal_name,
                          website=company.website, industry=company.industry, country=company.country,
                          size_hint=company.size_hint, employees=employees_of(company),
                          researched_at=company.researched_at)


def lead_public(lead: Lead, contact: Contact, company: Company | None) -> LeadPublic:
    """A lead with its contact and company."""
    return LeadPublic(
        id=lead.id, campaign_id=lead.campaign_id, status=lead.status, fit_score=lead.fit_score,
        fit_reasons=list(lead.fit_reasons or []), current_step=lead.current_step, owner=lead.owner,
        next_action_at=lead.next_action_at, source=lead.source, created_at=lead.created_at,
        updated_at=lead.updated_at, contact=ContactSummary.model_validate(contact, from_attributes=True),
        company=company_summary(company),
    )


@router.get("", response_model=Page[LeadPublic], summary="List leads")
def list_leads(
    principal: Reader,
    session: SessionDep,
    campaign_id: uuid.UUID | None = None,
    lead_status: Annotated[LeadStatus | None, Query(alias="status")] = None,
    min_fit: Annotated[int | None, Query(ge=0, le=100)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of an email, name or company domain.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[LeadPublic]:
    """Leads of visible campaigns, newest first."""
    if campaign_id is not None:
        require_campaign(principal, campaign_id)
    statement: Any = (
        select(Lead, Contact, Company)
        .join(Contact, col(Contact.id) == col(Lead.contact_id))
        .outerjoin(Company, col(Company.id) == col(Contact.company_id))
    )
    scope = campaign_filter(principal, Lead.campaign_id)
    conditions: list[Any] = [] if scope is None else [scope]
    if campaign_id is not None:
        conditions.append(Lead.campaign_id == campaign_id)
    if lead_status is not None:
        conditions.append(Lead.status == lead_status)
    if min_fit is not None:
        conditions.append(col(Lead.fit_score) >= min_fit)
    if q:
        pattern = f"%{q.strip().lower()}%"
        conditions.append(or_(col(Contact.email).like(pattern), func.lower(col(Contact.last_name)).like(pattern),
                              col(Company.domain).like(pattern), func.lower(col(Company.name)).like(pattern)))
    statement = statement.where(*conditions)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Lead.created_at).desc(), col(Lead.id)).offset(offset).limit(limit))
    items = [lead_public(lead, contact, company) for lead, contact, company in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def lead_detail(session: Session, lead: Lead) -> LeadDetail:
    """A lead with its facts, sources and drafts."""
    contact = session.get(Contact, lead.contact_id)
    assert contact is not None  # enforced by the foreign key
    company = session.get(Company, contact.company_id) if contact.company_id else None
    facts = company_facts(session, company=company, contact_id=contact.id)
    return LeadDetail(
        **lead_public(lead, contact, company).model_dump(),
        description=company.description if company else None,
        facts=[FactPublic(id=f.id, kind=f.kind, text=f.text, source_url=f.source_url, retrieved_at=f.retrieved_at)
               for f in facts.facts],
        drafts=[DraftSummary(id=d.id, step=d.step, version=d.version, status=d.status.value, subject=d.subject,
                             created_at=d.created_at) for d in drafts_of_lead(session, lead_id=lead.id)],
        sources=facts.sources,
    )


@router.get("/{lead_id}", response_model=LeadDetail, responses=problem_responses(404), summary="Get a lead")
def read_lead(lead_id: uuid.UUID, principal: Reader, session: SessionDep) -> LeadDetail:
    """A lead with research facts (each with its source) and drafts."""
    return lead_detail(session, visible_lead(session, principal, lead_id))


@router.get("/{lead_id}/timeline", response_model=list[TimelineItem], responses=problem_responses(404),
            summary="Every interaction of a lead")
def lead_timeline(lead_id: uuid.UUID, principal: Reader, session: SessionDep) -> list[TimelineItem]:
    """Drafts, mails out and in, tasks and audit events, oldest first."""
    visible_lead(session, principal, lead_id)
    return [TimelineItem(at=item["at"], type=item["type"],
                         data={k: v for k, v in item.items() if k not in {"at", "type"}})
            for item in timeline(session, lead_id=lead_id)]
