"""Read inbound mail: raw RFC 5322 bytes or a webhook's JSON payload → ``ParsedEmail``.

Lenient where real mail is messy (unknown charsets, broken encoded-words, HTML-only
bodies), strict where the input is not mail at all (no header fields, empty, too large).
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.email.errors import ParseError
from tools.email.html_text import html_to_text

MAX_RAW_BYTES = 25 * 1024 * 1024
MAX_HEADER_VALUE = 2000
_UNFOLD = re.compile(r"\r?\n[ \t]+")
_MSG_ID = re.compile(r"<[^<>\s]+>")
_MAIL_HEADERS = frozenset({
    "from", "to", "cc", "subject", "date", "message-id", "received", "delivered-to", "return-path",
    "in-reply-to", "references", "reply-to", "sender", "mime-version", "content-type",
})
_RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to")


@dataclass(frozen=True)
class ParsedEmail:
    """One inbound mail, decoded: addresses lower-cased, ids with angle brackets."""

    from_email: str
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""
    html: str | None = None
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)
    auto_submitted: bool = False
    is_bounce: bool = False

    @property
    def recipients(self) -> list[str]:
        """Every address the mail was delivered to: To, Cc and the envelope headers."""
        return [*self.to, *self.cc, *self.delivered_to]


class InboundEmailPayload(BaseModel):
    """The JSON body of ``POST /webhooks/inbound-email`` (provider-neutral)."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "from": "Erika Musterfrau <erika@kunde.example>",
                    "to": "vertrieb+r-aeaqcaibaeaqcaibaeaqcaibae@firma.example",
                    "subject": "AW: Ihre Anfrage",
                    "text": "Guten Tag,\n\ngerne nächste Woche.\n\nAm 2. März 2026 um 10:00 schrieb Max:\n> …",
                    "html": None,
                    "headers": {"Auto-Submitted": "no"},
                    "message_id": "<CAF=abc123@mail.kunde.example>",
                    "in_reply_to": "<outbox-0f8fad5b-d9cb-469f-a165-70867728950e@firma.example>",
                    "references": "<outbox-0f8fad5b-d9cb-469f-a165-70867728950e@firma.example>",
                }
            ]
        },
    )

    from_: str = Field(alias="from", min_length=3, description="Sender, 'addr' or 'Name <addr>'.")
    to: str | list[str] = Field(description="Recipient(s) as delivered (plus-address included).")
    subject: str = Field(description="Decoded subject; may be empty.")
    text: str = Field(description="Plain-text body; may be empty when html is given.")
    html: str | None = Field(default=None, description="HTML body, used when text is empty.")
    headers: dict[str, str] = Field(default_factory=dict, description="Further headers by name.")
    message_id: str | None = Field(default=None, description="Message-ID, with or without <>.")
    in_reply_to: str | None = Field(default=None, description="In-Reply-To header.")
    references: str | list[str] | None = Field(default=None, description="References header.")

    @field_validator("from_")
    @classmethod
    def _has_sender(cls, value: str) -> str:
        if not _addresses([value]):
            raise ValueError(f"'from' holds no email address: {value!r}")
        return value

    @field_validator("to")
    @classmethod
    def _has_recipient(cls, value: str | list[str]) -> str | list[str]:
        if not _addresses([value] if isinstance(value, str) else value):
            raise ValueError("'to' holds no email address")
        return value


def _clean(text: str) -> str:
    """Repair raw 8-bit header bytes (UTF-8, else Latin-1) and drop NUL, which PostgreSQL cannot hold."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        data = text.encode("utf-8", "surrogateescape")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.replace("\x00", "")


def _decode(raw_value: str) -> str:
    try:
        return _clean(str(make_header(decode_header(raw_value))))
    except (LookupError, UnicodeError, ValueError):
        return _clean(raw_value)


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; display names are decoded after splitting."""
    pairs = []
    for name, addr in getaddresses([v for v in values if v]):
        if "@" in addr:
            pairs.append((_decode(name).strip(), _clean(addr.strip().lower())))
    return pairs


def message_ids(value: str | list[str] | None) -> list[str]:
    """Message-IDs in a header value, in order; a bare ``a@b`` gets its angle brackets."""
    if not value:
        return []
    text = " ".join(value) if isinstance(value, list) else value
    found = _MSG_ID.findall(text)
    if not found and "@" in text and " " not in text.strip():
        found = [f"<{text.strip().strip('<>')}>"]
    return [_clean(i) for i in dict.fromkeys(found)]


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return _clean(payload.decode(charset))
    except (LookupError, UnicodeDecodeError):
        return _clean(payload.decode("utf-8", errors="replace"))


def _flags(headers: dict[str, str], content_type: str, from_email: str) -> tuple[bool, bool]:
    auto = headers.get("auto-submitted", "no").strip().lower() not in {"", "no"}
    auto = auto or "x-autoreply" in headers or "x-autorespond" in headers
    auto = auto or headers.get("precedence", "").strip().lower() == "auto_reply"
    local = from_email.partition("@")[0]
    bounce = content_type == "multipart/report" or local in {"mailer-daemon", "postmaster"}
    return auto, bounce


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_raw_email(raw: bytes | str) -> ParsedEmail:
    """Parse one RFC 5322 message; raises ParseError when the input is not an email."""
    data = raw.encode("utf-8", errors="replace") if isinstance(raw, str) else raw
    if not data.strip():
        raise ParseError("empty message")
    if len(data) > MAX_RAW_BYTES:
        raise ParseError(f"message is larger than {MAX_RAW_BYTES // (1024 * 1024)} MiB")
    message = email.message_from_bytes(data, policy=default_policy)
    headers: dict[str, str] = {}
    for name, value in message.raw_items():
        key = _clean(name.strip().lower())
        decoded = _decode(_UNFOLD.sub(" ", str(value)))[:MAX_HEADER_VALUE]
        headers[key] = f"{headers[key]}\n{decoded}" if key in headers else decoded
    if not _MAIL_HEADERS.intersection(headers):
        raise ParseError("not an email: no header fields such as From, To, Subject or Message-ID")

    senders = _addresses(_raw_header_values(message, "from"))
    from_name, from_email = senders[0] if senders else ("", "")
    text, html = _bodies(message)
    auto, bounce = _flags(headers, message.get_content_type(), from_email)
    return ParsedEmail(
        from_email=from_email,
        from_name=from_name,
        to=[a for _, a in _addresses(_raw_header_values(message, "to"))],
        cc=[a for _, a in _addresses(_raw_header_values(message, "cc"))],
        delivered_to=[a for h in _RECIPIENT_HEADERS for _, a in _addresses(_raw_header_values(message, h))],
        subject=headers.get("subject", "").replace("\n", " ").strip(),
        text=text,
        html=html,
        message_id=next(iter(message_ids(headers.get("message-id"))), None),
        in_reply_to=message_ids(headers.get("in-reply-to")),
        references=message_ids(headers.get("references")),
        date=_date(headers.get("date")),
        headers=headers,
        auto_submitted=auto,
        is_bounce=bounce,
    )


def _raw_header_values(message: Message, name: str) -> list[str]:
    """Undecoded values, so encoded display names with commas do not split addresses."""
    return [_clean(str(value)) for key, value in message.raw_items() if key.lower() == name]


def _bodies(message: Message) -> tuple[str, str | None]:
    plain_part = html_part = None
    if isinstance(message, EmailMessage):
        try:
            plain_part = message.get_body(preferencelist=("plain",))
            html_part = message.get_body(preferencelist=("html",))
        except (KeyError, ValueError, IndexError):
            plain_part = html_part = None
    html = _part_text(html_part) if html_part is not None else None
    text = _part_text(plain_part) if plain_part is not None else ""
    if not text.strip() and html:
        text = html_to_text(html)
    return text.replace("\r\n", "\n").replace("\r", "\n"), html


def parse_payload(payload: InboundEmailPayload | dict[str, Any]) -> ParsedEmail:
    """Parse a webhook payload (validated model or plain dict; pydantic errors propagate)."""
    model = payload if isinstance(payload, InboundEmailPayload) else InboundEmailPayload.model_validate(payload)
    headers = {_clean(k.strip().lower()): _clean(v)[:MAX_HEADER_VALUE] for k, v in model.headers.items()}
    senders = _addresses([model.from_])
    to_values = [model.to] if isinstance(model.to, str) else model.to
    text = _clean(model.text).replace("\r\n", "\n")
    if not text.strip() and model.html:
        text = html_to_text(model.html)
    from_name, from_email = senders[0]
    auto, bounce = _flags(headers, headers.get("content-type", "").split(";")[0].strip(), from_email)
    return ParsedEmail(
        from_email=from_email,
        from_name=from_name,
        to=[a for _, a in _addresses(to_values)],
        cc=[a for _, a in _addresses([headers.get("cc", "")])],
        delivered_to=[a for h in _RECIPIENT_HEADERS for _, a in _addresses([headers.get(h, "")])],
        subject=_clean(model.subject).replace("\n", " ").strip(),
        text=text,
        html=_clean(model.html) if model.html else None,
        message_id=next(iter(message_ids(model.message_id or headers.get("message-id"))), None),
        in_reply_to=message_ids(model.in_reply_to or headers.get("in-reply-to")),
        references=message_ids(model.references or headers.get("references")),
        date=_date(headers.get("date")),
        headers=headers,
        auto_submitted=auto,
        is_bounce=bounce,
    )
