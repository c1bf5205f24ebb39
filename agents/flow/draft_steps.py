"""Graph nodes ``draft`` and ``await_approval`` (the rep's interrupt)."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from sqlmodel import Session, col, select

from agents.compliance.unsubscribe import unsubscribe_url
from agents.draft_store import save_draft
from agents.flow.context import FlowContext
from agents.flow.store import LeadRows, lead_rows
from agents.flow.tracing import NodeTrace, traced
from agents.nodes.writer import draft_email
from agents.profile import CompanyProfile
from agents.rep_edits import remember_rep_edit
from agents.research_store import load_fresh_profile
from agents.routing import AfterApproval, ApprovalDecision, parse_decision, route_after_approval
from agents.state import LeadState
from agents.writer_types import DraftRequest, PreviousMail, Recipient
from tools.crm.models import Draft, DraftStatus, LeadStatus, OutboxMessage, OutboxStatus
from tools.crm.repository import record_audit, set_lead_status


def _profile(session: Session, rows: LeadRows) -> CompanyProfile:
    if rows.company is not None:
        profile = load_fresh_profile(session, domain=rows.company.domain, ttl_days=100_000, now=None)
        if profile is not None:
            return profile
    domain = rows.company.domain if rows.company else rows.contact.email.rpartition("@")[2]
    return CompanyProfile(domain=domain, name=rows.company.name if rows.company else None)


def _previous_mails(session: Session, lead_id: uuid.UUID, step: int) -> list[PreviousMail]:
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.lead_id == lead_id, OutboxMessage.step < step)
        .order_by(col(OutboxMessage.step))
    )
    return [PreviousMail(step=r.step, subject=r.subject, body=r.body, sent_at=r.sent_at) for r in rows]


@traced("draft")
async def draft(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> Command[str]:
    """Draft the current step's mail (or regenerate it with the rep's instruction)."""
    ctx = runtime.context
    step = state.get("step") or 1
    with lead_rows(ctx.engine, state) as (session, rows):
        request = DraftRequest(
            spec=rows.spec,
            step=step,
            recipient=Recipient.from_contact(rows.contact),
            profile=_profile(session, rows),
            previous=_previous_mails(session, rows.lead.id, step),
            lead_id=str(rows.lead.id),
            campaign_id=str(rows.campaign.id),
            unsubscribe_url=unsubscribe_url(ctx.settings, rows.contact.id, rows.campaign.id),
        )
    result = await draft_email(request, llm=trace.llm, memory=ctx.memory, instruction=state.get("instruction"))
    with lead_rows(ctx.engine, state) as (session, rows):
        row = save_draft(session, lead_id=rows.lead.id, result=result, profile=request.profile)
        rows.lead.current_step = step
        set_lead_status(session, lead=rows.lead, status=LeadStatus.awaiting_approval)
        draft_id = str(row.id)
    trace.detail.update({"draft_id": draft_id, "strategy": result.strategy, "flagged": bool(result.flagged)})
    return Command(goto="await_approval", update={"draft_id": draft_id, "instruction": None})


def approval_request(session: Session, state: LeadState) -> dict[str, Any]:
    """What the rep needs to decide: the draft, its claims with sources, guardrails, fit."""
    row = session.get(Draft, uuid.UUID(str(state.get("draft_id"))))
    if row is None:
        raise LookupError(f"draft {state.get('draft_id')} is gone")
    return {
        "kind": "approval",
        "draft_id": str(row.id),
        "step": row.step,
        "subject": row.subject,
        "body": row.body,
        "claims": row.claims,
        "guardrails": row.guardrails,
        "fit_score": state.get("fit_score"),
    }


def _apply_decision(
    session: Session, rows: LeadRows, draft_row: Draft, decision: ApprovalDecision, ctx: FlowContext
) -> str:
    """Persist the rep's decision (idempotent: resuming twice changes nothing more). Returns the draft to send."""
    action = decision.action
    if action == "approve":
        if draft_row.status == DraftStatus.pending:
            draft_row.status = DraftStatus.approved
            session.add(draft_row)
            set_lead_status(session, lead=rows.lead, status=LeadStatus.approved, actor=decision.actor)
        return str(draft_row.id)
    if action == "edit":
        edited = session.exec(select(Draft).where(Draft.edited_from_id == draft_row.id)).first()
        if edited is None:
            draft_row.status = DraftStatus.superseded
            edited = Draft(
                lead_id=draft_row.lead_id,
                step=draft_row.step,
                version=draft_row.version + 1,
                subject=decision.subject or draft_row.subject,
                body=decision.body or draft_row.body,
                language=draft_row.language,
                claims=draft_row.claims,
                guardrails=draft_row.guardrails,
                strategy=draft_row.strategy,
                prompt_id=draft_row.prompt_id,
                prompt_version=draft_row.prompt_version,
                status=DraftStatus.approved,
                created_by=decision.actor,
                edited_from_id=draft_row.id,
            )
            session.add_all([draft_row, edited])
            set_lead_status(session, lead=rows.lead, status=LeadStatus.approved, actor=decision.actor)
            if ctx.memory is not None:
                remember_rep_edit(
                    ctx.memory,
                    before=draft_row,
                    after=edited,
                    campaign=rows.campaign.name,
                    company=rows.company.domain if rows.company else None,
                )
        return str(edited.id)
    if action == "reject":
        if draft_row.status == DraftStatus.pending:
            draft_row.status = DraftStatus.rejected
            draft_row.reject_reason = decision.reason
            session.add(draft_row)
            set_lead_status(
                session, lead=rows.lead, status=LeadStatus.rejected, actor=decision.actor, reason=decision.reason
            )
        return str(draft_row.id)
    record_audit(
        session,
        action="draft.regenerate",
        actor=decision.actor,
        entity_type="draft",
        entity_id=draft_row.id,
        data={"instruction": decision.instruction},
    )
    return str(draft_row.id)


@traced("await_approval")
async def await_approval(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> Command[AfterApproval]:
    """Wait for the rep: approve / edit / reject (reason) / regenerate (instruction); a reply stops the sequence."""
    ctx = runtime.context
    with lead_rows(ctx.engine, state) as (session, _rows):
        request = approval_request(session, state)
    decision = parse_decision(interrupt(request))
    route = route_after_approval(decision)
    if decision.kind == "reply":
        with lead_rows(ctx.engine, state) as (session, _rows):
            pending = session.get(Draft, uuid.UUID(request["draft_id"]))
            if pending is not None and pending.status == DraftStatus.pending:
                pending.status = DraftStatus.superseded
                session.add(pending)
        return Command(goto=route, update={"inbound_id": decision.inbound_id})
    with lead_rows(ctx.engine, state) as (session, rows):
        draft_row = session.get(Draft, uuid.UUID(request["draft_id"]))
        assert draft_row is not None
        draft_id = _apply_decision(session, rows, draft_row, decision, ctx)
    trace.detail["decision"] = decision.action
    update: dict[str, Any] = {"draft_id": draft_id}
    if decision.action == "regenerate":
        update["instruction"] = decision.instruction
    if decision.action == "reject":
        update.update({"status": "rejected", "reason": decision.reason})
    return Command(goto=route, update=update)


def outbox_is_sent(session: Session, outbox_id: str | None) -> bool:
    """Whether an outbox row has left (used by the runner's summaries)."""
    if not outbox_id:
        return False
    row = session.get(OutboxMessage, uuid.UUID(outbox_id))
    return row is not None and row.status == OutboxStatus.sent
