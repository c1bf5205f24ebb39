"""How a built message leaves: SMTP (aiosmtplib) or ``.eml`` files in the outbox folder.

One interface, ``async send(message) -> SendResult``. Failures are sorted by what they
mean for a retry: ``TransientTransportError`` (definitely not sent, retry later),
``PermanentTransportError`` (definitely not sent, do not retry) and
``UncertainDeliveryError`` (the server may have it: never retry automatically).
``delivery_state`` lets the outbox reconcile a row after a crash where the transport can
be asked (the file transport can, SMTP cannot).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import aiosmtplib

from tools.email.errors import (
    PermanentTransportError,
    TransientTransportError,
    UncertainDeliveryError,
)
from tools.email.message import OUTBOUND_POLICY
from tools.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """A delivered message: ``transport_id`` is the server's queue reply or the file path."""

    transport_id: str


class DeliveryState(StrEnum):
    """What a transport knows about a Message-ID after the fact."""

    delivered = "delivered"
    not_delivered = "not_delivered"
    unknown = "unknown"


@runtime_checkable
class Transport(Protocol):
    """Anything that can hand a message over for delivery."""

    name: str

    async def send(self, message: EmailMessage) -> SendResult:
        """Deliver one message or raise a ``TransportError`` subclass."""
        ...

    async def delivery_state(self, message_id: str) -> DeliveryState:
        """Whether the message with this Message-ID was delivered, if the transport can tell."""
        ...


def envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """Envelope sender and recipients taken from From and To/Cc (Bcc is never written)."""
    senders = getaddresses([str(v) for v in message.get_all("From", [])])
    recipients = [
        addr for _, addr in getaddresses([str(v) for v in [*message.get_all("To", []), *message.get_all("Cc", [])]])
        if addr
    ]
    if not senders or not senders[0][1]:
        raise PermanentTransportError("message has no From address")
    if not recipients:
        raise PermanentTransportError("message has no recipients")
    return senders[0][1], recipients


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as sent: CRLF line endings, 7-bit clean headers and bodies."""
    return message.as_bytes(policy=OUTBOUND_POLICY)


class SmtpTransport:
    """Send over SMTP with STARTTLS, implicit TLS or plain, with optional login.

    One connection per message: outreach volumes are small (tens per mailbox per day) and a
    fresh connection keeps failure handling per message simple.
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Literal["none", "starttls", "tls"] = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self.tls_context = tls_context
        self.local_hostname = local_hostname

    @classmethod
    def from_settings(cls, settings: Settings, *, tls_context: ssl.SSLContext | None = None) -> SmtpTransport:
        """An SMTP transport configured by ``OUTREACH_SMTP_*``."""
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_s,
            tls_context=tls_context,
        )

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            tls_context=self.tls_context,
            local_hostname=self.local_hostname,
        )

    async def send(self, message: EmailMessage) -> SendResult:
        """Deliver one message; see the module docstring for the error classes."""
        sender, recipients = envelope(message)
        data = wire_bytes(message)
        client = self._client()
        try:
            await self._connect(client)
            try:
                await client.mail(sender)
                for recipient in recipients:
                    await client.rcpt(recipient)
            except aiosmtplib.SMTPResponseException as exc:
                raise _by_code(exc.code, f"envelope refused: {exc.code} {exc.message}") from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise TransientTransportError(f"connection lost before DATA: {exc}") from exc
            try:
                response = await client.data(data)
            except aiosmtplib.SMTPResponseException as exc:
                # The server answered with a code, so it did not take the message.
                raise _by_code(exc.code, f"message refused: {exc.code} {exc.message}") from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise UncertainDeliveryError(
                    f"connection lost during DATA, the server may have accepted the message: {exc}"
                ) from exc
        finally:
            await _close(client)
        return SendResult(transport_id=f"{response.code} {response.message}"[:500])

    async def _connect(self, client: aiosmtplib.SMTP) -> None:
        target = f"{self.host}:{self.port}"
        try:
            await client.connect()
        except aiosmtplib.SMTPResponseException as exc:
            raise TransientTransportError(f"{target} refused the session: {exc.code} {exc.message}",
                                          code=exc.code, halt=True) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise TransientTransportError(f"cannot connect to {target}: {exc}", halt=True) from exc
        if self.username:
            try:
                await client.login(self.username, self.password or "")
            except aiosmtplib.SMTPResponseException as exc:
                raise TransientTransportError(
                    f"{target} refused the login for {self.username}: {exc.code} {exc.message}",
                    code=exc.code, halt=True,
                ) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise TransientTransportError(f"login to {target} failed: {exc}", halt=True) from exc

    async def delivery_state(self, message_id: str) -> DeliveryState:
        """SMTP cannot be asked whether it took a message earlier."""
        return DeliveryState.unknown


def _by_code(code: int, text: str) -> PermanentTransportError | TransientTransportError:
    if 500 <= code < 600:
        return PermanentTransportError(text, code=code)
    return TransientTransportError(text, code=code)


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely; once DATA was accepted, a failing QUIT changes nothing."""
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.debug("SMTP QUIT failed: %s", exc)
        client.close()


def eml_filename(message_id: str) -> str:
    """A safe file name for a Message-ID: ``<outbox-…@host>`` → ``outbox-…@host.eml``."""
    core = message_id.strip().strip("<>")
    safe = re.sub(r"[^A-Za-z0-9._@+-]", "_", core)
    if not safe.strip("._"):
        raise PermanentTransportError(f"cannot derive a file name from Message-ID {message_id!r}")
    return f"{safe}.eml"


class FileTransport:
    """Write each message as ``<message-id>.eml`` into a folder (the demo default).

    Writes are atomic (temporary file, fsync, rename), so after a crash the file either is
    complete or absent: that is what makes ``delivery_state`` exact for this transport.
    """

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, message_id: str) -> Path:
        """Where the message with this Message-ID is (or would be) written."""
        return self.directory / eml_filename(message_id)

    async def send(self, message: EmailMessage) -> SendResult:
        """Write the message; writing the same Message-ID again keeps the first file."""
        message_id = message.get("Message-ID")
        if not message_id:
            raise PermanentTransportError("message has no Message-ID")
        envelope(message)
        return await asyncio.to_thread(self._write, str(message_id), wire_bytes(message))

    def _write(self, message_id: str, data: bytes) -> SendResult:
        target = self.path_for(message_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if target.exists():
                return SendResult(transport_id=str(target))
            fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_name, target)
            finally:
                if os.path.exists(tmp_name):
                    os.unlink(tmp_name)
        except OSError as exc:
            raise TransientTransportError(f"cannot write {target}: {exc.strerror or exc}", halt=True) from exc
        return SendResult(transport_id=str(target))

    async def delivery_state(self, message_id: str) -> DeliveryState:
        """Delivered exactly when the file for this Message-ID exists."""
        exists = await asyncio.to_thread(self.path_for(message_id).exists)
        return DeliveryState.delivered if exists else DeliveryState.not_delivered


def make_transport(settings: Settings) -> Transport:
    """The transport chosen by ``OUTREACH_EMAIL_TRANSPORT`` (``file`` or ``smtp``)."""
    if settings.email_transport == "smtp":
        return SmtpTransport.from_settings(settings)
    return FileTransport(settings.outbox_dir)
