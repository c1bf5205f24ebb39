"""Unsubscribe tokens, the one opt-out path (link and reply), and the outbox honouring it."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.compliance.config import ComplianceSettings
from agents.compliance.sendcheck import make_precheck
from agents.compliance.suppress import SuppressError, SuppressionReason, suppress_person, suppress_value
from agents.compliance.unsubscribe import (
    InvalidToken,
    make_token,
    unsubscribe,
    unsubscribe_by_token,
    unsubscribe_link_factory,
    unsubscribe_url,
    verify_token,
)
from tools.crm.db import session_scope
from tools.crm.models import (
    AuditEvent,
    Contact,
    EmailStatus,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
    Suppression,
    SuppressionKind,
)
from tools.crm.repository import add_lead
from tools.crm.suppression import add_suppression, is_suppressed
from tools.email.outbox import dispatch
from tools.email.transport import FileTransport
from tools.settings import Settings

NOW = datetime.fromisoformat("2025-01-15T09:00:00+00:00")
SECRET = "s3cret-for-tests"


def test_token_round_trip(fixed_id: uuid.UUID) -> None:
    campaign = uuid.uuid4()
    token = make_token(contact_id=fixed_id, campaign_id=campaign, secret=SECRET)
    claims = verify_token(token, secret=SECRET)
    assert (claims.contact_id, claims.campaign_id) == (fixed_id, campaign)
    assert token.isascii() and "=" not in token and len(token) < 100


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # MAC changed
        lambda t: ("B" if t[0] != "B" else "C") + t[1:],  # payload changed
        lambda t: t.replace(".", ""),
        lambda t: t + "=",
        lambda t: "",
        lambda t: "not a token at all",
        lambda t: str(uuid.uuid4()),  # the outbox's default row-id links are not ours
        lambda t: t.split(".")[0] + "." + t.split(".")[0],
    ],
)
def test_tampered_tokens_are_rejected(fixed_id: uuid.UUID, mangle: Any) -> None:
    token = make_token(contact_id=fixed_id, campaign_id=fixed_id, secret=SECRET)
    with pytest.raises(InvalidToken):
        verify_token(mangle(token), secret=SECRET)


def test_token_of_another_deployment_is_rejected(fixed_id: uuid.UUID) -> None:
    token = make_token(contact_id=fixed_id, campaign_id=fixed_id, secret="other-secret")
    with pytest.raises(InvalidToken, match="signature"):
        verify_token(token, secret=SECRET)


def test_unsubscribe_url_uses_public_base_url(settings: Settings, fixed_id: uuid.UUID) -> None:
    configured = settings.model_copy(update={"public_base_url": "https://outreach.muster.example/"})
    url = unsubscribe_url(configured, fixed_id, fixed_id)
    assert url.startswith("https://outreach.muster.example/unsubscribe/")
    token = url.rsplit("/", 1)[1]
    assert verify_token(token, secret=configured.secret_key.get_secret_value()).contact_id == fixed_id


def _two_campaign_lead(engine: Engine, seeder: Any) -> tuple[Any, uuid.UUID]:
    with session_scope(engine) as session:
        seeded = seeder.lead(session)
        other = seeder.campaign(session, seeder.spec(name="zweite-kampagne"))
        lead, _ = add_lead(session, campaign_id=other.id, contact_id=seeded.contact.id)
        return seeded, lead.id


def test_unsubscribe_by_token_takes_effect_everywhere_and_is_idempotent(
    engine: Engine, settings: Settings, seeder: Any
) -> None:
    seeded, other_lead = _two_campaign_lead(engine, seeder)
    secret = settings.secret_key.get_secret_value()
    token = unsubscribe_url(settings, seeded.contact.id, seeded.campaign.id).rsplit("/", 1)[1]
    with session_scope(engine) as session:
        outcome = unsubscribe_by_token(session, token=token, secret=secret)
    assert outcome.contact_found and not outcome.already
    assert outcome.result is not None and set(outcome.result.leads_suppressed) == {seeded.lead.id, other_lead}
    assert outcome.result.outbox_refused == [seeded.row.id]
    with Session(engine) as session:
        assert is_suppressed(session, email=seeded.contact.email, secret=secret) == "unsubscribe"
        statuses = {lead.status for lead in session.exec(select(Lead))}
        row = session.get(OutboxMessage, seeded.row.id)
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "compliance.unsubscribed")).all()
    assert statuses == {LeadStatus.suppressed}
    assert row is not None and (row.status, row.refusal_code) == (OutboxStatus.refused, "suppressed")
    assert len(events) == 1 and events[0].data["source"] == "one-click"
    assert seeded.contact.email not in str(events[0].data)
    with session_scope(engine) as session:
        again = unsubscribe_by_token(session, token=token, secret=secret)
    assert again.already
    with Session(engine) as session:
        assert len(session.exec(select(Suppression)).all()) == 1
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "compliance.unsubscribed")).all()) == 1


def test_unsubscribe_by_reply_uses_the_same_path(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded, _ = _two_campaign_lead(engine, seeder)
    with session_scope(engine) as session:
        result = unsubscribe(session, email="  Anna.Schmidt@Kunde-GmbH.example ", source="reply",
                             secret=settings.secret_key.get_secret_value(), campaign_id=seeded.campaign.id)
    assert result.contact_id == seeded.contact.id and len(result.leads_suppressed) == 2
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "compliance.unsubscribed")).one()
    assert event.data["source"] == "reply" and event.data["campaign_id"] == str(seeded.campaign.id)


def test_invalid_token_changes_nothing(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded, _ = _two_campaign_lead(engine, seeder)
    token = make_token(contact_id=seeded.contact.id, campaign_id=seeded.campaign.id, secret="wrong")
    with pytest.raises(InvalidToken), session_scope(engine) as session:
        unsubscribe_by_token(session, token=token, secret=settings.secret_key.get_secret_value())
    with Session(engine) as session:
        assert session.exec(select(Suppression)).all() == []
        assert {lead.status for lead in session.exec(select(Lead))} == {LeadStatus.approved, LeadStatus.new}


def test_valid_token_of_an_erased_contact_changes_nothing(engine: Engine, settings: Settings) -> None:
    token = make_token(contact_id=uuid.uuid4(), campaign_id=uuid.uuid4(),
                       secret=settings.secret_key.get_secret_value())
    with session_scope(engine) as session:
        outcome = unsubscribe_by_token(session, token=token, secret=settings.secret_key.get_secret_value())
    assert not outcome.contact_found and outcome.already


def test_hard_bounce_marks_the_address_invalid(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded, _ = _two_campaign_lead(engine, seeder)
    with session_scope(engine) as session:
        suppress_person(session, email=seeded.contact.email, reason=SuppressionReason.hard_bounce,
                        secret=settings.secret_key.get_secret_value(), source="dsn")
    with Session(engine) as session:
        contact = session.get(Contact, seeded.contact.id)
        entry = session.exec(select(Suppression)).one()
    assert contact is not None and contact.email_status is EmailStatus.invalid
    assert entry.reason == "hard_bounce" and entry.hint == "a***@kunde-gmbh.example"


def test_manual_domain_suppression_refuses_pending_mail(engine: Engine, settings: Settings, seeder: Any) -> None:
    seeded, _ = _two_campaign_lead(engine, seeder)
    with session_scope(engine) as session:
        result = suppress_value(session, value="Kunde-GmbH.example", secret=settings.secret_key.get_secret_value())
    assert result.outbox_refused == [seeded.row.id]
    with Session(engine) as session:
        assert session.exec(select(Suppression)).one().kind is SuppressionKind.domain


@pytest.mark.parametrize("value", ["", "no-at-sign", "a@b", "two words@x.example", "https://x.example/path"])
def test_bad_values_are_rejected_without_change(engine: Engine, settings: Settings, value: str) -> None:
    with pytest.raises(SuppressError), session_scope(engine) as session:
        suppress_value(session, value=value, secret=settings.secret_key.get_secret_value())
    with Session(engine) as session:
        assert session.exec(select(Suppression)).all() == []


def _dispatch(engine: Engine, settings: Settings) -> Any:
    import asyncio

    quick = settings.model_copy(update={"send_min_spacing_s": 0})
    precheck = make_precheck(engine, quick, config=ComplianceSettings(), clock=lambda: NOW, rng=random.Random(0))
    return asyncio.run(dispatch(engine, FileTransport(settings.outbox_dir), settings=quick, precheck=precheck,
                                now=NOW, unsubscribe=unsubscribe_link_factory(quick)))


def test_unsubscribe_between_approval_and_send_stops_the_mail(
    engine: Engine, settings: Settings, seeder: Any
) -> None:
    with session_scope(engine) as session:
        stopped = seeder.lead(session)
        sent = seeder.lead(session, email="bernd@andere-firma.example")
    token = unsubscribe_url(settings, stopped.contact.id, stopped.campaign.id).rsplit("/", 1)[1]
    with session_scope(engine) as session:
        unsubscribe_by_token(session, token=token, secret=settings.secret_key.get_secret_value())
    report = _dispatch(engine, settings)
    assert report.sent == [sent.row.id]
    files = list(Path(settings.outbox_dir).glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "bernd@andere-firma.example" in text and "anna.schmidt" not in text
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text
    own = unsubscribe_url(settings, sent.contact.id, sent.campaign.id)
    assert f"List-Unsubscribe: <{own}>" in text  # each mail carries its own contact's signed link


def test_ledger_entry_after_claim_is_caught_by_the_precheck(
    engine: Engine, settings: Settings, seeder: Any
) -> None:
    """A suppression that skipped refuse_pending (e.g. added straight to the ledger) still stops the send."""
    with session_scope(engine) as session:
        seeded = seeder.lead(session)
        add_suppression(session, value=seeded.contact.email, kind=SuppressionKind.address, reason="complaint",
                        secret=settings.secret_key.get_secret_value())
    report = _dispatch(engine, settings)
    assert report.refused == [seeded.row.id] and report.sent == []
    assert list(Path(settings.outbox_dir).glob("*.eml")) == []
    with Session(engine) as session:
        row = session.get(OutboxMessage, seeded.row.id)
    assert row is not None and row.refusal_code == "suppressed"


def test_dispatch_defers_outside_the_window(engine: Engine, settings: Settings, seeder: Any) -> None:
    import asyncio

    with session_scope(engine) as session:
        seeded = seeder.lead(session)
    saturday = datetime.fromisoformat("2025-01-18T10:00:00+00:00")
    precheck = make_precheck(engine, settings, config=ComplianceSettings(), clock=lambda: saturday)
    report = asyncio.run(dispatch(engine, FileTransport(settings.outbox_dir), settings=settings,
                                  precheck=precheck, now=saturday))
    assert report.deferred == [seeded.row.id]
    with Session(engine) as session:
        row = session.get(OutboxMessage, seeded.row.id)
    assert row is not None and row.status is OutboxStatus.pending
    assert row.scheduled_at == datetime.fromisoformat("2025-01-20T07:00:00+00:00")
