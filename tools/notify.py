"""Tell a rep that something needs them: a Slack-compatible webhook and/or an email.

The webhook receives ``{"text": …, "blocks": […]}`` (Slack's incoming-webhook format;
Mattermost, Rocket.Chat and Teams' Slack-compatible connectors accept it too). Email goes
through a ``tools.email.transport.Transport`` the caller passes in. A failed delivery is
data (``Delivery(ok=False)``), never an exception: the escalation task exists either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from tools.email.errors import TransportError
from tools.email.transport import Transport
from tools.settings import Settings

WEBHOOK_TIMEOUT_S = 5.0
MAX_TEXT = 2900  # Slack rejects section text over 3000 characters


class NotifyConfigError(ValueError):
    """A notification target is unusable (e.g. a webhook URL that is not http(s))."""


@dataclass(frozen=True)
class Notification:
    """One message for a human: a title, a text and a few labelled facts."""

    title: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    link: str | None = None


@dataclass(frozen=True)
class Delivery:
    """How one channel fared."""

    channel: Literal["webhook", "email"]
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for audit events and JSON output."""
        return {"channel": self.channel, "ok": self.ok, "detail": self.detail}


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(notification: Notification) -> dict[str, Any]:
    """The webhook JSON: ``text`` (fallback and plain clients) plus Block Kit ``blocks``."""
    facts = [f"*{name}:* {value}" for name, value in notification.fields.items() if value]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(notification.title, 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(notification.text) or " "}},
    ]
    if facts:
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": _clip(f, 1900)} for f in facts[:10]]})
    if notification.link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": notification.link}]})
    lines = [notification.title, *facts, notification.text]
    if notification.link:
        lines.append(notification.link)
    return {"text": _clip("\n".join(lines)), "blocks": blocks}


def check_webhook_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL, else NotifyConfigError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise NotifyConfigError(f"notify webhook must be an http(s) URL, got {url!r}")
    return url.strip()


async def post_webhook(
    url: str, payload: dict[str, Any], *, client: httpx.AsyncClient | None = None, timeout: float = WEBHOOK_TIMEOUT_S
) -> Delivery:
    """POST the JSON; a non-2xx answer or a network error becomes ``Delivery(ok=False)``."""
    target = check_webhook_url(url)
    try:
        if client is not None:
            response = await client.post(target, json=payload, timeout=timeout)
        else:
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as own:
                response = await own.post(target, json=payload)
    except httpx.HTTPError as exc:
        return Delivery("webhook", False, f"{type(exc).__name__}: {exc}")
    if response.is_success:
        return Delivery("webhook", True, f"HTTP {response.status_code}")
    return Delivery("webhook", False, f"HTTP {response.status_code}: {response.text[:200]}")


def notification_email(notification: Notification, *, to: str, sender: str, domain: str) -> EmailMessage:
    """A plain-text mail carrying the notification."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = notification.title[:200]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    facts = "\n".join(f"{name}: {value}" for name, value in notification.fields.items() if value)
    parts = [notification.text, facts, notification.link or ""]
    message.set_content("\n\n".join(p for p in parts if p) + "\n")
    return message


class Notifier:
    """Sends a notification to every configured channel."""

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        email_to: str | None = None,
        email_from: str | None = None,
        transport: Transport | None = None,
        client: httpx.AsyncClient | None = None,
        domain: str = "outreach.local",
        timeout: float = WEBHOOK_TIMEOUT_S,
    ) -> None:
        self.webhook_url = check_webhook_url(webhook_url) if webhook_url else None
        self.email_to = email_to
        self.email_from = email_from or f"outreach@{domain}"
        self.transport = transport
        self.client = client
        self.domain = domain
        self.timeout = timeout

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: Transport | None = None, client: httpx.AsyncClient | None = None
    ) -> Notifier:
        """Channels from ``OUTREACH_NOTIFY_WEBHOOK_URL`` / ``OUTREACH_NOTIFY_EMAIL``."""
        return cls(
            webhook_url=settings.notify_webhook_url,
            email_to=settings.notify_email,
            transport=transport,
            client=client,
            domain=settings.message_id_domain,
        )

    @property
    def configured(self) -> bool:
        """True when at least one channel is set up."""
        return bool(self.webhook_url or self.email_to)

    async def send(self, notification: Notification, *, email_to: str | None = None) -> list[Delivery]:
        """Deliver to the webhook and to ``email_to`` (default the configured address)."""
        results = []
        if self.webhook_url:
            results.append(
                await post_webhook(
                    self.webhook_url, slack_payload(notification), client=self.client, timeout=self.timeout
                )
            )
        recipient = email_to or self.email_to
        if recipient:
            results.append(await self._email(notification, recipient))
        return results

    async def _email(self, notification: Notification, recipient: str) -> Delivery:
        if self.transport is None:
            return Delivery("email", False, f"no mail transport given: {recipient} not notified")
        message = notification_email(notification, to=recipient, sender=self.email_from, domain=self.domain)
        try:
            result = await self.transport.send(message)
        except TransportError as exc:
            return Delivery("email", False, f"{type(exc).__name__}: {exc}")
        return Delivery("email", True, result.transport_id)
