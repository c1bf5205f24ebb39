"""The escalation inbox: replies that need a human, with the thread and a suggested answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, select

from api.access import require_scope, visible_task
from api.auth import Scope
from api.deps import SessionDep, SettingsDep
from api.routes.tasks import assign_task, campaign_of, complete_task, task_query
from api.web import render
from api.web_session import WebUser, check_csrf
from tools.crm.models import Contact, InboundMessage, Lead, OutboxMessage, Task, TaskStatus

router = APIRouter(include_in_schema=False)
INBOX_KINDS = ["escalation", "review"]
SUGGESTION_KEYS = ("suggested_answer", "suggested_reply", "suggestion", "draft_answer")


@dataclass(frozen=True)
class ThreadMail:
    """One mail of a lead's thread, either direction."""

    direction: str  # "out" or "in"
    at: datetime
    sender: str
    recipient: str
    subject: str
    text: str
    status: str


def suggested_answer(payload: dict[str, Any]) -> str | None:
    """The suggested answer the reply actions put into the task, if any."""
    for key in SUGGESTION_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, dict) and isinstance(value.get("body"), str):
            return str(value["body"])
    return None


def thread_of(session: Session, lead_id: uuid.UUID | None, payload: dict[str, Any]) -> list[ThreadMail]:
    """Mails out and in of the lead (or the task's own inbound mail), oldest first."""
    mails: list[ThreadMail] = []
    if lead_id is not None:
        for out in session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == lead_id)):
            mails.append(ThreadMail("out", out.sent_at or out.created_at, out.from_email, out.to_email, out.subject,
                                    out.body, out.status.value))
        inbound_rows = list(session.exec(select(InboundMessage).where(InboundMessage.lead_id == lead_id)))
    else:
        inbound_id = payload.get("inbound_id")
        row = session.get(InboundMessage, uuid.UUID(str(inbound_id))) if _is_uuid(inbound_id) else None
        inbound_rows = [row] if row is not None else []
    for inbound in inbound_rows:
        text = inbound.stripped_text or inbound.body_text
        mails.append(ThreadMail("in", inbound.received_at, inbound.from_email, inbound.to_email or "",
                                inbound.subject, text, inbound.match_method or ""))
    return sorted(mails, key=lambda mail: mail.at)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    """Open escalations and reviews the user may handle."""
    statement = task_query(principal, status=TaskStatus.open, kinds=INBOX_KINDS)
    rows = list(session.exec(statement.order_by(col(Task.created_at).desc()).limit(200)))
    contacts = _contacts(session, [t.lead_id for t, _cid in rows if t.lead_id])
    items = [{"task": t, "contact": contacts.get(t.lead_id) if t.lead_id else None} for t, _cid in rows]
    return render(request, "inbox.html", {"items": items}, principal=principal)


def _contacts(session: Session, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, Contact]:
    if not lead_ids:
        return {}
    rows = session.exec(select(Lead.id, Contact).join(Contact, col(Contact.id) == col(Lead.contact_id))
                        .where(col(Lead.id).in_(lead_ids)))
    return {lead_id: contact for lead_id, contact in rows}


@router.get("/inbox/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: uuid.UUID, principal: WebUser, session: SessionDep) -> HTMLResponse:
    """A task with the thread and the suggested answer."""
    task = visible_task(session, principal, task_id)
    contact = _contacts(session, [task.lead_id]).get(task.lead_id) if task.lead_id else None
    return render(request, "task.html", {
        "task": task, "contact": contact, "campaign_id": campaign_of(session, task),
        "thread": thread_of(session, task.lead_id, task.payload), "suggestion": suggested_answer(task.payload),
    }, principal=principal)


@router.post("/inbox/{task_id}/assign")
def assign_form(task_id: uuid.UUID, principal: WebUser, settings: SettingsDep, session: SessionDep,
                csrf_token: Annotated[str, Form(max_length=200)] = "") -> RedirectResponse:
    """Take a task."""
    check_csrf(principal, settings, csrf_token)
    require_scope(principal, Scope.tasks_write)
    task = visible_task(session, principal, task_id)
    assign_task(session, principal, task, None)
    session.commit()
    return RedirectResponse(f"/inbox/{task_id}?notice=task_assigned", status_code=303)


@router.post("/inbox/{task_id}/complete")
def complete_form(task_id: uuid.UUID, principal: WebUser, settings: SettingsDep, session: SessionDep,
                  csrf_token: Annotated[str, Form(max_length=200)] = "",
                  note: Annotated[str, Form(max_length=5000)] = "") -> RedirectResponse:
    """Close a task."""
    check_csrf(principal, settings, csrf_token)
    require_scope(principal, Scope.tasks_write)
    task = visible_task(session, principal, task_id)
    complete_task(session, principal, task, note.strip() or None)
    session.commit()
    return RedirectResponse("/inbox?notice=task_done", status_code=303)
