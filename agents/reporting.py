"""Counts and timelines for people: campaign funnel, status, a lead's trace."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tools.crm.models import (
    Draft,
    InboundMessage,
    Lead,
    LeadStatus,
    LLMCall,
    NodeRun,
    OutboxMessage,
    OutboxStatus,
    ReplyClassification,
    Task,
    TaskStatus,
)

_RESEARCHED = {s for s in LeadStatus} - {LeadStatus.new, LeadStatus.failed}
_DRAFTED = {
    LeadStatus.drafted,
    LeadStatus.awaiting_approval,
    LeadStatus.approved,
    LeadStatus.rejected,
    LeadStatus.sent,
    LeadStatus.replied,
    LeadStatus.interested,
    LeadStatus.paused,
    LeadStatus.closed,
    LeadStatus.suppressed,
}


def campaign_counts(session: Session, *, campaign_id: uuid.UUID) -> dict[str, Any]:
    """Funnel and state counts of one campaign."""
    by_status = dict(
        session.exec(
            select(Lead.status, func.count()).where(Lead.campaign_id == campaign_id).group_by(Lead.status)
        ).all()
    )
    leads = sum(by_status.values())
    lead_ids = select(Lead.id).where(Lead.campaign_id == campaign_id)
    drafted = session.exec(
        select(func.count(func.distinct(Draft.lead_id))).where(col(Draft.lead_id).in_(lead_ids))
    ).one()
    approved = session.exec(
        select(func.count(func.distinct(OutboxMessage.lead_id))).where(OutboxMessage.campaign_id == campaign_id)
    ).one()
    sent = session.exec(
        select(func.count(func.distinct(OutboxMessage.lead_id))).where(
            OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.sent
        )
    ).one()
    replied = session.exec(
        select(func.count(func.distinct(InboundMessage.lead_id))).where(col(InboundMessage.lead_id).in_(lead_ids))
    ).one()
    labels = dict(
        session.exec(
            select(ReplyClassification.label, func.count())
            .where(col(ReplyClassification.lead_id).in_(lead_ids))
            .group_by(ReplyClassification.label)
        ).all()
    )
    open_tasks = session.exec(
        select(func.count()).select_from(Task).where(col(Task.lead_id).in_(lead_ids), Task.status == TaskStatus.open)
    ).one()
    return {
        "leads": leads,
        "researched": sum(n for s, n in by_status.items() if s in _RESEARCHED),
        "drafted": drafted,
        "awaiting_approval": by_status.get(LeadStatus.awaiting_approval, 0),
        "approved": approved,
        "sent": sent,
        "replied": replied,
        "interested": labels.get("interested", 0) + labels.get("question", 0),
        "by_status": {str(k.value if hasattr(k, "value") else k): v for k, v in sorted(by_status.items())},
        "reply_labels": labels,
        "open_tasks": open_tasks,
    }


def lead_trace(session: Session, *, lead_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every node execution of the lead's thread with its LLM calls (model, prompt, tokens)."""
    runs = session.exec(select(NodeRun).where(NodeRun.lead_id == lead_id).order_by(col(NodeRun.started_at))).all()
    calls = session.exec(select(LLMCall).where(LLMCall.lead_id == lead_id).order_by(col(LLMCall.at))).all()
    out: list[dict[str, Any]] = []
    for run in runs:
        inside = [c for c in calls if run.started_at <= c.at <= (run.ended_at or c.at) and c.agent in (None, run.node)]
        out.append(
            {
                "node": run.node,
                "status": run.status,
                "started_at": run.started_at,
                "duration_ms": run.duration_ms,
                "llm_calls": [
                    {
                        "model": c.model,
                        "prompt": f"{c.prompt_id}@{c.prompt_version}" if c.prompt_id else None,
                        "input_tokens": c.input_tokens,
                        "output_tokens": c.output_tokens,
                        "cached": c.cached,
                    }
                    for c in inside
                ],
                "tools": run.tool_calls,
                "error": run.error,
                "detail": run.detail,
            }
        )
    return out
