"""Find the outbox row (and so the lead) an inbound mail answers.

Three strategies, most reliable first; the first that finds a row wins and is recorded:
1. ``in_reply_to`` / ``references``: the mail's In-Reply-To / References name one of our
   Message-IDs (``<outbox-…@domain>``);
2. ``reply_token``: a recipient address carries our plus-address token
   (``sender+r-<token>@domain`` in To, Cc, Delivered-To or X-Original-To), which survives
   clients that drop the threading headers;
3. ``sender_subject``: the sender is the recipient of a sent row and the subjects agree
   once "Re:", "AW:", "Fwd:", "WG:" … prefixes are removed.
No match is a result too: the mail is stored without a lead and listed for a human.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from tools.crm.models import OutboxMessage, OutboxStatus
from tools.email.message import reply_tokens_in
from tools.email.parsing import ParsedEmail

_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|antwort|fw|fwd|wg|wtr|sv|vs|tr|rif|rv|enc)\s*(?:\[\d+\]|\(\d+\))?\s*:|"
    r"\[(?:ext|external|extern|spam)\]|\*(?:ext|external|extern)\*)\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ThreadMatch:
    """The row an inbound mail belongs to, and how we know (``method`` is None when unmatched)."""

    outbox: OutboxMessage | None = None
    method: str | None = None

    @property
    def lead_id(self) -> uuid.UUID | None:
        """The lead of the matched row."""
        return self.outbox.lead_id if self.outbox is not None else None


def normalize_subject(subject: str) -> str:
    """A subject without reply/forward prefixes and tags, whitespace collapsed, case-folded."""
    text = " ".join(subject.split())
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.strip().casefold()


def _by_message_ids(session: Session, ids: list[str]) -> OutboxMessage | None:
    if not ids:
        return None
    wanted = list(dict.fromkeys([*ids, *(i.lower() for i in ids)]))
    rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.message_id).in_(wanted))).all()
    by_id = {row.message_id.lower(): row for row in rows}
    for msg_id in ids:
        if msg_id.lower() in by_id:
            return by_id[msg_id.lower()]
    return None


def own_outbox_row(session: Session, parsed: ParsedEmail) -> OutboxMessage | None:
    """The outbox row whose Message-ID this mail carries: our own mail coming back in."""
    return _by_message_ids(session, [parsed.message_id] if parsed.message_id else [])


def match_thread(session: Session, parsed: ParsedEmail) -> ThreadMatch:
    """Match an inbound mail to an outbox row (see the module docstring for the order)."""
    row = _by_message_ids(session, parsed.in_reply_to)
    if row is not None:
        return ThreadMatch(row, "in_reply_to")
    # References lists the thread oldest first; the newest of ours is the best parent.
    row = _by_message_ids(session, list(reversed(parsed.references)))
    if row is not None:
        return ThreadMatch(row, "references")
    for outbox_id in reply_tokens_in(parsed.recipients):
        row = session.get(OutboxMessage, outbox_id)
        if row is not None:
            return ThreadMatch(row, "reply_token")
    subject = normalize_subject(parsed.subject)
    if parsed.from_email and subject:
        candidates = session.exec(
            select(OutboxMessage)
            .where(func.lower(OutboxMessage.to_email) == parsed.from_email.lower())
            .where(OutboxMessage.status == OutboxStatus.sent)
            .order_by(col(OutboxMessage.sent_at).desc())
        ).all()
        for row in candidates:
            if normalize_subject(row.subject) == subject:
                return ThreadMatch(row, "sender_subject")
    return ThreadMatch()
