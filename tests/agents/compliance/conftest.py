"""Fixtures of the compliance tests: a complete campaign and a factory for leads with queued mail."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import Session

from agents.campaign import CampaignSpec
from agents.compliance.legal import legal_footer_block
from agents.compliance.unsubscribe import unsubscribe_url
from tools.crm.models import Campaign, Company, Contact, Draft, LawfulBasis, Lead, LeadStatus, OutboxMessage
from tools.crm.repository import add_lead, upsert_campaign, upsert_company, upsert_contact
from tools.crm.types import utcnow
from tools.email.outbox import enqueue
from tools.settings import Settings

SPEC: dict[str, Any] = {
    "name": "dach-maschinenbau",
    "language": "de",
    "owner": "vertrieb@muster-software.example",
    "sender": {
        "name": "Erika Mustermann",
        "email": "erika@muster-software.example",
        "legal": {
            "company_name": "Muster Software GmbH",
            "legal_form": "GmbH",
            "street": "Beispielstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "register_court": "Amtsgericht Charlottenburg",
            "register_number": "HRB 123456 B",
            "managing_directors": ["Erika Mustermann", "Max Beispiel"],
            "vat_id": "DE123456789",
            "privacy_url": "https://muster-software.example/datenschutz",
        },
    },
    "offer": {
        "product": "Cloud-CRM für den Mittelstand",
        "value_proposition": "Alle Kundenkontakte an einem Ort.",
        "call_to_action": "Hätten Sie 15 Minuten?",
    },
    "sequence": [{"step": 1}, {"step": 2, "delay_business_days": 3}],
    "limits": {"daily_sends": 30, "per_domain_daily": 3},
    "sending_window": {"start_hour": 8, "end_hour": 18, "business_days_only": True},
}

# A Wednesday, 10:00 in Berlin (CET, UTC+1).
WEDNESDAY_10_BERLIN = datetime.fromisoformat("2025-01-15T09:00:00+00:00")


@dataclass
class Seeded:
    """One lead with a queued first mail."""

    campaign: Campaign
    company: Company
    contact: Contact
    lead: Lead
    draft: Draft
    row: OutboxMessage


class Seeder:
    """Creates campaigns, contacts, leads, drafts and outbox rows for one test."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def spec(self, **changes: Any) -> dict[str, Any]:
        """The complete campaign, with top-level keys replaced."""
        data = copy.deepcopy(SPEC)
        data.update(changes)
        return data

    def campaign(self, session: Session, spec: dict[str, Any] | None = None, *, status: str = "active") -> Campaign:
        data = spec or self.spec()
        return upsert_campaign(session, name=data["name"], spec=data, status=status)

    def lead(
        self,
        session: Session,
        *,
        email: str = "anna.schmidt@kunde-gmbh.example",
        country: str | None = "DE",
        basis: LawfulBasis = LawfulBasis.consent,
        basis_source: str | None = "Messe-Formular 2024",
        basis_date: datetime | None = None,
        campaign: Campaign | None = None,
        sender: str | None = None,
        phones: list[str] | None = None,
        language: str = "de",
        step: int = 1,
        timezone: str | None = None,
        body: str | None = None,
    ) -> Seeded:
        campaign = campaign or self.campaign(session)
        domain = email.rpartition("@")[2]
        company = upsert_company(
            session, domain=domain, name=f"Kunde {domain}", country=country,
            profile={"phones": phones} if phones else {},
        )
        contact = upsert_contact(
            session, email=email, first_name="Anna", last_name="Schmidt", salutation="Frau",
            company_id=company.id, country=country, lawful_basis=basis, basis_source=basis_source,
            basis_date=basis_date or (utcnow() if basis_source else None), language=language, timezone=timezone,
        )
        lead, _ = add_lead(session, campaign_id=campaign.id, contact_id=contact.id)
        lead.status = LeadStatus.approved
        spec = CampaignSpec.model_validate(campaign.spec)
        if body is None:
            footer = legal_footer_block(
                spec, "de", unsubscribe_url=unsubscribe_url(self.settings, contact.id, campaign.id)
            )
            body = f"Sehr geehrte Frau Schmidt,\n\nein Angebot.\n\n{footer}"
        text = body
        draft = Draft(lead_id=lead.id, step=step, subject="Ihr Vertrieb", body=text, language=language)
        session.add_all([lead, draft])
        session.flush()
        row = enqueue(
            session, campaign_id=campaign.id, contact_id=contact.id, lead_id=lead.id, step=step,
            draft_id=draft.id, from_email=sender or spec.sender.email, to_email=email, subject="Ihr Vertrieb",
            body=text,
        )
        session.flush()
        return Seeded(campaign, company, contact, lead, draft, row)


@pytest.fixture
def seeder(settings: Settings) -> Seeder:
    """A factory for leads with queued mail."""
    return Seeder(settings)


@pytest.fixture
def fixed_id() -> uuid.UUID:
    """A stable UUID for token tests."""
    return uuid.UUID("12345678-1234-5678-1234-567812345678")
