"""What the writer takes and gives: the draft request, claims, guardrail results, the result.

Shared by the orchestration (``agents.nodes.writer``), both strategies
(``agents.writer_llm``, ``agents.writer_template``) and the guardrails.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from agents.campaign import CampaignSpec
from agents.profile import CompanyProfile, Fact

if TYPE_CHECKING:
    from tools.crm.models import Contact

Language = Literal["de", "en"]
StrategyName = Literal["llm", "template"]
Severity = Literal["error", "warning"]


class WriterError(Exception):
    """Base class of writer failures that no repair round can fix."""


class WriterConfigError(WriterError):
    """The campaign or request cannot be drafted as configured (e.g. a bad template placeholder)."""


class Recipient(BaseModel):
    """The person the mail is for, as the writer needs them."""

    id: str | None = Field(default=None, description="Contact id (memory key), not the address.")
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    salutation: str | None = Field(default=None, description="Frau / Herr (also Ms/Mr); None if unknown.")
    role: str | None = None
    language: str | None = None
    country: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name, whichever are known."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @classmethod
    def from_contact(cls, contact: Contact) -> Recipient:
        """Build from a CRM contact row."""
        return cls(
            id=str(contact.id),
            email=contact.email,
            first_name=contact.first_name,
            last_name=contact.last_name,
            salutation=contact.salutation,
            role=contact.role,
            language=contact.language,
            country=contact.country,
        )


class PreviousMail(BaseModel):
    """An earlier mail of the same sequence (the one a follow-up refers to)."""

    step: int = Field(ge=1)
    subject: str
    body: str
    sent_at: datetime | None = None


class DraftRequest(BaseModel):
    """Everything needed to draft one mail of one lead's sequence."""

    spec: CampaignSpec
    step: int = Field(default=1, ge=1)
    recipient: Recipient
    profile: CompanyProfile
    previous: list[PreviousMail] = Field(default_factory=list)
    lead_id: str | None = None
    campaign_id: str | None = None
    unsubscribe_url: str | None = Field(
        default=None, description="The recipient's one-click opt-out link, for the legal footer (Art. 21 DSGVO)."
    )

    @property
    def facts(self) -> list[Fact]:
        """The lead's sourced facts (the only things a personal claim may rest on)."""
        return self.profile.facts

    @property
    def company_name(self) -> str:
        """How to name the company in a mail."""
        return self.profile.name or self.profile.legal_name or self.profile.domain


class Claim(BaseModel):
    """A personal statement in the mail and the fact it relies on."""

    text: str = Field(description="The statement as it appears in the mail.")
    fact_id: str = Field(description="Id of the fact that backs it.")


class GuardrailResult(BaseModel):
    """The verdict of one deterministic check."""

    name: str
    passed: bool
    severity: Severity = "error"
    message: str = ""

    @property
    def failed_error(self) -> bool:
        """True when this check failed and is blocking."""
        return not self.passed and self.severity == "error"


class Candidate(BaseModel):
    """What a strategy produced in one round, before composition.

    ``text`` is the message between greeting and sign-off; the writer adds the
    salutation, sign-off and legal footer itself, so no model can get those wrong.
    """

    subject: str
    text: str
    claims: list[Claim] = Field(default_factory=list)
    note: str = Field(default="", description="What this round changed (for traces).")
    error: str | None = Field(default=None, description="Set when the round produced nothing usable.")


class Attempt(BaseModel):
    """One round: what was produced and how it was judged."""

    round: int
    strategy: StrategyName
    subject: str
    body: str
    failures: list[str]
    note: str = ""


class DraftResult(BaseModel):
    """A finished draft, ready for the rep's approval queue."""

    step: int
    subject: str
    body: str
    body_html: str | None = None
    language: Language
    claims: list[Claim]
    guardrails: list[GuardrailResult]
    strategy: StrategyName
    strategy_reason: str
    prompt_id: str
    prompt_version: str
    repair_rounds: int = Field(ge=0, le=2)
    flagged: bool
    flagged_reasons: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)

    @property
    def warnings(self) -> list[GuardrailResult]:
        """Failed non-blocking checks."""
        return [g for g in self.guardrails if not g.passed and g.severity == "warning"]
