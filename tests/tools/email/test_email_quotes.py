"""Quoted history and signatures are stripped in English and German; the new text stays."""

from __future__ import annotations

import pytest

from tools.email.html_text import html_to_text
from tools.email.quotes import split_reply, strip_quoted

CASES = [
    pytest.param(
        "Ja, gerne. Passt Dienstag um 10 Uhr?\n\n"
        "Am Mo., 2. März 2026 um 09:30 Uhr schrieb Jürgen Weiß <juergen@firma.example>:\n"
        "> Guten Tag Frau Müller,\n> hätten Sie Interesse?\n",
        "Ja, gerne. Passt Dienstag um 10 Uhr?",
        id="gmail-de",
    ),
    pytest.param(
        "Sounds good, let's talk Thursday.\n\n"
        "On Mon, Mar 2, 2026 at 9:30 AM Jürgen Weiß <juergen@firma.example>\nwrote:\n"
        "> Hi Erika,\n> would you be interested?\n",
        "Sounds good, let's talk Thursday.",
        id="gmail-en-wrapped-attribution",
    ),
    pytest.param(
        "Bitte nehmen Sie mich aus dem Verteiler.\n\n"
        "-----Ursprüngliche Nachricht-----\nVon: Jürgen Weiß <juergen@firma.example>\n"
        "Gesendet: Montag, 2. März 2026 09:30\nAn: Erika Müller\nBetreff: Kurze Frage\n\nGuten Tag …\n",
        "Bitte nehmen Sie mich aus dem Verteiler.",
        id="outlook-de-separator",
    ),
    pytest.param(
        "Not interested, thanks.\n\n-----Original Message-----\nFrom: Jürgen\nSent: Monday\n\nHello …\n",
        "Not interested, thanks.",
        id="outlook-en-separator",
    ),
    pytest.param(
        "Kein Bedarf.\n\n________________________________\nVon: Jürgen Weiß <juergen@firma.example>\n"
        "Gesendet: Montag, 2. März 2026 09:30\nAn: Erika\nBetreff: Angebot\n\nHätten Sie Interesse?\n",
        "Kein Bedarf.",
        id="outlook-de-underscores",
    ),
    pytest.param(
        "Rufen Sie mich gern an.\n\nVon: Jürgen Weiß <juergen@firma.example>\n"
        "Gesendet: Montag, 2. März 2026 09:30\nAn: Erika Müller <erika@kunde.example>\n"
        "Betreff: Kurze Frage\n\nKein Interesse? Dann …\n",
        "Rufen Sie mich gern an.",
        id="outlook-de-header-block",
    ),
    pytest.param(
        "Call me next week.\n\n*From:* Jürgen <juergen@firma.example>\n*Sent:* Monday, March 2, 2026\n"
        "*To:* Erika\n*Subject:* Quick question\n",
        "Call me next week.",
        id="outlook-en-bold-header-block",
    ),
    pytest.param(
        "Passt.\nVon: Jürgen Weiß Gesendet: Montag, 2. März 2026 An: Erika Betreff: Angebot\nalt",
        "Passt.",
        id="outlook-one-line-header",
    ),
    pytest.param(
        "Interessant!\n\nAm 02.03.2026 um 09:30 schrieb Jürgen Weiß:\n> Guten Tag\n",
        "Interessant!",
        id="thunderbird-apple-de",
    ),
    pytest.param(
        "Yes please.\n\nOn 3/2/26 9:30 AM, Jürgen wrote:\n> Hello\n",
        "Yes please.",
        id="thunderbird-en",
    ),
    pytest.param(
        "> Hätten Sie Interesse an einer Demo?\nJa.\n> Wann passt es Ihnen?\nMontag ab 14 Uhr.\n",
        "Ja.\nMontag ab 14 Uhr.",
        id="inline-answers",
    ),
    pytest.param(
        "Ja, gerne.\n\nMit freundlichen Grüßen\nErika Müller\nEinkauf | Kunde GmbH\nTel. +49 30 1234567\n"
        "Sitz: Berlin, Amtsgericht Charlottenburg HRB 12345\n",
        "Ja, gerne.",
        id="mfg-signature-block",
    ),
    pytest.param(
        "Ja, gerne.\n\nViele Grüße aus Berlin\nErika\n",
        "Ja, gerne.",
        id="viele-gruesse-aus",
    ),
    pytest.param("Passt!\n\nBeste Grüsse\nErika\n", "Passt!", id="swiss-ss"),
    pytest.param("Works for me.\n\nBest regards,\nErika Miller\nHead of Purchasing\n", "Works for me.",
                 id="best-regards"),
    pytest.param("Works for me.\n\nKind regards, Erika\n", "Works for me.", id="kind-regards-inline-name"),
    pytest.param("Sounds good.\nThanks, Erika", "Sounds good.", id="thanks-with-name"),
    pytest.param("Thanks!\nI'd like a call next week.\n\nCheers\nErika", "Thanks!\nI'd like a call next week.",
                 id="thanks-is-content-cheers-is-closing"),
    pytest.param("Danke!\nBitte rufen Sie mich an.", "Danke!\nBitte rufen Sie mich an.",
                 id="danke-followed-by-content"),
    pytest.param("Danke für die Info, melde mich.", "Danke für die Info, melde mich.", id="danke-sentence"),
    pytest.param("Danke!", "Danke!", id="closing-alone-is-the-reply"),
    pytest.param("Mit freundlichen Grüßen\nErika Müller", "Mit freundlichen Grüßen", id="only-closing"),
    pytest.param("Bitte austragen.\n\nVon meinem iPhone gesendet", "Bitte austragen.", id="iphone-de"),
    pytest.param("Unsubscribe me.\n\nSent from my iPhone\n\nOn Mar 2, 2026, at 09:30, J <j@f.example> wrote:\n> x",
                 "Unsubscribe me.", id="iphone-en"),
    pytest.param("Gern.\n\nGesendet von meinem Samsung Galaxy Smartphone.", "Gern.", id="android-de"),
    pytest.param("Ok.\n\nGet Outlook for iOS", "Ok.", id="outlook-mobile"),
    pytest.param("Klingt gut.\n-- \nErika Müller\nKunde GmbH", "Klingt gut.", id="dash-dash-space"),
    pytest.param(
        "Ja.\n\nViele Grüße\nErika\n\nP.S. Schicken Sie mir bitte vorab die Preisliste.",
        "Ja.\n\nP.S. Schicken Sie mir bitte vorab die Preisliste.",
        id="ps-after-signature-is-kept",
    ),
    pytest.param(
        "On your website you wrote: you support SAP. Is that true?",
        "On your website you wrote: you support SAP. Is that true?",
        id="on-wrote-inside-content",
    ),
    pytest.param(
        "Von: 9 bis 17 Uhr sind wir erreichbar.",
        "Von: 9 bis 17 Uhr sind wir erreichbar.",
        id="von-colon-inside-content",
    ),
    pytest.param(
        "Grüße auch an Ihr Team, wir melden uns nächste Woche mit Terminvorschlägen.",
        "Grüße auch an Ihr Team, wir melden uns nächste Woche mit Terminvorschlägen.",
        id="gruesse-sentence-is-content",
    ),
    pytest.param(
        "\n\nAm 02.03.2026 um 09:30 schrieb Jürgen Weiß <j@firma.example>:\n> Interesse?\n",
        "",
        id="empty-reply-above-quote",
    ),
    pytest.param(
        "Gerne\r\n\r\nAm 02.03.2026 um 09:30 schrieb J <j@firma.example>:\r\n> x\r\n", "Gerne", id="crlf"
    ),
    pytest.param(
        "Oui, avec plaisir.\n\nLe lun. 2 mars 2026 à 09:30, Jürgen <j@firma.example> a écrit :\n> Bonjour",
        "Oui, avec plaisir.",
        id="french-attribution",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_strip_quoted(text: str, expected: str) -> None:
    assert strip_quoted(text) == expected


def test_parts_keep_what_was_removed() -> None:
    parts = split_reply(
        "Ja.\n\nMit freundlichen Grüßen\nErika\n\nAm 02.03.2026 um 09:30 schrieb J <j@firma.example>:\n> alt"
    )
    assert parts.reply == "Ja."
    assert parts.signature == "Mit freundlichen Grüßen\nErika"
    assert parts.quoted.startswith("Am 02.03.2026") and parts.quoted.endswith("> alt")


def test_quoted_unsubscribe_footer_does_not_leak_into_reply() -> None:
    text = "Danke, melde mich.\n\nOn Mon, Mar 2, 2026 at 9:30 AM J <j@f.example> wrote:\n> Abmelden: https://x/u\n"
    assert "Abmelden" not in strip_quoted(text)


def test_html_only_reply_is_converted_and_stripped() -> None:
    html = (
        "<html><body><div dir='ltr'>Ja, gerne n&auml;chste Woche.</div><br>"
        "<div class='gmail_quote'><div class='gmail_attr'>Am Mo., 2. März 2026 um 09:30 Uhr schrieb "
        "J &lt;j@firma.example&gt;:<br></div><blockquote>Hätten Sie Interesse?</blockquote></div>"
        "</body></html>"
    )
    text = html_to_text(html)
    assert "> Hätten Sie Interesse?" in text
    assert strip_quoted(text) == "Ja, gerne nächste Woche."


def test_outlook_html_reply() -> None:
    html = (
        "<p>Kein Interesse, danke.</p><div id='appendonsend'></div><hr>"
        "<div id='divRplyFwdMsg'><b>Von:</b> Jürgen Weiß &lt;j@firma.example&gt;<br>"
        "<b>Gesendet:</b> Montag, 2. März 2026 09:30<br><b>An:</b> Erika<br><b>Betreff:</b> Angebot</div>"
        "<div><p>Guten Tag …</p></div><script>alert(1)</script><style>p{color:red}</style>"
    )
    text = html_to_text(html)
    assert "alert" not in text and "color" not in text
    assert strip_quoted(text) == "Kein Interesse, danke."
