"""The CRM store on SQLite and PostgreSQL: constraints, upserts, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tools.crm import repository as repo
from tools.crm.models import AuditEvent, Company, Contact, Lead, LeadStatus, OutboxMessage, SuppressionKind, TaskStatus
from tools.crm.suppression import add_suppression, is_suppressed


def _campaign(session: Session) -> tuple[Lead, Contact]:
    campaign = repo.upsert_campaign(session, name="demo", spec={"name": "demo"})
    contact = repo.upsert_contact(session, email="Anna@Muster.de", first_name="Anna")
    lead, created = repo.add_lead(session, campaign_id=campaign.id, contact_id=contact.id)
    assert created
    return lead, contact


def test_company_domain_is_unique_and_registrable(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        first = repo.upsert_company(session, domain="https://www.muster.de/impressum", name="Muster")
        second = repo.upsert_company(session, domain="shop.muster.de", industry="Maschinenbau")
        session.commit()
        assert first.id == second.id
        assert second.domain == "muster.de"
        assert second.name == "Muster" and second.industry == "Maschinenbau"
    with Session(any_engine) as session:
        session.add(Company(domain="muster.de"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_contact_email_unique_case_insensitive(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        a = repo.upsert_contact(session, email="Anna@Muster.de", first_name="Anna")
        b = repo.upsert_contact(session, email="anna@muster.de ", role="CEO")
        session.commit()
        assert a.id == b.id and b.role == "CEO" and b.first_name == "Anna"
        assert len(session.exec(select(Contact)).all()) == 1


def test_lead_is_added_once(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        lead, contact = _campaign(session)
        again, created = repo.add_lead(session, campaign_id=lead.campaign_id, contact_id=contact.id)
        session.commit()
        assert not created and again.id == lead.id
        assert repo.find_leads(session, key="ANNA@muster.de")[0].id == lead.id
        assert repo.find_leads(session, key=str(lead.id))[0].id == lead.id
        assert repo.find_leads(session, key="nobody@nowhere.de") == []


def test_one_outbox_row_per_lead_and_step(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        lead, contact = _campaign(session)
        session.commit()
        common = dict(campaign_id=lead.campaign_id, contact_id=contact.id, lead_id=lead.id,
                      from_email="s@x.de", to_email=contact.email, subject="Hallo", body="…")
        session.add(OutboxMessage(step=1, message_id="<a@x>", **common))
        session.commit()
        session.add(OutboxMessage(step=1, message_id="<b@x>", **common))
        with pytest.raises(IntegrityError):
            session.commit()


def test_timestamps_are_utc_aware_after_round_trip(any_engine: Engine) -> None:
    berlin = timezone(timedelta(hours=1))
    with Session(any_engine) as session:
        lead, _ = _campaign(session)
        repo.set_lead_status(session, lead=lead, status=LeadStatus.paused,
                             next_action_at=datetime(2027, 1, 15, 9, 0, tzinfo=berlin))
        session.commit()
        lead_id = lead.id
    with Session(any_engine) as session:
        stored = repo.get_lead(session, lead_id=lead_id)
        assert stored.next_action_at == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
        assert stored.next_action_at.tzinfo is not None and stored.created_at.tzinfo is not None
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "lead.status")).one()
        assert audit.data == {"from": "new", "to": "paused", "reason": None}


def test_naive_datetime_is_rejected(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        lead, _ = _campaign(session)
        lead.next_action_at = datetime(2027, 1, 1)
        session.add(lead)
        with pytest.raises(Exception, match="naive datetime"):
            session.commit()


def test_unknown_ids_raise_not_found(any_engine: Engine) -> None:
    import uuid

    with Session(any_engine) as session, pytest.raises(repo.NotFound):
        repo.get_lead(session, lead_id=uuid.uuid4())


def test_tasks_and_timeline(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        lead, _ = _campaign(session)
        repo.create_task(session, kind="escalation", title="Anna is interested", lead_id=lead.id, assignee="rep@x.de")
        session.commit()
        assert [t.title for t in repo.list_tasks(session, status=TaskStatus.open, assignee="rep@x.de")] == [
            "Anna is interested"
        ]
        kinds = [item["type"] for item in repo.timeline(session, lead_id=lead.id)]
        assert "task" in kinds


def test_suppression_is_hashed_and_covers_domains(any_engine: Engine) -> None:
    with Session(any_engine) as session:
        add_suppression(session, value="Anna@Muster.de", kind=SuppressionKind.address, reason="unsubscribe",
                        secret="k1")
        add_suppression(session, value="blocked.example", kind=SuppressionKind.domain, reason="manual", secret="k1")
        again = add_suppression(session, value="anna@muster.de", kind=SuppressionKind.address, reason="bounce",
                                secret="k1")
        session.commit()
        assert again.reason == "unsubscribe"
        assert "anna" not in again.value_hash and again.hint == "A***@Muster.de"
        assert is_suppressed(session, email="ANNA@muster.de", secret="k1") == "unsubscribe"
        assert is_suppressed(session, email="x@blocked.example", secret="k1") == "manual"
        assert is_suppressed(session, email="bob@muster.de", secret="k1") is None
        assert is_suppressed(session, email="anna@muster.de", secret="other-key") is None
        with pytest.raises(ValueError):
            add_suppression(session, value="no-at-sign", kind=SuppressionKind.address, reason="x", secret="k1")
