"""Sending limits that must hold across any number of concurrent workers.

Per sender mailbox: a daily cap (``Settings.daily_send_cap`` and the campaign's
``limits.daily_sends``, whichever is lower) with an optional warm-up ramp counted from the
mailbox's first sending day, and a minimum gap between two sends plus random jitter. Per
recipient domain: ``limits.per_domain_daily``.

Every counter moves with one conditional UPDATE (``count < cap``, ``next_send_at <= now``):
PostgreSQL evaluates it under the row lock, SQLite under its single writer lock, so the
check and the increment are one atomic step. Rows are locked in a fixed order (mailbox
quota, domain quota, mailbox clock) so concurrent reservations cannot deadlock. Callers
should commit each reservation on its own, promptly: the locks live until the commit.
A reserved slot counts even if the transport then fails; that errs on the safe side.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tools.crm.compliance_models import MailboxClock, SendQuota
from tools.email.rows import insert_if_absent

QuotaScope = Literal["mailbox", "domain"]


@dataclass(frozen=True)
class WarmupRamp:
    """``start`` mails on the first sending day, ``step`` more each later day, up to the cap."""

    start: int
    step: int

    def cap_on(self, day: date, first_send_on: date | None, cap: int) -> int:
        """The ramped cap for ``day`` of a mailbox that first sent on ``first_send_on``."""
        days = 0 if first_send_on is None else max((day - first_send_on).days, 0)
        return min(cap, self.start + self.step * days)


@dataclass(frozen=True)
class SendLimits:
    """The limits that apply to one send."""

    mailbox_daily: int
    domain_daily: int
    min_spacing_s: float
    jitter_s: float = 0.0
    warmup: WarmupRamp | None = None


@dataclass(frozen=True)
class Reserved:
    """A slot was taken: the counters were incremented and the mailbox clock moved on."""

    mailbox_count: int
    mailbox_cap: int
    next_send_at: datetime | None


@dataclass(frozen=True)
class NotNow:
    """No slot now; ``until`` is the earliest moment a retry can succeed (before window rules)."""

    code: Literal["daily_cap", "domain_cap", "spacing"]
    until: datetime
    detail: str


def _next_utc_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC)


def _ensure_rows(session: Session, *, mailbox: str, domain: str, day: date) -> None:
    insert_if_absent(session, SendQuota(scope="mailbox", key=mailbox, day=day, count=0))
    insert_if_absent(session, SendQuota(scope="domain", key=domain, day=day, count=0))
    insert_if_absent(session, MailboxClock(mailbox=mailbox))


def _take(session: Session, scope: QuotaScope, key: str, day: date, cap: int) -> bool:
    statement = (
        update(SendQuota)
        .where(col(SendQuota.scope) == scope, col(SendQuota.key) == key, col(SendQuota.day) == day)
        .where(col(SendQuota.count) < cap)
        .values(count=SendQuota.count + 1)
    )
    return bool(session.connection().execute(statement).rowcount == 1)


def _give_back(session: Session, scope: QuotaScope, key: str, day: date) -> None:
    statement = (
        update(SendQuota)
        .where(col(SendQuota.scope) == scope, col(SendQuota.key) == key, col(SendQuota.day) == day)
        .where(col(SendQuota.count) > 0)
        .values(count=SendQuota.count - 1)
    )
    session.connection().execute(statement)


def _count(session: Session, scope: QuotaScope, key: str, day: date) -> int:
    statement = select(SendQuota.count).where(
        SendQuota.scope == scope, SendQuota.key == key, SendQuota.day == day
    )
    return int(session.exec(statement).one())


def reserve_send(
    session: Session,
    *,
    mailbox: str,
    domain: str,
    limits: SendLimits,
    now: datetime,
    rng: random.Random | None = None,
) -> Reserved | NotNow:
    """Take one send slot for ``mailbox`` → ``domain`` at ``now``, or say when to try again.

    All three counters move together or not at all (a later refusal gives the earlier
    increments back inside the same transaction).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    mailbox = mailbox.strip().lower()
    domain = domain.strip().lower()
    day = now.astimezone(UTC).date()
    _ensure_rows(session, mailbox=mailbox, domain=domain, day=day)
    clock: date | None = session.connection().execute(
        sa_select(col(MailboxClock.first_send_on)).where(col(MailboxClock.mailbox) == mailbox)
    ).scalar_one()
    cap = limits.mailbox_daily
    if limits.warmup is not None:
        cap = limits.warmup.cap_on(day, clock, cap)
    tomorrow = _next_utc_day(now)
    if not _take(session, "mailbox", mailbox, day, cap):
        ramp = " (warm-up ramp)" if cap < limits.mailbox_daily else ""
        return NotNow("daily_cap", tomorrow, f"mailbox {mailbox} reached its daily cap of {cap}{ramp}")
    if not _take(session, "domain", domain, day, limits.domain_daily):
        _give_back(session, "mailbox", mailbox, day)
        return NotNow("domain_cap", tomorrow, f"{limits.domain_daily} mails to {domain} today already")
    next_send_at: datetime | None = None
    if limits.min_spacing_s > 0 or limits.jitter_s > 0:
        gap = limits.min_spacing_s + (rng or random.Random()).uniform(0, limits.jitter_s)
        next_send_at = now + timedelta(seconds=gap)
    moved = session.connection().execute(
        update(MailboxClock)
        .where(col(MailboxClock.mailbox) == mailbox)
        .where(or_(col(MailboxClock.next_send_at).is_(None), col(MailboxClock.next_send_at) <= now))
        .values(next_send_at=next_send_at, last_send_at=now)
    )
    if moved.rowcount != 1:
        _give_back(session, "domain", domain, day)
        _give_back(session, "mailbox", mailbox, day)
        stored: datetime | None = session.connection().execute(
            sa_select(col(MailboxClock.next_send_at)).where(col(MailboxClock.mailbox) == mailbox)
        ).scalar_one()
        until = stored or now
        wait = (until - now).total_seconds()
        return NotNow("spacing", until, f"mailbox {mailbox} may send again in {wait:.0f} s")
    if clock is None:
        session.connection().execute(
            update(MailboxClock)
            .where(col(MailboxClock.mailbox) == mailbox, col(MailboxClock.first_send_on).is_(None))
            .values(first_send_on=day)
        )
    return Reserved(mailbox_count=_count(session, "mailbox", mailbox, day), mailbox_cap=cap, next_send_at=next_send_at)


def sent_today(session: Session, *, scope: QuotaScope, key: str, now: datetime) -> int:
    """How many slots ``key`` has used on ``now``'s UTC day."""
    statement = select(SendQuota.count).where(
        SendQuota.scope == scope, SendQuota.key == key.strip().lower(), SendQuota.day == now.astimezone(UTC).date()
    )
    return int(session.exec(statement).first() or 0)
