"""Typed state of one lead's thread (one LangGraph thread per campaign + contact).

Only plain JSON values live in the state (ids, numbers, short strings): the rows they point
to are in the CRM store, which stays the system of record.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

FinalStatus = Literal[
    "skipped", "blocked", "rejected", "escalated", "closed", "suppressed", "bounced", "failed", "referred"
]


class InputState(TypedDict):
    """What starts a thread."""

    campaign_id: str
    contact_id: str
    lead_id: str


class LeadState(InputState):
    """Everything the nodes pass along."""

    company_domain: NotRequired[str | None]
    fit_score: NotRequired[int | None]
    step: NotRequired[int]
    draft_id: NotRequired[str | None]
    instruction: NotRequired[str | None]
    outbox_id: NotRequired[str | None]
    inbound_id: NotRequired[str | None]
    label: NotRequired[str | None]
    wake_at: NotRequired[str | None]
    status: NotRequired[FinalStatus | None]
    reason: NotRequired[str | None]


class OutputState(TypedDict):
    """What a finished thread reports."""

    lead_id: str
    status: NotRequired[FinalStatus | None]
    reason: NotRequired[str | None]


def thread_id_for(campaign_id: str, contact_id: str) -> str:
    """The thread id of a lead: stable across processes and restarts."""
    return f"{campaign_id}:{contact_id}"
