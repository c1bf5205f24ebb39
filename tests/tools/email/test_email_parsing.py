"""Parsing inbound mail: raw RFC 5322 in its messy varieties, and the webhook JSON payload."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from pydantic import ValidationError

from tools.email.errors import ParseError
from tools.email.parsing import InboundEmailPayload, message_ids, parse_payload, parse_raw_email

LATIN1_REPLY = (
    b"Return-Path: <erika@kunde.example>\r\n"
    b"Delivered-To: juergen+r-aeaqcaibaeaqcaibaeaqcaibae@firma.example\r\n"
    b"From: =?iso-8859-1?q?M=FCller=2C_Erika?= <Erika@Kunde.Example>\r\n"
    b"To: =?utf-8?q?J=C3=BCrgen?= <juergen@firma.example>, team@firma.example\r\n"
    b"Cc: chef@kunde.example\r\n"
    b"Subject: =?iso-8859-1?q?AW=3A_Gr=FC=DFe_aus_K=F6ln?=\r\n"
    b"Message-ID: <CAF123@mail.kunde.example>\r\n"
    b"In-Reply-To: <outbox-1@firma.example>\r\n"
    b"References: <outbox-0@firma.example>\r\n <outbox-1@firma.example>\r\n"
    b"Date: Mon, 2 Mar 2026 10:15:00 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Gr\xfc\xdfe, gerne n\xe4chste Woche.\r\n"
)


def test_latin1_reply_is_decoded() -> None:
    parsed = parse_raw_email(LATIN1_REPLY)
    assert parsed.from_email == "erika@kunde.example"
    assert parsed.from_name == "Müller, Erika"  # the encoded comma did not split the address
    assert parsed.to == ["juergen@firma.example", "team@firma.example"]
    assert parsed.cc == ["chef@kunde.example"]
    assert parsed.delivered_to == ["juergen+r-aeaqcaibaeaqcaibaeaqcaibae@firma.example"]
    assert parsed.subject == "AW: Grüße aus Köln"
    assert parsed.text == "Grüße, gerne nächste Woche.\n"
    assert parsed.message_id == "<CAF123@mail.kunde.example>"
    assert parsed.in_reply_to == ["<outbox-1@firma.example>"]
    assert parsed.references == ["<outbox-0@firma.example>", "<outbox-1@firma.example>"]
    assert parsed.date == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert parsed.headers["references"] == "<outbox-0@firma.example> <outbox-1@firma.example>"
    assert not parsed.auto_submitted and not parsed.is_bounce


def _multipart(plain: str | None, html: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = "erika@kunde.example"
    message["To"] = "juergen@firma.example"
    message["Subject"] = "Re: Frage"
    if plain is not None:
        message.set_content(plain, charset="utf-8", cte="base64")
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename="preise.pdf")
    return message.as_bytes()


def test_multipart_prefers_plain_and_ignores_attachments() -> None:
    parsed = parse_raw_email(_multipart("Schöne Grüße\n", "<p>HTML-Version</p>"))
    assert parsed.text == "Schöne Grüße\n"
    assert parsed.html is not None and "HTML-Version" in parsed.html


def test_html_only_mail_becomes_text() -> None:
    parsed = parse_raw_email(_multipart(None, "<div>Gerne&nbsp;am Montag.</div><blockquote>alt</blockquote>"))
    assert parsed.text == "Gerne am Montag.\n\n> alt"


def test_unknown_charset_and_missing_from_are_survivable() -> None:
    raw = b"Subject: ohne Absender\r\nContent-Type: text/plain; charset=x-unbekannt\r\n\r\nHall\xf6\r\n"
    parsed = parse_raw_email(raw)
    assert parsed.from_email == "" and parsed.subject == "ohne Absender"
    assert parsed.text.startswith("Hall")


def test_mail_without_body_parses_to_empty_text() -> None:
    parsed = parse_raw_email("From: erika@kunde.example\r\nSubject: AW: Frage\r\n\r\n")
    assert parsed.text == "" and parsed.subject == "AW: Frage"


def test_auto_reply_and_bounce_are_flagged() -> None:
    auto = parse_raw_email(b"From: a@kunde.example\r\nAuto-Submitted: auto-replied\r\nSubject: Abwesend\r\n\r\nx")
    assert auto.auto_submitted
    bounce = parse_raw_email(
        b"From: MAILER-DAEMON@mx.kunde.example\r\nSubject: Undelivered\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n--b--\r\n"
    )
    assert bounce.is_bounce and "User unknown" in bounce.text


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "empty"),
        (b"   \r\n ", "empty"),
        (b"\x00\xff\xfe\x89PNG\r\n\x1a\n\x00\x00garbage", "not an email"),
        (b"just some words: and a colon\n\nmore", "not an email"),
        (b"From: a@b.example\r\n\r\n" + b"x" * (25 * 1024 * 1024), "larger than"),
    ],
)
def test_non_mail_is_refused(raw: bytes, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment):
        parse_raw_email(raw)


def test_message_ids_helper() -> None:
    assert message_ids("abc@host") == ["<abc@host>"]
    assert message_ids("<a@b> <c@d> <a@b>") == ["<a@b>", "<c@d>"]
    assert message_ids(["<a@b>", "<c@d>"]) == ["<a@b>", "<c@d>"]
    assert message_ids("garbage without at") == []
    assert message_ids(None) == []


def test_payload_is_parsed() -> None:
    payload = InboundEmailPayload.model_validate(InboundEmailPayload.model_config["json_schema_extra"]["examples"][0])  # type: ignore[index]
    parsed = parse_payload(payload)
    assert parsed.from_email == "erika@kunde.example" and parsed.from_name == "Erika Musterfrau"
    assert parsed.to == ["vertrieb+r-aeaqcaibaeaqcaibaeaqcaibae@firma.example"]
    assert parsed.message_id == "<CAF=abc123@mail.kunde.example>"
    assert parsed.in_reply_to == ["<outbox-0f8fad5b-d9cb-469f-a165-70867728950e@firma.example>"]
    assert parsed.subject == "AW: Ihre Anfrage" and parsed.text.startswith("Guten Tag")


def test_payload_html_only_and_lists() -> None:
    parsed = parse_payload({
        "from": "erika@kunde.example", "to": ["a@firma.example", "b@firma.example"], "subject": "Re: x",
        "text": "", "html": "<p>Ja bitte</p>", "references": ["<a@b>", "<c@d>"],
        "headers": {"Delivered-To": "a+r-x@firma.example", "Auto-Submitted": "auto-replied"},
    })
    assert parsed.text == "Ja bitte"
    assert parsed.to == ["a@firma.example", "b@firma.example"]
    assert parsed.references == ["<a@b>", "<c@d>"]
    assert parsed.delivered_to == ["a+r-x@firma.example"] and parsed.auto_submitted


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to": "a@firma.example", "subject": "x", "text": "y"}, "from"),
        ({"from": "Erika ohne Adresse", "to": "a@firma.example", "subject": "x", "text": "y"}, "from"),
        ({"from": "erika@kunde.example", "subject": "x", "text": "y"}, "to"),
        ({"from": "erika@kunde.example", "to": [], "subject": "x", "text": "y"}, "to"),
        ({"from": "erika@kunde.example", "to": "a@firma.example", "text": "y"}, "subject"),
    ],
)
def test_invalid_payload_names_the_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        InboundEmailPayload.model_validate(payload)
    assert field in str(info.value)

def test_raw_eight_bit_headers_are_decoded() -> None:
    """Some mailers send UTF-8 (or Latin-1) header bytes unencoded; they must still read as text."""
    utf8 = "From: Jürgen Groß <j@firma.de>\r\nTo: a@b.de\r\nSubject: AW: Grüße aus München\r\n\r\nHallo\r\n".encode()
    parsed = parse_raw_email(utf8)
    assert parsed.subject == "AW: Grüße aus München" and parsed.from_name == "Jürgen Groß"
    latin1 = "From: j@firma.de\r\nTo: a@b.de\r\nSubject: Grüße\r\n\r\nHallo\r\n".encode("latin-1")
    assert parse_raw_email(latin1).subject == "Grüße"
