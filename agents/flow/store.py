"""Store access shared by the graph steps (short sessions, committed per step)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from agents.campaign import CampaignSpec
from agents.state import LeadState
from tools.crm.db import session_scope
from tools.crm.models import Campaign, Company, Contact, Lead
from tools.crm.repository import get_campaign, get_contact, get_lead


@dataclass
class LeadRows:
    """The rows a step usually needs, loaded in one session."""

    lead: Lead
    contact: Contact
    campaign: Campaign
    spec: CampaignSpec
    company: Company | None


@contextmanager
def lead_rows(engine: Engine, state: LeadState) -> Iterator[tuple[Session, LeadRows]]:
    """Open a session and load lead, contact, campaign (with its spec) and company."""
    with session_scope(engine) as session:
        lead = get_lead(session, lead_id=uuid.UUID(state["lead_id"]))
        contact = get_contact(session, contact_id=uuid.UUID(state["contact_id"]))
        campaign = get_campaign(session, campaign_id=uuid.UUID(state["campaign_id"]))
        company = session.get(Company, contact.company_id) if contact.company_id else None
        yield session, LeadRows(lead, contact, campaign, CampaignSpec.model_validate(campaign.spec), company)
