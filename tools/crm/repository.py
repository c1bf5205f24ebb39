"""Keyword-only functions over the CRM store. Callers own the session and the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tools.crm.models import (
    AuditEvent,
    Campaign,
    Company,
    Contact,
    Draft,
    InboundMessage,
    Lead,
    LeadStatus,
    OutboxMessage,
    ReplyClassification,
    ResearchFact,
    Task,
    TaskStatus,
)
from tools.crm.types import utcnow
from tools.domains import registrable_domain


class NotFound(LookupError):
    """A referenced row does not exist."""


def _apply(row: Any, fields: dict[str, Any]) -> bool:
    """Set the given non-None fields; True when anything changed."""
    changed = False
    for name, value in fields.items():
        if value is not None and getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed and hasattr(row, "updated_at"):
        row.updated_at = utcnow()
    return changed


def record_audit(
    session: Session,
    *,
    action: str,
    actor: str = "system",
    entity_type: str | None = None,
    entity_id: uuid.UUID | str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event."""
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        data=data or {},
    )
    session.add(event)
    return event


# --- companies and contacts ---------------------------------------------------------------


def get_company_by_domain(session: Session, *, domain: str) -> Company | None:
    """The company with this registrable domain."""
    return session.exec(select(Company).where(Company.domain == registrable_domain(domain))).first()


def upsert_company(session: Session, *, domain: str, **fields: Any) -> Company:
    """Create the company for ``domain`` or update the given fields of the existing one."""
    key = registrable_domain(domain)
    if not key:
        raise ValueError(f"not a domain: {domain!r}")
    company = get_company_by_domain(session, domain=key)
    if company is None:
        company = Company(domain=key, **{k: v for k, v in fields.items() if v is not None})
        session.add(company)
    else:
        _apply(company, fields)
    session.flush()
    return company


def get_contact(session: Session, *, contact_id: uuid.UUID) -> Contact:
    """The contact with this id, or NotFound."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


def get_contact_by_email(session: Session, *, email: str) -> Contact | None:
    """The contact with this address (case-insensitive)."""
    return session.exec(select(Contact).where(Contact.email == email.strip().lower())).first()


def upsert_contact(session: Session, *, email: str, **fields: Any) -> Contact:
    """Create the contact for ``email`` or update the given fields of the existing one."""
    address = email.strip().lower()
    contact = get_contact_by_email(session, email=address)
    if contact is None:
        contact = Contact(email=address, **{k: v for k, v in fields.items() if v is not None})
        session.add(contact)
    else:
        _apply(contact, fields)
    session.flush()
    return contact


def contacts_at_company(session: Session, *, company_id: uuid.UUID) -> list[Contact]:
    """Every contact of a company."""
    return list(session.exec(select(Contact).where(Contact.company_id == company_id)))


# --- campaigns and leads ------------------------------------------------------------------


def get_campaign(session: Session, *, campaign_id: uuid.UUID) -> Campaign:
    """The campaign with this id, or NotFound."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    return campaign


def get_campaign_by_name(session: Session, *, name: str) -> Campaign | None:
    """The campaign with this name."""
    return session.exec(select(Campaign).where(Campaign.name == name)).first()


def upsert_campaign(
    session: Session, *, name: str, spec: dict[str, Any], status: str | None = None
) -> Campaign:
    """Create the campaign or replace its spec."""
    campaign = get_campaign_by_name(session, name=name)
    if campaign is None:
        campaign = Campaign(name=name, spec=spec, status=status or "active")
        session.add(campaign)
    else:
        _apply(campaign, {"spec": spec, "status": status})
    session.flush()
    return campaign


def add_lead(
    session: Session,
    *,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    source: str | None = None,
    owner: str | None = None,
) -> tuple[Lead, bool]:
    """Put a contact into a campaign (idempotent). Returns the lead and whether it is new."""
    lead = session.exec(
        select(Lead).where(Lead.campaign_id == campaign_id, Lead.contact_id == contact_id)
    ).first()
    if lead is not None:
        return lead, False
    lead = Lead(campaign_id=campaign_id, contact_id=contact_id, source=source, owner=owner)
    session.add(lead)
    session.flush()
    return lead, True


def get_lead(session: Session, *, lead_id: uuid.UUID) -> Lead:
    """The lead with this id, or NotFound."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead {lead_id}")
    return lead


def find_leads(session: Session, *, key: str) -> list[Lead]:
    """Leads matching a lead id or a contact email (newest first)."""
    try:
        lead_id = uuid.UUID(key)
    except ValueError:
        contact = get_contact_by_email(session, email=key)
        if contact is None:
            return []
        statement = select(Lead).where(Lead.contact_id == contact.id)
        return list(session.exec(statement.order_by(col(Lead.created_at).desc())))
    lead = session.get(Lead, lead_id)
    return [lead] if lead is not None else []


def set_lead_status(
    session: Session,
    *,
    lead: Lead,
    status: LeadStatus,
    actor: str = "system",
    reason: str | None = None,
    next_action_at: datetime | None = None,
    clear_next_action: bool = False,
) -> Lead:
    """Move a lead to ``status`` and audit the transition."""
    previous = lead.status
    lead.status = status
    if next_action_at is not None:
        lead.next_action_at = next_action_at
    elif clear_next_action:
        lead.next_action_at = None
    lead.updated_at = utcnow()
    session.add(lead)
    record_audit(
        session,
        action="lead.status",
        actor=actor,
        entity_type="lead",
        entity_id=lead.id,
        data={"from": previous.value, "to": status.value, "reason": reason},
    )
    session.flush()
    return lead


def leads_of_campaign(
    session: Session, *, campaign_id: uuid.UUID, statuses: Sequence[LeadStatus] | None = None
) -> list[Lead]:
    """Leads of a campaign, optionally only those in the given states."""
    statement = select(Lead).where(Lead.campaign_id == campaign_id)
    if statuses:
        statement = statement.where(col(Lead.status).in_(list(statuses)))
    return list(session.exec(statement.order_by(col(Lead.created_at))))


# --- research, drafts, tasks --------------------------------------------------------------


def add_facts(session: Session, *, facts: Iterable[ResearchFact]) -> int:
    """Store research facts; returns how many."""
    rows = list(facts)
    session.add_all(rows)
    session.flush()
    return len(rows)


def facts_of_company(session: Session, *, company_id: uuid.UUID) -> list[ResearchFact]:
    """Research facts of a company, oldest first."""
    statement = select(ResearchFact).where(ResearchFact.company_id == company_id)
    return list(session.exec(statement.order_by(col(ResearchFact.created_at))))


def latest_draft(session: Session, *, lead_id: uuid.UUID, step: int | None = None) -> Draft | None:
    """The newest draft version of a lead (optionally of one step)."""
    statement = select(Draft).where(Draft.lead_id == lead_id)
    if step is not None:
        statement = statement.where(Draft.step == step)
    return session.exec(statement.order_by(col(Draft.step).desc(), col(Draft.version).desc())).first()


def drafts_of_lead(session: Session, *, lead_id: uuid.UUID) -> list[Draft]:
    """All draft versions of a lead."""
    statement = select(Draft).where(Draft.lead_id == lead_id)
    return list(session.exec(statement.order_by(col(Draft.step), col(Draft.version))))


def create_task(
    session: Session,
    *,
    kind: str,
    title: str,
    lead_id: uuid.UUID | None = None,
    body: str = "",
    assignee: str | None = None,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> Task:
    """Create a task for a human and audit it."""
    task = Task(
        kind=kind,
        title=title,
        lead_id=lead_id,
        body=body,
        assignee=assignee,
        payload=payload or {},
        due_at=due_at,
    )
    session.add(task)
    record_audit(session, action="task.created", entity_type="task", entity_id=task.id, data={"kind": kind})
    session.flush()
    return task


def list_tasks(
    session: Session, *, status: TaskStatus | None = None, assignee: str | None = None, limit: int = 100
) -> list[Task]:
    """Tasks, newest first."""
    statement = select(Task)
    if status is not None:
        statement = statement.where(Task.status == status)
    if assignee is not None:
        statement = statement.where(Task.assignee == assignee)
    return list(session.exec(statement.order_by(col(Task.created_at).desc()).limit(limit)))


def timeline(session: Session, *, lead_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every interaction of a lead in time order: drafts, mails out, mails in, tasks, audit."""
    items: list[dict[str, Any]] = []
    for draft in drafts_of_lead(session, lead_id=lead_id):
        items.append(
            {
                "at": draft.created_at,
                "type": "draft",
                "step": draft.step,
                "version": draft.version,
                "status": draft.status.value,
                "subject": draft.subject,
            }
        )
    for out in session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == lead_id)):
        items.append(
            {
                "at": out.sent_at or out.created_at,
                "type": "outbound",
                "step": out.step,
                "status": out.status.value,
                "subject": out.subject,
            }
        )
    for inbound in session.exec(select(InboundMessage).where(InboundMessage.lead_id == lead_id)):
        label = session.exec(
            select(ReplyClassification).where(ReplyClassification.inbound_id == inbound.id)
        ).first()
        items.append(
            {
                "at": inbound.received_at,
                "type": "inbound",
                "subject": inbound.subject,
                "label": label.label if label else None,
            }
        )
    for task in session.exec(select(Task).where(Task.lead_id == lead_id)):
        items.append(
            {
                "at": task.created_at,
                "type": "task",
                "kind": task.kind,
                "status": task.status.value,
                "title": task.title,
            }
        )
    for event in session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(lead_id))):
        items.append({"at": event.at, "type": "audit", "action": event.action, "data": event.data})
    return sorted(items, key=lambda item: item["at"])
