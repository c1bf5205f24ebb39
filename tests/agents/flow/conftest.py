"""A seeded store and an orchestrator on a fixed business-hours clock, for graph tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agents.campaign import CampaignSpec, load_campaign
from agents.profile import CompanyProfile, Fact, NewsItem, Person
from agents.research_store import save_profile
from agents.service import Orchestrator
from agents.testing import ScriptedLLM
from tests.tools.email.conftest import smtp_server  # noqa: F401 - the loopback SMTP server fixture
from tools.crm.models import LawfulBasis
from tools.crm.repository import add_lead, upsert_campaign, upsert_contact
from tools.email.transport import FileTransport
from tools.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "campaigns"
# Tuesday, 10:00 in Berlin: inside every default sending window.
TUESDAY_MORNING = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the orchestrator and the compliance checks."""

    def __init__(self, start: datetime = TUESDAY_MORNING) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def template_campaign(**changes: object) -> CampaignSpec:
    """The German writer fixture campaign, drafting with the deterministic template strategy."""
    spec = load_campaign(FIXTURES / "writer_de.yaml")
    data = spec.model_dump(mode="json")
    data["writer"]["strategy"] = "template"
    data.update(changes)
    return CampaignSpec.model_validate(data)


def mueller_profile(now: datetime) -> CompanyProfile:
    url = "http://mueller-maschinenbau.example/"
    return CompanyProfile(
        domain="mueller-maschinenbau.example",
        name="Müller Maschinenbau",
        legal_name="Müller Maschinenbau GmbH",
        website=url,
        industry="Maschinenbau",
        country="DE",
        language="de",
        employees=180,
        people=[
            Person(
                name="Anna Schmidt",
                role="Vertriebsleiterin",
                email="anna.schmidt@mueller-maschinenbau.example",
                source_url=url + "team",
            )
        ],
        news=[
            NewsItem(
                title="Neue Fertigungshalle in Augsburg eröffnet",
                date="12.11.2026",
                source_url=url + "presse",
            )
        ],
        facts=[
            Fact(
                kind="industry",
                text="Müller Maschinenbau baut Sondermaschinen für die Automobilindustrie.",
                source_url=url,
                retrieved_at=now,
            ),
            Fact(
                kind="news",
                text="12.11.2026 – Neue Fertigungshalle in Augsburg eröffnet",
                source_url=url + "presse",
                retrieved_at=now,
            ),
        ],
        pages_visited=[url, url + "team", url + "presse"],
        researched_at=now,
    )


@dataclass
class Seeded:
    """Ids of a seeded campaign with one lead."""

    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    lead_id: uuid.UUID
    spec: CampaignSpec


def seed_lead(
    engine: Engine,
    spec: CampaignSpec,
    *,
    email: str = "anna.schmidt@mueller-maschinenbau.example",
    basis: LawfulBasis = LawfulBasis.consent,
    now: datetime = TUESDAY_MORNING,
) -> Seeded:
    """A researched company, a contact with a lawful basis and a lead in the campaign."""
    with Session(engine) as session:
        company = save_profile(session, mueller_profile(now))
        campaign = upsert_campaign(session, name=spec.name, spec=spec.model_dump(mode="json"))
        contact = upsert_contact(
            session,
            email=email,
            first_name="Anna",
            last_name="Schmidt",
            salutation="Frau",
            role="Vertriebsleiterin",
            company_id=company.id,
            country="DE",
            language="de",
            lawful_basis=basis,
            basis_source="Messegespräch",
            basis_date=now,
        )
        lead, _ = add_lead(session, campaign_id=campaign.id, contact_id=contact.id, owner="rep@muster-software.example")
        session.commit()
        return Seeded(campaign.id, contact.id, lead.id, spec)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def flow_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"send_min_spacing_s": 0.0})


@pytest.fixture
def open_orchestrator(flow_settings: Settings, engine: Engine, clock: Clock) -> Callable[..., object]:
    """``async with open_orchestrator(llm) as orch`` — a fresh orchestrator on the same store."""

    def opener(llm: ScriptedLLM | None = None) -> object:
        return Orchestrator.open(
            flow_settings,
            engine=engine,
            llm=llm or ScriptedLLM(),
            use_memory=False,
            transport=FileTransport(flow_settings.outbox_dir),
            clock=clock,
        )

    return opener


@pytest.fixture
async def orchestrator(open_orchestrator: Callable[..., object]) -> AsyncIterator[Orchestrator]:
    async with open_orchestrator() as orch:  # type: ignore[attr-defined]
        yield orch
