"""Drafts as reps see them: with lead, company, cited facts and risk, sorted for the queue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from api.access import campaign_filter
from api.auth import Principal
from api.facts import FactIndex, company_facts, employees_of
from api.risk import Assessment, DraftFacts, assess
from api.schemas import (
    ClaimPublic,
    DraftPublic,
    DraftQueueItem,
    FactPublic,
    GuardrailPublic,
    Risk,
    RiskFlag,
)
from api.workflow import REGENERATE_TASK
from tools.crm.models import (
    Campaign,
    Company,
    Contact,
    Draft,
    DraftStatus,
    Lead,
    OutboxMessage,
    OutboxStatus,
    Task,
    TaskStatus,
)

DEFAULT_FIT_THRESHOLD = 40


@dataclass
class DraftContext:
    """A draft with everything the queue and the draft page show."""

    draft: Draft
    lead: Lead
    campaign: Campaign
    contact: Contact
    company: Company | None
    facts: FactIndex
    risk: Assessment
    regeneration: str | None


def fit_threshold(campaign: Campaign) -> int:
    """The campaign's ICP threshold (tolerates partial specs)."""
    icp = (campaign.spec or {}).get("icp") or {}
    value = icp.get("threshold") if isinstance(icp, dict) else None
    return value if isinstance(value, int) else DEFAULT_FIT_THRESHOLD


def open_regenerations(session: Session) -> dict[str, str]:
    """draft id → instruction of open regenerate tasks."""
    tasks = session.exec(select(Task).where(Task.kind == REGENERATE_TASK, Task.status == TaskStatus.open))
    return {str(t.payload.get("draft_id")): str(t.payload.get("instruction", "")) for t in tasks}


def _contacted_companies(session: Session, company_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not company_ids:
        return set()
    statement = (
        select(Contact.company_id)
        .join(OutboxMessage, col(OutboxMessage.contact_id) == col(Contact.id))
        .where(col(Contact.company_id).in_(list(company_ids)), OutboxMessage.status == OutboxStatus.sent)
        .distinct()
    )
    return {row for row in session.exec(statement) if row is not None}


def load_contexts(session: Session, drafts: list[Draft]) -> list[DraftContext]:
    """Contexts for drafts, loading each lead, contact, company and fact set once."""
    leads = {lead.id: lead for lead in session.exec(
        select(Lead).where(col(Lead.id).in_([d.lead_id for d in drafts])))} if drafts else {}
    contacts = {c.id: c for c in session.exec(
        select(Contact).where(col(Contact.id).in_([lead.contact_id for lead in leads.values()])))} if leads else {}
    company_ids = {c.company_id for c in contacts.values() if c.company_id is not None}
    companies = {c.id: c for c in session.exec(
        select(Company).where(col(Company.id).in_(list(company_ids))))} if company_ids else {}
    campaigns = {c.id: c for c in session.exec(
        select(Campaign).where(col(Campaign.id).in_([lead.campaign_id for lead in leads.values()])))} if leads else {}
    contacted = _contacted_companies(session, company_ids)
    regenerations = open_regenerations(session)
    fact_cache: dict[tuple[uuid.UUID | None, uuid.UUID], FactIndex] = {}
    out: list[DraftContext] = []
    for draft in drafts:
        lead = leads[draft.lead_id]
        contact = contacts[lead.contact_id]
        company = companies.get(contact.company_id) if contact.company_id else None
        key = (company.id if company else None, contact.id)
        if key not in fact_cache:
            fact_cache[key] = company_facts(session, company=company, contact_id=contact.id)
        facts = fact_cache[key]
        campaign = campaigns[lead.campaign_id]
        risk = assess(DraftFacts(
            step=draft.step,
            claims=list(draft.claims or []),
            guardrails=list(draft.guardrails or []),
            fit_score=lead.fit_score,
            fit_threshold=fit_threshold(campaign),
            employees=employees_of(company),
            company_contacted_before=company is not None and company.id in contacted,
            facts=facts,
        ))
        out.append(DraftContext(draft, lead, campaign, contact, company, facts, risk,
                                regenerations.get(str(draft.id))))
    return out


def queue_order(contexts: list[DraftContext]) -> list[DraftContext]:
    """Riskiest first, then most valuable, then oldest."""
    return sorted(contexts, key=lambda c: (-c.risk.score, -c.risk.value, c.draft.created_at))


def pending_drafts(
    session: Session, principal: Principal, *, campaign_id: uuid.UUID | None = None, limit: int = 500
) -> list[DraftContext]:
    """The caller's approval queue: pending drafts of visible campaigns, sorted by risk and value."""
    statement = select(Draft).join(Lead, col(Lead.id) == col(Draft.lead_id)).where(
        Draft.status == DraftStatus.pending
    )
    scope = campaign_filter(principal, Lead.campaign_id)
    if scope is not None:
        statement = statement.where(scope)
    if campaign_id is not None:
        statement = statement.where(Lead.campaign_id == campaign_id)
    drafts = list(session.exec(statement.order_by(col(Draft.created_at)).limit(limit)))
    return queue_order(load_contexts(session, drafts))


def risk_public(risk: Assessment) -> Risk:
    """The API form of an assessment."""
    return Risk(score=risk.score, level=risk.level, value=risk.value,
                flags=[RiskFlag(code=f.code, severity=f.severity, message=f.message) for f in risk.flags])


def _company_name(ctx: DraftContext) -> str | None:
    if ctx.company is None:
        return None
    return ctx.company.name or ctx.company.legal_name or ctx.company.domain


def queue_item(ctx: DraftContext) -> DraftQueueItem:
    """A queue row."""
    d = ctx.draft
    return DraftQueueItem(
        id=d.id, lead_id=d.lead_id, campaign_id=ctx.campaign.id, campaign_name=ctx.campaign.name,
        contact_email=ctx.contact.email, company_name=_company_name(ctx), fit_score=ctx.lead.fit_score,
        step=d.step, version=d.version, subject=d.subject, language=d.language, strategy=d.strategy,
        prompt_id=d.prompt_id, prompt_version=d.prompt_version, status=d.status, created_by=d.created_by,
        created_at=d.created_at, risk=risk_public(ctx.risk), regeneration_requested=ctx.regeneration,
    )


def claim_views(ctx: DraftContext) -> list[ClaimPublic]:
    """The draft's claims, each with its fact (or marked unsupported)."""
    claims: list[ClaimPublic] = []
    for raw in ctx.draft.claims or []:
        fact_id = str(raw.get("fact_id", ""))
        fact = ctx.facts.get(fact_id)
        claims.append(ClaimPublic(
            text=str(raw.get("text", "")), fact_id=fact_id, supported=fact is not None,
            fact=FactPublic(id=fact.id, kind=fact.kind, text=fact.text, source_url=fact.source_url,
                            retrieved_at=fact.retrieved_at) if fact else None,
        ))
    return claims


def _guardrail(raw: dict[str, Any]) -> GuardrailPublic:
    return GuardrailPublic(name=str(raw.get("name", "check")), passed=bool(raw.get("passed", True)),
                           severity=str(raw.get("severity", "error")), message=str(raw.get("message", "")))


def draft_public(ctx: DraftContext) -> DraftPublic:
    """The full draft."""
    item = queue_item(ctx)
    return DraftPublic(
        **item.model_dump(),
        body=ctx.draft.body,
        claims=claim_views(ctx),
        guardrails=[_guardrail(g) for g in ctx.draft.guardrails or [] if isinstance(g, dict)],
        reject_reason=ctx.draft.reject_reason,
        edited_from_id=ctx.draft.edited_from_id,
    )
