"""The outbox state machine: idempotent enqueue, atomic claims, retries, refusals, one send only."""

from __future__ import annotations

import asyncio
import email
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from tools.crm.db import session_scope
from tools.crm.models import AuditEvent, OutboxMessage, OutboxStatus, Task
from tools.crm.types import utcnow
from tools.email.errors import OutboxError
from tools.email.message import UnsubscribeLink, reply_token
from tools.email.outbox import Deferral, dispatch, enqueue, requeue, thread_headers
from tools.email.transport import DeliveryState, SendResult, SmtpTransport
from tools.settings import Settings

NOW = utcnow().replace(microsecond=0)


class CountingTransport:
    """Records every Message-ID it is handed; thread-safe; yields to the loop while "sending"."""

    name = "counting"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def send(self, message: EmailMessage) -> SendResult:
        await asyncio.sleep(0.001)
        with self._lock:
            self.sent.append(str(message["Message-ID"]))
            self.messages.append(message)
            return SendResult(transport_id=f"counted-{len(self.sent)}")

    async def delivery_state(self, message_id: str) -> DeliveryState:
        return DeliveryState.unknown


def _enqueue(engine: Engine, refs: Any, step: int = 1, **overrides: Any) -> OutboxMessage:
    args: dict[str, Any] = {
        "campaign_id": refs.campaign_id, "contact_id": refs.contact_id, "lead_id": refs.lead_id,
        "step": step, "draft_id": None, "from_email": "Jürgen Weiß <juergen@firma.example>",
        "to_email": refs.email, "subject": f"Grüße, Schritt {step}", "body": "Guten Tag,\nkurz: …\n",
        "message_id_domain": "outreach.local",
    }
    args.update(overrides)
    with session_scope(engine) as session:
        return enqueue(session, **args)


def _row(engine: Engine, row: OutboxMessage) -> OutboxMessage:
    with Session(engine) as session:
        fresh = session.get(OutboxMessage, row.id)
        assert fresh is not None
        return fresh


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def _smtp(server: Any) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", server.port, security="none", timeout=5)


# --- enqueue ---------------------------------------------------------------------------------

def test_enqueue_is_idempotent(any_engine: Engine, make_lead: Callable[..., Any]) -> None:
    refs = make_lead(any_engine)
    first = _enqueue(any_engine, refs)
    again = _enqueue(any_engine, refs, subject="Anderer Betreff")
    assert again.id == first.id and again.subject == first.subject
    assert first.message_id == f"<outbox-{first.id}@outreach.local>"
    assert first.status is OutboxStatus.pending and first.attempts == 0
    assert _count(any_engine, OutboxMessage) == 1


def test_concurrent_enqueue_creates_one_row(any_engine: Engine, make_lead: Callable[..., Any]) -> None:
    refs = make_lead(any_engine)
    barrier = threading.Barrier(4)

    def worker(_: int) -> str:
        barrier.wait()
        return str(_enqueue(any_engine, refs).id)

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(worker, range(4)))
    assert len(ids) == 1
    assert _count(any_engine, OutboxMessage) == 1


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"to_email": "kein-at-zeichen"}, "to_email"),
        ({"from_email": "Vertrieb"}, "from_email"),
        ({"body": "   "}, "body is empty"),
        ({"subject": ""}, "subject is empty"),
        ({"subject": "Zeile 1\nBcc: x@y.example"}, "single line"),
        ({"step": 0}, "step"),
        ({"scheduled_at": NOW.replace(tzinfo=None)}, "timezone-aware"),
        ({"in_reply_to": "not-an-id"}, "Message-ID"),
    ],
)
def test_enqueue_rejects_bad_input_and_writes_nothing(
    engine: Engine, make_lead: Callable[..., Any], overrides: dict[str, Any], fragment: str
) -> None:
    refs = make_lead(engine)
    with pytest.raises(OutboxError, match=fragment):
        _enqueue(engine, refs, **overrides)
    assert _count(engine, OutboxMessage) == 0


# --- dispatch over real SMTP ---------------------------------------------------------------

async def test_dispatch_sends_and_threads_follow_ups(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], smtp_server: Any
) -> None:
    refs = make_lead(engine)
    first = _enqueue(engine, refs, step=1)
    report = await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW)
    assert report.sent == [first.id] and report.claimed == 1
    sent = _row(engine, first)
    assert sent.status is OutboxStatus.sent and sent.attempts == 1
    assert sent.sent_at == NOW and sent.transport_id and sent.transport_id.startswith("250")

    with Session(engine) as session:
        parent, chain = thread_headers(session, campaign_id=refs.campaign_id, contact_id=refs.contact_id,
                                       before_step=2)
    assert parent == first.message_id and chain == first.message_id
    follow_up = _enqueue(engine, refs, step=2, subject="Re: Grüße", in_reply_to=parent, references=chain)
    await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW)

    received = [email.message_from_bytes(m, policy=default) for m in smtp_server.messages]
    assert [m["Message-ID"] for m in received] == [first.message_id, follow_up.message_id]
    assert received[1]["In-Reply-To"] == first.message_id
    assert received[1]["References"] == first.message_id
    assert received[0]["Reply-To"].addresses[0].addr_spec == f"juergen+r-{reply_token(first.id)}@firma.example"
    assert received[0]["List-Unsubscribe"] == f"<http://127.0.0.1:8000/unsubscribe/{first.id}>"
    assert received[0]["Subject"] == "Grüße, Schritt 1"
    assert _count(engine, AuditEvent, AuditEvent.action == "outbox.sent") == 2


async def test_unsubscribe_factory_may_add_a_mailto(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead(engine))
    transport = CountingTransport()
    await dispatch(engine, transport, settings=settings, now=NOW, with_reply_token=False,
                   unsubscribe=lambda r: UnsubscribeLink(f"https://firma.example/u/{r.id}", "abmelden@firma.example"))
    message = transport.messages[0]
    assert message["List-Unsubscribe"] == f"<https://firma.example/u/{row.id}>, <mailto:abmelden@firma.example>"
    assert message["Reply-To"] is None


async def test_scheduled_rows_wait_until_due(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead(engine), scheduled_at=NOW + timedelta(hours=1))
    transport = CountingTransport()
    assert (await dispatch(engine, transport, settings=settings, now=NOW)).claimed == 0
    report = await dispatch(engine, transport, settings=settings, now=NOW + timedelta(hours=1))
    assert report.sent == [row.id] and transport.sent == [row.message_id]


async def test_limit_caps_one_run(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> None:
    refs = make_lead(engine)
    for step in (1, 2, 3):
        _enqueue(engine, refs, step=step)
    transport = CountingTransport()
    report = await dispatch(engine, transport, settings=settings, limit=2, now=NOW)
    assert report.claimed == 2 and len(transport.sent) == 2
    assert _count(engine, OutboxMessage, OutboxMessage.status == OutboxStatus.pending) == 1


# --- precheck -------------------------------------------------------------------------------

@pytest.mark.parametrize("is_async", [False, True])
async def test_precheck_refusal_marks_refused_and_audits(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], is_async: bool
) -> None:
    refs = make_lead(engine)
    blocked = _enqueue(engine, refs, step=1)
    allowed = _enqueue(engine, refs, step=2)

    def verdict(row: OutboxMessage) -> str | None:
        return "suppressed" if row.id == blocked.id else None

    async def averdict(row: OutboxMessage) -> str | None:
        return verdict(row)

    transport = CountingTransport()
    report = await dispatch(engine, transport, settings=settings, now=NOW,
                            precheck=averdict if is_async else verdict)
    assert report.refused == [blocked.id] and report.sent == [allowed.id]
    assert transport.sent == [allowed.message_id]
    refused = _row(engine, blocked)
    assert refused.status is OutboxStatus.refused and refused.refusal_code == "suppressed"
    assert refused.attempts == 0
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.refused")).one()
    assert event.entity_id == str(blocked.id) and event.data["code"] == "suppressed"


async def test_precheck_deferral_puts_row_back(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead(engine))
    later = NOW + timedelta(days=1)
    transport = CountingTransport()
    report = await dispatch(engine, transport, settings=settings, now=NOW,
                            precheck=lambda _: Deferral(later, "daily cap reached"))
    assert report.deferred == [row.id] and transport.sent == []
    fresh = _row(engine, row)
    assert fresh.status is OutboxStatus.pending and fresh.scheduled_at == later and fresh.attempts == 0
    assert (await dispatch(engine, transport, settings=settings, now=later)).sent == [row.id]


async def test_precheck_error_releases_the_claim(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead(engine))

    def broken(_: OutboxMessage) -> str | None:
        raise RuntimeError("compliance store down")

    transport = CountingTransport()
    with pytest.raises(RuntimeError, match="compliance store down"):
        await dispatch(engine, transport, settings=settings, now=NOW, precheck=broken)
    assert _row(engine, row).status is OutboxStatus.pending and transport.sent == []


async def test_unsubscribe_link_error_releases_the_claim(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead(engine))

    def broken(_: OutboxMessage) -> str:
        raise LookupError("signing key missing")

    transport = CountingTransport()
    with pytest.raises(LookupError):
        await dispatch(engine, transport, settings=settings, now=NOW, unsubscribe=broken)
    assert _row(engine, row).status is OutboxStatus.pending and transport.sent == []


# --- failures and retries -------------------------------------------------------------------

async def test_transient_failure_retries_later_and_sends_once(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], smtp_server: Any
) -> None:
    row = _enqueue(engine, make_lead(engine))
    smtp_server.recorder.script = ["451 4.3.0 Greylisted, try again later"]
    report = await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW)
    assert report.retrying == [row.id]
    waiting = _row(engine, row)
    assert waiting.status is OutboxStatus.pending and waiting.attempts == 1
    assert waiting.scheduled_at == NOW + timedelta(minutes=2) and "451" in (waiting.last_error or "")
    assert (await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW)).claimed == 0
    later = NOW + timedelta(minutes=3)
    assert (await dispatch(engine, _smtp(smtp_server), settings=settings, now=later)).sent == [row.id]
    assert (await dispatch(engine, _smtp(smtp_server), settings=settings, now=later)).claimed == 0
    assert len(smtp_server.messages) == 1 and smtp_server.recorder.data_calls == 2
    done = _row(engine, row)
    assert done.status is OutboxStatus.sent and done.attempts == 2 and done.last_error is None


async def test_gives_up_after_max_attempts(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], smtp_server: Any
) -> None:
    row = _enqueue(engine, make_lead(engine))
    smtp_server.recorder.script = ["421 4.7.0 Try later"] * 3
    at = NOW
    for _ in range(3):
        await dispatch(engine, _smtp(smtp_server), settings=settings, now=at, max_attempts=3)
        at += timedelta(hours=1)
    failed = _row(engine, row)
    assert failed.status is OutboxStatus.failed and failed.attempts == 3
    assert (failed.last_error or "").startswith("gave up after 3 attempts")
    assert smtp_server.messages == []


async def test_permanent_failure_is_not_retried(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], smtp_server: Any
) -> None:
    row = _enqueue(engine, make_lead(engine))
    smtp_server.recorder.script = ["550 5.1.1 No such user"]
    report = await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW)
    assert report.failed == [row.id]
    failed = _row(engine, row)
    assert failed.status is OutboxStatus.failed and failed.attempts == 1 and "550" in (failed.last_error or "")
    assert (await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW + timedelta(days=1))).claimed == 0
    assert smtp_server.recorder.data_calls == 1


async def test_unusable_transport_halts_the_run(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], unused_port: int
) -> None:
    refs = make_lead(engine)
    first, second = _enqueue(engine, refs, step=1), _enqueue(engine, refs, step=2)
    transport = SmtpTransport("127.0.0.1", unused_port, security="none", timeout=2)
    report = await dispatch(engine, transport, settings=settings, now=NOW)
    assert report.halted and "cannot connect" in report.halted and report.claimed == 0
    for row in (first, second):
        fresh = _row(engine, row)
        assert fresh.status is OutboxStatus.pending and fresh.attempts == 0


async def test_unbuildable_message_fails_without_sending(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead(engine))
    transport = CountingTransport()
    report = await dispatch(engine, transport, settings=settings, now=NOW,
                            unsubscribe=lambda r: f"ftp://firma.example/{r.id}")
    assert report.failed == [row.id] and transport.sent == []
    assert "cannot build message" in (_row(engine, row).last_error or "")


async def test_uncertain_outcome_is_never_resent(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any], smtp_server: Any
) -> None:
    row = _enqueue(engine, make_lead(engine))
    smtp_server.recorder.script = ["accept-and-drop"]
    report = await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW)
    assert report.uncertain == [row.id]
    failed = _row(engine, row)
    assert failed.status is OutboxStatus.failed and "needs review" in (failed.last_error or "")
    with Session(engine) as session:
        task = session.exec(select(Task)).one()
    assert task.kind == "review" and task.lead_id == row.lead_id and task.payload["outbox_id"] == str(row.id)
    for days in (1, 2):
        await dispatch(engine, _smtp(smtp_server), settings=settings, now=NOW + timedelta(days=days))
    assert len(smtp_server.messages) == 1


async def test_transport_bug_counts_as_uncertain(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = _enqueue(engine, make_lead(engine))

    class Buggy(CountingTransport):
        async def send(self, message: EmailMessage) -> SendResult:
            raise KeyError("oops")

    with pytest.raises(KeyError):
        await dispatch(engine, Buggy(), settings=settings, now=NOW)
    assert _row(engine, row).status is OutboxStatus.failed
    assert _count(engine, Task, Task.kind == "review") == 1


async def test_requeue_after_review(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> None:
    row = _enqueue(engine, make_lead(engine))
    assert requeue(engine, row.id) is False  # only failed rows can be requeued
    await dispatch(engine, CountingTransport(), settings=settings, now=NOW,
                   unsubscribe=lambda r: "ftp://bad")
    assert requeue(engine, row.id, actor="rep@firma.example") is True
    fresh = _row(engine, row)
    assert fresh.status is OutboxStatus.pending and fresh.attempts == 0
    transport = CountingTransport()
    assert (await dispatch(engine, transport, settings=settings, now=NOW)).sent == [row.id]
    with pytest.raises(OutboxError, match="no outbox row"):
        requeue(engine, uuid.uuid4())


# --- concurrency ----------------------------------------------------------------------------

def test_two_concurrent_dispatchers_send_each_row_once(
    any_engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    refs = make_lead(any_engine)
    rows = [_enqueue(any_engine, refs, step=step) for step in range(1, 31)]
    transport = CountingTransport()
    barrier = threading.Barrier(2)

    def worker(_: int) -> list[str]:
        barrier.wait()
        report = asyncio.run(dispatch(any_engine, transport, settings=settings, now=NOW))
        return [str(i) for i in report.sent]

    with ThreadPoolExecutor(2) as pool:
        per_worker = list(pool.map(worker, range(2)))
    assert sorted(transport.sent) == sorted(r.message_id for r in rows)  # each exactly once
    assert sorted(per_worker[0] + per_worker[1]) == sorted(str(r.id) for r in rows)
    assert _count(any_engine, OutboxMessage, col(OutboxMessage.status) == OutboxStatus.sent) == 30
