"""The outbox: the only way a mail leaves. ``pending → sending → sent | failed | refused``.

Guarantees:
- one row per (campaign, contact, step): ``enqueue`` is idempotent;
- a row is claimed with a conditional ``UPDATE … WHERE status='pending'`` and the
  ``sending`` state is committed *before* the transport is called, so concurrent workers
  (threads, processes, PostgreSQL or SQLite) never send one row twice;
- transient failures retry later (exponential backoff, ``max_attempts``), permanent 5xx
  failures stop, an uncertain outcome (connection lost during DATA) never retries and
  opens a review task; rows left in ``sending`` by a crash are handled by
  ``tools.email.reconcile``, never blindly resent.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tools.crm.models import OutboxMessage, OutboxStatus
from tools.crm.types import utcnow
from tools.email.errors import (
    MessageError,
    OutboxError,
    PermanentTransportError,
    TransientTransportError,
    UncertainDeliveryError,
)
from tools.email.message import (
    UnsubscribeLink,
    build_message,
    check_message_ids,
    outbox_message_id,
    parse_address,
    reply_to_address,
)
from tools.email.reconcile import ReconcileReport, reconcile
from tools.email.rows import UNKNOWN_OUTCOME, audit, insert_if_absent, move_outbox, review_task
from tools.email.transport import Transport
from tools.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=2)
RETRY_CAP = timedelta(hours=6)

__all__ = [
    "UNKNOWN_OUTCOME", "Deferral", "DispatchReport", "Precheck", "ReconcileReport", "UnsubscribeFactory",
    "default_unsubscribe", "dispatch", "enqueue", "message_for_row", "reconcile", "requeue", "thread_headers",
]


@dataclass(frozen=True)
class Deferral:
    """A precheck's answer "not now": the row goes back to pending until ``until``."""

    until: datetime
    reason: str


PrecheckResult = str | Deferral | None
Precheck = Callable[[OutboxMessage], PrecheckResult | Awaitable[PrecheckResult]]
UnsubscribeFactory = Callable[[OutboxMessage], str | UnsubscribeLink]


@dataclass
class DispatchReport:
    """What one ``dispatch`` run did, by outbox row id."""

    sent: list[uuid.UUID] = field(default_factory=list)
    retrying: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    uncertain: list[uuid.UUID] = field(default_factory=list)
    refused: list[uuid.UUID] = field(default_factory=list)
    deferred: list[uuid.UUID] = field(default_factory=list)
    halted: str | None = None

    @property
    def claimed(self) -> int:
        """Rows this run took out of ``pending``."""
        return sum(len(v) for v in (self.sent, self.retrying, self.failed, self.uncertain,
                                     self.refused, self.deferred))

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        data = asdict(self)
        return {k: [str(i) for i in v] if isinstance(v, list) else v for k, v in data.items()}


def _find(session: Session, campaign_id: uuid.UUID, contact_id: uuid.UUID, step: int) -> OutboxMessage | None:
    return session.exec(
        select(OutboxMessage).where(
            OutboxMessage.campaign_id == campaign_id,
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.step == step,
        )
    ).first()


def enqueue(
    session: Session,
    *,
    campaign_id: uuid.UUID,
    contact_id: uuid.UUID,
    lead_id: uuid.UUID,
    step: int,
    draft_id: uuid.UUID | None,
    from_email: str,
    to_email: str,
    subject: str,
    body: str,
    body_html: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    scheduled_at: datetime | None = None,
    message_id_domain: str | None = None,
) -> OutboxMessage:
    """Queue one mail; the same (campaign, contact, step) again returns the existing row.

    ``message_id_domain`` (normally ``Settings.message_id_domain``) names the domain of the
    generated Message-ID; without it the sender's domain is used. Raises OutboxError on bad
    input, before anything is written.
    """
    existing = _find(session, campaign_id, contact_id, step)
    if existing is not None:
        return existing
    if step < 1:
        raise OutboxError(f"step must be 1 or more, got {step}")
    if len(from_email) > 320:
        raise OutboxError("from_email is longer than 320 characters")
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        raise OutboxError("scheduled_at must be timezone-aware")
    try:
        sender = parse_address(from_email, field="from_email")
        recipient = parse_address(to_email, field="to_email")
        check_message_ids(in_reply_to, field="in_reply_to")
        check_message_ids(references, field="references")
        if any(ch in subject for ch in "\r\n\x00"):
            raise MessageError("subject must be a single line")
        row_id = uuid.uuid4()
        message_id = outbox_message_id(row_id, message_id_domain or sender.domain)
    except MessageError as exc:
        raise OutboxError(str(exc)) from exc
    if not subject.strip():
        raise OutboxError("subject is empty")
    if len(subject) > 500:
        raise OutboxError("subject is longer than 500 characters")
    if not body.strip():
        raise OutboxError("body is empty")
    row = OutboxMessage(
        id=row_id,
        campaign_id=campaign_id,
        contact_id=contact_id,
        lead_id=lead_id,
        draft_id=draft_id,
        step=step,
        message_id=message_id,
        from_email=str(sender),
        to_email=recipient.addr_spec,
        subject=subject.strip(),
        body=body,
        body_html=body_html,
        in_reply_to=in_reply_to.strip() if in_reply_to else None,
        references=" ".join(references.split()) if references else None,
        scheduled_at=scheduled_at,
    )
    insert_if_absent(session, row)
    # Either our row or the one a concurrent enqueue inserted first.
    stored = _find(session, campaign_id, contact_id, step)
    if stored is None:  # pragma: no cover - the insert or the conflict guarantees a row
        raise OutboxError("outbox row vanished after insert")
    return stored


def thread_headers(
    session: Session, *, campaign_id: uuid.UUID, contact_id: uuid.UUID, before_step: int
) -> tuple[str | None, str | None]:
    """``(In-Reply-To, References)`` for a follow-up: the earlier sent steps of this thread."""
    rows = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.campaign_id == campaign_id,
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.step < before_step,
            OutboxMessage.status == OutboxStatus.sent,
        )
        .order_by(col(OutboxMessage.step))
    ).all()
    if not rows:
        return None, None
    return rows[-1].message_id, " ".join(r.message_id for r in rows)


def requeue(engine: Engine, outbox_id: uuid.UUID, *, actor: str = "system", now: datetime | None = None) -> bool:
    """Put a ``failed`` row back to ``pending`` (a human decided it was not delivered)."""
    with Session(engine) as session:
        row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise OutboxError(f"no outbox row {outbox_id}")
    event = audit("outbox.requeued", row, previous_error=row.last_error)
    event.actor = actor
    return move_outbox(
        engine, outbox_id, expect=OutboxStatus.failed,
        values={"status": OutboxStatus.pending, "attempts": 0, "scheduled_at": None,
                "updated_at": now or utcnow()},
        extra=[event],
    )


def default_unsubscribe(settings: Settings) -> UnsubscribeFactory:
    """``{public_base_url}/unsubscribe/{outbox id}``; the random row id is the capability."""
    base = settings.public_base_url.rstrip("/")
    return lambda row: f"{base}/unsubscribe/{row.id}"


def message_for_row(
    row: OutboxMessage, *, unsubscribe: UnsubscribeLink, with_reply_token: bool = True,
    date: datetime | None = None,
) -> EmailMessage:
    """The mail of one outbox row, with its deterministic Message-ID and reply token."""
    sender = parse_address(row.from_email, field="from_email")
    reply_to = reply_to_address(sender, row.id) if with_reply_token else None
    return build_message(
        message_id=row.message_id, from_email=row.from_email, to_email=row.to_email,
        subject=row.subject, body=row.body, body_html=row.body_html,
        unsubscribe_url=unsubscribe.url, unsubscribe_mailto=unsubscribe.mailto,
        in_reply_to=row.in_reply_to, references=row.references, reply_to=reply_to, date=date,
    )


def _claim_next(engine: Engine, due: datetime, skip: set[uuid.UUID], at: datetime) -> OutboxMessage | None:
    with Session(engine, expire_on_commit=False) as session:
        while True:
            query = (
                select(OutboxMessage.id)
                .where(OutboxMessage.status == OutboxStatus.pending)
                .where(or_(col(OutboxMessage.scheduled_at).is_(None), col(OutboxMessage.scheduled_at) <= due))
                .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
                .limit(20)
            )
            if skip:
                query = query.where(col(OutboxMessage.id).not_in(skip))
            candidates = list(session.exec(query).all())
            if not candidates:
                return None
            for row_id in candidates:
                result = session.connection().execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row_id)  # type: ignore[arg-type]
                    .where(OutboxMessage.status == OutboxStatus.pending)  # type: ignore[arg-type]
                    .values(status=OutboxStatus.sending, updated_at=at)
                )
                session.commit()
                if result.rowcount == 1:
                    return session.get(OutboxMessage, row_id)
                skip.add(row_id)  # another worker has it


async def _ask(precheck: Precheck, row: OutboxMessage) -> PrecheckResult:
    answer = precheck(row)
    if inspect.isawaitable(answer):
        answer = await answer
    if answer is not None and not isinstance(answer, str | Deferral):
        raise TypeError(f"precheck must return a refusal code, a Deferral or None, not {answer!r}")
    if isinstance(answer, Deferral) and answer.until.tzinfo is None:
        raise TypeError("Deferral.until must be timezone-aware")
    if isinstance(answer, str) and not answer.strip():
        raise TypeError("a refusal code must not be empty")
    return answer


async def dispatch(
    engine: Engine,
    transport: Transport,
    *,
    settings: Settings,
    precheck: Precheck | None = None,
    limit: int | None = None,
    now: datetime | None = None,
    unsubscribe: UnsubscribeFactory | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    with_reply_token: bool = True,
) -> DispatchReport:
    """Send due pending rows, one claimed row at a time; safe to run in several workers.

    ``precheck(row)`` (sync or async) runs right before sending: a string refuses the row
    with that code, a ``Deferral`` puts it back until later, None lets it go. ``now`` fixes
    the clock (tests, backfills). Each row is handled at most once per run.
    """
    if max_attempts < 1:
        raise OutboxError("max_attempts must be at least 1")
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    links = unsubscribe or default_unsubscribe(settings)
    report = DispatchReport()
    seen: set[uuid.UUID] = set()
    while limit is None or report.claimed < limit:
        row = await asyncio.to_thread(_claim_next, engine, clock(), seen, clock())
        if row is None:
            break
        seen.add(row.id)
        await _handle(engine, transport, row, report, precheck=precheck, links=links,
                      max_attempts=max_attempts, with_reply_token=with_reply_token, clock=clock)
        if report.halted:
            break
    return report


async def _handle(
    engine: Engine, transport: Transport, row: OutboxMessage, report: DispatchReport, *,
    precheck: Precheck | None, links: UnsubscribeFactory, max_attempts: int,
    with_reply_token: bool, clock: Callable[[], datetime],
) -> None:
    async def move(values: dict[str, Any], *extra: Any) -> None:
        await asyncio.to_thread(move_outbox, engine, row.id, expect=OutboxStatus.sending,
                                values={**values, "updated_at": clock()}, extra=list(extra))

    tried = {"attempts": OutboxMessage.attempts + 1}
    message: EmailMessage | None = None
    try:
        verdict = await _ask(precheck, row) if precheck else None
        if verdict is None:
            link = links(row)
            message = message_for_row(row, unsubscribe=link if isinstance(link, UnsubscribeLink)
                                      else UnsubscribeLink(link), with_reply_token=with_reply_token, date=clock())
    except MessageError as exc:
        await move({"status": OutboxStatus.failed, "last_error": f"cannot build message: {exc}"},
                   audit("outbox.failed", row, error=str(exc)))
        report.failed.append(row.id)
        return
    except BaseException:
        await move({"status": OutboxStatus.pending})  # nothing was sent: release the claim
        raise
    if isinstance(verdict, Deferral):
        await move({"status": OutboxStatus.pending, "scheduled_at": verdict.until,
                    "last_error": f"deferred: {verdict.reason}"[:2000]})
        report.deferred.append(row.id)
        return
    if verdict is not None:
        await move({"status": OutboxStatus.refused, "refusal_code": verdict[:50]},
                   audit("outbox.refused", row, code=verdict))
        report.refused.append(row.id)
        return
    assert message is not None  # built above whenever the precheck let the row go
    try:
        result = await transport.send(message)
    except UncertainDeliveryError as exc:
        await _uncertain(move, row, str(exc), tried)
        report.uncertain.append(row.id)
    except PermanentTransportError as exc:
        await move({**tried, "status": OutboxStatus.failed, "last_error": str(exc)},
                   audit("outbox.failed", row, error=str(exc), code=exc.code))
        report.failed.append(row.id)
    except TransientTransportError as exc:
        if exc.halt:  # the transport is unusable, not this message: no attempt is counted
            await move({"status": OutboxStatus.pending, "last_error": str(exc)})
            report.halted = str(exc)
        elif row.attempts + 1 >= max_attempts:
            await move({**tried, "status": OutboxStatus.failed,
                        "last_error": f"gave up after {row.attempts + 1} attempts: {exc}"},
                       audit("outbox.failed", row, error=str(exc), code=exc.code))
            report.failed.append(row.id)
        else:
            delay = min(RETRY_BASE * 2**row.attempts, RETRY_CAP)
            await move({**tried, "status": OutboxStatus.pending, "last_error": str(exc),
                        "scheduled_at": clock() + delay})
            report.retrying.append(row.id)
    except Exception as exc:
        # A bug in a transport: we cannot know whether it sent, so treat it as uncertain.
        await _uncertain(move, row, f"{type(exc).__name__}: {exc}", tried)
        report.uncertain.append(row.id)
        raise
    else:
        await move({**tried, "status": OutboxStatus.sent, "transport_id": result.transport_id[:500],
                    "sent_at": clock(), "last_error": None},
                   audit("outbox.sent", row, transport=transport.name))
        report.sent.append(row.id)


async def _uncertain(
    move: Callable[..., Awaitable[None]], row: OutboxMessage, reason: str, tried: dict[str, Any]
) -> None:
    text = f"unknown outcome; needs review: {reason}"
    await move({**tried, "status": OutboxStatus.failed, "last_error": text},
               audit("outbox.unknown_outcome", row, error=reason), review_task(row, text))
