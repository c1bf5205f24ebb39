"""IMAP polling end to end against a real IMAP server on loopback (pymap, in-memory backend)."""

from __future__ import annotations

import imaplib
import json
from collections.abc import Callable
from typing import Any

import pytest
import typer
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli.inbox import register
from tools.crm.db import session_scope
from tools.crm.models import AuditEvent, InboundMessage
from tools.crm.types import utcnow
from tools.email import imap as imap_module
from tools.email.errors import ImapError
from tools.email.imap import UNREADABLE, poll_mailbox
from tools.email.outbox import dispatch, enqueue
from tools.email.transport import FileTransport
from tools.settings import Settings


@pytest.fixture
def mailbox_settings(settings: Settings, imap_server: Any) -> Settings:
    return settings.model_copy(update={
        "imap_host": imap_server.host, "imap_port": imap_server.port, "imap_ssl": False,
        "imap_username": imap_server.username, "imap_password": SecretStr(imap_server.password),
        "imap_folder": imap_server.folder,
    })


def _client(server: Any) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.port, timeout=10)
    client.login(server.username, server.password)
    return client


def _append(server: Any, raw: bytes, flags: str | None = None) -> None:
    client = _client(server)
    try:
        status, _ = client.append(server.folder, flags, None, raw)
        assert status == "OK"
    finally:
        client.logout()


def _flags(server: Any) -> dict[str, str]:
    """Subject → FLAGS of every message in the test's folder."""
    client = _client(server)
    try:
        client.select(server.folder)
        _, data = client.uid("SEARCH", "ALL")
        result = {}
        for uid in data[0].split():
            _, fetched = client.uid("FETCH", uid, "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            meta = fetched[0][0].decode() if isinstance(fetched[0], tuple) else ""
            subject = fetched[0][1].decode().strip().removeprefix("Subject: ") if isinstance(fetched[0], tuple) else ""
            result[subject] = meta
        return result
    finally:
        client.logout()


def _mail(subject: str, message_id: str, *extra: str) -> bytes:
    lines = ["From: Erika <erika@kunde.example>", "To: juergen@firma.example", f"Subject: {subject}",
             f"Message-ID: {message_id}", *extra, "", "Ja, gerne.", ""]
    return "\r\n".join(lines).encode()


async def _sent_row(engine: Engine, settings: Settings, make_lead: Callable[..., Any]) -> Any:
    refs = make_lead(engine, email="erika@kunde.example")
    with session_scope(engine) as session:
        row = enqueue(session, campaign_id=refs.campaign_id, contact_id=refs.contact_id, lead_id=refs.lead_id,
                      step=1, draft_id=None, from_email="juergen@firma.example", to_email=refs.email,
                      subject="Kurze Frage", body="Guten Tag\n")
    await dispatch(engine, FileTransport(settings.outbox_dir), settings=settings, now=utcnow())
    return row


async def test_poll_ingests_unseen_mail_and_marks_it_seen_after_commit(
    engine: Engine, mailbox_settings: Settings, imap_server: Any, make_lead: Callable[..., Any]
) -> None:
    row = await _sent_row(engine, mailbox_settings, make_lead)
    _append(imap_server, _mail("AW: Kurze Frage", "<m1@kunde.example>", f"In-Reply-To: {row.message_id}"))
    _append(imap_server, _mail("Newsletter", "<m2@anders.example>"))
    _append(imap_server, _mail("Schon gelesen", "<m3@kunde.example>"), flags="(\\Seen)")
    _append(imap_server, b"\x00\xff garbage without headers \xfe")

    report = poll_mailbox(engine, mailbox_settings)
    assert (report.fetched, report.stored, report.matched, report.unmatched) == (3, 2, 1, 1)
    assert len(report.failed) == 1 and "not an email" in report.failed[0]
    with Session(engine) as session:
        stored = {m.message_id: m for m in session.exec(select(InboundMessage)).all()}
    assert set(stored) == {"<m1@kunde.example>", "<m2@anders.example>"}
    assert stored["<m1@kunde.example>"].lead_id == row.lead_id
    assert stored["<m1@kunde.example>"].match_method == "in_reply_to"

    flags = _flags(imap_server)
    assert "\\Seen" in flags["AW: Kurze Frage"] and "\\Seen" in flags["Newsletter"]
    garbage = next(v for k, v in flags.items() if k not in {"AW: Kurze Frage", "Newsletter", "Schon gelesen"})
    assert "\\Seen" not in garbage  # left for a human ...
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == UNREADABLE)).one()
    assert event.data["folder"] == imap_server.folder and "not an email" in event.data["error"]

    again = poll_mailbox(engine, mailbox_settings)  # ... and not fetched again and again
    assert (again.fetched, again.stored, again.failed) == (0, 0, [])


async def test_mail_seen_flag_lost_after_commit_is_not_stored_twice(
    engine: Engine, mailbox_settings: Settings, imap_server: Any
) -> None:
    _append(imap_server, _mail("Hallo", "<m9@kunde.example>"))
    assert poll_mailbox(engine, mailbox_settings).stored == 1
    client = _client(imap_server)  # as if the process died between COMMIT and STORE \Seen
    client.select(imap_server.folder)
    client.uid("STORE", "1:*", "-FLAGS", "(\\Seen)")
    client.logout()
    report = poll_mailbox(engine, mailbox_settings)
    assert (report.fetched, report.stored, report.duplicates) == (1, 0, 1)
    with Session(engine) as session:
        assert len(session.exec(select(InboundMessage)).all()) == 1


async def test_limit_fetches_only_that_many(engine: Engine, mailbox_settings: Settings, imap_server: Any) -> None:
    for n in range(3):
        _append(imap_server, _mail(f"Mail {n}", f"<l{n}@kunde.example>"))
    assert poll_mailbox(engine, mailbox_settings, limit=2).stored == 2
    assert poll_mailbox(engine, mailbox_settings).stored == 1


def test_wrong_password_is_a_clear_error(engine: Engine, mailbox_settings: Settings) -> None:
    bad = mailbox_settings.model_copy(update={"imap_password": SecretStr("falsch")})
    with pytest.raises(ImapError, match="cannot log in"):
        poll_mailbox(engine, bad)


def test_missing_folder_is_a_clear_error(engine: Engine, mailbox_settings: Settings) -> None:
    with pytest.raises(ImapError, match="SELECT Archiv"):
        poll_mailbox(engine, mailbox_settings.model_copy(update={"imap_folder": "Archiv"}))


def test_plaintext_password_to_a_remote_host_is_refused(
    engine: Engine, mailbox_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap_module, "_is_loopback", lambda host: False)
    with pytest.raises(ImapError, match="unencrypted"):
        poll_mailbox(engine, mailbox_settings)


def test_unconfigured_imap_is_a_clear_error(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ImapError, match="OUTREACH_IMAP_HOST"):
        poll_mailbox(engine, settings)


def test_cli_poll_json(mailbox_settings: Settings, imap_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "OUTREACH_DATA_DIR": str(mailbox_settings.data_dir), "OUTREACH_IMAP_HOST": imap_server.host,
        "OUTREACH_IMAP_PORT": str(imap_server.port), "OUTREACH_IMAP_SSL": "false",
        "OUTREACH_IMAP_USERNAME": imap_server.username, "OUTREACH_IMAP_PASSWORD": imap_server.password,
        "OUTREACH_IMAP_FOLDER": imap_server.folder,
    }.items():
        monkeypatch.setenv(key, value)
    _append(imap_server, _mail("Frage", "<cli@kunde.example>"))
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["inbox", "poll", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"fetched": 1, "stored": 1, "duplicates": 0, "matched": 0,
                                         "unmatched": 1, "failed": []}
    monkeypatch.setenv("OUTREACH_IMAP_PASSWORD", "falsch")
    failed = CliRunner().invoke(app, ["inbox", "poll"])
    assert failed.exit_code == 1 and "cannot log in" in failed.stderr
