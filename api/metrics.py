"""Counts for dashboards: campaign status, the lead funnel, reply rate by prompt, LLM usage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from api.schemas import Funnel, PromptReplyRate, UsageRow
from tools.crm.models import (
    Company,
    Contact,
    Draft,
    DraftStatus,
    InboundMessage,
    Lead,
    LeadStatus,
    LLMCall,
    OutboxMessage,
    OutboxStatus,
    ReplyClassification,
    Task,
    TaskStatus,
)

NOT_A_REPLY = {"out_of_office", "auto_reply", "bounce"}
POSITIVE = {"interested"}
GroupBy = Literal["model", "agent", "campaign", "day"]


def _counts(session: Session, statement: Any) -> dict[str, int]:
    return {str(getattr(key, "value", key)): int(count) for key, count in session.exec(statement)}


def status_counts(session: Session, *, campaign_id: uuid.UUID) -> dict[str, dict[str, int] | int]:
    """Leads, drafts and outbox rows by state, and open tasks, of one campaign."""
    leads = _counts(session, select(Lead.status, func.count()).where(Lead.campaign_id == campaign_id)
                    .group_by(Lead.status))
    drafts = _counts(session, select(Draft.status, func.count()).join(Lead, col(Lead.id) == col(Draft.lead_id))
                     .where(Lead.campaign_id == campaign_id).group_by(Draft.status))
    outbox = _counts(session, select(OutboxMessage.status, func.count())
                     .where(OutboxMessage.campaign_id == campaign_id).group_by(OutboxMessage.status))
    open_tasks = session.exec(
        select(func.count()).select_from(Task).join(Lead, col(Lead.id) == col(Task.lead_id))
        .where(Lead.campaign_id == campaign_id, Task.status == TaskStatus.open)
    ).one()
    return {"leads": leads, "drafts": drafts, "outbox": outbox, "open_tasks": int(open_tasks)}


def _lead_ids(session: Session, statement: Any) -> set[uuid.UUID]:
    return {row for row in session.exec(statement) if row is not None}


def funnel(session: Session, *, campaign_id: uuid.UUID) -> Funnel:
    """Leads that reached each stage: found → researched → drafted → approved → sent → replied → interested.

    A lead counts for a stage when it reached it at any time (a replied lead was also sent),
    so the numbers never grow down the funnel.
    """
    found = _lead_ids(session, select(Lead.id).where(Lead.campaign_id == campaign_id))
    researched = _lead_ids(
        session,
        select(Lead.id).join(Contact, col(Contact.id) == col(Lead.contact_id))
        .join(Company, col(Company.id) == col(Contact.company_id))
        .where(Lead.campaign_id == campaign_id, col(Company.researched_at).is_not(None)),
    ) | _lead_ids(session, select(Lead.id).where(
        Lead.campaign_id == campaign_id, col(Lead.status).not_in([LeadStatus.new, LeadStatus.failed])))
    drafted = _lead_ids(session, select(Draft.lead_id).join(Lead, col(Lead.id) == col(Draft.lead_id))
                        .where(Lead.campaign_id == campaign_id))
    approved = _lead_ids(session, select(Draft.lead_id).join(Lead, col(Lead.id) == col(Draft.lead_id)).where(
        Lead.campaign_id == campaign_id, col(Draft.status).in_([DraftStatus.approved, DraftStatus.sent])))
    approved |= _lead_ids(session, select(OutboxMessage.lead_id).where(OutboxMessage.campaign_id == campaign_id))
    sent = _lead_ids(session, select(OutboxMessage.lead_id).where(
        OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.sent))
    labels = _reply_labels(session, campaign_id=campaign_id)
    replied = {lead for lead, lead_labels in labels.items() if lead_labels - NOT_A_REPLY or not lead_labels}
    interested = {lead for lead, lead_labels in labels.items() if lead_labels & POSITIVE}
    interested |= _lead_ids(session, select(Lead.id).where(
        Lead.campaign_id == campaign_id, Lead.status == LeadStatus.interested))
    replied |= interested
    sent |= replied
    approved |= sent
    drafted |= approved
    researched |= drafted
    return Funnel(found=len(found | researched), researched=len(researched), drafted=len(drafted),
                  approved=len(approved), sent=len(sent), replied=len(replied), interested=len(interested))


def _reply_labels(session: Session, *, campaign_id: uuid.UUID) -> dict[uuid.UUID, set[str]]:
    """lead id → labels of its inbound mail (an empty set: replied, not yet classified)."""
    statement = (
        select(InboundMessage.lead_id, ReplyClassification.label)
        .join(Lead, col(Lead.id) == col(InboundMessage.lead_id))
        .outerjoin(ReplyClassification, col(ReplyClassification.inbound_id) == col(InboundMessage.id))
        .where(Lead.campaign_id == campaign_id, col(InboundMessage.match_method) != "own_message")
    )
    labels: dict[uuid.UUID, set[str]] = defaultdict(set)
    for lead_id, label in session.exec(statement):
        if lead_id is None:
            continue
        labels[lead_id]
        if label is not None:
            labels[lead_id].add(label)
    return labels


def reply_rates(session: Session, *, campaign_id: uuid.UUID) -> list[PromptReplyRate]:
    """For each prompt version: first mails sent, leads that replied (not auto/bounce), interested."""
    sent_rows = session.exec(
        select(OutboxMessage.lead_id, Draft.prompt_id, Draft.prompt_version)
        .join(Draft, col(Draft.id) == col(OutboxMessage.draft_id))
        .where(OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.sent,
               OutboxMessage.step == 1)
    )
    labels = _reply_labels(session, campaign_id=campaign_id)
    groups: dict[tuple[str, str], set[uuid.UUID]] = defaultdict(set)
    for lead_id, prompt_id, prompt_version in sent_rows:
        groups[(prompt_id or "(none)", prompt_version or "-")].add(lead_id)
    out: list[PromptReplyRate] = []
    for (prompt_id, version), leads in sorted(groups.items()):
        replied = {lead for lead in leads if lead in labels and (labels[lead] - NOT_A_REPLY or not labels[lead])}
        interested = {lead for lead in leads if labels.get(lead, set()) & POSITIVE}
        out.append(PromptReplyRate(prompt_id=prompt_id, prompt_version=version, sent=len(leads),
                                   replied=len(replied), interested=len(interested),
                                   reply_rate=round(len(replied) / len(leads), 4) if leads else 0.0))
    return out


def _day(session: Session) -> Any:
    """The UTC calendar day of a call, as text, in this database's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", LLMCall.at), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", LLMCall.at)


def usage(
    session: Session,
    *,
    group_by: GroupBy,
    since: datetime | None = None,
    until: datetime | None = None,
    campaign_ids: frozenset[uuid.UUID] | None = None,
    campaign_id: uuid.UUID | None = None,
) -> tuple[list[UsageRow], UsageRow]:
    """LLM calls in a window, aggregated in SQL by ``group_by``; limited to ``campaign_ids`` (reps)."""
    keys: dict[str, Any] = {
        "model": col(LLMCall.model),
        "agent": func.coalesce(LLMCall.agent, "(none)"),
        "campaign": LLMCall.campaign_id,
        "day": _day(session),
    }
    key = keys[group_by]
    measures = (
        func.count(),
        func.coalesce(func.sum(LLMCall.input_tokens), 0),
        func.coalesce(func.sum(LLMCall.output_tokens), 0),
        func.coalesce(func.sum(LLMCall.cost_usd), 0.0),
        func.coalesce(func.sum(LLMCall.latency_ms), 0),
        func.coalesce(func.sum(case((col(LLMCall.ok).is_(False), 1), else_=0)), 0),
        func.coalesce(func.sum(case((col(LLMCall.cached).is_(True), 1), else_=0)), 0),
    )
    conditions: list[Any] = []
    if since is not None:
        conditions.append(LLMCall.at >= since)
    if until is not None:
        conditions.append(LLMCall.at < until)
    if campaign_ids is not None:
        conditions.append(col(LLMCall.campaign_id).in_(list(campaign_ids)))
    if campaign_id is not None:
        conditions.append(LLMCall.campaign_id == campaign_id)
    grouped = sa_select(key, *measures).where(*conditions).group_by(key).order_by(key)
    rows = [_usage_row("(none)" if name is None else str(name), values) for name, *values in session.execute(grouped)]
    total = session.execute(sa_select(*measures).where(*conditions)).one()
    return rows, _usage_row("total", total)


def _usage_row(key: str, values: Any) -> UsageRow:
    calls, input_tokens, output_tokens, cost, latency, errors, cached = (values[i] for i in range(7))
    return UsageRow(
        key=key,
        calls=int(calls),
        input_tokens=int(input_tokens),
        output_tokens=int(output_tokens),
        cost_usd=round(float(cost), 6),
        avg_latency_ms=int(latency) // int(calls) if calls else 0,
        errors=int(errors),
        cached=int(cached),
    )
