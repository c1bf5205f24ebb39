"""Transports against a real SMTP server on loopback (aiosmtpd) and the file transport."""

from __future__ import annotations

import email
import uuid
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from tools.email.errors import PermanentTransportError, TransientTransportError, UncertainDeliveryError
from tools.email.message import build_message, outbox_message_id
from tools.email.transport import DeliveryState, FileTransport, SmtpTransport, make_transport
from tools.settings import Settings


def _message(subject: str = "Grüße aus Köln", **extra: str) -> email.message.EmailMessage:
    return build_message(
        message_id=outbox_message_id(uuid.uuid4(), "firma.example"),
        from_email="Jürgen Weiß <juergen@firma.example>",
        to_email="erika@kunde.example",
        subject=subject,
        body="Guten Tag,\nschöne Grüße.\n",
        unsubscribe_url="https://firma.example/unsubscribe/abc",
        date=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        **extra,  # type: ignore[arg-type]
    )


def _plain(server: Any) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", server.port, security="none", timeout=5)


async def test_smtp_conversation_delivers_headers_intact(smtp_server: Any) -> None:
    message = _message(in_reply_to="<outbox-1@firma.example>", references="<outbox-0@firma.example>")
    result = await _plain(smtp_server).send(message)
    assert result.transport_id.startswith("250")
    assert "queued as Q1" in result.transport_id
    assert smtp_server.recorder.envelopes == [("juergen@firma.example", ["erika@kunde.example"])]
    received = email.message_from_bytes(smtp_server.messages[0], policy=default)
    assert received["Message-ID"] == message["Message-ID"]
    assert received["Subject"] == "Grüße aus Köln"
    assert received["List-Unsubscribe"] == "<https://firma.example/unsubscribe/abc>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["In-Reply-To"] == "<outbox-1@firma.example>"
    assert received["References"] == "<outbox-0@firma.example> <outbox-1@firma.example>"
    body = received.get_body(("plain",))
    assert body is not None and "schöne Grüße" in body.get_content()


async def test_starttls_and_login(tls_smtp_server: Any) -> None:
    transport = SmtpTransport(
        "127.0.0.1", tls_smtp_server.port, security="starttls", username=tls_smtp_server.username,
        password=tls_smtp_server.password, timeout=5, tls_context=tls_smtp_server.client_context,
    )
    await transport.send(_message())
    assert len(tls_smtp_server.messages) == 1


async def test_implicit_tls(smtps_server: Any) -> None:
    transport = SmtpTransport("127.0.0.1", smtps_server.port, security="tls", timeout=5,
                              tls_context=smtps_server.client_context)
    await transport.send(_message())
    assert len(smtps_server.messages) == 1


async def test_wrong_password_halts_without_sending(tls_smtp_server: Any) -> None:
    transport = SmtpTransport(
        "127.0.0.1", tls_smtp_server.port, security="starttls", username=tls_smtp_server.username,
        password="wrong", timeout=5, tls_context=tls_smtp_server.client_context,
    )
    with pytest.raises(TransientTransportError) as info:
        await transport.send(_message())
    assert info.value.halt and "refused the login" in str(info.value)
    assert tls_smtp_server.messages == []


async def test_untrusted_certificate_is_refused(tls_smtp_server: Any) -> None:
    transport = SmtpTransport("127.0.0.1", tls_smtp_server.port, security="starttls", timeout=5)
    with pytest.raises(TransientTransportError) as info:
        await transport.send(_message())
    assert info.value.halt
    assert tls_smtp_server.messages == []


async def test_temporary_refusal_is_transient(smtp_server: Any) -> None:
    smtp_server.recorder.script = ["451 4.3.0 Try again later"]
    with pytest.raises(TransientTransportError) as info:
        await _plain(smtp_server).send(_message())
    assert info.value.code == 451 and not info.value.halt
    assert smtp_server.messages == []


async def test_permanent_refusal_is_permanent(smtp_server: Any) -> None:
    smtp_server.recorder.script = ["550 5.1.1 User unknown"]
    with pytest.raises(PermanentTransportError) as info:
        await _plain(smtp_server).send(_message())
    assert info.value.code == 550


async def test_connection_lost_after_acceptance_is_uncertain(smtp_server: Any) -> None:
    smtp_server.recorder.script = ["accept-and-drop"]
    with pytest.raises(UncertainDeliveryError):
        await _plain(smtp_server).send(_message())
    assert len(smtp_server.messages) == 1  # the server has it: a retry would duplicate it


async def test_nobody_listening_halts(unused_port: int) -> None:
    transport = SmtpTransport("127.0.0.1", unused_port, security="none", timeout=2)
    with pytest.raises(TransientTransportError) as info:
        await transport.send(_message())
    assert info.value.halt and "cannot connect" in str(info.value)
    assert await transport.delivery_state("<x@y>") is DeliveryState.unknown


async def test_file_transport_writes_atomically_and_knows_what_it_wrote(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "outbox")
    message = _message()
    message_id = str(message["Message-ID"])
    assert await transport.delivery_state(message_id) is DeliveryState.not_delivered
    result = await transport.send(message)
    path = Path(result.transport_id)
    assert path.name == message_id.strip("<>") + ".eml"
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [path.name]  # no temp files left
    assert email.message_from_bytes(path.read_bytes(), policy=default)["Subject"] == "Grüße aus Köln"
    assert await transport.delivery_state(message_id) is DeliveryState.delivered
    again = await transport.send(message)  # same Message-ID: the first file stays, no second one
    assert again.transport_id == result.transport_id
    assert len(list((tmp_path / "outbox").iterdir())) == 1


async def test_file_transport_unwritable_folder_halts(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(TransientTransportError) as info:
        await FileTransport(blocker).send(_message())
    assert info.value.halt


def test_make_transport_follows_settings(tmp_path: Path) -> None:
    file_settings = Settings(data_dir=tmp_path)
    transport = make_transport(file_settings)
    assert isinstance(transport, FileTransport) and transport.directory == file_settings.outbox_dir
    smtp = make_transport(Settings(data_dir=tmp_path, email_transport="smtp", smtp_host="mail.example",
                                   smtp_port=465, smtp_security="tls", smtp_password="pw"))  # type: ignore[arg-type]
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.host, smtp.port, smtp.security, smtp.password) == ("mail.example", 465, "tls", "pw")
