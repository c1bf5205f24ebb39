"""Field extraction in English and German: dates resolve to ISO dates relative to a given day."""

from __future__ import annotations

from datetime import date

import pytest

from agents.reply_dates import find_dates
from agents.reply_fields import extract_fields, later_date, meeting_time, return_date
from agents.reply_types import ReplyInput, ReplyLabel

# Wednesday 2025-03-12 unless a case says otherwise.
WED = date(2025, 3, 12)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("Ich bin bis einschließlich 15.01.2027 nicht im Büro.", date(2027, 1, 4), date(2027, 1, 16)),
        ("Ich bin ab dem 3. Februar wieder erreichbar.", date(2025, 1, 27), date(2025, 2, 3)),
        ("Ich bin bis 20.3. im Urlaub.", WED, date(2025, 3, 21)),
        (
            "Vom 17. bis 21. März bin ich auf der Hannover Messe, ab Montag, 24.3., wieder im Büro.",
            WED,
            date(2025, 3, 24),
        ),
        ("Ich bin bis Ende März in Elternzeit.", WED, date(2025, 4, 1)),
        ("Ab KW 14 bin ich wieder da.", WED, date(2025, 3, 31)),
        ("Ich bin bis zum 2. Jänner auf Urlaub.", date(2025, 12, 20), date(2026, 1, 3)),
        ("I'm away until Friday and back in the office on Monday.", WED, date(2025, 3, 17)),
        ("I am out of the office until 14 March inclusive.", WED, date(2025, 3, 15)),
        ("I'll be back on March 20th, 2025.", WED, date(2025, 3, 20)),
        ("I'm on a sabbatical for the next three months.", WED, date(2025, 6, 12)),
        ("I am on leave until the end of April.", WED, date(2025, 5, 1)),
        ("Back tomorrow!", WED, date(2025, 3, 13)),
    ],
)
def test_out_of_office_return_date(text: str, today: date, expected: date) -> None:
    assert return_date(text, today) == expected


def test_out_of_office_without_a_date_has_none() -> None:
    assert return_date("Ich bin derzeit nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.", WED) is None


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("Melden Sie sich bitte im vierten Quartal wieder.", WED, date(2025, 10, 1)),
        ("Bitte kommen Sie im Herbst noch einmal auf uns zu.", WED, date(2025, 9, 1)),
        ("Schreiben Sie mir in vier Wochen nochmal.", WED, date(2025, 4, 9)),
        ("Gerne nach der Sommerpause wieder.", WED, date(2025, 9, 1)),
        ("Unser Vertrag läuft bis Ende 2025. Danach gern.", WED, date(2026, 1, 1)),
        ("Bitte erst Mitte Mai nachfragen.", WED, date(2025, 5, 15)),
        ("Try me again in Q2 2026.", WED, date(2026, 4, 1)),
        ("We're busy until the end of June. Reach out in July.", WED, date(2025, 7, 1)),
        ("Ping me after Easter, say in April.", WED, date(2025, 4, 1)),
        ("Could you follow up in 10 days?", WED, date(2025, 3, 22)),
        ("Let's talk after the trade fair in May.", WED, date(2025, 6, 1)),
        ("Not before next year, please.", WED, date(2026, 1, 1)),
    ],
)
def test_not_now_later_date(text: str, today: date, expected: date) -> None:
    assert later_date(text, today) == expected


def test_not_now_without_a_date_has_none() -> None:
    assert later_date("Im Moment leider nicht, vielleicht später einmal.", WED) is None
    assert later_date("Maybe in a few weeks.", WED) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Passt Ihnen Freitag um 10:30 Uhr?", "2025-03-14T10:30"),
        ("Wie wäre es mit dem 19.03. um 14 Uhr?", "2025-03-19T14:00"),
        ("Rufen Sie mich morgen früh an.", "2025-03-13"),
        ("How about Tuesday 18 March at 3pm?", "2025-03-18T15:00"),
        ("I'm free next Monday at 9:00.", "2025-03-17T09:00"),
        ("Nächste Woche Mittwoch um 11 Uhr passt mir.", "2025-03-19T11:00"),
    ],
)
def test_meeting_time(text: str, expected: str) -> None:
    assert meeting_time(text, WED) == expected


def test_meeting_alternatives_and_recurring_days_propose_nothing() -> None:
    assert meeting_time("Montag oder Dienstag nachmittag ginge.", WED) is None
    assert meeting_time("We meet every Thursday, happy to join any time.", WED) is None
    assert meeting_time("Guten Morgen, gern telefonieren wir.", WED) is None


def test_dates_inside_status_codes_and_versions_are_not_dates() -> None:
    assert find_dates("Status: 5.1.1, Outlook 16.0.1, Error 4.2.2", today=WED) == []


def test_referral_fields_from_text_and_cc() -> None:
    reply = ReplyInput.build(
        subject="AW: Angebot",
        body="Guten Tag Frau Mustermann,\n\nzuständig ist meine Kollegin Frau Dr. Ines Wallner, ich habe sie in CC.\n\n"
        "Mit freundlichen Grüßen\nKarl Roth",
        headers={
            "From": "Karl Roth <karl.roth@roth-bau.example>",
            "To": "Erika Mustermann <erika@muster.example>",
            "Cc": "Ines Wallner <i.wallner@roth-bau.example>",
        },
    )
    fields = extract_fields(ReplyLabel.referral, reply, today=WED)
    assert fields.referred_email == "i.wallner@roth-bau.example"
    assert fields.referred_name == "Ines Wallner"


def test_referral_never_returns_the_sender_or_our_rep() -> None:
    reply = ReplyInput.build(
        subject="Re: CRM",
        body="Hi Erika, not me - please speak to Priya Natarajan (priya.n@acme.example). Thanks, Tom Hale",
        headers={"From": "Tom Hale <tom.hale@acme.example>", "To": "Erika Mustermann <erika@muster.example>"},
    )
    fields = extract_fields(ReplyLabel.referral, reply, today=WED)
    assert (fields.referred_email, fields.referred_name) == ("priya.n@acme.example", "Priya Natarajan")


def test_referral_without_address_keeps_the_name() -> None:
    reply = ReplyInput.build(
        subject="AW: x",
        body="Da sind Sie bei mir falsch, wenden Sie sich bitte an Herrn Oberhuber aus dem Einkauf.",
        headers={"From": "Eva Maier <eva@maier.example>", "To": "Erika <erika@muster.example>"},
    )
    fields = extract_fields(ReplyLabel.referral, reply, today=WED)
    assert fields.referred_email is None and fields.referred_name == "Oberhuber"


def test_fields_depend_on_the_label() -> None:
    reply = ReplyInput.build(subject="Re: x", body="Ich bin bis 20.3. im Urlaub.", headers={"From": "a@b.example"})
    assert extract_fields(ReplyLabel.out_of_office, reply, today=WED).return_date == date(2025, 3, 21)
    assert extract_fields(ReplyLabel.not_interested, reply, today=WED).present() == {}
