"""Tables of the send-time compliance rules: daily send counters and per-mailbox clocks.

Both are written only with atomic conditional UPDATEs (``count < cap``,
``next_send_at <= now``), which PostgreSQL runs under a row lock and SQLite under its
single writer lock, so any number of concurrent workers never exceed a cap.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from tools.crm.types import UTCDateTime


class SendQuota(SQLModel, table=True):
    """How many mails one sender mailbox (or to one recipient domain) went out on one UTC day."""

    scope: str = Field(primary_key=True, max_length=20, description="mailbox | domain")
    key: str = Field(primary_key=True, max_length=320, description="Sender address or recipient domain.")
    day: date = Field(primary_key=True)
    count: int = Field(default=0)


class MailboxClock(SQLModel, table=True):
    """Per sender mailbox: the first day it sent (warm-up ramp) and when it may send next (spacing)."""

    mailbox: str = Field(primary_key=True, max_length=320)
    first_send_on: date | None = Field(default=None)
    last_send_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_send_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
