"""Graph nodes ``send``, ``await_reply``, ``classify`` and ``finish``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from sqlmodel import Session, col, select

from agents.flow.context import FlowContext
from agents.flow.store import LeadRows, lead_rows
from agents.flow.tracing import NodeTrace, traced
from agents.nodes.reply_classifier import CascadeConfig, classify_reply
from agents.reply_actions import apply_reply_action
from agents.routing import AfterClassify, AfterWait, parse_wait_event, route_after_classify, route_after_wait
from agents.state import LeadState, OutputState
from agents.writer_schedule import next_step_due
from tools.crm.models import Draft, InboundMessage, LeadStatus, OutboxMessage
from tools.crm.repository import set_lead_status
from tools.email.outbox import enqueue

FINAL_LEAD_STATUS: dict[str, LeadStatus] = {
    "skipped": LeadStatus.skipped,
    "blocked": LeadStatus.blocked,
    "rejected": LeadStatus.rejected,
    "escalated": LeadStatus.interested,
    "closed": LeadStatus.closed,
    "suppressed": LeadStatus.suppressed,
    "bounced": LeadStatus.closed,
    "failed": LeadStatus.failed,
    "referred": LeadStatus.closed,
}


def _thread_anchor(session: Session, lead_id: uuid.UUID, step: int) -> tuple[str | None, str | None]:
    """In-Reply-To and References for a follow-up: the earlier mails of this lead's thread."""
    earlier = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.lead_id == lead_id, OutboxMessage.step < step)
        .order_by(col(OutboxMessage.step))
    ).all()
    if not earlier:
        return None, None
    return earlier[-1].message_id, " ".join(row.message_id for row in earlier)


def _wake_at(rows: LeadRows, step: int, now: datetime) -> datetime | None:
    if step >= len(rows.spec.sequence):
        return None
    return next_step_due(now, rows.spec.step(step + 1).delay_business_days)


@traced("send")
async def send(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> Command[Literal["await_reply"]]:
    """Queue the approved mail in the outbox (one row per lead and step, however often this runs)."""
    ctx = runtime.context
    step = state.get("step") or 1
    with lead_rows(ctx.engine, state) as (session, rows):
        approved = session.get(Draft, uuid.UUID(str(state.get("draft_id"))))
        assert approved is not None
        in_reply_to, references = _thread_anchor(session, rows.lead.id, step)
        row = enqueue(
            session,
            campaign_id=rows.campaign.id,
            contact_id=rows.contact.id,
            lead_id=rows.lead.id,
            step=step,
            draft_id=approved.id,
            from_email=rows.spec.sender.email,
            to_email=rows.contact.email,
            subject=approved.subject,
            body=approved.body,
            body_html=approved.body_html,
            in_reply_to=in_reply_to,
            references=references,
            message_id_domain=ctx.settings.message_id_domain,
        )
        wake = _wake_at(rows, step, ctx.now())
        rows.lead.next_action_at = wake
        session.add(rows.lead)
        outbox_id = str(row.id)
    trace.tool("outbox.enqueue")
    return Command(goto="await_reply", update={"outbox_id": outbox_id, "wake_at": wake.isoformat() if wake else None})


@traced("await_reply")
async def await_reply(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> Command[AfterWait]:
    """Wait for a reply or the timer (next follow-up, end of a pause)."""
    ctx = runtime.context
    step = state.get("step") or 1
    event = parse_wait_event(interrupt({"kind": "await_reply", "step": step, "wake_at": state.get("wake_at")}))
    with lead_rows(ctx.engine, state) as (_session, rows):
        has_next = step < len(rows.spec.sequence)
    route = route_after_wait(event, has_next_step=has_next)
    trace.detail["event"] = event.kind
    if route == "classify":
        return Command(goto=route, update={"inbound_id": event.inbound_id})
    if route == "draft":
        return Command(goto=route, update={"step": step + 1, "draft_id": None, "instruction": None})
    return Command(goto=route, update={"status": "closed", "reason": "sequence finished without reply"})


@traced("classify")
async def classify(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> Command[AfterClassify]:
    """Classify the reply (rules → trained model → LLM → human) and act on it."""
    ctx = runtime.context
    inbound_id = uuid.UUID(str(state.get("inbound_id")))
    with lead_rows(ctx.engine, state) as (session, rows):
        inbound = session.get(InboundMessage, inbound_id)
        if inbound is None:
            raise LookupError(f"inbound message {inbound_id} is gone")
        history = ctx.memory.for_contact(str(rows.contact.id)) if ctx.memory is not None else []
    result = await classify_reply(
        inbound,
        llm=trace.llm,
        history=history,
        config=CascadeConfig.from_settings(ctx.settings),
        today=ctx.now().date(),
    )
    with lead_rows(ctx.engine, state) as (session, rows):
        inbound = session.get(InboundMessage, inbound_id)
        assert inbound is not None
        outcome = await apply_reply_action(
            session, inbound=inbound, lead=rows.lead, result=result, settings=ctx.settings, llm=trace.llm, now=ctx.now()
        )
        wake = rows.lead.next_action_at
    trace.detail.update({"label": result.label, "stage": result.stage, "confidence": result.confidence})
    # A provisional label (a human must confirm it) keeps the thread waiting; the review decides.
    route = route_after_classify(
        result.label, soft_bounce=bool(outcome.get("soft_bounce")), needs_review=bool(outcome.get("needs_review"))
    )
    update: dict[str, Any] = {"label": str(result.label), "wake_at": wake.isoformat() if wake else None}
    if route == "finish":
        update.update({"status": outcome.get("final_status", "closed"), "reason": f"reply: {result.label}"})
    return Command(goto=route, update=update)


@traced("finish")
async def finish(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> OutputState:
    """Record the final state of the lead."""
    ctx = runtime.context
    final = state.get("status") or "closed"
    with lead_rows(ctx.engine, state) as (session, rows):
        target = FINAL_LEAD_STATUS.get(final, LeadStatus.closed)
        if rows.lead.status != target and rows.lead.status not in (LeadStatus.interested, LeadStatus.suppressed):
            set_lead_status(session, lead=rows.lead, status=target, reason=state.get("reason"), clear_next_action=True)
    trace.detail["status"] = final
    return {"lead_id": state["lead_id"], "status": final, "reason": state.get("reason")}
