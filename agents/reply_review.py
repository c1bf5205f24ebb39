"""A human settles a review task: the label they choose is applied as if the cascade had decided."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from agents.llm import LLM
from agents.reply_actions import ReplyActionError, ReplyActionOutcome, apply_reply_action
from agents.reply_fields import extract_fields
from agents.reply_types import AUTOMATIC_LABELS, ReplyClassificationResult, ReplyInput, ReplyLabel, Stage
from tools.crm.models import InboundMessage, Lead, Task, TaskStatus
from tools.crm.repository import record_audit
from tools.crm.types import utcnow
from tools.email.transport import Transport
from tools.notify import Notifier
from tools.settings import Settings


async def confirm_review(
    session: Session,
    *,
    task_id: uuid.UUID,
    label: ReplyLabel,
    settings: Settings,
    actor: str = "rep",
    llm: LLM | None = None,
    now: datetime | None = None,
    notifier: Notifier | None = None,
    transport: Transport | None = None,
) -> ReplyActionOutcome:
    """Apply ``label`` to the reply behind review task ``task_id`` and close the task."""
    task = session.get(Task, task_id)
    if task is None or task.kind != "review":
        raise ReplyActionError(f"no review task {task_id}")
    if task.status is TaskStatus.done:
        raise ReplyActionError(f"review task {task_id} is already done")
    inbound = session.get(InboundMessage, uuid.UUID(str(task.payload.get("inbound_id"))))
    lead = session.get(Lead, task.lead_id) if task.lead_id else None
    if inbound is None or lead is None:
        raise ReplyActionError(f"review task {task_id} lost its reply or lead")
    reply = ReplyInput.from_inbound(inbound)
    today = (reply.sent_at or now or utcnow()).date()
    confirmed = ReplyClassificationResult(
        label=label,
        confidence=1.0,
        stage=Stage.human,
        fields=extract_fields(label, reply, today=today),
        reasons=[f"confirmed by {actor}"],
        is_automatic=label in AUTOMATIC_LABELS,
        provisional=False,
    )
    outcome = await apply_reply_action(
        session,
        inbound=inbound,
        lead=lead,
        result=confirmed,
        settings=settings,
        llm=llm,
        now=now,
        notifier=notifier,
        transport=transport,
    )
    task.status, task.completed_at = TaskStatus.done, now or utcnow()
    session.add(task)
    record_audit(
        session,
        action="task.done",
        actor=actor,
        entity_type="task",
        entity_id=task.id,
        data={"label": label.value, "action": outcome.action},
    )
    session.flush()
    return outcome
