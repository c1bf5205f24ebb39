"""Storing inbound mail: thread matching by headers, reply token and sender+subject; dedupe;
unmatched mail kept and listed; bad input writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tools.crm.db import session_scope
from tools.crm.models import InboundMessage, OutboxMessage
from tools.crm.types import utcnow
from tools.email.errors import ParseError
from tools.email.ingest import ingest_payload, ingest_raw_email, list_unmatched, store_raw_email
from tools.email.matching import normalize_subject
from tools.email.message import reply_token
from tools.email.outbox import dispatch, enqueue
from tools.email.transport import FileTransport
from tools.settings import Settings


async def _sent_row(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> OutboxMessage:
    refs = make_lead(engine, email="erika@kunde.example")
    with session_scope(engine) as session:
        row = enqueue(
            session, campaign_id=refs.campaign_id, contact_id=refs.contact_id, lead_id=refs.lead_id, step=1,
            draft_id=None, from_email="Jürgen Weiß <juergen@firma.example>", to_email=refs.email,
            subject="Kurze Frage zu Ihrer Logistik", body="Guten Tag Frau Müller,\n…\n",
            message_id_domain=settings.message_id_domain,
        )
    report = await dispatch(engine, FileTransport(settings.outbox_dir), settings=settings, now=utcnow())
    assert report.sent == [row.id]
    return row


def _reply(*headers: str, body: str = "Ja, gerne.\n\nAm 02.03.2026 schrieb J <j@firma.example>:\n> Frage") -> str:
    return "\r\n".join([*headers, "Content-Type: text/plain; charset=utf-8", "", body])


def _ingest(engine: Engine, settings: Settings, raw: str | bytes) -> InboundMessage:
    with session_scope(engine) as session:
        return ingest_raw_email(session, raw, settings=settings)


def _inbound_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(InboundMessage)).one())


async def test_match_by_in_reply_to(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> None:
    row = await _sent_row(engine, settings, make_lead)
    stored = _ingest(engine, settings, _reply(
        "From: Erika <erika@kunde.example>", "To: juergen@firma.example", "Subject: AW: Kurze Frage",
        "Message-ID: <r1@kunde.example>", f"In-Reply-To: {row.message_id}",
    ))
    assert (stored.lead_id, stored.outbox_id, stored.match_method) == (row.lead_id, row.id, "in_reply_to")
    assert stored.stripped_text == "Ja, gerne." and "> Frage" in stored.body_text
    assert stored.processed is False and stored.raw and "In-Reply-To" in stored.raw


async def test_match_by_references(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> None:
    row = await _sent_row(engine, settings, make_lead)
    stored = _ingest(engine, settings, _reply(
        "From: kollege@kunde.example", "To: juergen@firma.example", "Subject: WG: Kurze Frage",
        "Message-ID: <r2@kunde.example>", "In-Reply-To: <internal-forward@kunde.example>",
        f"References: {row.message_id} <internal-forward@kunde.example>",
    ))
    assert (stored.lead_id, stored.match_method) == (row.lead_id, "references")


async def test_match_by_reply_token(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> None:
    row = await _sent_row(engine, settings, make_lead)
    address = f"juergen+r-{reply_token(row.id)}@firma.example"
    stored = _ingest(engine, settings, _reply(
        "From: andere-adresse@kunde.example", f"To: Vertrieb <{address}>", "Subject: Ihre Mail",
        "Message-ID: <r3@kunde.example>",
    ))
    assert (stored.lead_id, stored.match_method, stored.to_email) == (row.lead_id, "reply_token", address)


async def test_match_by_sender_and_subject(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> None:
    row = await _sent_row(engine, settings, make_lead)
    stored = _ingest(engine, settings, _reply(
        "From: ERIKA@KUNDE.EXAMPLE", "To: juergen@firma.example",
        "Subject: AW: WG: Re[2]: Kurze  Frage zu Ihrer Logistik", "Message-ID: <r4@kunde.example>",
    ))
    assert (stored.lead_id, stored.match_method) == (row.lead_id, "sender_subject")


async def test_unmatched_mail_is_kept_and_listed(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    await _sent_row(engine, settings, make_lead)
    stranger = _ingest(engine, settings, _reply(
        "From: fremd@anders.example", "To: juergen@firma.example", "Subject: Kurze Frage zu Ihrer Logistik",
        "Message-ID: <r5@anders.example>",
    ))
    same_sender_other_subject = _ingest(engine, settings, _reply(
        "From: erika@kunde.example", "To: juergen@firma.example", "Subject: Ganz anderes Thema",
        "Message-ID: <r6@kunde.example>",
    ))
    for row in (stranger, same_sender_other_subject):
        assert row.lead_id is None and row.match_method is None
    with Session(engine) as session:
        listed = {row.id for row in list_unmatched(session)}
    assert listed == {stranger.id, same_sender_other_subject.id}


async def test_own_outbound_mail_is_recognised(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = await _sent_row(engine, settings, make_lead)
    own = _ingest(engine, settings, FileTransport(settings.outbox_dir).path_for(row.message_id).read_bytes())
    assert (own.match_method, own.processed, own.lead_id) == ("own_message", True, row.lead_id)
    with Session(engine) as session:
        assert list_unmatched(session) == []


def test_duplicate_message_id_is_stored_once(engine: Engine, settings: Settings) -> None:
    raw = _reply("From: a@kunde.example", "Subject: x", "Message-ID: <dup@kunde.example>")
    first = _ingest(engine, settings, raw)
    with session_scope(engine) as session:
        again, created = store_raw_email(session, raw, settings=settings)
    assert again.id == first.id and created is False
    assert _inbound_count(engine) == 1


def test_mail_without_message_id_is_deduplicated_by_content(engine: Engine, settings: Settings) -> None:
    raw = _reply("From: a@kunde.example", "Subject: ohne ID")
    first = _ingest(engine, settings, raw)
    assert _ingest(engine, settings, raw).id == first.id
    assert first.message_id and first.message_id.endswith("@no-message-id.invalid>")
    assert _ingest(engine, settings, raw + " anders").id != first.id
    assert _inbound_count(engine) == 2


def test_concurrent_ingest_of_one_mail_stores_one_row(any_engine: Engine, settings: Settings) -> None:
    raw = _reply("From: a@kunde.example", "Subject: parallel", "Message-ID: <race@kunde.example>",
                 body="Text mit NUL\x00-Zeichen")
    barrier = threading.Barrier(4)

    def worker(_: int) -> str:
        barrier.wait()
        return str(_ingest(any_engine, settings, raw).id)

    with ThreadPoolExecutor(4) as pool:
        assert len(set(pool.map(worker, range(4)))) == 1
    assert _inbound_count(any_engine) == 1


def test_reply_with_no_body_is_stored_empty(engine: Engine, settings: Settings) -> None:
    stored = _ingest(engine, settings, "From: a@kunde.example\r\nSubject: AW: Frage\r\nMessage-ID: <e@k>\r\n\r\n")
    assert stored.body_text == "" and stored.stripped_text == "" and stored.subject == "AW: Frage"


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\xfe\x89PNG garbage", "kein: header\n\nnur Text"])
def test_garbage_raises_and_writes_nothing(engine: Engine, settings: Settings, raw: bytes | str) -> None:
    with pytest.raises(ParseError):
        _ingest(engine, settings, raw)
    assert _inbound_count(engine) == 0


async def test_json_payload_is_matched_and_stored(
    engine: Engine, settings: Settings, make_lead: Callable[..., Any]
) -> None:
    row = await _sent_row(engine, settings, make_lead)
    with session_scope(engine) as session:
        stored = ingest_payload(session, {
            "from": "Erika <erika@kunde.example>", "to": f"juergen+r-{reply_token(row.id)}@firma.example",
            "subject": "Antwort", "text": "Bitte austragen.\n\nVon meinem iPhone gesendet",
            "message_id": "<p1@kunde.example>",
        }, settings=settings)
    assert (stored.lead_id, stored.match_method, stored.stripped_text) == (row.lead_id, "reply_token",
                                                                           "Bitte austragen.")
    assert stored.raw and '"from": "Erika <erika@kunde.example>"' in stored.raw


def test_json_payload_without_from_writes_nothing(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ValidationError, match="from"), session_scope(engine) as session:
        ingest_payload(session, {"to": "a@firma.example", "subject": "x", "text": "y"}, settings=settings)
    assert _inbound_count(engine) == 0


@pytest.mark.parametrize(
    ("subject", "normal"),
    [
        ("AW: WG: Re: Angebot", "angebot"),
        ("RE[3]: Fwd: Angebot ", "angebot"),
        ("[EXT] Antw: Angebot", "angebot"),
        ("SV:   Angebot   2026", "angebot 2026"),
        ("Reisekosten", "reisekosten"),
        ("Re:", ""),
    ],
)
def test_normalize_subject(subject: str, normal: str) -> None:
    assert normalize_subject(subject) == normal
