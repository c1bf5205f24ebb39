"""Building outbound mail: headers, encodings, reply tokens, and refusing unsafe input."""

from __future__ import annotations

import email
import uuid
from datetime import UTC, datetime
from email.policy import default

import pytest

from tools.email.errors import MessageError
from tools.email.message import (
    build_message,
    outbox_message_id,
    parse_address,
    parse_reply_token,
    reply_to_address,
    reply_token,
    reply_tokens_in,
)
from tools.email.transport import wire_bytes

ROW = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
LONG_URL = "https://firma.example/unsubscribe/" + "eyJhbGciOiJIUzI1NiJ9." * 6 + "sig"


def _build(**overrides: object) -> bytes:
    args: dict[str, object] = {
        "message_id": outbox_message_id(ROW, "firma.example"),
        "from_email": "Jürgen Weiß <juergen@firma.example>",
        "to_email": "Erika Müller <erika@kunde.example>",
        "subject": "Grüße aus München – Ihre Anfrage zur Zusammenarbeit",
        "body": "Guten Tag Frau Müller,\n\nÄÖÜ äöü ß – gern.\n",
        "unsubscribe_url": LONG_URL,
        "unsubscribe_mailto": "abmelden@firma.example",
        "date": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    }
    args.update(overrides)
    return wire_bytes(build_message(**args))  # type: ignore[arg-type]


def _read(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=default)  # type: ignore[return-value]


def test_message_is_7bit_and_umlauts_round_trip() -> None:
    data = _build(body_html="<p>Guten Tag Frau Müller</p>")
    assert data.isascii()  # RFC 2047 headers + quoted-printable bodies: no 8BITMIME needed
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    parsed = _read(data)
    assert parsed["Subject"] == "Grüße aus München – Ihre Anfrage zur Zusammenarbeit"
    assert parsed["From"].addresses[0].display_name == "Jürgen Weiß"
    assert parsed["Message-ID"] == "<outbox-0f8fad5b-d9cb-469f-a165-70867728950e@firma.example>"
    assert parsed["Date"] == "Mon, 02 Mar 2026 09:30:00 +0000"
    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == "Guten Tag Frau Müller,\n\nÄÖÜ äöü ß – gern.\n"
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Müller" in html.get_content()


def test_list_unsubscribe_is_verbatim_even_when_long() -> None:
    data = _build()
    parsed = _read(data)
    assert parsed["List-Unsubscribe"] == f"<{LONG_URL}>, <mailto:abmelden@firma.example>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert b"=?utf-8?" not in data.split(b"List-Unsubscribe:")[1].split(b"\r\nList-Unsubscribe-Post")[0]


def test_follow_up_threads_with_in_reply_to_and_references() -> None:
    first = outbox_message_id(uuid.uuid4(), "firma.example")
    second = outbox_message_id(uuid.uuid4(), "firma.example")
    parsed = _read(_build(in_reply_to=second, references=first))
    assert parsed["In-Reply-To"] == second
    assert parsed["References"].split() == [first, second]  # the parent is appended last


def test_plain_only_message_is_single_part() -> None:
    parsed = _read(_build())
    assert parsed.get_content_type() == "text/plain"


def test_reply_token_round_trip_and_reply_to_header() -> None:
    token = reply_token(ROW)
    assert len(token) == 26 and token == token.lower()
    assert parse_reply_token(token) == ROW
    assert parse_reply_token(token.upper()) == ROW
    assert parse_reply_token("not-a-token") is None
    sender = parse_address("Jürgen <juergen@firma.example>", field="from")
    reply_to = reply_to_address(sender, ROW)
    assert reply_to is not None
    assert reply_to.addr_spec == f"juergen+r-{token}@firma.example"
    parsed = _read(_build(reply_to=reply_to))
    assert parsed["Reply-To"].addresses[0].addr_spec == reply_to.addr_spec
    assert reply_tokens_in([f"Vertrieb <JUERGEN+R-{token.upper()}@firma.example>", "x@y.example"]) == [ROW]


def test_reply_to_is_skipped_when_local_part_would_be_too_long() -> None:
    sender = parse_address("a" * 40 + "@firma.example", field="from")
    assert reply_to_address(sender, ROW) is None


def test_idn_domain_becomes_punycode() -> None:
    assert parse_address("info@bücher.example", field="to").domain == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"subject": "Hallo\r\nBcc: victim@example.com"}, "single line"),
        ({"subject": "   "}, "subject is empty"),
        ({"body": "\n  \n"}, "body is empty"),
        ({"to_email": "not an address"}, "to_email is not a valid"),
        ({"to_email": "erika@kunde.example\r\nBcc: x@y.example"}, "single line"),
        ({"to_email": "jürgen@kunde.example"}, "non-ASCII local part"),
        ({"message_id": "no-brackets@x"}, "not a Message-ID"),
        ({"in_reply_to": "<a@b> <c@d>"}, "single Message-ID"),
        ({"references": "<a@b> garbage"}, "not a Message-ID"),
        ({"unsubscribe_url": "ftp://firma.example/u"}, "https"),
        ({"unsubscribe_url": "http://firma.example/u"}, "RFC 8058"),
        ({"unsubscribe_url": "https://firma.example/u\r\nX: y"}, "single line"),
        ({"unsubscribe_mailto": "a b@x"}, "ASCII"),
        ({"date": datetime(2026, 1, 1)}, "timezone-aware"),
    ],
)
def test_unsafe_input_is_refused(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(MessageError, match=fragment):
        _build(**overrides)


def test_loopback_http_unsubscribe_is_allowed_for_demos() -> None:
    parsed = _read(_build(unsubscribe_url="http://127.0.0.1:8000/unsubscribe/x", unsubscribe_mailto=None))
    assert parsed["List-Unsubscribe"] == "<http://127.0.0.1:8000/unsubscribe/x>"


def test_message_id_domain_is_checked() -> None:
    assert outbox_message_id(ROW, "Firma.Example") == f"<outbox-{ROW}@firma.example>"
    with pytest.raises(MessageError):
        outbox_message_id(ROW, "bad domain>")
