"""Reply actions on a real (SQLite) store: one test per label, idempotency, notifications."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.campaign import load_campaign
from agents.reply_actions import ReplyActionError, ReplyActionOutcome, apply_reply_action
from agents.reply_review import confirm_review
from agents.reply_types import ReplyClassificationResult, ReplyFields, ReplyLabel, Stage
from agents.testing import ScriptedLLM
from tests.webhook_receiver import webhook_receiver
from tools.crm.db import session_scope
from tools.crm.models import (
    AuditEvent,
    Campaign,
    Company,
    Contact,
    EmailStatus,
    InboundMessage,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
    ReplyClassification,
    Task,
    TaskStatus,
)
from tools.crm.suppression import is_suppressed
from tools.settings import Settings

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)  # a Wednesday
SPEC = load_campaign("tests/fixtures/campaigns/writer_de.yaml").model_dump(mode="json")


@dataclass
class World:
    campaign_id: uuid.UUID
    contact_id: uuid.UUID
    lead_id: uuid.UUID
    outbox_id: uuid.UUID
    inbound_id: uuid.UUID


def build_world(engine: Engine, *, reply: str = "Gern, passt Ihnen Donnerstag um 14 Uhr?", name: str = "c1") -> World:
    with session_scope(engine) as session:
        campaign = Campaign(name=f"camp-{name}", spec=SPEC)
        company = Company(
            domain=f"kunde-{name}.example",
            name="Kunde GmbH",
            profile={
                "description": "Maschinenbauer aus Bielefeld mit 200 Mitarbeitern.",
                "facts": [{"text": "Neuer Standort in Leipzig seit 2024.", "source_url": "https://kunde.example/news"}],
            },
        )
        session.add_all([campaign, company])
        session.flush()
        contact = Contact(
            email=f"anna@kunde-{name}.example",
            first_name="Anna",
            last_name="Schmidt",
            salutation="Frau",
            language="de",
            company_id=company.id,
        )
        session.add(contact)
        session.flush()
        lead = Lead(
            campaign_id=campaign.id,
            contact_id=contact.id,
            status=LeadStatus.sent,
            next_action_at=NOW + timedelta(days=3),
        )
        session.add(lead)
        session.flush()
        outbox = OutboxMessage(
            campaign_id=campaign.id,
            contact_id=contact.id,
            lead_id=lead.id,
            step=1,
            message_id=f"<{name}@muster-software.example>",
            from_email=SPEC["sender"]["email"],
            to_email=contact.email,
            subject="Weniger Listen",
            body="Guten Tag Frau Schmidt, …",
            status=OutboxStatus.sent,
            sent_at=NOW - timedelta(days=2),
        )
        session.add(outbox)
        session.flush()
        inbound = InboundMessage(
            message_id=f"<reply-{name}@kunde.example>",
            from_email=contact.email,
            subject="AW: Weniger Listen",
            body_text=reply,
            stripped_text=reply,
            headers={"from": contact.email, "date": "Wed, 12 Mar 2025 09:00:00 +0100"},
            lead_id=lead.id,
            outbox_id=outbox.id,
            match_method="in_reply_to",
        )
        session.add(inbound)
        session.flush()
        return World(campaign.id, contact.id, lead.id, outbox.id, inbound.id)


def verdict(label: ReplyLabel, *, stage: Stage = Stage.model, **fields: object) -> ReplyClassificationResult:
    return ReplyClassificationResult(
        label=label,
        confidence=0.9,
        stage=stage,
        fields=ReplyFields(**fields),
        is_automatic=label in {ReplyLabel.out_of_office, ReplyLabel.bounce, ReplyLabel.auto_reply},
        provisional=stage is Stage.human,
    )


async def act(
    engine: Engine, world: World, result: ReplyClassificationResult, settings: Settings, **kw: Any
) -> ReplyActionOutcome:
    with session_scope(engine) as session:
        inbound = session.get(InboundMessage, world.inbound_id)
        lead = session.get(Lead, world.lead_id)
        assert inbound is not None and lead is not None
        return await apply_reply_action(
            session, inbound=inbound, lead=lead, result=result, settings=settings, now=NOW, **kw
        )


def tasks(session: Session) -> list[Task]:
    return list(session.exec(select(Task)))


async def test_interested_escalates_notifies_and_stops_the_sequence(any_engine: Engine, settings: Settings) -> None:
    engine = any_engine
    world = build_world(engine)
    with webhook_receiver() as receiver:
        config = settings.model_copy(update={"notify_webhook_url": receiver.url})
        result = verdict(ReplyLabel.interested, meeting_time="2025-03-13T14:00")
        outcome = await act(engine, world, result, config)
        again = await act(engine, world, result, config)
    assert (outcome.action, outcome.final_status, outcome.get("final_status")) == ("escalated",) + ("escalated",) * 2
    assert again.already_handled and again.task_ids == outcome.task_ids
    with Session(engine) as session:
        (task,) = tasks(session)
        lead = session.get(Lead, world.lead_id)
        assert lead is not None and lead.status is LeadStatus.interested and lead.next_action_at is None
        assert task.kind == "escalation" and task.assignee == "vertrieb@muster-software.example"
        payload = task.payload
        assert payload["reply"] == "Gern, passt Ihnen Donnerstag um 14 Uhr?"
        assert payload["thread"][0]["subject"] == "Weniger Listen"
        assert payload["research"]["description"].startswith("Maschinenbauer")
        assert payload["research"]["facts"][0]["source_url"] == "https://kunde.example/news"
        assert payload["suggested_answer_source"] == "template"
        assert payload["suggested_answer"].startswith("Sehr geehrte Frau Schmidt,")
        assert "am 13.03.2025 um 14:00 Uhr" in payload["suggested_answer"]
        assert len(session.exec(select(ReplyClassification)).all()) == 1
        handled = session.exec(select(AuditEvent).where(AuditEvent.action == "reply.handled")).all()
        assert len(handled) == 1 and handled[0].entity_id == str(world.inbound_id)
    assert len(receiver.posts) == 1  # the second run did not notify again
    post = receiver.posts[0]
    assert "anna@kunde-c1.example" in post["text"] and post["blocks"][0]["type"] == "header"
    assert outcome.notifications == [{"channel": "webhook", "ok": True, "detail": "HTTP 200"}]


async def test_question_answer_drafted_by_a_capable_llm(engine: Engine, settings: Settings) -> None:
    world = build_world(engine, reply="Was kostet das pro Nutzer?")
    llm = ScriptedLLM(["Sehr geehrte Frau Schmidt,\n\ndie Preise hängen von … ab.\n\nMit freundlichen Grüßen"])
    await act(engine, world, verdict(ReplyLabel.question), settings, llm=llm)
    llm.assert_complete()
    assert "Was kostet das pro Nutzer?" in llm.calls[0].prompt_text and "Leipzig" in llm.calls[0].prompt_text
    with Session(engine) as session:
        (task,) = tasks(session)
        assert task.payload["suggested_answer_source"] == "llm"
        assert task.payload["suggested_answer"].startswith("Sehr geehrte Frau Schmidt")


async def test_the_embedded_model_does_not_draft_answers(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    llm = ScriptedLLM(model_name="local/SmolLM2-135M-Instruct")
    await act(engine, world, verdict(ReplyLabel.interested), settings, llm=llm)
    assert llm.calls == []
    with Session(engine) as session:
        assert tasks(session)[0].payload["suggested_answer_source"] == "template"


async def test_failed_webhook_keeps_the_task_and_records_the_failure(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    with webhook_receiver(status=500) as receiver:
        outcome = await act(
            engine,
            world,
            verdict(ReplyLabel.interested),
            settings.model_copy(update={"notify_webhook_url": receiver.url}),
        )
    assert outcome.notifications[0]["ok"] is False and len(outcome.task_ids) == 1
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "notify.sent")).one()
        assert event.data["deliveries"][0]["detail"].startswith("HTTP 500")


async def test_referral_creates_a_lead_in_the_same_campaign(engine: Engine, settings: Settings) -> None:
    world = build_world(engine, reply="Zuständig ist Herr Peter Krämer, peter.kraemer@kunde-c1.example.")
    outcome = await act(
        engine,
        world,
        verdict(ReplyLabel.referral, referred_name="Peter Krämer", referred_email="peter.kraemer@kunde-c1.example"),
        settings,
    )
    assert outcome.action == "referral_created" and outcome.final_status == "referred"
    with Session(engine) as session:
        new = session.get(Lead, outcome.new_lead_id)
        assert new is not None and new.campaign_id == world.campaign_id and new.status is LeadStatus.new
        assert new.source == f"referral from {world.contact_id}"
        contact = session.get(Contact, new.contact_id)
        assert contact is not None and (contact.first_name, contact.last_name, contact.salutation) == (
            "Peter",
            "Krämer",
            "Herr",
        )
        old = session.get(Contact, world.contact_id)
        assert old is not None and contact.company_id == old.company_id
        original = session.get(Lead, world.lead_id)
        assert original is not None and original.status is LeadStatus.closed


async def test_referral_without_address_asks_the_rep(engine: Engine, settings: Settings) -> None:
    world = build_world(engine, reply="Wenden Sie sich an Herrn Oberhuber.")
    outcome = await act(engine, world, verdict(ReplyLabel.referral, referred_name="Oberhuber"), settings)
    assert outcome.action == "referral_needs_address" and outcome.new_lead_id is None
    with Session(engine) as session:
        (task,) = tasks(session)
        assert task.kind == "find_address" and "Oberhuber" in task.title
        assert task.assignee == "vertrieb@muster-software.example"


async def test_referral_to_a_suppressed_address_creates_nothing(engine: Engine, settings: Settings) -> None:
    from agents.compliance.suppress import SuppressionReason, suppress_person

    world = build_world(engine)
    with session_scope(engine) as session:
        suppress_person(
            session,
            email="boss@kunde-c1.example",
            reason=SuppressionReason.unsubscribe,
            secret=settings.secret_key.get_secret_value(),
        )
    outcome = await act(engine, world, verdict(ReplyLabel.referral, referred_email="boss@kunde-c1.example"), settings)
    assert outcome.action == "referral_suppressed" and outcome.new_lead_id is None
    with Session(engine) as session:
        assert session.exec(select(Contact).where(Contact.email == "boss@kunde-c1.example")).first() is None


async def test_not_now_pauses_until_the_requested_date(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    outcome = await act(engine, world, verdict(ReplyLabel.not_now, later_date=date(2025, 7, 1)), settings)
    assert outcome.next_action_at == datetime(2025, 7, 1, 8, 0, tzinfo=UTC) and outcome.final_status is None
    other = build_world(engine, name="c2")
    default = await act(engine, other, verdict(ReplyLabel.not_now), settings)
    assert default.next_action_at == NOW + timedelta(days=90)
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_id)
        assert lead is not None and lead.status is LeadStatus.paused
        assert lead.next_action_at == datetime(2025, 7, 1, 8, 0, tzinfo=UTC)


async def test_out_of_office_pauses_until_a_business_day_after_return(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    outcome = await act(engine, world, verdict(ReplyLabel.out_of_office, return_date=date(2025, 3, 21)), settings)
    assert outcome.next_action_at == datetime(2025, 3, 24, 8, 0, tzinfo=UTC)  # Friday → Monday
    assert outcome.action == "paused_until_return"
    past = build_world(engine, name="c2")
    stale = await act(engine, past, verdict(ReplyLabel.out_of_office, return_date=date(2025, 1, 2)), settings)
    assert stale.next_action_at == NOW + timedelta(days=1)  # never in the past


async def test_not_interested_closes(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    outcome = await act(engine, world, verdict(ReplyLabel.not_interested), settings)
    assert outcome.final_status == "closed"
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_id)
        assert lead is not None and lead.status is LeadStatus.closed and lead.next_action_at is None


async def test_unsubscribe_suppresses_everywhere(any_engine: Engine, settings: Settings) -> None:
    engine = any_engine
    world = build_world(engine, reply="Bitte austragen.")
    with session_scope(engine) as session:  # the same person in a second campaign, with a mail queued
        second = Campaign(name="camp-other", spec=SPEC)
        session.add(second)
        session.flush()
        lead = Lead(campaign_id=second.id, contact_id=world.contact_id, status=LeadStatus.approved)
        session.add(lead)
        session.flush()
        session.add(
            OutboxMessage(
                campaign_id=second.id,
                contact_id=world.contact_id,
                lead_id=lead.id,
                step=1,
                message_id="<other@x.example>",
                from_email="e@muster-software.example",
                to_email="anna@kunde-c1.example",
                subject="s",
                body="b",
            )
        )
    outcome = await act(engine, world, verdict(ReplyLabel.unsubscribe, stage=Stage.rules), settings)
    assert outcome.final_status == "suppressed"
    with Session(engine) as session:
        assert is_suppressed(session, email="anna@kunde-c1.example", secret=settings.secret_key.get_secret_value())
        leads = session.exec(select(Lead).where(Lead.contact_id == world.contact_id)).all()
        assert {lead.status for lead in leads} == {LeadStatus.suppressed}
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.message_id == "<other@x.example>")).one()
        assert queued.status is OutboxStatus.refused


async def test_hard_bounce_invalidates_and_suppresses(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    outcome = await act(
        engine,
        world,
        verdict(ReplyLabel.bounce, stage=Stage.rules, bounce_kind="hard", bounce_status="5.1.1"),
        settings,
    )
    assert (outcome.action, outcome.final_status, outcome.soft_bounce) == ("hard_bounce", "bounced", False)
    with Session(engine) as session:
        contact = session.get(Contact, world.contact_id)
        assert contact is not None and contact.email_status is EmailStatus.invalid
        assert (
            is_suppressed(session, email=contact.email, secret=settings.secret_key.get_secret_value()) == "hard_bounce"
        )


async def test_soft_bounces_retry_and_the_third_counts_as_hard(any_engine: Engine, settings: Settings) -> None:
    engine = any_engine
    world = build_world(engine)
    first = await act(engine, world, verdict(ReplyLabel.bounce, bounce_kind="soft", bounce_status="4.2.2"), settings)
    assert first.soft_bounce and first.action == "soft_bounce_retry" and first.final_status is None
    with Session(engine) as session:
        row = session.get(OutboxMessage, world.outbox_id)
        assert row is not None and row.status is OutboxStatus.pending
        assert row.scheduled_at == NOW + timedelta(days=1) and row.last_error == "soft bounce 4.2.2"
        lead = session.get(Lead, world.lead_id)
        assert lead is not None and lead.next_action_at == NOW + timedelta(days=3)  # the later of both
        contact = session.get(Contact, world.contact_id)
        assert contact is not None and contact.soft_bounces == 1
    with session_scope(engine) as session:  # two more bounces, each a new inbound mail
        contact = session.get(Contact, world.contact_id)
        assert contact is not None
        contact.soft_bounces = 2
        session.add(contact)
        inbound = InboundMessage(
            message_id="<bounce-3@x.example>",
            from_email="mailer-daemon@x.example",
            subject="Delayed",
            body_text="452 4.2.2",
            lead_id=world.lead_id,
        )
        session.add(inbound)
        session.flush()
        third_id = inbound.id
    third_world = World(world.campaign_id, world.contact_id, world.lead_id, world.outbox_id, third_id)
    third = await act(engine, third_world, verdict(ReplyLabel.bounce, bounce_kind="soft"), settings)
    assert third.action == "soft_bounce_limit" and third.final_status == "bounced"
    with Session(engine) as session:
        contact = session.get(Contact, world.contact_id)
        assert contact is not None and contact.email_status is EmailStatus.invalid and contact.soft_bounces == 3


async def test_auto_reply_changes_nothing(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    outcome = await act(engine, world, verdict(ReplyLabel.auto_reply, stage=Stage.rules), settings)
    assert outcome.action == "ignored_automatic" and outcome.final_status is None
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_id)
        assert lead is not None and lead.status is LeadStatus.sent and lead.next_action_at == NOW + timedelta(days=3)
        assert tasks(session) == []


async def test_provisional_label_opens_a_review_and_a_human_settles_it(any_engine: Engine, settings: Settings) -> None:
    engine = any_engine
    world = build_world(engine, reply="Ich bin bis 20.3. im Urlaub.")
    outcome = await act(engine, world, verdict(ReplyLabel.not_now, stage=Stage.human), settings)
    assert outcome.needs_review and outcome.action == "review" and outcome.final_status is None
    repeat = await act(engine, world, verdict(ReplyLabel.not_now, stage=Stage.human), settings)
    assert repeat.already_handled
    with Session(engine) as session:
        (task,) = tasks(session)
        lead = session.get(Lead, world.lead_id)
        assert task.kind == "review" and task.payload["provisional_label"] == "not_now"
        assert lead is not None and lead.status is LeadStatus.paused and lead.next_action_at is None
    with session_scope(engine) as session:
        confirmed = await confirm_review(
            session,
            task_id=task.id,
            label=ReplyLabel.out_of_office,
            settings=settings,
            actor="rep@firma.example",
            now=NOW,
        )
    assert confirmed.action == "paused_until_return" and not confirmed.needs_review
    assert confirmed.next_action_at == datetime(2025, 3, 24, 8, 0, tzinfo=UTC)  # back 21.3. (Fri) → Monday
    with Session(engine) as session:
        done = session.get(Task, task.id)
        assert done is not None and done.status is TaskStatus.done
    with session_scope(engine) as session, pytest.raises(ReplyActionError, match="already done"):
        await confirm_review(session, task_id=task.id, label=ReplyLabel.not_now, settings=settings)


async def test_mismatched_lead_is_refused_and_changes_nothing(engine: Engine, settings: Settings) -> None:
    world = build_world(engine)
    other = build_world(engine, name="c2")
    with session_scope(engine) as session:
        inbound = session.get(InboundMessage, world.inbound_id)
        lead = session.get(Lead, other.lead_id)
        assert inbound is not None and lead is not None
        with pytest.raises(ReplyActionError, match="belongs to lead"):
            await apply_reply_action(
                session,
                inbound=inbound,
                lead=lead,
                result=verdict(ReplyLabel.not_interested),
                settings=settings,
                now=NOW,
            )
    with Session(engine) as session:
        assert session.exec(select(ReplyClassification)).all() == []
        lead = session.get(Lead, other.lead_id)
        assert lead is not None and lead.status is LeadStatus.sent
