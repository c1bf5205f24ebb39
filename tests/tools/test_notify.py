"""Notifications: Slack-compatible JSON to a real local webhook, and email through a transport."""

from __future__ import annotations

import socket
from email.message import EmailMessage

import pytest

from tests.webhook_receiver import webhook_receiver
from tools.email.errors import TransientTransportError
from tools.email.transport import DeliveryState, SendResult
from tools.notify import Notification, Notifier, NotifyConfigError, post_webhook, slack_payload
from tools.settings import Settings

NOTE = Notification(
    title="Reply from anna@kunde.example: is interested",
    text="Gern, passt Ihnen Donnerstag um 14 Uhr?",
    fields={"Contact": "anna@kunde.example", "Meeting": "2025-03-13T14:00", "Empty": ""},
    link="http://127.0.0.1:8000/leads/1",
)


class RecordingTransport:
    """A Transport that keeps what it is asked to send (or fails, when told to)."""

    name = "recording"

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[EmailMessage] = []
        self.fail = fail

    async def send(self, message: EmailMessage) -> SendResult:
        if self.fail:
            raise TransientTransportError("421 try later")
        self.sent.append(message)
        return SendResult(transport_id="250 queued")

    async def delivery_state(self, message_id: str) -> DeliveryState:
        return DeliveryState.unknown


def test_slack_payload_has_fallback_text_and_blocks() -> None:
    payload = slack_payload(NOTE)
    assert NOTE.title in payload["text"] and "Donnerstag um 14 Uhr" in payload["text"]
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds == ["header", "section", "section", "context"]
    facts = [f["text"] for f in payload["blocks"][2]["fields"]]
    assert facts == ["*Contact:* anna@kunde.example", "*Meeting:* 2025-03-13T14:00"]  # empty values left out


def test_long_text_is_clipped_below_slacks_limit() -> None:
    payload = slack_payload(Notification(title="t", text="x" * 10_000))
    assert len(payload["blocks"][1]["text"]["text"]) <= 3000


async def test_webhook_posts_json_to_a_real_server() -> None:
    with webhook_receiver() as receiver:
        delivery = await post_webhook(receiver.url, slack_payload(NOTE))
    assert delivery.ok and delivery.detail == "HTTP 200"
    assert receiver.posts == [slack_payload(NOTE)]
    assert receiver.content_types == ["application/json"]


async def test_webhook_error_status_becomes_data() -> None:
    with webhook_receiver(status=500) as receiver:
        delivery = await post_webhook(receiver.url, {"text": "x"})
    assert not delivery.ok and delivery.detail.startswith("HTTP 500")


async def test_unreachable_webhook_becomes_data() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delivery = await post_webhook(f"http://127.0.0.1:{port}/hook", {"text": "x"}, timeout=2)
    assert not delivery.ok and "Connect" in delivery.detail


@pytest.mark.parametrize("url", ["ftp://example.com/x", "hooks.slack.com/x", ""])
async def test_bad_webhook_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(NotifyConfigError, match="http"):
        await post_webhook(url, {"text": "x"})


async def test_notifier_sends_webhook_and_email(settings: Settings) -> None:
    transport = RecordingTransport()
    with webhook_receiver() as receiver:
        config = settings.model_copy(update={"notify_webhook_url": receiver.url, "notify_email": "rep@firma.example"})
        notifier = Notifier.from_settings(config, transport=transport)
        deliveries = await notifier.send(NOTE)
    assert [(d.channel, d.ok) for d in deliveries] == [("webhook", True), ("email", True)]
    assert len(receiver.posts) == 1
    mail = transport.sent[0]
    assert mail["To"] == "rep@firma.example" and mail["Subject"] == NOTE.title
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "Meeting: 2025-03-13T14:00" in mail.get_content()


async def test_email_failures_and_missing_transport_are_reported() -> None:
    failing = Notifier(email_to="rep@firma.example", transport=RecordingTransport(fail=True))
    assert [(d.ok, d.detail) for d in await failing.send(NOTE)] == [(False, "TransientTransportError: 421 try later")]
    missing = Notifier(email_to="rep@firma.example")
    (delivery,) = await missing.send(NOTE)
    assert not delivery.ok and "no mail transport" in delivery.detail
    assert not Notifier().configured and await Notifier().send(NOTE) == []
