"""The send-time check: every refusal and deferral code, its audit trail and side effects."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.compliance.channels import OTHER_CHANNEL_TASK
from agents.compliance.config import ComplianceSettings
from agents.compliance.sendcheck import (
    DEFERRAL_CODES,
    REFUSAL_CODES,
    SendDecision,
    Verdict,
    as_precheck_result,
    check_send,
)
from tools.crm.db import session_scope
from tools.crm.models import (
    AuditEvent,
    EmailStatus,
    LawfulBasis,
    LeadStatus,
    OutboxMessage,
    SuppressionKind,
    Task,
)
from tools.crm.suppression import add_suppression
from tools.email.outbox import Deferral
from tools.settings import Settings

NOW = datetime.fromisoformat("2025-01-15T09:00:00+00:00")  # Wednesday 10:00 Berlin
STRICT = ComplianceSettings()


def _check(engine: Engine, settings: Settings, row_id: uuid.UUID, *, now: datetime = NOW,
           config: ComplianceSettings = STRICT) -> SendDecision:
    with session_scope(engine) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return check_send(session, row, settings=settings, config=config, now=now, rng=random.Random(0))


def _audit(engine: Engine, row_id: uuid.UUID) -> list[dict[str, Any]]:
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(row_id))).all()
        return [{"action": e.action, **e.data} for e in events if e.action.startswith("compliance.")]


def _seed(engine: Engine, seeder: Any, **kwargs: Any) -> Any:
    with session_scope(engine) as session:
        return seeder.lead(session, **kwargs)


def test_de_lead_with_recorded_consent_may_send(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder)
    decision = _check(engine, settings, seeded.row.id)
    assert decision == SendDecision(Verdict.send)
    assert as_precheck_result(decision) is None
    assert _audit(engine, seeded.row.id) == []


def _refused(engine: Engine, settings: Settings, row_id: uuid.UUID, code: str, **kwargs: Any) -> SendDecision:
    decision = _check(engine, settings, row_id, **kwargs)
    assert decision.verdict is Verdict.refuse, decision
    assert decision.code == code, decision
    assert as_precheck_result(decision) == code
    assert [e["code"] for e in _audit(engine, row_id) if e["action"] == "compliance.refused"][-1] == code
    return decision


def test_suppression_added_after_approval_refuses_and_suppresses_the_lead(
    engine: Engine, settings: Settings, seeder: Any
) -> None:
    seeded = _seed(engine, seeder)
    with session_scope(engine) as session:  # the bare ledger entry, as a bounce handler might add it
        add_suppression(session, value=seeded.contact.email, kind=SuppressionKind.address, reason="complaint",
                        secret=settings.secret_key.get_secret_value())
    decision = _refused(engine, settings, seeded.row.id, "suppressed")
    assert "complaint" in decision.detail
    with Session(engine) as session:
        lead = session.get(type(seeded.lead), seeded.lead.id)
        assert lead is not None and lead.status is LeadStatus.suppressed


def test_suppressed_domain_refuses(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder)
    with session_scope(engine) as session:
        add_suppression(session, value="kunde-gmbh.example", kind=SuppressionKind.domain, reason="manual",
                        secret=settings.secret_key.get_secret_value())
    _refused(engine, settings, seeded.row.id, "suppressed")


def test_missing_contact_is_refused(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder)
    ghost = seeded.row.model_copy(update={"id": uuid.uuid4(), "contact_id": uuid.uuid4()})
    with session_scope(engine) as session:
        decision = check_send(session, ghost, settings=settings, config=STRICT, now=NOW)
    assert (decision.verdict, decision.code) == (Verdict.refuse, "contact_missing")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"email_status": EmailStatus.invalid}, "email_invalid"),
        ({"lead_status": LeadStatus.closed}, "lead_inactive"),
        ({"campaign_status": "archived"}, "campaign_inactive"),
        ({"campaign_spec": {"name": "broken"}}, "campaign_inactive"),
    ],
)
def test_state_refusals(engine: Engine, settings: Settings, seeder: Any, change: dict[str, Any], code: str) -> None:
    seeded = _seed(engine, seeder)
    with session_scope(engine) as session:
        if "email_status" in change:
            contact = session.get(type(seeded.contact), seeded.contact.id)
            assert contact is not None
            contact.email_status = change["email_status"]
            session.add(contact)
        if "lead_status" in change:
            lead = session.get(type(seeded.lead), seeded.lead.id)
            assert lead is not None
            lead.status = change["lead_status"]
            session.add(lead)
        campaign = session.get(type(seeded.campaign), seeded.campaign.id)
        assert campaign is not None
        campaign.status = change.get("campaign_status", campaign.status)
        campaign.spec = change.get("campaign_spec", campaign.spec)
        session.add(campaign)
    _refused(engine, settings, seeded.row.id, code)


def test_incomplete_legal_details_refuse_and_list_what_is_missing(
    engine: Engine, settings: Settings, seeder: Any
) -> None:
    spec = seeder.spec()
    spec["sender"]["legal"]["register_number"] = None
    spec["sender"]["legal"]["managing_directors"] = []
    with session_scope(engine) as session:
        campaign = seeder.campaign(session, spec)
        seeded = seeder.lead(session, campaign=campaign, body="Hallo, Muster Software GmbH")
    decision = _refused(engine, settings, seeded.row.id, "legal_incomplete")
    assert "sender.legal.register_number" in decision.detail
    assert "sender.legal.managing_directors" in decision.detail


def test_body_without_footer_is_refused(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder, body="Sehr geehrte Frau Schmidt, ein Angebot ohne Impressum.")
    _refused(engine, settings, seeded.row.id, "footer_missing")


def test_smtp_needs_https_links_and_a_real_secret(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder)
    smtp_http = settings.model_copy(update={"email_transport": "smtp"})
    _refused(engine, smtp_http, seeded.row.id, "unsubscribe_not_https")
    smtp_https = smtp_http.model_copy(update={"public_base_url": "https://outreach.muster.example"})
    _refused(engine, smtp_https, seeded.row.id, "secret_key_default")


def test_de_lead_without_consent_gets_one_channel_task(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder, basis=LawfulBasis.legitimate_interest, basis_source=None,
                   phones=["+49 89 123456"])
    decision = _refused(engine, settings, seeded.row.id, "lawful_basis_missing")
    assert "DE" in decision.detail
    _refused(engine, settings, seeded.row.id, "lead_inactive")  # the lead is blocked now
    with session_scope(engine) as session:  # a rep re-approves without recording consent
        lead = session.get(type(seeded.lead), seeded.lead.id)
        assert lead is not None
        lead.status = LeadStatus.approved
        session.add(lead)
    _refused(engine, settings, seeded.row.id, "lawful_basis_missing")  # refused again, still one task
    with Session(engine) as session:
        tasks = session.exec(select(Task).where(Task.lead_id == seeded.lead.id)).all()
        lead = session.get(type(seeded.lead), seeded.lead.id)
    assert len(tasks) == 1 and tasks[0].kind == OTHER_CHANNEL_TASK
    task = tasks[0]
    assert "+49 89 123456" in task.body
    assert task.payload["language"] == "de"
    note = task.payload["channels"][1]["message"]
    assert note.startswith("Guten Tag Frau Schmidt,") and "Hätten Sie" in note and len(note) <= 300
    assert task.assignee == "vertrieb@muster-software.example"
    assert lead is not None and lead.status is LeadStatus.blocked


def test_consent_without_recorded_source_is_not_enough(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder, basis=LawfulBasis.consent, basis_source=None)
    decision = _refused(engine, settings, seeded.row.id, "lawful_basis_missing")
    assert "Art. 7" in decision.detail


def test_swiss_lead_on_legitimate_interest_may_send(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder, email="urs@firma.example", country="CH",
                   basis=LawfulBasis.legitimate_interest, basis_source=None)
    assert _check(engine, settings, seeded.row.id).verdict is Verdict.send


def test_english_channel_task_for_an_english_lead(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder, email="jo@firm.example", country=None, language="en",
                   basis=LawfulBasis.legitimate_interest, basis_source=None)
    _refused(engine, settings, seeded.row.id, "lawful_basis_missing")
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.lead_id == seeded.lead.id)).one()
    assert task.payload["language"] == "en"
    assert "Would you be open" in task.payload["channels"][1]["message"]
    assert "no number known" in task.body


def _deferred(engine: Engine, settings: Settings, row_id: uuid.UUID, code: str, **kwargs: Any) -> SendDecision:
    decision = _check(engine, settings, row_id, **kwargs)
    assert decision.verdict is Verdict.defer and decision.code == code, decision
    result = as_precheck_result(decision)
    assert isinstance(result, Deferral) and result.until == decision.until and result.reason == code
    return decision


def test_saturday_defers_to_monday_morning_in_the_recipients_zone(
    engine: Engine, settings: Settings, seeder: Any
) -> None:
    seeded = _seed(engine, seeder)
    saturday = datetime.fromisoformat("2025-01-18T10:00:00+00:00")
    decision = _deferred(engine, settings, seeded.row.id, "outside_window", now=saturday)
    assert decision.until == datetime.fromisoformat("2025-01-20T07:00:00+00:00")  # Mon 08:00 CET


def test_contact_timezone_wins(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded = _seed(engine, seeder, timezone="America/New_York")
    decision = _deferred(engine, settings, seeded.row.id, "outside_window")  # 04:00 in New York
    assert decision.until == datetime.fromisoformat("2025-01-15T13:00:00+00:00")


def test_paused_campaign_defers(engine: Engine, settings: Settings, seeder: Any) -> None:
    with session_scope(engine) as session:
        campaign = seeder.campaign(session, status="paused")
        seeded = seeder.lead(session, campaign=campaign)
    decision = _deferred(engine, settings, seeded.row.id, "campaign_paused")
    assert decision.until == NOW + timedelta(hours=1)


def test_caps_and_spacing_defer_with_the_right_moment(engine: Engine, settings: Settings, seeder: Any) -> None:
    spec = seeder.spec(limits={"daily_sends": 2, "per_domain_daily": 1})
    with session_scope(engine) as session:
        campaign = seeder.campaign(session, spec)
        first = seeder.lead(session, campaign=campaign, email="a@one.example")
        same_domain = seeder.lead(session, campaign=campaign, email="b@one.example")
        second = seeder.lead(session, campaign=campaign, email="c@two.example")
        third = seeder.lead(session, campaign=campaign, email="d@three.example")
    assert _check(engine, settings, first.row.id).verdict is Verdict.send
    spacing = _deferred(engine, settings, second.row.id, "spacing")
    assert spacing.until is not None
    assert timedelta(seconds=60) <= spacing.until - NOW <= timedelta(seconds=90)  # 60 s + up to 50 % jitter
    later = NOW + timedelta(minutes=5)
    tomorrow_8 = datetime.fromisoformat("2025-01-16T07:00:00+00:00")
    assert _deferred(engine, settings, same_domain.row.id, "domain_cap", now=later).until == tomorrow_8
    assert _check(engine, settings, second.row.id, now=later).verdict is Verdict.send
    capped = _deferred(engine, settings, third.row.id, "daily_cap", now=later + timedelta(minutes=5))
    assert capped.until == tomorrow_8
    assert {e["code"] for e in _audit(engine, third.row.id)} == {"daily_cap"}


def test_settings_cap_is_lower_bound_of_campaign_cap(engine: Engine, settings: Settings, seeder: Any) -> None:
    tight = settings.model_copy(update={"daily_send_cap": 1, "send_min_spacing_s": 0})
    with session_scope(engine) as session:
        first = seeder.lead(session, email="a@one.example")
        second = seeder.lead(session, email="b@two.example")
    assert _check(engine, tight, first.row.id).verdict is Verdict.send
    _deferred(engine, tight, second.row.id, "daily_cap")


def test_every_code_is_documented() -> None:
    assert set(REFUSAL_CODES).isdisjoint(DEFERRAL_CODES)
    with pytest.raises(AssertionError):
        SendDecision.refuse("made_up", "x")


@pytest.mark.parametrize("status", ["active", "created", "running"])
def test_live_campaign_states_send(engine: Engine, settings: Settings, seeder: Any, status: str) -> None:
    with session_scope(engine) as session:
        seeded = seeder.lead(session, campaign=seeder.campaign(session, status=status))
    assert _check(engine, settings, seeded.row.id).verdict is Verdict.send
