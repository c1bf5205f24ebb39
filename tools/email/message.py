"""Build outbound mail with the stdlib ``email`` package: one function, deterministic headers.

Every outbox row gets a ``Message-ID`` derived from its id, so a reply's ``In-Reply-To`` finds
the row again and a crash can be reconciled by id. ``Reply-To`` carries a reply token
(``sender+r-<token>@domain``, plus-addressing) as a second way to match replies. Headers are
RFC 2047-encoded where needed (German umlauts), bodies are UTF-8 quoted-printable, so the
bytes on the wire are 7-bit clean and need no ``8BITMIME``/``SMTPUTF8`` from the server.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from email_validator import EmailNotValidError, validate_email

from tools.crm.types import utcnow
from tools.email.errors import MessageError

MSG_ID_RE = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
REPLY_TOKEN_RE = re.compile(r"\+r-([a-z2-7]{26})@", re.IGNORECASE)
MAX_LOCAL_PART = 64
_VERBATIM_HEADERS = frozenset({"list-unsubscribe"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class _OutboundPolicy(EmailPolicy):
    """SMTP policy that never RFC 2047-encodes ``List-Unsubscribe``.

    The stdlib folds a long URL by turning it into encoded-words, which mail providers
    then cannot use; URLs are ASCII by construction, so the header is written as is and
    folded only between its entries.
    """

    def fold(self, name: str, value: Any) -> str:
        if name.lower() in _VERBATIM_HEADERS:
            return f"{name}: " + str(value).replace(", ", "," + self.linesep + " ") + self.linesep
        folded: str = super().fold(name, value)
        return folded

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in _VERBATIM_HEADERS:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


OUTBOUND_POLICY = _OutboundPolicy(linesep="\r\n")


@dataclass(frozen=True)
class UnsubscribeLink:
    """Where a recipient opts out: an http(s) URL for RFC 8058 one-click, optionally a mailto."""

    url: str
    mailto: str | None = None

    def header_value(self) -> str:
        """The ``List-Unsubscribe`` value: ``<url>`` and optionally ``, <mailto:…>``."""
        url = _clean_url(self.url)
        parts = [f"<{url}>"]
        if self.mailto:
            mailto = self.mailto if self.mailto.startswith("mailto:") else f"mailto:{self.mailto}"
            _reject_controls(mailto, "unsubscribe mailto")
            if not mailto.isascii() or any(ch in mailto for ch in "<> "):
                raise MessageError(f"unsubscribe mailto must be ASCII without spaces: {mailto!r}")
            parts.append(f"<{mailto}>")
        return ", ".join(parts)


def _clean_url(url: str) -> str:
    _reject_controls(url, "unsubscribe URL")
    parts = urlsplit(url.strip())
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise MessageError(f"unsubscribe URL must be an absolute https URL: {url!r}")
    if not parts.hostname.isascii():
        raise MessageError(f"unsubscribe URL host must be ASCII (use its punycode form): {url!r}")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        # RFC 8058 one-click requires https; plain http is only tolerated for local demos.
        raise MessageError(f"unsubscribe URL must use https (RFC 8058): {url!r}")
    # Percent-encode anything outside printable ASCII so the header stays verbatim.
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%-._~")


def _reject_controls(value: str, field: str) -> None:
    if any(ch in value for ch in "\r\n\x00"):
        raise MessageError(f"{field} must be a single line: {value!r}")


def parse_address(value: str, *, field: str) -> Address:
    """Validate ``addr`` or ``Name <addr>``; returns it with an ASCII (IDNA) domain.

    Internationalised local parts are refused: they need SMTPUTF8, which many servers lack.
    """
    _reject_controls(value, field)
    text = value.strip()
    name = ""
    match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", text)
    if match:
        name, text = match.group(1).strip().strip('"').strip(), match.group(2).strip()
    try:
        checked = validate_email(
            text, check_deliverability=False, globally_deliverable=False, test_environment=True
        )
    except EmailNotValidError as exc:
        raise MessageError(f"{field} is not a valid email address: {value!r} ({exc})") from exc
    if checked.ascii_email is None:
        raise MessageError(f"{field} has a non-ASCII local part, which is not supported: {value!r}")
    return Address(display_name=name, username=checked.ascii_local_part or checked.local_part,
                   domain=checked.ascii_domain)


def normalize_address(value: str, *, field: str = "address") -> str:
    """The bare ASCII address of ``value`` (display name dropped, domain lower-cased)."""
    return parse_address(value, field=field).addr_spec


def outbox_message_id(outbox_id: uuid.UUID, domain: str) -> str:
    """The deterministic Message-ID of an outbox row: ``<outbox-{uuid}@{domain}>``."""
    domain = domain.strip().lower()
    if not domain or not re.fullmatch(r"[a-z0-9.-]+", domain):
        raise MessageError(f"Message-ID domain must be a plain host name: {domain!r}")
    return f"<outbox-{outbox_id}@{domain}>"


def reply_token(outbox_id: uuid.UUID) -> str:
    """A 26-character, case-insensitive token that names an outbox row (base32 of its id)."""
    return base64.b32encode(outbox_id.bytes).decode("ascii").rstrip("=").lower()


def parse_reply_token(token: str) -> uuid.UUID | None:
    """The outbox id in a reply token, or None when it is not one."""
    if len(token) != 26:
        return None
    try:
        return uuid.UUID(bytes=base64.b32decode(token.upper() + "======"))
    except (binascii.Error, ValueError):
        return None


def reply_to_address(sender: Address, outbox_id: uuid.UUID) -> Address | None:
    """``sender+r-<token>@domain``; None when the local part would exceed 64 characters."""
    local = f"{sender.username}+r-{reply_token(outbox_id)}"
    if len(local) > MAX_LOCAL_PART:
        return None
    return Address(display_name=sender.display_name, username=local, domain=sender.domain)


def reply_tokens_in(addresses: list[str]) -> list[uuid.UUID]:
    """Outbox ids named by reply tokens in these addresses, in order, without repeats."""
    found: list[uuid.UUID] = []
    for address in addresses:
        for token in REPLY_TOKEN_RE.findall(address):
            outbox_id = parse_reply_token(token.lower())
            if outbox_id is not None and outbox_id not in found:
                found.append(outbox_id)
    return found


def check_message_ids(value: str | None, *, field: str) -> list[str]:
    """Split a whitespace-separated list of Message-IDs; each must look like ``<a@b>``."""
    if value is None:
        return []
    _reject_controls(value, field)
    ids = value.split()
    for msg_id in ids:
        if not MSG_ID_RE.match(msg_id):
            raise MessageError(f"{field} holds something that is not a Message-ID: {msg_id!r}")
    return ids


def build_message(
    *,
    message_id: str,
    from_email: str,
    to_email: str,
    subject: str,
    body: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None = None,
    body_html: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    reply_to: str | Address | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """Build one outbound mail; raises MessageError on anything that would be unsafe to send.

    ``unsubscribe_url`` (https, RFC 8058 one-click) and the optional ``unsubscribe_mailto``
    go into ``List-Unsubscribe``; the caller produces them (signed by the compliance module).
    """
    if not MSG_ID_RE.match(message_id):
        raise MessageError(f"not a Message-ID: {message_id!r}")
    _reject_controls(subject, "subject")
    if not subject.strip():
        raise MessageError("subject is empty")
    if not body.strip():
        raise MessageError("body is empty")
    parent = check_message_ids(in_reply_to, field="in_reply_to")
    if len(parent) > 1:
        raise MessageError("in_reply_to must be a single Message-ID")
    chain = check_message_ids(references, field="references")
    if parent and parent[0] not in chain:
        chain.append(parent[0])  # RFC 5322 §3.6.4: References ends with the parent
    when = date or utcnow()
    if when.tzinfo is None:
        raise MessageError("date must be timezone-aware")

    message = EmailMessage(policy=OUTBOUND_POLICY)
    message["From"] = parse_address(from_email, field="from_email")
    message["To"] = parse_address(to_email, field="to_email")
    if reply_to is not None:
        message["Reply-To"] = reply_to if isinstance(reply_to, Address) else parse_address(
            reply_to, field="reply_to"
        )
    message["Subject"] = subject.strip()
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    if parent:
        message["In-Reply-To"] = parent[0]
    if chain:
        message["References"] = " ".join(chain)
    message["List-Unsubscribe"] = UnsubscribeLink(unsubscribe_url, unsubscribe_mailto).header_value()
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_lines(body), subtype="plain", charset="utf-8", cte="quoted-printable")
    if body_html is not None and body_html.strip():
        message.add_alternative(_lines(body_html), subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _lines(text: str) -> str:
    """Normalise line endings; the generator writes CRLF on the wire."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"
