"""Tasks for humans: list, assign, complete."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlmodel import Session, col, func, or_, select

from api.access import require_campaign, visible_task
from api.auth import Principal
from api.deps import Offset, Reader, SessionDep, TaskWriter
from api.errors import ApiProblem, problem_responses
from api.schemas import Page, TaskAssign, TaskComplete, TaskPublic
from tools.crm.models import Lead, Task, TaskStatus
from tools.crm.repository import record_audit
from tools.crm.types import utcnow

router = APIRouter(prefix="/api/tasks", tags=["tasks"], responses=problem_responses(400, 401, 403, 422))


def task_public(task: Task, campaign_id: uuid.UUID | None) -> TaskPublic:
    """A task with its campaign."""
    return TaskPublic(id=task.id, lead_id=task.lead_id, campaign_id=campaign_id, kind=task.kind, title=task.title,
                      body=task.body, payload=task.payload, status=task.status, assignee=task.assignee,
                      due_at=task.due_at, created_at=task.created_at, completed_at=task.completed_at)


def task_query(principal: Principal, *, status: TaskStatus | None = None, kinds: list[str] | None = None,
               assignee: str | None = None, campaign_id: uuid.UUID | None = None) -> Any:
    """Tasks the caller may see (its campaigns' leads, or assigned to it), with their campaign."""
    statement: Any = select(Task, Lead.campaign_id).outerjoin(Lead, col(Lead.id) == col(Task.lead_id))
    conditions: list[Any] = []
    if principal.campaign_ids is not None:
        visible = col(Lead.campaign_id).in_(list(principal.campaign_ids))
        conditions.append(or_(visible, Task.assignee == principal.email) if principal.email else visible)
    if status is not None:
        conditions.append(Task.status == status)
    if kinds:
        conditions.append(col(Task.kind).in_(kinds))
    if assignee is not None:
        conditions.append(Task.assignee == assignee)
    if campaign_id is not None:
        conditions.append(Lead.campaign_id == campaign_id)
    return statement.where(*conditions)


def campaign_of(session: Session, task: Task) -> uuid.UUID | None:
    """The campaign of a task's lead."""
    lead = session.get(Lead, task.lead_id) if task.lead_id else None
    return lead.campaign_id if lead else None


@router.get("", response_model=Page[TaskPublic], summary="List tasks")
def list_tasks(
    principal: Reader,
    session: SessionDep,
    task_status: Annotated[TaskStatus | None, Query(alias="status")] = None,
    kind: Annotated[list[str] | None, Query(max_length=20)] = None,
    assignee: Annotated[str | None, Query(max_length=320)] = None,
    campaign_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> Page[TaskPublic]:
    """Tasks, newest first."""
    if campaign_id is not None:
        require_campaign(principal, campaign_id)
    statement = task_query(principal, status=task_status, kinds=kind, assignee=assignee, campaign_id=campaign_id)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(col(Task.created_at).desc(), col(Task.id)).offset(offset).limit(limit))
    return Page(items=[task_public(t, cid) for t, cid in rows], total=total, limit=limit, offset=offset)


@router.get("/{task_id}", response_model=TaskPublic, responses=problem_responses(404), summary="Get a task")
def read_task(task_id: uuid.UUID, principal: Reader, session: SessionDep) -> TaskPublic:
    """One task."""
    task = visible_task(session, principal, task_id)
    return task_public(task, campaign_of(session, task))


def assign_task(session: Session, principal: Principal, task: Task, assignee: str | None) -> Task:
    """Give a task to someone (reps only to themselves)."""
    target = (assignee or principal.email or "").strip().lower()
    if not target:
        raise ApiProblem(422, "this key belongs to no user; name an assignee", kind="validation-error")
    if not principal.is_admin and target != principal.email:
        raise ApiProblem(403, "reps can assign tasks only to themselves", kind="forbidden")
    previous = task.assignee
    task.assignee = target
    session.add(task)
    record_audit(session, action="task.assigned", actor=principal.actor, entity_type="task", entity_id=task.id,
                 data={"from": previous, "to": target})
    return task


def complete_task(session: Session, principal: Principal, task: Task, note: str | None) -> Task:
    """Close a task (409 when it is closed already)."""
    if task.status is TaskStatus.done:
        raise ApiProblem(409, "this task is already done", kind="conflict")
    task.status = TaskStatus.done
    task.completed_at = utcnow()
    if note:
        task.payload = {**task.payload, "completion_note": note}
    session.add(task)
    record_audit(session, action="task.completed", actor=principal.actor, entity_type="task", entity_id=task.id,
                 data={"note": note} if note else {})
    return task


@router.post("/{task_id}/assign", response_model=TaskPublic, responses=problem_responses(404),
             summary="Assign a task")
def assign(task_id: uuid.UUID, principal: TaskWriter, session: SessionDep,
           body: Annotated[TaskAssign | None, Body()] = None) -> TaskPublic:
    """Assign to ``assignee`` (admins) or to the caller."""
    task = visible_task(session, principal, task_id)
    assign_task(session, principal, task, (body or TaskAssign()).assignee)
    session.commit()
    return task_public(task, campaign_of(session, task))


@router.post("/{task_id}/complete", response_model=TaskPublic, responses=problem_responses(404, 409),
             summary="Complete a task")
def complete(task_id: uuid.UUID, principal: TaskWriter, session: SessionDep,
             body: Annotated[TaskComplete | None, Body()] = None) -> TaskPublic:
    """Mark a task done, with an optional note."""
    task = visible_task(session, principal, task_id)
    complete_task(session, principal, task, (body or TaskComplete()).note)
    session.commit()
    return task_public(task, campaign_of(session, task))
