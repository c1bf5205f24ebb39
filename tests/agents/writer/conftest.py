"""Fixtures of the writer tests: the fixture campaigns, a researched German and English lead,
and a tiny in-memory implementation of the ``memory.types.Memory`` protocol."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from agents.campaign import CampaignSpec, load_campaign
from agents.profile import CompanyProfile, Fact, NewsItem
from agents.writer_types import DraftRequest, PreviousMail, Recipient
from memory.types import Interaction, InteractionKind, MemoryHit, Outcome

CAMPAIGNS = Path(__file__).resolve().parents[2] / "fixtures" / "campaigns"

NEWS_FACT = Fact(
    kind="news",
    text="2024-03-12: Müller Maschinenbau eröffnet neue Montagehalle in Stuttgart",
    source_url="https://mueller-maschinenbau.example/news",
)
DESCRIPTION_FACT = Fact(
    kind="description",
    text="Wir bauen Sondermaschinen für die Automobilindustrie.",
    source_url="https://mueller-maschinenbau.example/",
)
EMPLOYEES_FACT = Fact(
    kind="size",
    text="Die Müller Maschinenbau GmbH beschäftigt 180 Mitarbeitende am Standort Esslingen.",
    source_url="https://mueller-maschinenbau.example/karriere",
)
EN_NEWS_FACT = Fact(
    kind="news",
    text="2024-05-02: Northwind Robotics opens a second plant in Leeds",
    source_url="https://northwind-robotics.example/news",
)


@pytest.fixture
def news_fact() -> Fact:
    return NEWS_FACT


@pytest.fixture
def employees_fact() -> Fact:
    return EMPLOYEES_FACT


@pytest.fixture
def spec_de() -> CampaignSpec:
    """German, formal, full legal identity, three steps."""
    return load_campaign(CAMPAIGNS / "writer_de.yaml")


@pytest.fixture
def spec_en() -> CampaignSpec:
    """English (language auto), friendly, first-name salutation, two steps."""
    return load_campaign(CAMPAIGNS / "writer_en.yaml")


@pytest.fixture
def profile_de() -> CompanyProfile:
    """A researched German machine builder with a dated news item."""
    return CompanyProfile(
        domain="mueller-maschinenbau.example",
        name="Müller Maschinenbau GmbH",
        country="DE",
        language="de",
        industry="Maschinenbau",
        news=[
            NewsItem(
                title="Müller Maschinenbau eröffnet neue Montagehalle in Stuttgart",
                date="2024-03-12",
                source_url="https://mueller-maschinenbau.example/news",
            )
        ],
        facts=[NEWS_FACT, DESCRIPTION_FACT, EMPLOYEES_FACT],
    )


@pytest.fixture
def profile_en() -> CompanyProfile:
    """A researched English manufacturer."""
    return CompanyProfile(
        domain="northwind-robotics.example",
        name="Northwind Robotics",
        country="GB",
        language="en",
        industry="Robotics",
        facts=[EN_NEWS_FACT],
    )


@pytest.fixture
def anna() -> Recipient:
    return Recipient(id="contact-anna", first_name="Anna", last_name="Schmidt", salutation="Frau", role="Vertrieb")


@pytest.fixture
def request_de(spec_de: CampaignSpec, profile_de: CompanyProfile, anna: Recipient) -> DraftRequest:
    return DraftRequest(spec=spec_de, recipient=anna, profile=profile_de, lead_id="lead-1", campaign_id="camp-1")


@pytest.fixture
def follow_up_de(spec_de: CampaignSpec, profile_de: CompanyProfile, anna: Recipient) -> Callable[..., DraftRequest]:
    """Build a step-2 request after a given first mail."""

    def build(subject: str, body: str, step: int = 2) -> DraftRequest:
        return DraftRequest(
            spec=spec_de,
            step=step,
            recipient=anna,
            profile=profile_de,
            previous=[PreviousMail(step=1, subject=subject, body=body)],
        )

    return build


class ListMemory:
    """The Memory protocol over a list; similarity = shared lowercase words (a test double)."""

    def __init__(self) -> None:
        self.items: list[Interaction] = []
        self.queries: list[dict[str, object]] = []

    def add(self, interactions: list[Interaction]) -> None:
        ids = {i.id for i in interactions}
        self.items = [i for i in self.items if i.id not in ids] + list(interactions)

    def similar(
        self,
        text: str,
        *,
        kind: InteractionKind | None = None,
        company: str | None = None,
        contact: str | None = None,
        industry: str | None = None,
        outcome: Outcome | None = None,
        campaign: str | None = None,
        k: int = 5,
    ) -> list[MemoryHit]:
        self.queries.append({"text": text, "kind": kind, "campaign": campaign, "company": company})
        query = set(re.findall(r"\w+", text.lower()))
        hits = []
        for item in self.items:
            wanted = {"kind": kind, "company": company, "contact": contact, "industry": industry,
                      "outcome": outcome, "campaign": campaign}
            if any(v is not None and getattr(item, f) != v for f, v in wanted.items()):
                continue
            words = set(re.findall(r"\w+", item.text.lower()))
            overlap = len(query & words) / max(1, len(query | words))
            hits.append(MemoryHit(interaction=item, distance=1.0 - overlap))
        return sorted(hits, key=lambda h: h.distance)[:k]

    def for_contact(self, contact: str) -> list[Interaction]:
        return [i for i in self.items if i.contact == contact]

    def delete_contact(self, contact: str) -> int:
        before = len(self.items)
        self.items = [i for i in self.items if i.contact != contact]
        return before - len(self.items)


@pytest.fixture
def list_memory() -> ListMemory:
    return ListMemory()
