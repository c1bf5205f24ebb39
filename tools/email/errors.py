"""The error hierarchy of ``tools.email``: input errors, transport outcomes, inbound problems."""

from __future__ import annotations


class EmailError(Exception):
    """Base class of every error raised by ``tools.email``."""


class MessageError(EmailError, ValueError):
    """A message cannot be built from the given data (bad address, header injection, …)."""


class OutboxError(EmailError, ValueError):
    """Bad input to the outbox (invalid address, empty body, naive timestamp, …)."""


class TransportError(EmailError):
    """A transport did not deliver a message.

    ``halt`` means the transport itself is unusable right now (cannot connect, login
    refused): the dispatcher stops its run instead of failing every queued row.
    """

    def __init__(self, message: str, *, code: int | None = None, halt: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.halt = halt


class TransientTransportError(TransportError):
    """Definitely not delivered, and worth retrying later (4xx, connection trouble)."""


class PermanentTransportError(TransportError):
    """Definitely not delivered, and retrying will not help (5xx, invalid message)."""


class UncertainDeliveryError(TransportError):
    """The server may have accepted the message (connection lost during DATA).

    Never retried automatically: a human decides, so nobody gets the mail twice.
    """


class ParseError(EmailError, ValueError):
    """Inbound data is not an email we can read (no header section, empty, too large)."""


class ImapError(EmailError):
    """The IMAP mailbox cannot be used (cannot connect, login refused, no such folder)."""
