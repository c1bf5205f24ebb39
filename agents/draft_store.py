"""The writer's reads and writes in the CRM store: build a DraftRequest for a lead, save the result.

Reads: the lead (by id, or by contact email), its campaign spec, contact, company profile
(``Company.profile`` JSON plus the ``ResearchFact`` rows) and the earlier mails of the
thread (sent outbox rows first, else the latest live draft of each earlier step).
Writes: a new ``Draft`` version (older pending versions of the step become superseded),
its claims with their sources, and an audit event with what has no column yet.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from agents.campaign import CampaignSpec
from agents.profile import CompanyProfile, Fact
from agents.writer_types import DraftRequest, DraftResult, PreviousMail, Recipient, WriterError
from tools.crm.models import (
    Campaign,
    Company,
    Contact,
    Draft,
    DraftStatus,
    Lead,
    OutboxMessage,
    OutboxStatus,
    ResearchFact,
)
from tools.crm.repository import find_leads, get_campaign_by_name, record_audit

_RANK = {DraftStatus.sent: 3, DraftStatus.approved: 2, DraftStatus.pending: 1}
_LIVE_DRAFTS = tuple(_RANK)
_THREAD_OUTBOX = (OutboxStatus.sent, OutboxStatus.sending, OutboxStatus.pending)


class DraftInputError(WriterError):
    """The lead, campaign or earlier mails needed for a draft are missing or invalid."""


def resolve_lead(session: Session, ref: str, *, campaign: str | None = None) -> Lead:
    """The lead for a lead id or a contact email (``campaign`` picks one of several)."""
    leads = find_leads(session, key=ref.strip())
    if campaign is not None:
        row = get_campaign_by_name(session, name=campaign)
        if row is None:
            raise DraftInputError(f"no campaign named {campaign!r}")
        leads = [lead for lead in leads if lead.campaign_id == row.id]
    if not leads:
        where = f" in campaign {campaign!r}" if campaign else ""
        raise DraftInputError(f"no lead {ref!r}{where} (give a lead id or a contact email)")
    if len(leads) > 1:
        names = sorted(c.name for lead in leads if (c := session.get(Campaign, lead.campaign_id)) is not None)
        raise DraftInputError(f"{ref!r} is a lead in {len(leads)} campaigns ({', '.join(names)}); pass --campaign")
    return leads[0]


def campaign_spec(session: Session, lead: Lead) -> tuple[Campaign, CampaignSpec]:
    """The lead's campaign row and its validated spec."""
    campaign = session.get(Campaign, lead.campaign_id)
    if campaign is None:
        raise DraftInputError(f"lead {lead.id} points to a missing campaign")
    try:
        return campaign, CampaignSpec.model_validate(campaign.spec)
    except ValidationError as exc:
        raise DraftInputError(
            f"campaign {campaign.name!r} has an invalid stored spec ({exc.error_count()} errors); re-import it"
        ) from exc


def load_profile(session: Session, contact: Contact, company: Company | None) -> CompanyProfile:
    """The company profile with every stored fact about the company (and this contact)."""
    if company is None:
        return CompanyProfile(domain=contact.email.rpartition("@")[2].lower())
    try:
        profile = (
            CompanyProfile.model_validate(company.profile)
            if company.profile.get("domain")
            else CompanyProfile(domain=company.domain)
        )
    except ValidationError as exc:
        raise DraftInputError(
            f"the stored research profile of {company.domain} is invalid: {exc.error_count()} errors"
        ) from exc
    for name in ("name", "legal_name", "website", "country", "industry", "description"):
        if getattr(profile, name) is None and getattr(company, name) is not None:
            setattr(profile, name, getattr(company, name))
    known = {fact.id for fact in profile.facts}
    rows = session.exec(
        select(ResearchFact).where(ResearchFact.company_id == company.id).order_by(col(ResearchFact.created_at))
    )
    for row in rows:
        if row.contact_id not in (None, contact.id):
            continue  # a fact about a colleague is not a fact about this reader
        fact = Fact(kind=row.kind, text=row.text, source_url=row.source_url, retrieved_at=row.retrieved_at)
        if fact.id not in known:
            profile.facts.append(fact)
            known.add(fact.id)
    return profile


def previous_mails(session: Session, lead_id: uuid.UUID, step: int) -> list[PreviousMail]:
    """The mails of earlier steps, as sent (outbox) or else as last drafted."""
    found: dict[int, PreviousMail] = {}
    outbox = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.lead_id == lead_id, OutboxMessage.step < step)
        .where(col(OutboxMessage.status).in_(list(_THREAD_OUTBOX)))
        .order_by(col(OutboxMessage.step))
    )
    for row in outbox:
        found[row.step] = PreviousMail(step=row.step, subject=row.subject, body=row.body, sent_at=row.sent_at)
    drafts = session.exec(
        select(Draft)
        .where(Draft.lead_id == lead_id, Draft.step < step)
        .where(col(Draft.status).in_(list(_LIVE_DRAFTS)))
        .order_by(col(Draft.step), col(Draft.version))
    )
    best: dict[int, Draft] = {}
    for draft in drafts:  # sent beats approved beats pending; then the newest version
        current = best.get(draft.step)
        if current is None or (_RANK[draft.status], draft.version) >= (_RANK[current.status], current.version):
            best[draft.step] = draft
    for number, draft in best.items():
        found.setdefault(number, PreviousMail(step=number, subject=draft.subject, body=draft.body))
    return [found[number] for number in sorted(found)]


def next_step(session: Session, lead: Lead) -> int:
    """The first step of the sequence that has not gone out yet."""
    sent = session.exec(
        select(OutboxMessage.step).where(
            OutboxMessage.lead_id == lead.id, OutboxMessage.status == OutboxStatus.sent
        )
    ).all()
    return max(sent, default=0) + 1


def build_request(session: Session, lead: Lead, *, step: int | None = None) -> DraftRequest:
    """Everything ``draft_email`` needs for this lead and step (default: the next unsent step)."""
    campaign, spec = campaign_spec(session, lead)
    number = step if step is not None else next_step(session, lead)
    if not 1 <= number <= len(spec.sequence):
        raise DraftInputError(f"campaign {campaign.name!r} has steps 1..{len(spec.sequence)}, not {number}")
    contact = session.get(Contact, lead.contact_id)
    if contact is None:
        raise DraftInputError(f"lead {lead.id} points to a missing contact")
    company = session.get(Company, contact.company_id) if contact.company_id else None
    previous = previous_mails(session, lead.id, number) if number > 1 else []
    if number > 1 and not previous:
        raise DraftInputError(f"step {number} follows up on earlier mails, but this lead has none; draft step 1 first")
    return DraftRequest(
        spec=spec,
        step=number,
        recipient=Recipient.from_contact(contact),
        profile=load_profile(session, contact, company),
        previous=previous,
        lead_id=str(lead.id),
        campaign_id=str(campaign.id),
    )


def claims_with_sources(result: DraftResult, profile: CompanyProfile) -> list[dict[str, Any]]:
    """Each claim with the text and URL of the fact behind it (what the rep checks)."""
    out = []
    for claim in result.claims:
        fact = profile.fact(claim.fact_id)
        out.append(
            {
                "text": claim.text,
                "fact_id": claim.fact_id,
                "fact_text": fact.text if fact else None,
                "source_url": fact.source_url if fact else None,
            }
        )
    return out


def save_draft(
    session: Session, *, lead_id: uuid.UUID, result: DraftResult, profile: CompanyProfile, created_by: str = "agent"
) -> Draft:
    """Store ``result`` as the next version of its step; earlier pending versions are superseded."""
    existing = session.exec(
        select(Draft).where(Draft.lead_id == lead_id, Draft.step == result.step).order_by(col(Draft.version).desc())
    ).all()
    for old in existing:
        if old.status == DraftStatus.pending:
            old.status = DraftStatus.superseded
            session.add(old)
    row = Draft(
        lead_id=lead_id,
        step=result.step,
        version=(existing[0].version + 1) if existing else 1,
        subject=result.subject,
        body=result.body,
        body_html=result.body_html,
        language=result.language,
        claims=claims_with_sources(result, profile),
        guardrails=[g.model_dump() for g in result.guardrails],
        strategy=result.strategy,
        prompt_id=result.prompt_id,
        prompt_version=result.prompt_version,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        action="draft.created",
        actor=created_by,
        entity_type="draft",
        entity_id=row.id,
        data={
            "lead_id": str(lead_id),
            "step": result.step,
            "strategy_reason": result.strategy_reason,
            "repair_rounds": result.repair_rounds,
            "flagged": result.flagged,
            "flagged_reasons": result.flagged_reasons,
        },
    )
    return row
