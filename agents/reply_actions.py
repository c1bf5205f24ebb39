"""What happens after a reply is classified: one action per label, once per inbound mail.

* interested, question: an ``escalation`` task for the owner with the reply, the thread,
  the research and a draft answer; a notification; the lead becomes ``interested`` with
  no next action (the sequence stops).
* referral: the referred person becomes a lead of the same campaign (source "referral
  from <contact id>"); without an address a ``find_address`` task; a notification; the
  original lead is ``closed``.
* not_now: the lead is ``paused`` until the requested date (default 90 days).
* out_of_office: ``paused`` until the return date + 1 business day (default 7 days).
* not_interested: the lead is ``closed``.
* unsubscribe: the address is suppressed at once, everywhere (every lead, every pending mail).
* bounce: hard → the address is ``invalid`` and suppressed; soft → ``soft_bounces`` + 1 and
  the mail goes out again in a day; the 3rd soft bounce counts as hard.
* auto_reply: nothing, the sequence goes on; automatic mail is never answered.

A provisional label (stage ``human``) only opens a ``review`` task and pauses the lead;
``agents.reply_review.confirm_review`` applies the label a human chose. Every run writes a ``reply.handled``
audit event, which is also the idempotency key: running twice does nothing the second
time (a confirmed label may follow a provisional one, once).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlmodel import Session, col, select

from agents.compliance.suppress import SuppressionReason, suppress_person
from agents.llm import LLM
from agents.reply_escalation import build_escalation, lead_owner
from agents.reply_referral import add_referred_lead
from agents.reply_types import ReplyClassificationResult, ReplyLabel, Stage
from agents.writer_schedule import next_step_due
from tools.crm.models import (
    AuditEvent,
    Campaign,
    Contact,
    InboundMessage,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
    ReplyClassification,
    Task,
)
from tools.crm.repository import create_task, record_audit, set_lead_status
from tools.crm.types import utcnow
from tools.email.transport import Transport
from tools.notify import Notification, Notifier
from tools.settings import Settings

HANDLED = "reply.handled"
DEFAULT_NOT_NOW_DAYS = 90
DEFAULT_ABSENCE_DAYS = 7
SOFT_BOUNCE_LIMIT = 3
FOLLOW_UP_HOUR_UTC = 8


class ReplyActionError(ValueError):
    """The inputs do not fit together (e.g. the inbound mail belongs to another lead)."""


class ReplyActionOutcome(BaseModel):
    """What the action did; ``final_status`` is None while the lead's thread goes on."""

    inbound_id: uuid.UUID
    lead_id: uuid.UUID
    label: ReplyLabel
    stage: Stage
    action: str
    final_status: str | None = None
    soft_bounce: bool = False
    needs_review: bool = False
    task_ids: list[uuid.UUID] = Field(default_factory=list)
    new_lead_id: uuid.UUID | None = None
    next_action_at: datetime | None = None
    notifications: list[dict[str, Any]] = Field(default_factory=list)
    already_handled: bool = False

    def get(self, key: str, default: Any = None) -> Any:
        """Mapping-style access (the graph reads ``outcome.get("final_status")``)."""
        return getattr(self, key, default)


@dataclass
class _Run:
    session: Session
    inbound: InboundMessage
    lead: Lead
    contact: Contact
    campaign: Campaign | None
    result: ReplyClassificationResult
    settings: Settings
    now: datetime
    outcome: ReplyActionOutcome
    notification: Notification | None = None

    @property
    def reply_text(self) -> str:
        return self.inbound.stripped_text or self.inbound.body_text

    def task(self, *, kind: str, title: str, body: str, payload: dict[str, Any], assignee: str | None) -> Task:
        task = create_task(self.session, kind=kind, title=title[:500], lead_id=self.lead.id, body=body,
                           assignee=assignee, payload={"inbound_id": str(self.inbound.id), **payload})
        self.outcome.task_ids.append(task.id)
        return task

    def status(self, status: LeadStatus, *, next_action_at: datetime | None = None) -> None:
        set_lead_status(self.session, lead=self.lead, status=status, actor="reply_classifier",
                        reason=f"reply {self.inbound.id}: {self.result.label.value}",
                        next_action_at=next_action_at, clear_next_action=next_action_at is None)
        self.outcome.next_action_at = next_action_at


def _previous(session: Session, inbound_id: uuid.UUID) -> ReplyActionOutcome | None:
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == HANDLED, AuditEvent.entity_id == str(inbound_id))
        .order_by(col(AuditEvent.at).desc())
    ).all()
    return ReplyActionOutcome.model_validate(events[0].data) if events else None


def _at_morning(day: date) -> datetime:
    return datetime.combine(day, time(FOLLOW_UP_HOUR_UTC), tzinfo=UTC)


def _later(run: _Run, moment: datetime) -> datetime:
    """Never in the past: at least one day from now."""
    return max(moment, run.now + timedelta(days=1))


def _notify(run: _Run, title: str, text: str, **facts: str | None) -> None:
    link = f"{run.settings.public_base_url.rstrip('/')}/leads/{run.lead.id}"
    base = {"Contact": run.contact.email, "Label": f"{run.result.label.value} ({run.result.stage.value})"}
    run.notification = Notification(
        title=title, text=text[:2500], fields={**base, **{k: v for k, v in facts.items() if v}}, link=link
    )


async def _escalate(run: _Run, llm: LLM | None) -> None:
    context = await build_escalation(run.session, lead=run.lead, contact=run.contact, campaign=run.campaign,
                                     result=run.result, reply_text=run.reply_text, llm=llm)
    fields = run.result.fields.present()
    what = "has a question" if run.result.label is ReplyLabel.question else "is interested"
    meeting = f"Proposed meeting: {fields['meeting_time']}" if "meeting_time" in fields else ""
    parts = (f"{run.contact.email} {what}.", f"Reply:\n{run.reply_text}", meeting,
             f"Suggested answer ({context.suggested_answer_source}):\n{context.suggested_answer}")
    body = "\n\n".join(part for part in parts if part)
    run.task(
        kind="escalation",
        title=f"Answer {run.contact.email}: {run.result.label.value}",
        body=body,
        assignee=context.owner,
        payload={"label": run.result.label.value, "stage": run.result.stage.value, "confidence": run.result.confidence,
                 "fields": fields, "reply": run.reply_text, "subject": run.inbound.subject, **context.payload()},
    )
    run.status(LeadStatus.interested)
    run.outcome.action, run.outcome.final_status = "escalated", "escalated"
    _notify(run, f"Reply from {run.contact.email}: {what}", run.reply_text, Owner=context.owner,
            Meeting=fields.get("meeting_time"), Company=context.research.get("company"))


def _refer(run: _Run) -> None:
    fields = run.result.fields
    owner = lead_owner(run.lead, run.campaign)
    who = fields.referred_name or fields.referred_email or "someone else"
    if fields.referred_email is None:
        run.task(
            kind="find_address",
            title=f"Find the address of {who} (referred by {run.contact.email})",
            body=f"{run.contact.email} referred us to {who} but gave no address.\n\nReply:\n{run.reply_text}",
            assignee=owner,
            payload={"referred_name": fields.referred_name, "referred_by": str(run.contact.id)},
        )
        run.outcome.action = "referral_needs_address"
    else:
        new_lead = add_referred_lead(
            run.session,
            lead=run.lead,
            referrer=run.contact,
            email=fields.referred_email,
            name=fields.referred_name,
            reply_text=run.reply_text,
            inbound_id=run.inbound.id,
            secret=run.settings.secret_key.get_secret_value(),
        )
        run.outcome.new_lead_id = new_lead.id if new_lead else None
        run.outcome.action = "referral_created" if new_lead else "referral_suppressed"
    run.status(LeadStatus.closed)
    run.outcome.final_status = "referred"
    _notify(
        run,
        f"Referral from {run.contact.email}",
        run.reply_text,
        Referred=who,
        Address=fields.referred_email or "unknown: task created",
        Action=run.outcome.action,
    )


def _pause(run: _Run, until: datetime, action: str) -> None:
    run.status(LeadStatus.paused, next_action_at=_later(run, until))
    run.outcome.action = action


def _suppress(run: _Run, reason: SuppressionReason) -> None:
    secret = run.settings.secret_key.get_secret_value()
    source = f"reply {run.inbound.id}"
    addresses = dict.fromkeys(a.lower() for a in (run.contact.email, run.inbound.from_email) if a and "@" in a)
    if reason is SuppressionReason.hard_bounce:
        addresses = {run.contact.email.lower(): None}  # the mailer-daemon is not the person
    for address in addresses:
        suppress_person(
            run.session, email=address, reason=reason, secret=secret, source=source, actor="reply_classifier"
        )
    run.session.refresh(run.lead)
    run.outcome.next_action_at = None


def _retry_bounced_mail(run: _Run) -> None:
    """Put the bounced mail back in the outbox for tomorrow (only a row that was sent)."""
    row_id = run.inbound.outbox_id
    if row_id is None:
        row_id = run.session.exec(
            select(OutboxMessage.id)
            .where(OutboxMessage.lead_id == run.lead.id, OutboxMessage.status == OutboxStatus.sent)
            .order_by(col(OutboxMessage.step).desc())
        ).first()
    if row_id is None:
        return
    retry_at = run.now + timedelta(days=1)
    changed = run.session.connection().execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id, col(OutboxMessage.status) == OutboxStatus.sent)
        .values(
            status=OutboxStatus.pending,
            scheduled_at=retry_at,
            attempts=0,
            last_error=f"soft bounce {run.result.fields.bounce_status or ''}".strip(),
            updated_at=run.now,
        )
    )
    if changed.rowcount:
        record_audit(
            run.session,
            action="outbox.soft_bounce_retry",
            actor="reply_classifier",
            entity_type="outbox",
            entity_id=row_id,
            data={"retry_at": retry_at.isoformat(), "inbound_id": str(run.inbound.id)},
        )


def _bounce(run: _Run) -> None:
    kind = run.result.fields.bounce_kind or "hard"
    if kind == "soft":
        run.contact.soft_bounces += 1
        run.contact.updated_at = run.now
        run.session.add(run.contact)
        if run.contact.soft_bounces < SOFT_BOUNCE_LIMIT:
            _retry_bounced_mail(run)
            follow_up = max(run.lead.next_action_at or run.now, run.now + timedelta(days=1))
            run.status(run.lead.status, next_action_at=follow_up)
            run.outcome.action, run.outcome.soft_bounce = "soft_bounce_retry", True
            return
    _suppress(run, SuppressionReason.hard_bounce)
    run.outcome.action = "hard_bounce" if kind == "hard" else "soft_bounce_limit"
    run.outcome.final_status = "bounced"


def _review(run: _Run) -> None:
    result = run.result
    run.task(
        kind="review",
        title=f"Confirm what {run.contact.email} meant: {result.label.value}?",
        body=f"The classifier is unsure ({result.confidence:.2f}). Reply:\n{run.reply_text}\n\n"
        + "\n".join(result.reasons),
        assignee=lead_owner(run.lead, run.campaign),
        payload={
            "provisional_label": result.label.value,
            "confidence": result.confidence,
            "scores": result.scores,
            "reasons": result.reasons,
            "labels": [label.value for label in ReplyLabel],
        },
    )
    run.status(LeadStatus.paused)
    run.outcome.action, run.outcome.needs_review = "review", True


async def _act(run: _Run, llm: LLM | None) -> None:
    result = run.result
    match result.label:
        case _ if result.provisional:
            _review(run)
        case ReplyLabel.interested | ReplyLabel.question:
            await _escalate(run, llm)
        case ReplyLabel.referral:
            _refer(run)
        case ReplyLabel.not_now:
            day = result.fields.later_date
            until = _at_morning(day) if day else run.now + timedelta(days=DEFAULT_NOT_NOW_DAYS)
            _pause(run, until, "follow_up_scheduled")
        case ReplyLabel.out_of_office:
            back = result.fields.return_date
            until = next_step_due(_at_morning(back), 1) if back else run.now + timedelta(days=DEFAULT_ABSENCE_DAYS)
            _pause(run, until, "paused_until_return")
        case ReplyLabel.not_interested:
            run.status(LeadStatus.closed)
            run.outcome.action, run.outcome.final_status = "closed", "closed"
        case ReplyLabel.unsubscribe:
            _suppress(run, SuppressionReason.unsubscribe)
            run.outcome.action, run.outcome.final_status = "suppressed", "suppressed"
        case ReplyLabel.bounce:
            _bounce(run)
        case ReplyLabel.auto_reply:
            run.outcome.action = "ignored_automatic"


def _record_classification(run: _Run) -> None:
    result = run.result
    run.session.add(
        ReplyClassification(
            inbound_id=run.inbound.id,
            lead_id=run.lead.id,
            label=result.label.value,
            confidence=result.confidence,
            stage=result.stage.value,
            provisional=result.provisional,
            fields=result.fields.model_dump(mode="json", exclude_none=True),
        )
    )


async def apply_reply_action(
    session: Session,
    *,
    inbound: InboundMessage,
    lead: Lead,
    result: ReplyClassificationResult,
    settings: Settings,
    llm: LLM | None = None,
    now: datetime | None = None,
    notifier: Notifier | None = None,
    transport: Transport | None = None,
) -> ReplyActionOutcome:
    """Act on a classified reply (idempotent per inbound mail); the caller commits.

    Database work comes first; notifications go out last and their delivery is audited.
    """
    if inbound.lead_id is not None and inbound.lead_id != lead.id:
        raise ReplyActionError(f"inbound mail {inbound.id} belongs to lead {inbound.lead_id}, not {lead.id}")
    previous = _previous(session, inbound.id)
    if previous is not None and (not previous.needs_review or result.provisional):
        return previous.model_copy(update={"already_handled": True})
    contact = session.get(Contact, lead.contact_id)
    if contact is None:
        raise ReplyActionError(f"lead {lead.id} has no contact")
    run = _Run(
        session=session,
        inbound=inbound,
        lead=lead,
        contact=contact,
        campaign=session.get(Campaign, lead.campaign_id),
        result=result,
        settings=settings,
        now=now or utcnow(),
        outcome=ReplyActionOutcome(
            inbound_id=inbound.id, lead_id=lead.id, label=result.label, stage=result.stage, action="none"
        ),
    )
    await _act(run, llm)
    _record_classification(run)
    record_audit(
        session,
        action=HANDLED,
        actor="reply_classifier",
        entity_type="inbound",
        entity_id=inbound.id,
        data=run.outcome.model_dump(mode="json"),
    )
    session.flush()
    if run.notification is not None:
        sender = notifier or Notifier.from_settings(settings, transport=transport)
        if sender.configured:
            deliveries = await sender.send(run.notification, email_to=settings.notify_email)
            run.outcome.notifications = [d.as_dict() for d in deliveries]
            record_audit(
                session,
                action="notify.sent",
                actor="reply_classifier",
                entity_type="inbound",
                entity_id=inbound.id,
                data={"deliveries": run.outcome.notifications},
            )
            session.flush()
    return run.outcome
