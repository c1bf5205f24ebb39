"""Research in the store: saved with its facts, reused while fresh, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.profile import CompanyProfile, Fact, Person
from agents.research_store import load_fresh_profile, save_profile
from tools.crm.db import session_scope
from tools.crm.models import AuditEvent, Company, ResearchFact
from tools.crm.repository import facts_of_company, upsert_company

RESEARCHED = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SOURCE = "https://www.mueller-maschinenbau.de/impressum"


def profile(**changes: object) -> CompanyProfile:
    base = CompanyProfile(
        domain="mueller-maschinenbau.de",
        name="Müller Maschinenbau",
        legal_name="Müller Maschinenbau GmbH",
        website="https://www.mueller-maschinenbau.de/",
        country="DE",
        industry="Mechanical engineering",
        description="Sondermaschinen für die Automobilindustrie.",
        employees=120,
        people=[Person(name="Petra Schmidt", role="Geschäftsführerin", source_url=SOURCE)],
        facts=[
            Fact(kind="legal_name", text="Müller Maschinenbau GmbH", source_url=SOURCE, retrieved_at=RESEARCHED),
            Fact(kind="register", text="Amtsgericht Stuttgart, HRB 723456", source_url=SOURCE, retrieved_at=RESEARCHED),
        ],
        pages_visited=["https://www.mueller-maschinenbau.de/", SOURCE],
        researched_at=RESEARCHED,
    )
    return base.model_copy(update=changes)


def test_a_saved_profile_is_reused_while_fresh(any_engine: Engine) -> None:
    with session_scope(any_engine) as session:
        company = save_profile(session, profile())
        assert company.domain == "mueller-maschinenbau.de"
    with Session(any_engine) as session:
        stored = session.exec(select(Company)).one()
        assert (stored.name, stored.legal_name, stored.country, stored.size_hint) == (
            "Müller Maschinenbau", "Müller Maschinenbau GmbH", "DE", "120 employees"
        )
        assert stored.researched_at == RESEARCHED
        facts = facts_of_company(session, company_id=stored.id)
        assert [(f.kind, f.text, f.source_url, f.retrieved_at) for f in facts] == [
            ("legal_name", "Müller Maschinenbau GmbH", SOURCE, RESEARCHED),
            ("register", "Amtsgericht Stuttgart, HRB 723456", SOURCE, RESEARCHED),
        ]
        fresh = load_fresh_profile(session, domain="https://www.Mueller-Maschinenbau.de/team",
                                   ttl_days=30, now=RESEARCHED + timedelta(days=29))
        assert fresh == profile()
        stale = load_fresh_profile(session, domain="mueller-maschinenbau.de", ttl_days=30,
                                   now=RESEARCHED + timedelta(days=30))
        assert stale is None
        assert load_fresh_profile(session, domain="mueller-maschinenbau.de", ttl_days=0, now=RESEARCHED) is None
        assert load_fresh_profile(session, domain="unknown.example", ttl_days=30, now=RESEARCHED) is None
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "research.saved")).one()
        assert audit.data["facts"] == 2


def test_saving_again_replaces_the_facts_and_updates_the_company(any_engine: Engine) -> None:
    with session_scope(any_engine) as session:
        save_profile(session, profile())
    later = RESEARCHED + timedelta(days=40)
    newer = profile(
        industry="Automation",
        researched_at=later,
        facts=[Fact(kind="vat_id", text="DE123456789", source_url=SOURCE, retrieved_at=later)],
    )
    with session_scope(any_engine) as session:
        save_profile(session, newer)
    with Session(any_engine) as session:
        assert session.exec(select(Company)).one().industry == "Automation"
        assert [f.kind for f in session.exec(select(ResearchFact)).all()] == ["vat_id"]
        again = load_fresh_profile(session, domain="mueller-maschinenbau.de", ttl_days=30, now=later)
        assert again is not None and again.industry == "Automation"


def test_a_site_that_could_not_be_read_is_saved_but_never_fresh(any_engine: Engine) -> None:
    failed = profile(pages_visited=[], facts=[], errors=["page https://x/: timeout after 15.0s"])
    with session_scope(any_engine) as session:
        save_profile(session, failed)
    with Session(any_engine) as session:
        assert session.exec(select(Company)).one().researched_at == RESEARCHED
        assert load_fresh_profile(session, domain="mueller-maschinenbau.de", ttl_days=30, now=RESEARCHED) is None


def test_a_company_without_research_or_with_an_unreadable_profile_is_not_fresh(any_engine: Engine) -> None:
    with session_scope(any_engine) as session:
        upsert_company(session, domain="mueller-maschinenbau.de", name="Müller")
    with Session(any_engine) as session:
        assert load_fresh_profile(session, domain="mueller-maschinenbau.de", ttl_days=30, now=RESEARCHED) is None
    with session_scope(any_engine) as session:
        company = session.exec(select(Company)).one()
        company.profile = {"domain": 42, "facts": "not a list"}
        company.researched_at = RESEARCHED
        session.add(company)
    with Session(any_engine) as session:
        assert load_fresh_profile(session, domain="mueller-maschinenbau.de", ttl_days=30, now=RESEARCHED) is None


def test_long_values_are_clipped_to_the_columns(any_engine: Engine) -> None:
    long_profile = profile(name="N" * 400, industry="I" * 300, country="Germany", employees=None,
                           size_signals=["rund " + "9" * 120])
    with session_scope(any_engine) as session:
        save_profile(session, long_profile)
    with Session(any_engine) as session:
        company = session.exec(select(Company)).one()
        assert len(company.name or "") == 300 and len(company.industry or "") == 200
        assert company.country is None and len(company.size_hint or "") == 100
