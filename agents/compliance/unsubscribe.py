"""One-click unsubscribe (RFC 8058) with HMAC-signed tokens, and the one path every opt-out takes.

A token is ``<payload>.<mac>``: the payload is the contact id and the campaign id (16 bytes
each, base64url), the MAC is HMAC-SHA256 over a versioned label and the payload with
``Settings.secret_key``, compared in constant time. Tokens do not expire: an opt-out link
in a mail read a year later must still work.

``unsubscribe`` is the single function behind the endpoint, the ``unsubscribe`` reply
label and any manual opt-out, so they cannot drift apart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from agents.compliance.suppress import SuppressionReason, SuppressResult, suppress_person
from tools.crm.models import Contact, OutboxMessage
from tools.crm.repository import record_audit
from tools.settings import Settings

_LABEL = b"outreach-unsubscribe:v1:"
_PAYLOAD_BYTES = 32
_MAC_BYTES = 32


class InvalidToken(ValueError):
    """The unsubscribe token is malformed or its signature does not match."""


@dataclass(frozen=True)
class TokenClaims:
    """What a valid token names."""

    contact_id: uuid.UUID
    campaign_id: uuid.UUID


@dataclass
class UnsubscribeOutcome:
    """The result of an opt-out: whether a contact was found and what changed."""

    contact_found: bool
    campaign_id: uuid.UUID | None
    result: SuppressResult | None

    @property
    def already(self) -> bool:
        """True when nothing changed because the person had opted out (or been erased) before."""
        return self.result is None or self.result.already


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or any(ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for ch in text):
        raise InvalidToken("the unsubscribe link is malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("the unsubscribe link is malformed") from exc


def _mac(payload: bytes, secret: str) -> bytes:
    if not secret:
        raise ValueError("secret_key is empty; unsubscribe tokens cannot be signed")
    return hmac.new(secret.encode(), _LABEL + payload, hashlib.sha256).digest()


def make_token(*, contact_id: uuid.UUID, campaign_id: uuid.UUID, secret: str) -> str:
    """A signed token naming a contact and a campaign."""
    payload = contact_id.bytes + campaign_id.bytes
    return f"{_b64(payload)}.{_b64(_mac(payload, secret))}"


def verify_token(token: str, *, secret: str) -> TokenClaims:
    """The claims of a valid token; InvalidToken (with a human-readable reason) otherwise."""
    head, dot, tail = token.strip().partition(".")
    if not dot or len(token) > 200:
        raise InvalidToken("the unsubscribe link is malformed")
    payload, mac = _unb64(head), _unb64(tail)
    if len(payload) != _PAYLOAD_BYTES or len(mac) != _MAC_BYTES:
        raise InvalidToken("the unsubscribe link is malformed")
    if not hmac.compare_digest(mac, _mac(payload, secret)):
        raise InvalidToken("the unsubscribe link is not valid (its signature does not match)")
    return TokenClaims(contact_id=uuid.UUID(bytes=payload[:16]), campaign_id=uuid.UUID(bytes=payload[16:]))


def unsubscribe_url(settings: Settings, contact_id: uuid.UUID, campaign_id: uuid.UUID) -> str:
    """The one-click link for a mail to ``contact_id`` in ``campaign_id`` (for the message builder)."""
    token = make_token(contact_id=contact_id, campaign_id=campaign_id, secret=settings.secret_key.get_secret_value())
    return f"{settings.public_base_url.rstrip('/')}/unsubscribe/{token}"


def unsubscribe_link_factory(settings: Settings) -> Callable[[OutboxMessage], str]:
    """``dispatch(unsubscribe=…)``: each outbox row gets its signed contact+campaign link."""
    return lambda row: unsubscribe_url(settings, row.contact_id, row.campaign_id)


def unsubscribe(
    session: Session,
    *,
    email: str,
    source: str,
    secret: str,
    campaign_id: uuid.UUID | None = None,
    actor: str = "recipient",
) -> SuppressResult:
    """Opt a person out of all mail, immediately: ledger, every lead, every pending mail.

    Idempotent. ``source`` says how (``one-click``, ``reply``, ``manual``…); it is audited
    together with the campaign, never with the address.
    """
    result = suppress_person(
        session, email=email, reason=SuppressionReason.unsubscribe, secret=secret, source=source, actor=actor
    )
    if not result.already:
        record_audit(
            session,
            action="compliance.unsubscribed",
            actor=actor,
            entity_type="contact",
            entity_id=result.contact_id,
            data={
                "source": source,
                "campaign_id": str(campaign_id) if campaign_id else None,
                "leads": len(result.leads_suppressed),
                "outbox_refused": len(result.outbox_refused),
            },
        )
        session.flush()
    return result


def unsubscribe_by_token(session: Session, *, token: str, secret: str, source: str = "one-click") -> UnsubscribeOutcome:
    """Verify a token and opt its contact out; InvalidToken (nothing changed) if it is not ours.

    A valid token whose contact no longer exists (erased) changes nothing: the erasure
    already left the address in the ledger as a keyed hash.
    """
    claims = verify_token(token, secret=secret)
    contact = session.get(Contact, claims.contact_id)
    if contact is None:
        return UnsubscribeOutcome(contact_found=False, campaign_id=claims.campaign_id, result=None)
    result = unsubscribe(session, email=contact.email, source=source, secret=secret, campaign_id=claims.campaign_id)
    return UnsubscribeOutcome(contact_found=True, campaign_id=claims.campaign_id, result=result)
