"""Stopping all mail to a person or a domain, at once and everywhere.

One function per entry point of the suppression ledger: a person (unsubscribe, hard
bounce, complaint, manual, erasure) or a domain (manual). Taking effect means: the keyed
hash goes into the ledger, every lead of the person moves to ``suppressed`` and every
pending outbox row to them is refused — a row already claimed by a worker is stopped by
the send-time check, which reads the ledger right before sending.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from tools.crm.models import (
    Contact,
    EmailStatus,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
    Suppression,
    SuppressionKind,
)
from tools.crm.repository import record_audit, set_lead_status
from tools.crm.suppression import add_suppression, normalize_address, suppression_hash
from tools.crm.types import utcnow


class SuppressionReason(StrEnum):
    """Why an address or domain is in the ledger (also the outbox refusal detail)."""

    unsubscribe = "unsubscribe"
    hard_bounce = "hard_bounce"
    complaint = "complaint"
    manual = "manual"
    erasure = "erasure"


class SuppressError(ValueError):
    """The value to suppress is not an email address or a domain."""


@dataclass
class SuppressResult:
    """What suppressing a person changed; ``already`` when the ledger had them before."""

    suppression_id: uuid.UUID
    already: bool
    contact_id: uuid.UUID | None = None
    leads_suppressed: list[uuid.UUID] = field(default_factory=list)
    outbox_refused: list[uuid.UUID] = field(default_factory=list)


def _valid_address(email: str) -> str:
    address = normalize_address(email)
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in address):
        raise SuppressError(f"not an email address: {email!r}")
    return address


def _valid_domain(value: str) -> str:
    domain = value.strip().lower().rstrip(".")
    if "@" in domain or "." not in domain or any(ch.isspace() or ch == "/" for ch in domain):
        raise SuppressError(f"not a domain: {value!r}")
    return domain


def _already(session: Session, *, value: str, kind: SuppressionKind, secret: str) -> bool:
    digest = suppression_hash(value, kind=kind, secret=secret)
    return session.exec(select(Suppression.id).where(Suppression.value_hash == digest)).first() is not None


def refuse_pending(
    session: Session, *, code: str, contact_id: uuid.UUID | None = None, email: str | None = None,
    domain: str | None = None,
) -> list[uuid.UUID]:
    """Refuse every pending outbox row to a contact, an address or a domain; returns their ids."""
    conditions = []
    if contact_id is not None:
        conditions.append(col(OutboxMessage.contact_id) == contact_id)
    if email is not None:
        conditions.append(func.lower(col(OutboxMessage.to_email)) == normalize_address(email))
    if domain is not None:
        conditions.append(func.lower(col(OutboxMessage.to_email)).endswith(f"@{domain}", autoescape=True))
    if not conditions:
        return []
    target = or_(*conditions)
    ids = list(
        session.exec(select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.pending, target)).all()
    )
    if ids:
        session.connection().execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == OutboxStatus.pending)
            .values(status=OutboxStatus.refused, refusal_code=code, updated_at=utcnow())
        )
        for row_id in ids:
            record_audit(session, action="outbox.refused", actor="compliance", entity_type="outbox",
                         entity_id=row_id, data={"code": code})
    return ids


def suppress_person(
    session: Session,
    *,
    email: str,
    reason: SuppressionReason,
    secret: str,
    source: str | None = None,
    actor: str = "system",
    keep_hint: bool = True,
) -> SuppressResult:
    """Suppress one address with immediate effect (idempotent); see the module docstring."""
    address = _valid_address(email)
    already = _already(session, value=address, kind=SuppressionKind.address, secret=secret)
    entry = add_suppression(
        session, value=address, kind=SuppressionKind.address, reason=reason.value, secret=secret,
        source=source, actor=actor, keep_hint=keep_hint,
    )
    result = SuppressResult(suppression_id=entry.id, already=already)
    contact = session.exec(select(Contact).where(Contact.email == address)).first()
    if contact is not None:
        result.contact_id = contact.id
        if reason is SuppressionReason.hard_bounce and contact.email_status is not EmailStatus.invalid:
            contact.email_status = EmailStatus.invalid
            contact.updated_at = utcnow()
            session.add(contact)
        leads = session.exec(
            select(Lead).where(Lead.contact_id == contact.id, Lead.status != LeadStatus.suppressed)
        ).all()
        for lead in leads:
            set_lead_status(session, lead=lead, status=LeadStatus.suppressed, actor=actor, reason=reason.value,
                            clear_next_action=True)
            result.leads_suppressed.append(lead.id)
    result.outbox_refused = refuse_pending(
        session, code="suppressed", contact_id=result.contact_id, email=address
    )
    session.flush()
    return result


def suppress_domain(
    session: Session, *, domain: str, secret: str, reason: SuppressionReason = SuppressionReason.manual,
    source: str | None = None, actor: str = "system",
) -> SuppressResult:
    """Suppress a whole domain: the ledger entry plus refusing every pending mail to it."""
    value = _valid_domain(domain)
    already = _already(session, value=value, kind=SuppressionKind.domain, secret=secret)
    entry = add_suppression(session, value=value, kind=SuppressionKind.domain, reason=reason.value,
                            secret=secret, source=source, actor=actor)
    result = SuppressResult(suppression_id=entry.id, already=already)
    result.outbox_refused = refuse_pending(session, code="suppressed", domain=value)
    session.flush()
    return result


def suppress_value(
    session: Session, *, value: str, secret: str, reason: SuppressionReason = SuppressionReason.manual,
    source: str | None = None, actor: str = "system",
) -> SuppressResult:
    """An address (contains @) or a domain, as typed by a human."""
    if "@" in value:
        return suppress_person(session, email=value, reason=reason, secret=secret, source=source, actor=actor)
    return suppress_domain(session, domain=value, secret=secret, reason=reason, source=source, actor=actor)


__all__ = [
    "SuppressError",
    "SuppressResult",
    "SuppressionReason",
    "refuse_pending",
    "suppress_domain",
    "suppress_person",
    "suppress_value",
]
