"""Store an inbound mail: parse, dedupe by Message-ID, match its thread, save it.

Every readable mail is kept: unmatched ones with ``lead_id`` None (``list_unmatched``),
our own outbound mail coming back in (a BCC copy, a misrouted Sent folder) with
``match_method="own_message"`` and ``processed=True`` so nobody classifies our own words.
Parsing happens before anything is written, so bad input changes nothing; the insert is
``ON CONFLICT DO NOTHING`` so a webhook retry or a second poller stores one row.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session, col, select

from tools.crm.models import InboundMessage
from tools.email.matching import match_thread, own_outbox_row
from tools.email.parsing import InboundEmailPayload, ParsedEmail, parse_payload, parse_raw_email
from tools.email.quotes import strip_quoted
from tools.email.rows import insert_if_absent
from tools.settings import Settings

MAX_STORED_RAW = 1024 * 1024
MAX_ID = 300


def _dedupe_key(parsed: ParsedEmail, fingerprint: bytes) -> str:
    """The Message-ID, or a content hash for mail without one (or with an absurdly long one)."""
    if parsed.message_id and len(parsed.message_id) <= MAX_ID:
        return parsed.message_id
    digest = hashlib.sha256(fingerprint).hexdigest()[:40]
    return f"<sha256-{digest}@no-message-id.invalid>"


def _raw_for_storage(raw: str) -> str:
    """The raw text, or its header section when the whole mail is too large to keep."""
    if len(raw) <= MAX_STORED_RAW:
        return raw
    head, _, body = raw.replace("\r\n", "\n").partition("\n\n")
    return f"{head[:MAX_STORED_RAW]}\n\n[body of {len(body)} characters not stored]\n"


def store_parsed(
    session: Session, parsed: ParsedEmail, *, raw: str, fingerprint: bytes
) -> tuple[InboundMessage, bool]:
    """Save a parsed mail unless its Message-ID is stored already; True when it is new."""
    key = _dedupe_key(parsed, fingerprint)
    existing = session.exec(select(InboundMessage).where(InboundMessage.message_id == key)).first()
    if existing is not None:
        return existing, False
    own = own_outbox_row(session, parsed)
    match = match_thread(session, parsed)
    outbox, method = (own, "own_message") if own is not None else (match.outbox, match.method)
    tokened = [a for a in parsed.recipients if "+r-" in a]
    to_email = next(iter([*tokened, *parsed.delivered_to, *parsed.to]), None)
    headers: dict[str, Any] = dict(parsed.headers)
    if key != parsed.message_id:
        headers["x-outreach-dedupe-key"] = "content hash (no usable Message-ID)"
    row = InboundMessage(
        message_id=key,
        in_reply_to=next((i for i in parsed.in_reply_to if len(i) <= MAX_ID), None),
        references=" ".join(parsed.references) or None,
        from_email=parsed.from_email[:320],
        to_email=to_email[:320] if to_email else None,
        subject=parsed.subject[:1000],
        body_text=parsed.text,
        stripped_text=strip_quoted(parsed.text),
        headers=headers,
        raw=_raw_for_storage(raw.replace("\x00", "")),
        lead_id=outbox.lead_id if outbox is not None else None,
        outbox_id=outbox.id if outbox is not None else None,
        match_method=method,
        processed=own is not None,
    )
    inserted = insert_if_absent(session, row)
    stored = session.exec(select(InboundMessage).where(InboundMessage.message_id == key)).one()
    return stored, inserted


def ingest_raw_email(session: Session, raw: bytes | str, *, settings: Settings) -> InboundMessage:
    """Store one RFC 5322 mail (from IMAP, a pipe or a file); raises ParseError on non-mail.

    ``settings`` is the deployment's configuration; the webhook, the poller and the CLI all
    pass theirs so limits can move into settings without changing callers.
    """
    return store_raw_email(session, raw, settings=settings)[0]


def store_raw_email(session: Session, raw: bytes | str, *, settings: Settings) -> tuple[InboundMessage, bool]:
    """Like ``ingest_raw_email``, also telling whether the mail was new."""
    parsed = parse_raw_email(raw)
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", errors="replace")
    return store_parsed(session, parsed, raw=data.decode("utf-8", errors="replace"), fingerprint=data)


def ingest_payload(
    session: Session, payload: InboundEmailPayload | dict[str, Any], *, settings: Settings
) -> InboundMessage:
    """Store a webhook JSON payload; a payload without "from" raises pydantic's ValidationError."""
    model = payload if isinstance(payload, InboundEmailPayload) else InboundEmailPayload.model_validate(payload)
    parsed = parse_payload(model)
    raw = json.dumps(model.model_dump(by_alias=True), ensure_ascii=False, sort_keys=True)
    return store_parsed(session, parsed, raw=raw, fingerprint=raw.encode("utf-8", errors="replace"))[0]


def list_unmatched(session: Session, *, limit: int = 100, offset: int = 0) -> list[InboundMessage]:
    """Inbound mail that no strategy matched, newest first."""
    return list(
        session.exec(
            select(InboundMessage)
            .where(col(InboundMessage.lead_id).is_(None))
            .where(col(InboundMessage.match_method).is_(None))
            .order_by(col(InboundMessage.received_at).desc())
            .offset(offset)
            .limit(limit)
        ).all()
    )
