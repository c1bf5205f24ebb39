"""After a crash: decide what happened to rows left in ``sending``, without resending blindly.

A row stays in ``sending`` when the process died between committing the claim and recording
the outcome. Its mail may or may not have left. The transport is asked:

- ``delivered`` (the file transport finds the ``.eml``) → the row is marked ``sent``;
- ``not_delivered`` (no file) → the row goes back to ``pending`` and is sent normally;
- ``unknown`` (SMTP cannot be asked) → the row is marked ``failed`` with
  "unknown outcome after crash; needs review" and a ``review`` task is opened. A human
  checks the mailbox's sent folder or the server log and requeues it if needed. We choose
  a possibly missing mail over a certainly duplicated one: a cold mail sent twice damages
  the sender's reputation and, under UWG §7, is a second unsolicited contact.

Only rows whose claim is older than ``older_than`` are touched, so a reconcile running
beside live workers never takes a row that is being sent right now.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tools.crm.models import OutboxMessage, OutboxStatus
from tools.crm.types import utcnow
from tools.email.rows import UNKNOWN_OUTCOME, audit, move_outbox, review_task
from tools.email.transport import DeliveryState, Transport
from tools.settings import Settings

MIN_STALE = timedelta(minutes=10)


@dataclass
class ReconcileReport:
    """What ``reconcile`` decided, by outbox row id."""

    sent: list[uuid.UUID] = field(default_factory=list)
    requeued: list[uuid.UUID] = field(default_factory=list)
    needs_review: list[uuid.UUID] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {name: [str(i) for i in getattr(self, name)] for name in ("sent", "requeued", "needs_review")}


def stale_after(settings: Settings) -> timedelta:
    """How old a claim must be before it counts as abandoned: longer than any live send.

    A send is at most connect + login + MAIL + RCPT + DATA, each bounded by the SMTP timeout.
    """
    return max(MIN_STALE, timedelta(seconds=settings.smtp_timeout_s * 6))


async def reconcile(
    engine: Engine,
    transport: Transport,
    settings: Settings,
    *,
    older_than: timedelta | None = None,
    now: datetime | None = None,
) -> ReconcileReport:
    """Resolve rows stuck in ``sending`` (see the module docstring); never sends anything."""
    at = now or utcnow()
    cutoff = at - (older_than if older_than is not None else stale_after(settings))
    with Session(engine, expire_on_commit=False) as session:
        stuck = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.sending)
            .where(col(OutboxMessage.updated_at) <= cutoff)
            .order_by(col(OutboxMessage.updated_at))
        ).all()
    report = ReconcileReport()
    for row in stuck:
        state = await transport.delivery_state(row.message_id)
        # The claim must be the one we looked at: a re-claimed row has a newer updated_at.
        same_claim = [OutboxMessage.updated_at == row.updated_at]
        if state is DeliveryState.delivered:
            values: dict[str, Any] = {
                "status": OutboxStatus.sent, "attempts": OutboxMessage.attempts + 1,
                "transport_id": f"reconciled: found by the {transport.name} transport",
                "sent_at": row.updated_at, "updated_at": at, "last_error": None,
            }
            extra: list[Any] = [audit("outbox.reconciled", row, outcome="delivered")]
            bucket = report.sent
        elif state is DeliveryState.not_delivered:
            values = {"status": OutboxStatus.pending, "updated_at": at,
                      "last_error": f"requeued after a crash: the {transport.name} transport has no copy"}
            extra = [audit("outbox.reconciled", row, outcome="not_delivered")]
            bucket = report.requeued
        else:
            values = {"status": OutboxStatus.failed, "attempts": OutboxMessage.attempts + 1,
                      "updated_at": at, "last_error": UNKNOWN_OUTCOME}
            extra = [audit("outbox.unknown_outcome", row, error=UNKNOWN_OUTCOME),
                     review_task(row, UNKNOWN_OUTCOME)]
            bucket = report.needs_review
        moved = await asyncio.to_thread(
            move_outbox, engine, row.id, expect=OutboxStatus.sending, values=values, extra=extra,
            where=same_claim,
        )
        if moved:
            bucket.append(row.id)
    return report
