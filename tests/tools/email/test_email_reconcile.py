"""Crash recovery: a row left in ``sending`` is reconciled, never blindly resent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tools.crm.db import session_scope
from tools.crm.models import AuditEvent, OutboxMessage, OutboxStatus, Task
from tools.crm.types import utcnow
from tools.email.outbox import UNKNOWN_OUTCOME, dispatch, enqueue, reconcile
from tools.email.reconcile import stale_after
from tools.email.transport import FileTransport, SendResult, SmtpTransport
from tools.settings import Settings

NOW = utcnow().replace(microsecond=0)
LATER = NOW + timedelta(hours=1)


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point runs (not an Exception, nothing catches it)."""


class CrashAfterSmtp(SmtpTransport):
    """The server accepts the mail, then the process dies before recording it."""

    async def send(self, message: EmailMessage) -> SendResult:
        await super().send(message)
        raise SimulatedCrash


class CrashAfterFile(FileTransport):
    async def send(self, message: EmailMessage) -> SendResult:
        await super().send(message)
        raise SimulatedCrash


class CrashBeforeFile(FileTransport):
    async def send(self, message: EmailMessage) -> SendResult:
        raise SimulatedCrash


def _enqueue(engine: Engine, make_lead: Callable[..., Any]) -> OutboxMessage:
    refs = make_lead(engine)
    with session_scope(engine) as session:
        return enqueue(
            session, campaign_id=refs.campaign_id, contact_id=refs.contact_id, lead_id=refs.lead_id,
            step=1, draft_id=None, from_email="juergen@firma.example", to_email=refs.email,
            subject="Kurze Frage", body="Guten Tag,\n…\n", message_id_domain="outreach.local",
        )


def _row(engine: Engine, row: OutboxMessage) -> OutboxMessage:
    with Session(engine) as session:
        fresh = session.get(OutboxMessage, row.id)
        assert fresh is not None
        return fresh


async def test_smtp_crash_after_acceptance_needs_review_and_is_not_resent(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], smtp_server: Any
) -> None:
    row = _enqueue(engine, make_lead)
    crashing = CrashAfterSmtp("127.0.0.1", smtp_server.port, security="none", timeout=5)
    with pytest.raises(SimulatedCrash):
        await dispatch(engine, crashing, settings=settings, now=NOW)
    assert _row(engine, row).status is OutboxStatus.sending  # committed before the transport ran
    assert len(smtp_server.messages) == 1

    healthy = SmtpTransport("127.0.0.1", smtp_server.port, security="none", timeout=5)
    assert (await dispatch(engine, healthy, settings=settings, now=LATER)).claimed == 0  # not resent
    report = await reconcile(engine, healthy, settings, now=LATER)
    assert report.needs_review == [row.id]
    failed = _row(engine, row)
    assert failed.status is OutboxStatus.failed and failed.last_error == UNKNOWN_OUTCOME
    with Session(engine) as session:
        task = session.exec(select(Task)).one()
        assert task.kind == "review" and task.payload["message_id"] == row.message_id
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.unknown_outcome")).one()
    await dispatch(engine, healthy, settings=settings, now=LATER + timedelta(days=1))
    assert (await reconcile(engine, healthy, settings, now=LATER)).needs_review == []  # idempotent
    assert len(smtp_server.messages) == 1


async def test_file_crash_after_write_is_marked_sent(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead)
    with pytest.raises(SimulatedCrash):
        await dispatch(engine, CrashAfterFile(settings.outbox_dir), settings=settings, now=NOW)
    transport = FileTransport(settings.outbox_dir)
    report = await reconcile(engine, transport, settings, now=LATER)
    assert report.sent == [row.id]
    sent = _row(engine, row)
    assert sent.status is OutboxStatus.sent and sent.sent_at == NOW
    assert len(list(Path(settings.outbox_dir).glob("*.eml"))) == 1


async def test_file_crash_before_write_is_requeued_and_sent_once(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead)
    with pytest.raises(SimulatedCrash):
        await dispatch(engine, CrashBeforeFile(settings.outbox_dir), settings=settings, now=NOW)
    transport = FileTransport(settings.outbox_dir)
    assert (await reconcile(engine, transport, settings, now=LATER)).requeued == [row.id]
    assert _row(engine, row).status is OutboxStatus.pending
    assert (await dispatch(engine, transport, settings=settings, now=LATER)).sent == [row.id]
    assert [p.name for p in Path(settings.outbox_dir).glob("*.eml")] == [transport.path_for(row.message_id).name]


async def test_fresh_claims_are_left_to_their_worker(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead)
    with pytest.raises(SimulatedCrash):
        await dispatch(engine, CrashBeforeFile(settings.outbox_dir), settings=settings, now=NOW)
    transport = FileTransport(settings.outbox_dir)
    just_now = NOW + stale_after(settings) - timedelta(seconds=1)
    report = await reconcile(engine, transport, settings, now=just_now)
    assert report.as_dict() == {"sent": [], "requeued": [], "needs_review": []}
    assert _row(engine, row).status is OutboxStatus.sending


def test_stale_threshold_outlasts_a_live_send(settings: Settings) -> None:
    assert stale_after(settings) >= timedelta(seconds=settings.smtp_timeout_s * 5)
    assert stale_after(Settings(smtp_timeout_s=300)) == timedelta(minutes=30)
