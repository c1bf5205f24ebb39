"""The suppression ledger: addresses and domains we must never mail.

Entries are stored as keyed hashes (HMAC-SHA256 with the deployment's secret), so a
person erased under DSGVO Art. 17 stays suppressed without their address in clear.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlmodel import Session, select

from tools.crm.models import AuditEvent, Suppression, SuppressionKind


def normalize_address(email: str) -> str:
    """Lower-cased, trimmed address; plus-tags are kept (they are distinct mailboxes)."""
    return email.strip().lower()


def domain_of(email: str) -> str:
    """The domain part of an address, lower-cased."""
    return normalize_address(email).rpartition("@")[2]


def suppression_hash(value: str, *, kind: SuppressionKind, secret: str) -> str:
    """Keyed hash of an address or domain; the kind is part of the key material."""
    message = f"{kind.value}:{value.strip().lower()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def mask(value: str) -> str:
    """A hint that helps a human recognise an entry without revealing it (e***@example.com)."""
    local, at, domain = value.partition("@")
    if not at:
        return value[:1] + "***" if value else ""
    return f"{local[:1]}***@{domain}"


def add_suppression(
    session: Session,
    *,
    value: str,
    kind: SuppressionKind,
    reason: str,
    secret: str,
    source: str | None = None,
    actor: str = "system",
    keep_hint: bool = True,
) -> Suppression:
    """Suppress an address or a domain (idempotent); writes an audit event the first time."""
    if kind is SuppressionKind.address and "@" not in value:
        raise ValueError(f"not an email address: {value!r}")
    if kind is SuppressionKind.domain and ("@" in value or "." not in value):
        raise ValueError(f"not a domain: {value!r}")
    digest = suppression_hash(value, kind=kind, secret=secret)
    existing = session.exec(select(Suppression).where(Suppression.value_hash == digest)).first()
    if existing is not None:
        return existing
    entry = Suppression(
        value_hash=digest,
        kind=kind,
        reason=reason,
        hint=mask(value.strip()) if keep_hint else "",
        source=source,
    )
    session.add(entry)
    session.add(
        AuditEvent(
            actor=actor,
            action="suppression.added",
            entity_type="suppression",
            entity_id=str(entry.id),
            data={"kind": kind.value, "reason": reason, "source": source},
        )
    )
    session.flush()
    return entry


def is_suppressed(session: Session, *, email: str, secret: str) -> str | None:
    """The reason this address (or its domain) is suppressed, or None."""
    hashes = [
        suppression_hash(normalize_address(email), kind=SuppressionKind.address, secret=secret),
        suppression_hash(domain_of(email), kind=SuppressionKind.domain, secret=secret),
    ]
    entry = session.exec(select(Suppression).where(Suppression.value_hash.in_(hashes))).first()  # type: ignore[attr-defined]
    return entry.reason if entry is not None else None


def list_suppressions(session: Session, *, limit: int = 100, offset: int = 0) -> list[Suppression]:
    """Entries, newest first (hashes and masked hints only)."""
    statement = select(Suppression).order_by(Suppression.created_at.desc()).offset(offset).limit(limit)  # type: ignore[attr-defined]
    return list(session.exec(statement))
