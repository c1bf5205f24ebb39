"""The store-side transitions behind the approval and campaign actions.

Each function runs inside the caller's transaction and raises before writing anything
when the transition is not allowed, so a refused action changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session, func, select

from agents.campaign import CampaignSpec
from tools.crm.models import Campaign, Contact, Draft, DraftStatus, LeadStatus, Task, TaskStatus
from tools.crm.repository import NotFound, create_task, get_lead, record_audit, set_lead_status
from tools.crm.types import utcnow
from tools.email.errors import OutboxError
from tools.email.outbox import enqueue, thread_headers
from tools.settings import Settings

REGENERATE_TASK = "regenerate"

RUNNING = "running"
PAUSED = "paused"
CREATED = "created"
_RUNNING_STATES = {RUNNING, "active"}


class WorkflowError(Exception):
    """An action cannot be done in the current state (answered with 409)."""


class InvalidInput(WorkflowError):
    """An action's input cannot be used (answered with 422)."""


@dataclass(frozen=True)
class DraftOutcome:
    """What an approval action changed."""

    draft_id: uuid.UUID
    status: DraftStatus
    lead_id: uuid.UUID
    lead_status: LeadStatus
    approved_draft_id: uuid.UUID | None = None
    outbox_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CampaignOutcome:
    """What a campaign action changed."""

    campaign_id: uuid.UUID
    name: str
    status: str
    previous_status: str


def _pending_draft(session: Session, draft_id: uuid.UUID) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"no draft {draft_id}")
    if draft.status is not DraftStatus.pending:
        raise WorkflowError(f"draft {draft_id} is {draft.status.value}, not pending")
    return draft


def _spec(campaign: Campaign) -> CampaignSpec:
    try:
        return CampaignSpec.model_validate(campaign.spec)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise WorkflowError(f"campaign {campaign.name} has an invalid spec ({where}: {first['msg']})") from exc


def _edited_copy(session: Session, draft: Draft, *, subject: str, body: str, actor: str) -> Draft:
    """A new approved version holding the rep's text; claims no longer in the text are dropped."""
    latest = session.exec(
        select(func.max(Draft.version)).where(Draft.lead_id == draft.lead_id, Draft.step == draft.step)
    ).one()
    kept_claims = [c for c in draft.claims or [] if str(c.get("text", "")) and str(c.get("text", "")) in body]
    edited = Draft(
        lead_id=draft.lead_id,
        step=draft.step,
        version=int(latest or draft.version) + 1,
        subject=subject,
        body=body,
        body_html=None,
        language=draft.language,
        claims=kept_claims,
        guardrails=[{"name": "edited_by_rep", "passed": True, "severity": "warning",
                     "message": f"edited by {actor}; automatic checks ran on version {draft.version}"}],
        strategy=draft.strategy,
        prompt_id=draft.prompt_id,
        prompt_version=draft.prompt_version,
        status=DraftStatus.approved,
        created_by=actor,
        edited_from_id=draft.id,
    )
    session.add(edited)
    draft.status = DraftStatus.superseded
    session.add(draft)
    return edited


def approve_draft(
    session: Session,
    *,
    draft_id: uuid.UUID,
    actor: str,
    settings: Settings,
    edited_subject: str | None = None,
    edited_body: str | None = None,
) -> DraftOutcome:
    """Approve a pending draft (editing it first when text is given) and queue the mail."""
    draft = _pending_draft(session, draft_id)
    lead = get_lead(session, lead_id=draft.lead_id)
    campaign = session.get(Campaign, lead.campaign_id)
    contact = session.get(Contact, lead.contact_id)
    if campaign is None or contact is None:
        raise NotFound(f"lead {lead.id} lost its campaign or contact")
    spec = _spec(campaign)
    subject = (edited_subject if edited_subject is not None else draft.subject).strip()
    body = edited_body if edited_body is not None else draft.body
    if not subject or not body.strip():
        raise InvalidInput("subject and body must not be empty")
    edited = subject != draft.subject or body != draft.body
    if edited:
        approved = _edited_copy(session, draft, subject=subject, body=body, actor=actor)
    else:
        draft.status = DraftStatus.approved
        session.add(draft)
        approved = draft
    session.flush()
    in_reply_to, references = (None, None)
    if draft.step > 1:
        in_reply_to, references = thread_headers(
            session, campaign_id=campaign.id, contact_id=contact.id, before_step=draft.step
        )
    try:
        outbox = enqueue(
            session,
            campaign_id=campaign.id,
            contact_id=contact.id,
            lead_id=lead.id,
            step=draft.step,
            draft_id=approved.id,
            from_email=spec.sender.email,
            to_email=contact.email,
            subject=approved.subject,
            body=approved.body,
            body_html=approved.body_html,
            in_reply_to=in_reply_to,
            references=references,
            message_id_domain=settings.message_id_domain,
        )
    except OutboxError as exc:
        raise InvalidInput(f"cannot queue the mail: {exc}") from exc
    if outbox.draft_id != approved.id:
        raise WorkflowError(f"step {draft.step} of this lead is already queued (outbox {outbox.id})")
    set_lead_status(session, lead=lead, status=LeadStatus.approved, actor=actor, reason="draft approved")
    record_audit(session, action="draft.approved", actor=actor, entity_type="draft", entity_id=approved.id,
                 data={"lead_id": str(lead.id), "edited": edited, "from_draft": str(draft.id),
                       "outbox_id": str(outbox.id)})
    session.flush()
    return DraftOutcome(draft.id, draft.status, lead.id, lead.status, approved.id, outbox.id)


def reject_draft(session: Session, *, draft_id: uuid.UUID, actor: str, reason: str) -> DraftOutcome:
    """Reject a pending draft with a reason; the lead is not mailed."""
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason")
    draft = _pending_draft(session, draft_id)
    lead = get_lead(session, lead_id=draft.lead_id)
    draft.status = DraftStatus.rejected
    draft.reject_reason = reason.strip()
    session.add(draft)
    set_lead_status(session, lead=lead, status=LeadStatus.rejected, actor=actor, reason=reason.strip())
    record_audit(session, action="draft.rejected", actor=actor, entity_type="draft", entity_id=draft.id,
                 data={"lead_id": str(lead.id), "reason": reason.strip()})
    session.flush()
    return DraftOutcome(draft.id, draft.status, lead.id, lead.status)


def request_regeneration(session: Session, *, draft_id: uuid.UUID, actor: str, instruction: str) -> DraftOutcome:
    """Ask the writer for a new version: an open ``regenerate`` task the runner picks up.

    The draft stays pending (and approvable) until the new version supersedes it; asking
    again while a request is open updates that request instead of adding a second one.
    """
    if not instruction.strip():
        raise InvalidInput("regeneration needs an instruction")
    draft = _pending_draft(session, draft_id)
    lead = get_lead(session, lead_id=draft.lead_id)
    payload = {"draft_id": str(draft.id), "instruction": instruction.strip(), "requested_by": actor}
    open_tasks = session.exec(
        select(Task).where(Task.kind == REGENERATE_TASK, Task.status == TaskStatus.open, Task.lead_id == lead.id)
    ).all()
    task = next((t for t in open_tasks if t.payload.get("draft_id") == str(draft.id)), None)
    if task is None:
        task = create_task(session, kind=REGENERATE_TASK, title=f"Regenerate draft {draft.step}.{draft.version}",
                           lead_id=lead.id, body=instruction.strip(), payload=payload)
    else:
        task.payload = payload
        task.body = instruction.strip()
        session.add(task)
    record_audit(session, action="draft.regenerate_requested", actor=actor, entity_type="draft",
                 entity_id=draft.id, data={"lead_id": str(lead.id), "instruction": instruction.strip()})
    session.flush()
    return DraftOutcome(draft.id, draft.status, lead.id, lead.status, task_id=task.id)


def change_campaign(session: Session, *, campaign_id: uuid.UUID, action: str, actor: str) -> CampaignOutcome:
    """start (created|paused → running), pause (running → paused) or resume (paused → running)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    previous = campaign.status
    allowed = {
        "start": ({CREATED, PAUSED}, RUNNING),
        "pause": (_RUNNING_STATES, PAUSED),
        "resume": ({PAUSED}, RUNNING),
    }
    if action not in allowed:
        raise InvalidInput(f"unknown campaign action {action!r}")
    sources, target = allowed[action]
    if previous not in sources:
        raise WorkflowError(f"cannot {action} campaign {campaign.name}: it is {previous}")
    if action == "start":
        _spec(campaign)
    campaign.status = target
    campaign.updated_at = utcnow()
    session.add(campaign)
    record_audit(session, action=f"campaign.{action}", actor=actor, entity_type="campaign", entity_id=campaign.id,
                 data={"from": previous, "to": target})
    session.flush()
    return CampaignOutcome(campaign.id, campaign.name, target, previous)

