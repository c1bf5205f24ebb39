"""Models of replies, tasks, suppressions, usage and the inbound-email webhook."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import EXAMPLE_CAMPAIGN_ID, EXAMPLE_ID, EXAMPLE_LEAD_ID, EXAMPLE_TIME, examples
from tools.crm.models import SuppressionKind, TaskStatus

_REPLY = {"id": EXAMPLE_ID, "message_id": "<abc@kunde.example>", "from_email": "anna.schmidt@kunde.example",
          "to_email": "erika@muster.example", "subject": "Re: Ihre neue Fertigungshalle",
          "received_at": EXAMPLE_TIME, "lead_id": EXAMPLE_LEAD_ID, "campaign_id": EXAMPLE_CAMPAIGN_ID,
          "match_method": "in_reply_to", "processed": True, "label": "interested", "confidence": 0.93,
          "stage": "model", "text": "Gerne, rufen Sie mich Donnerstag an."}
_TASK = {"id": EXAMPLE_ID, "lead_id": EXAMPLE_LEAD_ID, "campaign_id": EXAMPLE_CAMPAIGN_ID, "kind": "escalation",
         "title": "Anna Schmidt ist interessiert", "body": "…", "payload": {"suggested_answer": "Sehr geehrte …"},
         "status": "open", "assignee": "rep@muster.example", "due_at": None, "created_at": EXAMPLE_TIME,
         "completed_at": None}
_USAGE = {"key": "gpt-4o-mini", "calls": 120, "input_tokens": 240000, "output_tokens": 36000, "cost_usd": 0.0576,
          "avg_latency_ms": 850, "errors": 1, "cached": 10}


class ReplyPublic(BaseModel):
    """A received mail and how it was classified."""

    model_config = examples(_REPLY)

    id: uuid.UUID
    message_id: str | None
    from_email: str
    to_email: str | None
    subject: str
    received_at: datetime
    lead_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    match_method: str | None
    processed: bool
    label: str | None = None
    confidence: float | None = None
    stage: str | None = None
    text: str = Field(description="The reply without quoted history (as stored).")


class TaskPublic(BaseModel):
    """Work for a human."""

    model_config = examples(_TASK)

    id: uuid.UUID
    lead_id: uuid.UUID | None
    campaign_id: uuid.UUID | None
    kind: str
    title: str
    body: str
    payload: dict[str, Any]
    status: TaskStatus
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None


class TaskAssign(BaseModel):
    """Assign a task; without ``assignee`` it goes to the caller."""

    model_config = examples({"assignee": "rep@muster.example"}, {})

    assignee: str | None = Field(default=None, min_length=3, max_length=320)


class TaskComplete(BaseModel):
    """Close a task, optionally with a note."""

    model_config = examples({"note": "Termin für Donnerstag vereinbart."}, {})

    note: str | None = Field(default=None, max_length=5000)


class SuppressionCreate(BaseModel):
    """Never mail this address or domain again."""

    model_config = examples({"value": "anna.schmidt@kunde.example", "kind": "address", "reason": "manual"},
                            {"value": "konkurrenz.example", "kind": "domain", "reason": "competitor"})

    value: str = Field(min_length=3, max_length=320)
    kind: SuppressionKind = SuppressionKind.address
    reason: str = Field(default="manual", min_length=1, max_length=30)


class SuppressionPublic(BaseModel):
    """A suppression entry: a keyed hash and a masked hint, never the address itself."""

    model_config = examples({"id": EXAMPLE_ID, "kind": "address", "reason": "unsubscribe", "hint": "a***@kunde.example",
                             "source": "api", "created_at": EXAMPLE_TIME})

    id: uuid.UUID
    kind: SuppressionKind
    reason: str
    hint: str
    source: str | None
    created_at: datetime


class UsageRow(BaseModel):
    """Model calls aggregated by one key (model, agent, campaign or day)."""

    model_config = examples(_USAGE)

    key: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    avg_latency_ms: int
    errors: int
    cached: int


class UsageReport(BaseModel):
    """LLM usage and cost in a time window."""

    model_config = examples({"group_by": "model", "since": None, "until": None, "rows": [_USAGE], "total": _USAGE})

    group_by: Literal["model", "agent", "campaign", "day"]
    since: datetime | None
    until: datetime | None
    rows: list[UsageRow]
    total: UsageRow


class InboundAccepted(BaseModel):
    """A stored inbound mail; ``duplicate`` when its Message-ID was already stored."""

    model_config = examples({"id": EXAMPLE_ID, "lead_id": EXAMPLE_LEAD_ID, "matched": True,
                             "match_method": "in_reply_to", "duplicate": False})

    id: uuid.UUID
    lead_id: uuid.UUID | None
    matched: bool
    match_method: str | None
    duplicate: bool
