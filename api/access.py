"""Who may see what: campaign scoping of every row a rep can reach.

Reps see only leads (and their drafts, replies and tasks) of campaigns they are assigned
to; acting outside that is a 403 that names the campaign.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col

from api.auth import Principal, Scope
from api.errors import ApiProblem
from tools.crm.models import Draft, InboundMessage, Lead, Task
from tools.crm.repository import NotFound


def require_scope(principal: Principal, scope: Scope) -> None:
    """403 unless the caller holds ``scope``."""
    if not principal.has(scope):
        raise ApiProblem(403, f"this needs the '{scope.value}' scope", kind="insufficient-scope")


def require_campaign(principal: Principal, campaign_id: uuid.UUID | None) -> None:
    """403 unless the caller may see this campaign."""
    if not principal.can_see_campaign(campaign_id):
        raise ApiProblem(403, f"you are not assigned to campaign {campaign_id}", kind="forbidden")


def campaign_filter(principal: Principal, column: Any) -> Any | None:
    """A WHERE clause limiting ``column`` (a campaign id column) to the caller's campaigns."""
    if principal.campaign_ids is None:
        return None
    return col(column).in_(list(principal.campaign_ids))


def visible_lead(session: Session, principal: Principal, lead_id: uuid.UUID) -> Lead:
    """The lead, if it exists (404) and the caller may see it (403)."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead {lead_id}")
    require_campaign(principal, lead.campaign_id)
    return lead


def visible_draft(session: Session, principal: Principal, draft_id: uuid.UUID) -> tuple[Draft, Lead]:
    """The draft and its lead, if the caller may see them."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"no draft {draft_id}")
    return draft, visible_lead(session, principal, draft.lead_id)


def visible_reply(session: Session, principal: Principal, inbound_id: uuid.UUID) -> InboundMessage:
    """The inbound mail; unmatched mail (no lead) is for admins only."""
    inbound = session.get(InboundMessage, inbound_id)
    if inbound is None:
        raise NotFound(f"no reply {inbound_id}")
    if inbound.lead_id is None:
        if principal.campaign_ids is not None:
            raise ApiProblem(403, "unmatched mail is visible to admins only", kind="forbidden")
        return inbound
    visible_lead(session, principal, inbound.lead_id)
    return inbound


def visible_task(session: Session, principal: Principal, task_id: uuid.UUID) -> Task:
    """The task, if it belongs to a visible lead or is assigned to the caller."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if principal.campaign_ids is None or (task.assignee is not None and task.assignee == principal.email):
        return task
    if task.lead_id is None:
        raise ApiProblem(403, "this task belongs to no campaign you are assigned to", kind="forbidden")
    visible_lead(session, principal, task.lead_id)
    return task
