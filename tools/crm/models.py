"""The system of record: SQLModel tables for CRM, drafts, mail, tasks, compliance and audit.

One concept per table; UUID keys; UTC-aware timestamps; unique constraints where a
duplicate would hurt (company domain, contact email, one outbox row per lead and step).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tools.crm.types import UTCDateTime, utcnow


def _ts(*, index: bool = False, nullable: bool = False) -> Any:
    return Field(
        default_factory=None if nullable else utcnow,
        sa_type=UTCDateTime,
        index=index,
        nullable=nullable,
    )


def _json(default: Any = dict) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class LawfulBasis(StrEnum):
    """Recorded legal basis for contacting a person (DSGVO Art. 6 / UWG §7)."""

    consent = "consent"
    existing_customer = "existing_customer"
    legitimate_interest = "legitimate_interest"
    none = "none"


class EmailStatus(StrEnum):
    unknown = "unknown"
    valid = "valid"
    invalid = "invalid"


class LeadStatus(StrEnum):
    """Where a contact stands in one campaign."""

    new = "new"
    researched = "researched"
    skipped = "skipped"
    drafted = "drafted"
    awaiting_approval = "awaiting_approval"
    approved = "approved"
    rejected = "rejected"
    sent = "sent"
    replied = "replied"
    interested = "interested"
    paused = "paused"
    suppressed = "suppressed"
    blocked = "blocked"
    closed = "closed"
    failed = "failed"


class DraftStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"
    sent = "sent"


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    refused = "refused"


class TaskStatus(StrEnum):
    open = "open"
    done = "done"


class SuppressionKind(StrEnum):
    address = "address"
    domain = "domain"


class Company(SQLModel, table=True):
    """A company we may sell to, keyed by its registrable domain."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    domain: str = Field(unique=True, index=True, max_length=253)
    name: str | None = Field(default=None, max_length=300)
    legal_name: str | None = Field(default=None, max_length=300)
    website: str | None = Field(default=None, max_length=2048)
    country: str | None = Field(default=None, max_length=2)
    industry: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, sa_type=Text)
    size_hint: str | None = Field(default=None, max_length=100)
    profile: dict[str, Any] = _json()
    researched_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Contact(SQLModel, table=True):
    """A person at a company, keyed by email address."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=320)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    salutation: str | None = Field(default=None, max_length=20, description="Frau / Herr / None")
    role: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    linkedin_url: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=5)
    country: str | None = Field(default=None, max_length=2)
    timezone: str | None = Field(default=None, max_length=64)
    company_id: uuid.UUID | None = Field(default=None, foreign_key="company.id", index=True)
    lawful_basis: LawfulBasis = Field(default=LawfulBasis.none)
    basis_source: str | None = Field(default=None, max_length=300)
    basis_date: datetime | None = _ts(nullable=True)
    email_status: EmailStatus = Field(default=EmailStatus.unknown)
    soft_bounces: int = Field(default=0)
    source: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Campaign(SQLModel, table=True):
    """A campaign; ``spec`` holds the validated ``CampaignSpec`` as JSON."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=64)
    status: str = Field(default="active", max_length=20)
    spec: dict[str, Any] = _json()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Lead(SQLModel, table=True):
    """A contact in a campaign."""

    __table_args__ = (UniqueConstraint("campaign_id", "contact_id", name="uq_lead_campaign_contact"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", index=True)
    contact_id: uuid.UUID = Field(foreign_key="contact.id", index=True)
    status: LeadStatus = Field(default=LeadStatus.new, index=True)
    fit_score: int | None = Field(default=None)
    fit_reasons: list[str] = _json(list)
    current_step: int = Field(default=0)
    owner: str | None = Field(default=None, max_length=320)
    next_action_at: datetime | None = _ts(nullable=True, index=True)
    source: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ResearchFact(SQLModel, table=True):
    """One thing we know about a company or person, with where and when we read it."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    company_id: uuid.UUID = Field(foreign_key="company.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contact.id", index=True)
    kind: str = Field(default="fact", max_length=50)
    text: str = Field(sa_type=Text)
    source_url: str = Field(max_length=2048)
    retrieved_at: datetime = _ts()
    created_at: datetime = _ts(index=True)


class Draft(SQLModel, table=True):
    """One version of one mail of a lead's sequence."""

    __table_args__ = (UniqueConstraint("lead_id", "step", "version", name="uq_draft_lead_step_version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    step: int = Field(default=1)
    version: int = Field(default=1)
    subject: str = Field(max_length=500)
    body: str = Field(sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    language: str = Field(default="en", max_length=5)
    claims: list[dict[str, Any]] = _json(list)
    guardrails: list[dict[str, Any]] = _json(list)
    strategy: str = Field(default="template", max_length=20)
    prompt_id: str | None = Field(default=None, max_length=100)
    prompt_version: str | None = Field(default=None, max_length=20)
    status: DraftStatus = Field(default=DraftStatus.pending, index=True)
    created_by: str = Field(default="agent", max_length=320)
    edited_from_id: uuid.UUID | None = Field(default=None, foreign_key="draft.id")
    reject_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _ts()


class OutboxMessage(SQLModel, table=True):
    """The only way a mail leaves: pending → sending → sent | failed | refused."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", "step", name="uq_outbox_campaign_contact_step"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", index=True)
    contact_id: uuid.UUID = Field(foreign_key="contact.id", index=True)
    lead_id: uuid.UUID = Field(foreign_key="lead.id", index=True)
    draft_id: uuid.UUID | None = Field(default=None, foreign_key="draft.id")
    step: int = Field(default=1)
    message_id: str = Field(unique=True, max_length=300)
    from_email: str = Field(max_length=320)
    to_email: str = Field(max_length=320)
    subject: str = Field(max_length=500)
    body: str = Field(sa_type=Text)
    body_html: str | None = Field(default=None, sa_type=Text)
    in_reply_to: str | None = Field(default=None, max_length=300)
    references: str | None = Field(default=None, sa_type=Text)
    status: OutboxStatus = Field(default=OutboxStatus.pending, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=Text)
    refusal_code: str | None = Field(default=None, max_length=50)
    transport_id: str | None = Field(default=None, max_length=500)
    scheduled_at: datetime | None = _ts(nullable=True, index=True)
    sent_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class InboundMessage(SQLModel, table=True):
    """A received mail; unmatched ones are kept (lead_id empty) and listed."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    message_id: str | None = Field(default=None, unique=True, max_length=300)
    in_reply_to: str | None = Field(default=None, max_length=300)
    references: str | None = Field(default=None, sa_type=Text)
    from_email: str = Field(default="", max_length=320, index=True)
    to_email: str | None = Field(default=None, max_length=320)
    subject: str = Field(default="", max_length=1000)
    body_text: str = Field(default="", sa_type=Text)
    stripped_text: str = Field(default="", sa_type=Text)
    headers: dict[str, Any] = _json()
    raw: str | None = Field(default=None, sa_type=Text)
    lead_id: uuid.UUID | None = Field(default=None, foreign_key="lead.id", index=True)
    outbox_id: uuid.UUID | None = Field(default=None, foreign_key="outboxmessage.id")
    match_method: str | None = Field(default=None, max_length=30)
    processed: bool = Field(default=False, index=True)
    received_at: datetime = _ts(index=True)


class ReplyClassification(SQLModel, table=True):
    """What a reply means, which stage of the cascade decided, and extracted fields.

    One final and at most one provisional (awaiting a human) row per inbound mail, so two
    workers racing on the same reply cannot both act on it.
    """

    __table_args__ = (
        UniqueConstraint("inbound_id", "provisional", name="uq_replyclassification_inbound_provisional"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    inbound_id: uuid.UUID = Field(foreign_key="inboundmessage.id", index=True)
    lead_id: uuid.UUID | None = Field(default=None, foreign_key="lead.id", index=True)
    label: str = Field(max_length=30, index=True)
    confidence: float = Field(default=0.0)
    stage: str = Field(max_length=20)
    provisional: bool = Field(default=False)
    fields: dict[str, Any] = _json()
    created_at: datetime = _ts()


class Task(SQLModel, table=True):
    """Work for a human: an escalation, a review, another channel to try."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID | None = Field(default=None, foreign_key="lead.id", index=True)
    kind: str = Field(max_length=30, index=True)
    title: str = Field(max_length=500)
    body: str = Field(default="", sa_type=Text)
    payload: dict[str, Any] = _json()
    status: TaskStatus = Field(default=TaskStatus.open, index=True)
    assignee: str | None = Field(default=None, max_length=320, index=True)
    due_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    completed_at: datetime | None = _ts(nullable=True)


class Suppression(SQLModel, table=True):
    """Never mail this address or domain; stored as a keyed hash, with a masked hint."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    value_hash: str = Field(unique=True, index=True, max_length=128)
    kind: SuppressionKind = Field(default=SuppressionKind.address)
    reason: str = Field(max_length=30)
    hint: str = Field(default="", max_length=320)
    source: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    """An append-only record of who did what."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(default="system", max_length=320)
    action: str = Field(max_length=80, index=True)
    entity_type: str | None = Field(default=None, max_length=40)
    entity_id: str | None = Field(default=None, max_length=64, index=True)
    data: dict[str, Any] = _json()


class LLMCall(SQLModel, table=True):
    """Accounting of one model call."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = _ts(index=True)
    model: str = Field(max_length=200)
    agent: str | None = Field(default=None, max_length=50, index=True)
    prompt_id: str | None = Field(default=None, max_length=100)
    prompt_version: str | None = Field(default=None, max_length=20)
    campaign_id: uuid.UUID | None = Field(default=None, index=True)
    lead_id: uuid.UUID | None = Field(default=None, index=True)
    input_tokens: int = Field(default=0)
    output_tokens: int = Field(default=0)
    latency_ms: int = Field(default=0)
    cost_usd: float = Field(default=0.0)
    cached: bool = Field(default=False)
    ok: bool = Field(default=True)
    error: str | None = Field(default=None, sa_type=Text)


class NodeRun(SQLModel, table=True):
    """One execution of one graph node for one lead: the trace behind `outreach trace`."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    thread_id: str = Field(max_length=100, index=True)
    lead_id: uuid.UUID | None = Field(default=None, index=True)
    node: str = Field(max_length=50)
    status: str = Field(default="ok", max_length=20, description="ok | interrupted | error")
    started_at: datetime = _ts(index=True)
    ended_at: datetime | None = _ts(nullable=True)
    duration_ms: int = Field(default=0)
    llm_calls: int = Field(default=0)
    tool_calls: list[str] = _json(list)
    error: str | None = Field(default=None, sa_type=Text)
    detail: dict[str, Any] = _json()
