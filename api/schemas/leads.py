"""Models of leads, contacts, companies, research facts and the timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import EXAMPLE_CAMPAIGN_ID, EXAMPLE_ID, EXAMPLE_LEAD_ID, EXAMPLE_TIME, examples
from tools.crm.models import LawfulBasis, LeadStatus

_CONTACT = {"id": EXAMPLE_ID, "email": "anna.schmidt@kunde.example", "first_name": "Anna", "last_name": "Schmidt",
            "salutation": "Frau", "role": "Vertriebsleiterin", "language": "de", "country": "DE",
            "lawful_basis": "consent"}
_COMPANY = {"id": EXAMPLE_ID, "domain": "kunde.example", "name": "Kunde Maschinenbau GmbH",
            "website": "https://kunde.example", "industry": "Maschinenbau", "country": "DE",
            "size_hint": "250 Mitarbeiter", "employees": 250, "researched_at": EXAMPLE_TIME}
_FACT = {"id": "f_1a2b3c4d5e", "kind": "news", "text": "12.11.2026 – Neue Fertigungshalle in Augsburg eröffnet",
         "source_url": "https://kunde.example/presse", "retrieved_at": EXAMPLE_TIME}
_LEAD = {"id": EXAMPLE_LEAD_ID, "campaign_id": EXAMPLE_CAMPAIGN_ID, "status": "awaiting_approval", "fit_score": 72,
         "fit_reasons": ["industry: Maschinenbau"], "current_step": 1, "owner": "rep@muster.example",
         "next_action_at": None, "source": "listing", "created_at": EXAMPLE_TIME, "updated_at": EXAMPLE_TIME,
         "contact": _CONTACT, "company": _COMPANY}


class ContactSummary(BaseModel):
    """The person behind a lead."""

    model_config = examples(_CONTACT)

    id: uuid.UUID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    salutation: str | None = None
    role: str | None = None
    language: str | None = None
    country: str | None = None
    lawful_basis: LawfulBasis


class CompanySummary(BaseModel):
    """The company of a lead."""

    model_config = examples(_COMPANY)

    id: uuid.UUID
    domain: str
    name: str | None = None
    website: str | None = None
    industry: str | None = None
    country: str | None = None
    size_hint: str | None = None
    employees: int | None = None
    researched_at: datetime | None = None


class FactPublic(BaseModel):
    """A research fact with where and when it was read."""

    model_config = examples(_FACT)

    id: str = Field(description="Stable id that draft claims cite.")
    kind: str
    text: str
    source_url: str
    retrieved_at: datetime | None = None


class LeadPublic(BaseModel):
    """A contact in a campaign."""

    model_config = examples(_LEAD)

    id: uuid.UUID
    campaign_id: uuid.UUID
    status: LeadStatus
    fit_score: int | None = None
    fit_reasons: list[str] = Field(default_factory=list)
    current_step: int
    owner: str | None = None
    next_action_at: datetime | None = None
    source: str | None = None
    created_at: datetime
    updated_at: datetime
    contact: ContactSummary
    company: CompanySummary | None = None


class DraftSummary(BaseModel):
    """One draft version in a lead's history."""

    model_config = examples({"id": EXAMPLE_ID, "step": 1, "version": 1, "status": "pending",
                             "subject": "Ihre neue Fertigungshalle", "created_at": EXAMPLE_TIME})

    id: uuid.UUID
    step: int
    version: int
    status: str
    subject: str
    created_at: datetime


class LeadDetail(LeadPublic):
    """A lead with its research (facts and sources) and drafts."""

    model_config = examples({**_LEAD, "description": "Sondermaschinen für die Lebensmittelindustrie.",
                             "facts": [_FACT], "drafts": [], "sources": ["https://kunde.example/presse"]})

    description: str | None = None
    facts: list[FactPublic]
    drafts: list[DraftSummary]
    sources: list[str] = Field(description="Every page research read for this company.")


class TimelineItem(BaseModel):
    """One interaction: draft, outbound or inbound mail, task, or audit event."""

    model_config = examples({"at": EXAMPLE_TIME, "type": "inbound", "data": {"subject": "Re: Ihre Halle",
                                                                              "label": "interested"}})

    at: datetime
    type: str
    data: dict[str, Any]
