"""Models of drafts, their risk, and the approval actions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import EXAMPLE_CAMPAIGN_ID, EXAMPLE_ID, EXAMPLE_LEAD_ID, EXAMPLE_TIME, examples
from api.schemas.leads import FactPublic
from tools.crm.models import DraftStatus, LeadStatus

_RISK: dict[str, Any] = {"score": 30, "level": "medium", "value": 72,
         "flags": [{"code": "unsupported_claim", "severity": "high",
                    "message": "claim cites f_0000000000, which is not a fact of this company"}]}
_DRAFT = {"id": EXAMPLE_ID, "lead_id": EXAMPLE_LEAD_ID, "campaign_id": EXAMPLE_CAMPAIGN_ID,
          "campaign_name": "maschinenbau-q1", "contact_email": "anna.schmidt@kunde.example",
          "company_name": "Kunde Maschinenbau GmbH", "fit_score": 72, "step": 1, "version": 1,
          "subject": "Ihre neue Fertigungshalle in Augsburg", "language": "de", "strategy": "template",
          "prompt_id": "writer", "prompt_version": "2", "status": "pending", "created_by": "agent",
          "created_at": EXAMPLE_TIME, "risk": _RISK, "regeneration_requested": None}
_CLAIM = {"text": "Sie haben im November eine neue Fertigungshalle in Augsburg eröffnet", "fact_id": "f_1a2b3c4d5e",
          "supported": True, "fact": {"id": "f_1a2b3c4d5e", "kind": "news",
                                      "text": "12.11.2026 – Neue Fertigungshalle in Augsburg eröffnet",
                                      "source_url": "https://kunde.example/presse", "retrieved_at": EXAMPLE_TIME}}
_ACTION = {"draft_id": EXAMPLE_ID, "status": "approved", "lead_id": EXAMPLE_LEAD_ID, "lead_status": "approved",
           "approved_draft_id": EXAMPLE_ID, "outbox_id": EXAMPLE_ID, "task_id": None}


class RiskFlag(BaseModel):
    """Why a draft deserves a closer look."""

    model_config = examples(_RISK["flags"][0])

    code: Literal["guardrail_failed", "guardrail_warning", "unsupported_claim", "low_fit",
                  "big_account_first_contact"]
    severity: Literal["high", "medium"]
    message: str


class Risk(BaseModel):
    """Risk (how much could go wrong) and value (how much it is worth) of sending a draft."""

    model_config = examples(_RISK)

    score: int = Field(ge=0)
    level: Literal["low", "medium", "high"]
    value: int = Field(ge=0)
    flags: list[RiskFlag]


class ClaimPublic(BaseModel):
    """A personal statement of the draft and the fact behind it."""

    model_config = examples(_CLAIM)

    text: str
    fact_id: str
    supported: bool = Field(description="True when fact_id names a fact of this lead's company.")
    fact: FactPublic | None = None


class GuardrailPublic(BaseModel):
    """The verdict of one automatic check."""

    model_config = examples({"name": "word_count", "passed": False, "severity": "warning",
                             "message": "192 words; at most 180"})

    name: str
    passed: bool
    severity: str = "error"
    message: str = ""


class DraftQueueItem(BaseModel):
    """A draft in the approval queue."""

    model_config = examples(_DRAFT)

    id: uuid.UUID
    lead_id: uuid.UUID
    campaign_id: uuid.UUID
    campaign_name: str
    contact_email: str
    company_name: str | None
    fit_score: int | None
    step: int
    version: int
    subject: str
    language: str
    strategy: str
    prompt_id: str | None
    prompt_version: str | None
    status: DraftStatus
    created_by: str
    created_at: datetime
    risk: Risk
    regeneration_requested: str | None = Field(default=None, description="Pending instruction, if any.")


class DraftPublic(DraftQueueItem):
    """A draft with its text, claims (with facts and sources) and guardrail verdicts."""

    model_config = examples({**_DRAFT, "body": "Sehr geehrte Frau Schmidt,\n\n…", "claims": [_CLAIM],
                             "guardrails": [], "reject_reason": None, "edited_from_id": None})

    body: str
    claims: list[ClaimPublic]
    guardrails: list[GuardrailPublic]
    reject_reason: str | None = None
    edited_from_id: uuid.UUID | None = None


class DraftApprove(BaseModel):
    """Approve as is (empty body) or edit and approve (subject and/or body given)."""

    model_config = examples({}, {"subject": "Ihre neue Halle in Augsburg", "body": "Sehr geehrte Frau Schmidt,\n\n…"})

    subject: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, min_length=1, max_length=50_000)


class DraftReject(BaseModel):
    """Reject with a reason (kept for learning and audit)."""

    model_config = examples({"reason": "Falscher Ansprechpartner"})

    reason: str = Field(min_length=1, max_length=2000)


class DraftRegenerate(BaseModel):
    """Ask for a new version, with an instruction for the writer."""

    model_config = examples({"instruction": "Kürzer, und nicht die Halle erwähnen."})

    instruction: str = Field(min_length=1, max_length=2000)


class DraftAction(BaseModel):
    """What an approval action changed."""

    model_config = examples(_ACTION)

    draft_id: uuid.UUID
    status: DraftStatus
    lead_id: uuid.UUID
    lead_status: LeadStatus
    approved_draft_id: uuid.UUID | None = Field(default=None, description="The version approved (new when edited).")
    outbox_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None


class BulkApprove(BaseModel):
    """Approve several drafts; by default only low-risk ones (others are skipped)."""

    model_config = examples({"draft_ids": [EXAMPLE_ID], "only_low_risk": True})

    draft_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    only_low_risk: bool = True


class BulkSkip(BaseModel):
    """A draft bulk approval left alone, and why."""

    model_config = examples({"draft_id": EXAMPLE_ID, "reason": "risk is medium"})

    draft_id: uuid.UUID
    reason: str


class BulkApproveResult(BaseModel):
    """Per-draft outcome of a bulk approval."""

    model_config = examples({"approved": [_ACTION], "skipped": []})

    approved: list[DraftAction]
    skipped: list[BulkSkip]
