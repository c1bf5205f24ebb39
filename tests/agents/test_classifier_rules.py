"""Stage 1: every header and structure rule, and that rules never contradict the labelled data."""

from __future__ import annotations

import pytest

from agents.classifier_rules import apply_rules, bounce_details, bounce_kind_for_status
from agents.reply_types import ReplyInput, ReplyLabel
from evals.datasets.schema import load_replies


def dsn(action: str, status: str, *, report_type: str = "delivery-status") -> str:
    """A multipart/report delivery status notification as Postfix writes it."""
    return (
        "From: MAILER-DAEMON@mail.firma.example (Mail Delivery System)\n"
        "To: erika@firma.example\nSubject: Undelivered Mail Returned to Sender\n"
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type={report_type};\n\tboundary="B1"\n\n'
        "--B1\nContent-Type: text/plain\n\n"
        "I'm sorry to have to inform you that your message could not be delivered.\n\n"
        "--B1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.firma.example\n\n"
        f"Final-Recipient: rfc822; anna@kunde.example\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} no\n\n"
        "--B1\nContent-Type: text/rfc822-headers\n\nFrom: erika@firma.example\nTo: anna@kunde.example\n\n--B1--\n"
    )


def mail(
    body: str, *, subject: str = "Re: Angebot", sender: str = "Anna <anna@kunde.example>", **headers: str
) -> ReplyInput:
    return ReplyInput.build(subject=subject, body=body, headers={"From": sender, **headers})


def from_raw(raw: str) -> ReplyInput:
    head, _, body = raw.partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line and not line.startswith("\t"))
    return ReplyInput.build(subject=headers["Subject"], body=body, headers=headers, raw=raw)


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("failed", "5.1.1", "hard"),
        ("failed", "5.7.1", "hard"),
        ("failed", "5.2.2", "soft"),
        ("failed", "4.2.2", "soft"),
        ("delayed", "4.4.7", "soft"),
    ],
)
def test_delivery_status_reports_are_bounces_with_kind(action: str, status: str, kind: str) -> None:
    verdict = apply_rules(from_raw(dsn(action, status)))
    assert verdict is not None and verdict.label is ReplyLabel.bounce and verdict.automatic
    assert verdict.bounce is not None
    assert (verdict.bounce.kind, verdict.bounce.status, verdict.bounce.recipient) == (
        kind,
        status,
        "anna@kunde.example",
    )


def test_delivery_receipt_and_read_receipt_are_auto_replies() -> None:
    delivered = apply_rules(from_raw(dsn("delivered", "2.0.0")))
    assert delivered is not None and delivered.label is ReplyLabel.auto_reply
    read = apply_rules(from_raw(dsn("delivered", "2.0.0", report_type="disposition-notification")))
    assert read is not None and read.label is ReplyLabel.auto_reply and "read receipt" in read.reasons[0]


def test_report_content_type_header_without_raw_uses_the_text() -> None:
    reply = mail(
        "Delivery to the following recipient failed permanently: anna@kunde.example 550 5.1.1 user unknown",
        subject="Delivery Status Notification (Failure)",
        sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        **{"Content-Type": "multipart/report; report-type=delivery-status; boundary=x"},
    )
    verdict = apply_rules(reply)
    assert verdict is not None and verdict.label is ReplyLabel.bounce
    assert verdict.bounce is not None and verdict.bounce.kind == "hard"


@pytest.mark.parametrize(
    ("sender", "subject", "body", "headers", "kind"),
    [
        (
            "Mail Delivery System <Mailer-Daemon@host.example>",
            "Mail delivery failed: returning message to sender",
            "This is a permanent error. The following address(es) failed:\n"
            "  anna@kunde.example\n    550 5.1.1 User unknown",
            {"X-Failed-Recipients": "anna@kunde.example"},
            "hard",
        ),
        (
            "MAILER-DAEMON@mail.firma.example",
            "failure notice",
            "Hi. This is the qmail-send program. I'm afraid I wasn't able to deliver your message.\n"
            "Remote host said: 550 5.1.1 <anna@kunde.example>: Recipient address rejected",
            {},
            "hard",
        ),
        (
            "Mail Delivery System <Mailer-Daemon@host.example>",
            "Warning: message 1abc delayed 24 hours",
            "has not yet been delivered to one or more of its recipients\n"
            "  anna@kunde.example\n    452 4.2.2 Mailbox full",
            {"X-Failed-Recipients": "anna@kunde.example"},
            "soft",
        ),
        (
            "postmaster@kunde.example",
            "Unzustellbar: Angebot",
            "Die Nachricht konnte nicht übermittelt werden. Remoteserver hat '550 5.1.10 RESOLVER' zurückgegeben.",
            {"X-MS-Exchange-Message-Is-Ndr": ""},
            "hard",
        ),
    ],
)
def test_mailer_daemon_notices_without_a_report(
    sender: str, subject: str, body: str, headers: dict[str, str], kind: str
) -> None:
    verdict = apply_rules(mail(body, subject=subject, sender=sender, **headers))
    assert verdict is not None and verdict.label is ReplyLabel.bounce
    assert bounce_details(mail(body, subject=subject, sender=sender, **headers)).kind == kind


def test_a_person_quoting_a_bounce_is_not_a_bounce() -> None:
    reply = mail("Your last mail could not be delivered to my colleague, try again please.")
    verdict = apply_rules(reply)
    assert verdict is None or verdict.label is not ReplyLabel.bounce


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "true"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "auto_reply"},
    ],
)
def test_automatic_headers_mark_mail_automatic(headers: dict[str, str]) -> None:
    verdict = apply_rules(mail("Vielen Dank für Ihre Nachricht.", **headers))
    assert verdict is not None and verdict.automatic and verdict.label is None  # the model picks OOO vs auto-reply


@pytest.mark.parametrize("headers", [{"Auto-Submitted": "no"}, {"Precedence": "list"}, {}])
def test_human_headers_are_not_automatic(headers: dict[str, str]) -> None:
    assert apply_rules(mail("Gern, rufen Sie mich an.", **headers)) is None


@pytest.mark.parametrize(
    "subject",
    ["Abwesenheitsnotiz: Angebot", "Out of Office: Your offer", "Abwesend: Angebot", "Abwesenheit", "Out of office"],
)
def test_out_of_office_subjects(subject: str) -> None:
    verdict = apply_rules(mail("Ich bin nicht im Büro.", subject=subject))
    assert verdict is not None and verdict.label is ReplyLabel.out_of_office and verdict.automatic


@pytest.mark.parametrize("subject", ["Automatische Antwort: Angebot", "Automatic reply: Offer", "Autoreply: x"])
def test_automatic_reply_subjects_leave_the_kind_open(subject: str) -> None:
    verdict = apply_rules(mail("Danke für Ihre Nachricht.", subject=subject))
    assert verdict is not None and verdict.automatic and verdict.label is None


def test_ticket_acknowledgement_with_automatic_header() -> None:
    verdict = apply_rules(
        mail(
            "Ihr Ticket wurde erstellt.",
            subject="[Ticket#2025031110000123] Eingangsbestätigung",
            **{"Auto-Submitted": "auto-generated"},
        )
    )
    assert verdict is not None and verdict.label is ReplyLabel.auto_reply


@pytest.mark.parametrize(
    "text",
    [
        "Ich widerspreche der Verarbeitung meiner Daten gemäß Art. 21 DSGVO.",
        "Bitte austragen.",
        "Please remove me from your mailing list.",
        "unsubscribe",
        "STOP",
        "Keine weiteren E-Mails bitte.",
        "I object to the processing of my personal data.",
    ],
)
def test_opt_out_wording_is_an_unsubscribe(text: str) -> None:
    verdict = apply_rules(mail(text))
    assert verdict is not None and verdict.label is ReplyLabel.unsubscribe and not verdict.automatic


def test_opt_out_wording_in_quotes_or_automatic_mail_does_not_count() -> None:
    quoted = mail(
        "Gern, rufen Sie mich an.\n\nAm 3. März 2025 um 10:00 schrieb Erika <e@firma.example>:\n"
        "> Abmelden: antworten Sie mit STOP"
    )
    assert apply_rules(quoted) is None
    automatic = apply_rules(
        mail("To unsubscribe from our newsletter click here.", **{"Auto-Submitted": "auto-generated"})
    )
    assert automatic is not None and automatic.label is None


def test_status_classes() -> None:
    assert [bounce_kind_for_status(s) for s in ("5.1.1", "5.2.2", "4.7.1", "5.4.4")] == ["hard", "soft", "soft", "hard"]


def test_rules_never_contradict_the_labelled_dataset() -> None:
    decided = 0
    for row in load_replies():
        verdict = apply_rules(row.to_input())
        if verdict is not None and verdict.label is not None:
            decided += 1
            assert verdict.label is row.label, row.id
            if row.label is ReplyLabel.bounce:
                assert verdict.bounce is not None and verdict.bounce.kind == row.fields.bounce_kind, row.id
    assert decided >= 130  # bounces, read/delivery receipts, OOO subjects, opt-outs
