"""The lead graph end to end: draft → approval interrupt → outbox → reply → classification → action."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from agents.routing import ResumeError
from agents.service import NotWaiting, Orchestrator
from agents.testing import ScriptedLLM
from tests.agents.flow.conftest import Clock, seed_lead, template_campaign
from tools.crm.models import (
    Draft,
    DraftStatus,
    LawfulBasis,
    Lead,
    LeadStatus,
    NodeRun,
    OutboxMessage,
    OutboxStatus,
    ReplyClassification,
    Task,
)
from tools.email.ingest import ingest_raw_email
from tools.settings import Settings


def _lead(engine: Engine, lead_id: object) -> Lead:
    with Session(engine) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead


def _reply(outbox: OutboxMessage, text: str) -> bytes:
    return (
        f"From: Anna Schmidt <{outbox.to_email}>\r\nTo: {outbox.from_email}\r\n"
        f"Subject: AW: {outbox.subject}\r\nMessage-ID: <reply-1@mueller-maschinenbau.example>\r\n"
        f"In-Reply-To: {outbox.message_id}\r\nReferences: {outbox.message_id}\r\n"
        "Date: Tue, 08 Dec 2026 11:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode()


async def test_lead_goes_from_draft_to_escalation(
    open_orchestrator: Callable[..., object], engine: Engine, flow_settings: Settings
) -> None:
    llm = ScriptedLLM(["Vielen Dank, Frau Schmidt! Donnerstag um 10 Uhr passt mir gut."])
    async with open_orchestrator(llm) as orchestrator:  # type: ignore[attr-defined]
        await _escalation_flow(orchestrator, engine, flow_settings)
    llm.assert_complete()
    assert "Das klingt interessant" in llm.calls[0].prompt_text, "the suggested answer sees the reply"


async def _escalation_flow(orchestrator: Orchestrator, engine: Engine, flow_settings: Settings) -> None:
    seeded = seed_lead(engine, template_campaign())
    await orchestrator.run_lead(seeded.lead_id)

    waiting = await orchestrator.waiting_for(seeded.lead_id)
    assert waiting is not None and waiting["kind"] == "approval"
    assert waiting["fit_score"] is not None and waiting["guardrails"], "the rep sees fit and guardrails"
    assert "Sehr geehrte Frau Schmidt" in waiting["body"]
    assert _lead(engine, seeded.lead_id).status == LeadStatus.awaiting_approval

    await orchestrator.decide(waiting["draft_id"], {"action": "approve", "actor": "rep@x"})
    with pytest.raises(NotWaiting):
        await orchestrator.decide(waiting["draft_id"], {"action": "approve", "actor": "rep@x"})
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert len(rows) == 1 and rows[0].status == OutboxStatus.pending
        assert session.get(Draft, rows[0].draft_id).status == DraftStatus.approved  # type: ignore[union-attr]

    report = await orchestrator.tick()
    assert report.sent == 1, report
    with Session(engine) as session:
        outbox = session.exec(select(OutboxMessage)).one()
        assert outbox.status == OutboxStatus.sent
    assert (flow_settings.outbox_dir).glob("*.eml")
    assert _lead(engine, seeded.lead_id).status == LeadStatus.sent

    with Session(engine) as session:
        ingest_raw_email(
            session,
            _reply(outbox, "Das klingt interessant, rufen Sie mich gerne an. Passt Donnerstag?"),
            settings=flow_settings,
        )
        session.commit()
    report = await orchestrator.tick()
    assert report.replies == 1 and not report.errors, report

    with Session(engine) as session:
        label = session.exec(select(ReplyClassification)).one()
        assert label.label == "interested"
        tasks = session.exec(select(Task).where(Task.kind == "escalation")).all()
        assert len(tasks) == 1 and tasks[0].assignee == "rep@muster-software.example"
        assert "Donnerstag um 10 Uhr" in str(tasks[0].payload) + tasks[0].body
        nodes = [r.node for r in session.exec(select(NodeRun).order_by(col(NodeRun.started_at)))]
    assert _lead(engine, seeded.lead_id).status == LeadStatus.interested
    assert await orchestrator.waiting_for(seeded.lead_id) is None
    assert nodes[:3] == ["research", "score", "draft"] and "classify" in nodes and nodes[-1] == "finish"


async def test_reject_ends_the_thread_without_mail(orchestrator: Orchestrator, engine: Engine) -> None:
    seeded = seed_lead(engine, template_campaign())
    await orchestrator.run_lead(seeded.lead_id)
    waiting = await orchestrator.waiting_for(seeded.lead_id)
    assert waiting is not None
    with pytest.raises(ResumeError, match="needs a reason"):
        await orchestrator.decide(waiting["draft_id"], {"action": "reject"})
    assert await orchestrator.waiting_for(seeded.lead_id) == waiting, "a bad decision changes nothing"
    await orchestrator.decide(waiting["draft_id"], {"action": "reject", "reason": "falscher Ansprechpartner"})
    with Session(engine) as session:
        draft = session.exec(select(Draft)).one()
        assert draft.status == DraftStatus.rejected and draft.reject_reason == "falscher Ansprechpartner"
        assert session.exec(select(OutboxMessage)).all() == []
    assert _lead(engine, seeded.lead_id).status == LeadStatus.rejected
    assert await orchestrator.waiting_for(seeded.lead_id) is None


async def test_edit_and_regenerate(orchestrator: Orchestrator, engine: Engine) -> None:
    seeded = seed_lead(engine, template_campaign())
    await orchestrator.run_lead(seeded.lead_id)
    first = await orchestrator.waiting_for(seeded.lead_id)
    assert first is not None
    await orchestrator.decide(first["draft_id"], {"action": "regenerate", "instruction": "kürzer bitte"})
    second = await orchestrator.waiting_for(seeded.lead_id)
    assert second is not None and second["draft_id"] != first["draft_id"]
    await orchestrator.decide(second["draft_id"], {"action": "edit", "subject": "Kurze Frage zu Ihrer neuen Halle"})
    with Session(engine) as session:
        versions = session.exec(select(Draft).order_by(col(Draft.version))).all()
        assert [d.status for d in versions] == [
            DraftStatus.superseded,
            DraftStatus.superseded,
            DraftStatus.approved,
        ]
        assert versions[-1].edited_from_id == versions[1].id and versions[-1].created_by == "rep"
        outbox = session.exec(select(OutboxMessage)).one()
        assert outbox.subject == "Kurze Frage zu Ihrer neuen Halle" and outbox.draft_id == versions[-1].id


async def test_follow_up_after_business_days_references_first_mail(
    orchestrator: Orchestrator, engine: Engine, clock: Clock
) -> None:
    seeded = seed_lead(engine, template_campaign())
    await orchestrator.run_lead(seeded.lead_id)
    waiting = await orchestrator.waiting_for(seeded.lead_id)
    assert waiting is not None
    await orchestrator.decide(waiting["draft_id"], {"action": "approve"})
    assert (await orchestrator.tick()).sent == 1
    assert (await orchestrator.tick()).woken == 0, "no follow-up before its delay"
    clock.advance(days=5)  # Tuesday + 5 days = Sunday: 3 business days have passed
    report = await orchestrator.tick()
    assert report.woken == 1, report
    follow_up = await orchestrator.waiting_for(seeded.lead_id)
    assert follow_up is not None and follow_up["step"] == 2
    with Session(engine) as session:
        first = session.exec(select(OutboxMessage).where(OutboxMessage.step == 1)).one()
    assert first.subject in follow_up["subject"] and first.subject in follow_up["body"]
    await orchestrator.decide(follow_up["draft_id"], {"action": "approve"})
    with Session(engine) as session:
        second = session.exec(select(OutboxMessage).where(OutboxMessage.step == 2)).one()
    assert second.in_reply_to == first.message_id and second.references == first.message_id


async def test_low_fit_is_skipped_and_missing_consent_is_blocked(orchestrator: Orchestrator, engine: Engine) -> None:
    strict = template_campaign(name="strict-fit", icp={"industries": ["Lebensmittel"], "threshold": 95})
    skipped = seed_lead(engine, strict)
    await orchestrator.run_lead(skipped.lead_id)
    assert _lead(engine, skipped.lead_id).status == LeadStatus.skipped

    no_consent = seed_lead(
        engine,
        template_campaign(name="no-consent"),
        email="bernd@mueller-maschinenbau.example",
        basis=LawfulBasis.none,
    )
    await orchestrator.run_lead(no_consent.lead_id)
    assert _lead(engine, no_consent.lead_id).status == LeadStatus.blocked
    with Session(engine) as session:
        assert session.exec(select(Draft)).all() == [], "nothing is drafted for a lead we may not mail"
        task = session.exec(select(Task).where(Task.lead_id == no_consent.lead_id)).one()
        assert "LinkedIn" in task.body or "linkedin" in str(task.payload).lower()


async def test_waits_survive_a_new_orchestrator(open_orchestrator: Callable[..., object], engine: Engine) -> None:
    seeded = seed_lead(engine, template_campaign())
    async with open_orchestrator() as first:  # type: ignore[attr-defined]
        await first.run_lead(seeded.lead_id)
        waiting = await first.waiting_for(seeded.lead_id)
    assert waiting is not None
    llm = ScriptedLLM()
    async with open_orchestrator(llm) as second:  # type: ignore[attr-defined]
        assert await second.waiting_for(seeded.lead_id) == waiting
        await second.decide(waiting["draft_id"], {"action": "approve"})
        assert (await second.waiting_for(seeded.lead_id) or {}).get("kind") == "await_reply"
    llm.assert_complete()
    assert llm.calls == [], "resuming re-runs no completed node's model call"
