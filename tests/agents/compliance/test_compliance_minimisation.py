"""Data minimisation: private facts are dropped, business facts kept; old data is purged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.compliance.minimisation import is_business_fact, minimise_profile, purge_expired
from agents.profile import CompanyProfile, Fact, NewsItem, Person
from tools.crm.db import session_scope
from tools.crm.models import AuditEvent, Company, InboundMessage, ReplyClassification, ResearchFact
from tools.crm.repository import upsert_company
from tools.settings import Settings

SRC = "https://kunde.example/team"

# What the research filter (agents.minimise, reused here) must drop: one example per category.
PRIVATE = [
    "Frau Schmidt wurde am 3. Mai 1975 geboren.",
    "Max Müller was born in 1980 in Hamburg.",
    "Er ist verheiratet und hat zwei Kinder.",
    "She lives with her husband and three children near Munich.",
    "Er ist seit März schwer erkrankt.",
    "Privatadresse: Lindenweg 4, 80331 München",
    "Er ist Parteimitglied der CDU.",
]

BUSINESS = [
    "Familienunternehmen in dritter Generation, gegründet 1952.",
    "Family-owned manufacturer of hydraulic presses.",
    "Müller & Söhne GmbH liefert Sondermaschinen.",
    "Die Tochtergesellschaft in Polen fertigt Gehäuse.",
    "Software für das Gesundheitswesen und Krankenhäuser.",
    "Anbieter von Labordiagnostik für Kliniken.",
    "Geschäftsführerin: Dr. Anna Schmidt",
    "Sitz der Gesellschaft: Stuttgart, Amtsgericht Stuttgart HRB 12345",
    "Spielwaren für Kinder ab drei Jahren.",
]


@pytest.mark.parametrize("text", PRIVATE)
def test_private_statements_are_not_business_facts(text: str) -> None:
    assert not is_business_fact(text)


@pytest.mark.parametrize("text", BUSINESS)
def test_business_statements_are_kept(text: str) -> None:
    assert is_business_fact(text)


def test_research_profile_keeps_business_facts_only() -> None:
    profile = CompanyProfile(
        domain="kunde.example",
        facts=[Fact(text=text, source_url=SRC) for text in [*PRIVATE, *BUSINESS]],
        news=[NewsItem(title="Neue Fertigungshalle eröffnet", source_url=SRC)],
        people=[Person(name="Anna Schmidt", role="CEO, verheiratet", source_url=SRC),
                Person(name="Max Weber", role="Vertriebsleiter", source_url=SRC)],
    )
    dropped = minimise_profile(profile)
    assert dropped == len(PRIVATE)
    assert [f.text for f in profile.facts] == BUSINESS
    assert [p.role for p in profile.people] == [None, "Vertriebsleiter"]


def _seed_old_and_new(engine: Engine, now: datetime) -> None:
    old, new = now - timedelta(days=400), now - timedelta(days=10)
    with session_scope(engine) as session:
        stale = upsert_company(session, domain="alt.example", profile={"facts": [{"text": "x"}]}, researched_at=old)
        fresh = upsert_company(session, domain="neu.example", profile={"facts": [{"text": "y"}]}, researched_at=new)
        for company, when in ((stale, old), (fresh, new)):
            session.add(ResearchFact(company_id=company.id, text="Fakt", source_url=SRC, retrieved_at=when))
        for index, when in enumerate((old, new)):
            inbound = InboundMessage(message_id=f"<m{index}@x>", from_email="a@b.example", received_at=when)
            session.add(inbound)
            session.flush()
            session.add(ReplyClassification(inbound_id=inbound.id, label="interested", stage="rules"))


def test_purge_removes_only_expired_data(engine: Engine, settings: Settings) -> None:
    now = datetime.fromisoformat("2025-06-01T00:00:00+00:00")
    _seed_old_and_new(engine, now)
    with session_scope(engine) as session:
        report = purge_expired(session, now, settings)
    assert (report.research_facts, report.inbound_messages, report.classifications, report.profiles_cleared) == (
        1, 1, 1, 1)
    with Session(engine) as session:
        assert len(session.exec(select(ResearchFact)).all()) == 1
        assert [m.message_id for m in session.exec(select(InboundMessage))] == ["<m1@x>"]
        assert len(session.exec(select(ReplyClassification)).all()) == 1
        profiles = {c.domain: c.profile for c in session.exec(select(Company))}
        assert profiles == {"alt.example": {}, "neu.example": {"facts": [{"text": "y"}]}}
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.purged")).one()
        assert event.data["research_facts"] == 1
    with session_scope(engine) as session:
        again = purge_expired(session, now, settings)
    assert (again.research_facts, again.inbound_messages, again.profiles_cleared) == (0, 0, 0)


def test_shorter_retention_purges_more(engine: Engine, settings: Settings) -> None:
    now = datetime.fromisoformat("2025-06-01T00:00:00+00:00")
    _seed_old_and_new(engine, now)
    with session_scope(engine) as session:
        report = purge_expired(session, now, settings.model_copy(update={"retention_days": 5}))
    assert (report.research_facts, report.inbound_messages) == (2, 2)


def test_naive_now_is_rejected(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), session_scope(engine) as session:
        purge_expired(session, datetime(2025, 1, 1), settings)
