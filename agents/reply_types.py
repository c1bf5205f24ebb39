"""What a reply is and what the classifier says about it: labels, stages, fields, input.

``ReplyInput`` is the one shape every stage reads; it is built from a stored
``InboundMessage``, a freshly parsed mail or a dataset row, so the cascade never cares
where a mail came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from tools.crm.models import InboundMessage
from tools.email.parsing import ParsedEmail
from tools.email.quotes import split_reply


class ReplyLabel(StrEnum):
    """What a reply to an outreach mail means."""

    interested = "interested"
    question = "question"
    referral = "referral"
    not_now = "not_now"
    not_interested = "not_interested"
    unsubscribe = "unsubscribe"
    out_of_office = "out_of_office"
    bounce = "bounce"
    auto_reply = "auto_reply"


AUTOMATIC_LABELS: frozenset[ReplyLabel] = frozenset(
    {ReplyLabel.out_of_office, ReplyLabel.bounce, ReplyLabel.auto_reply}
)


class Stage(StrEnum):
    """Which step of the cascade decided (cheapest first)."""

    rules = "rules"
    model = "model"
    llm = "llm"
    human = "human"


BounceKind = Literal["hard", "soft"]
_MEETING = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$"


class ReplyFields(BaseModel):
    """Facts taken from the reply text; every value was found in the mail, none invented."""

    return_date: date | None = Field(default=None, description="Out of office: first day back.")
    referred_email: str | None = Field(default=None, description="Referral: the other person's address.")
    referred_name: str | None = Field(default=None, description="Referral: the other person's name.")
    meeting_time: str | None = Field(
        default=None, pattern=_MEETING, description="Proposed meeting, local 'YYYY-MM-DD[THH:MM]'."
    )
    later_date: date | None = Field(default=None, description="Not now: when to follow up.")
    bounce_kind: BounceKind | None = Field(default=None, description="Bounce: hard or soft.")
    bounce_status: str | None = Field(default=None, description="Bounce: enhanced status code, e.g. 5.1.1.")
    bounced_recipient: str | None = Field(default=None, description="Bounce: the address that failed.")

    def present(self) -> dict[str, str]:
        """The fields that were found, as strings (for display and audit data)."""
        return {name: str(value) for name, value in self.model_dump(exclude_none=True).items()}


class ReplyClassificationResult(BaseModel):
    """The cascade's verdict on one reply."""

    label: ReplyLabel
    confidence: float = Field(ge=0.0, le=1.0)
    stage: Stage
    fields: ReplyFields = Field(default_factory=ReplyFields)
    reasons: list[str] = Field(default_factory=list)
    is_automatic: bool = Field(description="Sent by a machine: never answer it automatically.")
    scores: dict[str, float] = Field(default_factory=dict, description="Trained model's probabilities.")
    provisional: bool = Field(
        default=False, description="Stage 'human' before a human confirmed: a guess, nothing irreversible happens."
    )


def _sent_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


_PREFIX = re.compile(r"^\s*((re|aw|wg|fw|fwd|antw|sv|vs)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def strip_subject_prefix(subject: str) -> str:
    """``"AW: RE: Angebot"`` → ``"Angebot"``."""
    return _PREFIX.sub("", subject).strip()


@dataclass(frozen=True)
class ReplyInput:
    """One inbound mail as the cascade sees it. Header names are lower-case."""

    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None
    text: str = ""
    signature: str = ""

    @classmethod
    def build(
        cls, *, subject: str, body: str, headers: dict[str, str] | None = None, raw: str | None = None
    ) -> ReplyInput:
        """Normalise headers and split the body into new text and signature (quotes dropped)."""
        parts = split_reply(body)
        lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        return cls(subject=subject, body=body, headers=lowered, raw=raw, text=parts.reply, signature=parts.signature)

    @classmethod
    def from_inbound(cls, inbound: InboundMessage) -> ReplyInput:
        """From a stored inbound mail."""
        headers = {str(k): str(v) for k, v in (inbound.headers or {}).items()}
        raw = inbound.raw if inbound.raw and not inbound.raw.lstrip().startswith("{") else None  # webhook JSON
        return cls.build(subject=inbound.subject, body=inbound.body_text, headers=headers, raw=raw)

    @classmethod
    def from_parsed(cls, parsed: ParsedEmail, *, raw: str | None = None) -> ReplyInput:
        """From a mail parsed by ``tools.email.parsing``."""
        return cls.build(subject=parsed.subject, body=parsed.text, headers=parsed.headers, raw=raw)

    def header(self, name: str) -> str:
        """A header value ('' when absent)."""
        return self.headers.get(name.lower(), "")

    @property
    def sent_at(self) -> datetime | None:
        """The Date header, if readable."""
        return _sent_at(self.header("date"))

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """(display name, lower-case address) pairs of an address header."""
        value = self.header(name)
        return [(n.strip(), a.strip().lower()) for n, a in getaddresses([value]) if "@" in a] if value else []

    @property
    def model_text(self) -> str:
        """What the trained model reads: the subject without reply prefixes, then the new text."""
        return f"{strip_subject_prefix(self.subject)}\n{self.text or self.body}"
