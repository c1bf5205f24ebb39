"""Each deterministic guardrail, passing and failing, on composed German and English mails."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agents.campaign import CampaignSpec
from agents.footer import legal_footer, sign_off
from agents.guardrails import GuardrailContext, check_draft, failures
from agents.language import salutation_line
from agents.profile import CompanyProfile, Fact
from agents.writer_compose import compose_body, message_text
from agents.writer_types import Claim, GuardrailResult, Language, PreviousMail, Recipient

GOOD_DE = (
    "In Ihren Neuigkeiten vom 12.03.2024 habe ich gelesen, dass Müller Maschinenbau eine neue Montagehalle "
    "in Stuttgart eröffnet. Mit mehr Maschinen beim Kunden wächst auch der Aufwand im Vertrieb.\n\n"
    "Unser Cloud-CRM für den Mittelstand zeigt Ihrem Vertrieb alle Kundenkontakte, Angebote und "
    "Wartungsverträge an einem Ort.\n\n"
    "Hätten Sie in der kommenden Woche 15 Minuten für ein kurzes Gespräch?"
)
GOOD_CLAIM_TEXT = "neue Montagehalle in Stuttgart"

Judge = Callable[..., dict[str, GuardrailResult]]


def context(
    spec: CampaignSpec,
    profile: CompanyProfile,
    recipient: Recipient,
    *,
    language: Language = "de",
    step: int = 1,
    previous: tuple[PreviousMail, ...] = (),
) -> GuardrailContext:
    return GuardrailContext(
        spec=spec,
        language=language,
        step=step,
        recipient=recipient,
        profile=profile,
        salutation=salutation_line(language, recipient, style=spec.writer.salutation, tone=spec.tone),
        sign_off=sign_off(spec, language),
        footer=legal_footer(spec, language),
        previous=previous,
    )


@pytest.fixture
def judge(spec_de: CampaignSpec, profile_de: CompanyProfile, anna: Recipient, news_fact: Fact) -> Judge:
    """Compose ``text`` into a full German mail and run every check; results by name."""

    def run(
        text: str = GOOD_DE,
        *,
        subject: str = "Ihre neue Montagehalle in Stuttgart",
        claims: list[Claim] | None = None,
        step: int = 1,
        previous: tuple[PreviousMail, ...] = (),
        body: str | None = None,
    ) -> dict[str, GuardrailResult]:
        ctx = context(spec_de, profile_de, anna, step=step, previous=previous)
        full = body if body is not None else compose_body(
            text, salutation=ctx.salutation, sign_off=ctx.sign_off, footer=ctx.footer, language="de"
        )
        good = [Claim(text=GOOD_CLAIM_TEXT, fact_id=news_fact.id)]
        results = check_draft(subject, full, good if claims is None else claims, ctx)
        return {r.name: r for r in results}

    return run


def test_a_good_grounded_german_mail_passes_everything(judge: Judge) -> None:
    results = judge()
    assert failures(list(results.values())) == []
    assert all(r.passed for r in results.values()), [r for r in results.values() if not r.passed]


def test_claim_citing_an_unknown_fact_fails(judge: Judge) -> None:
    result = judge(claims=[Claim(text="neue Montagehalle in Stuttgart", fact_id="f_doesnotexist")])
    assert not result["grounded_claims"].passed
    assert "f_doesnotexist" in result["grounded_claims"].message


def test_claim_with_a_number_or_name_not_in_its_fact_fails(judge: Judge, news_fact: Fact, employees_fact: Fact) -> None:
    wrong_city = judge(claims=[Claim(text="neue Montagehalle in München", fact_id=news_fact.id)])
    assert "München" in wrong_city["grounded_claims"].message
    wrong_number = judge(claims=[Claim(text="250 Mitarbeitende", fact_id=employees_fact.id)])
    assert not wrong_number["grounded_claims"].passed and "'250'" in wrong_number["grounded_claims"].message
    unrelated = judge(claims=[Claim(text="Langauge", fact_id=news_fact.id)])
    assert "shares no word" in unrelated["grounded_claims"].message
    right_number = judge(claims=[Claim(text="180 Mitarbeitende am Standort Esslingen", fact_id=employees_fact.id)])
    assert right_number["grounded_claims"].passed
    # a claim the mail never makes is reported, but only as a warning
    assert not right_number["claims_in_body"].passed and right_number["claims_in_body"].severity == "warning"


def test_invented_numbers_names_links_and_quotes_in_the_body_fail(judge: Judge) -> None:
    cases = {
        "Seit 1998 beliefern Sie die Autoindustrie.": "1998",
        "Auch die Bosch GmbH arbeitet mit uns.": "Bosch",
        "Herr Wagner aus Ihrem Einkauf hat mir davon erzählt.": "Wagner",
        "Mehr dazu auf https://evil.example/offer.": "https://evil.example/offer",
        "Sie schreiben: „Wir wachsen jedes Jahr zweistellig“.": "Wir wachsen jedes Jahr zweistellig",
        "Wir arbeiten auch mit SIEMENSAG zusammen.": "SIEMENSAG",
    }
    for sentence, culprit in cases.items():
        result = judge(GOOD_DE + "\n\n" + sentence)["unsupported_specifics"]
        assert not result.passed, sentence
        assert culprit in result.message


def test_specifics_from_facts_campaign_and_contact_pass(judge: Judge) -> None:
    text = GOOD_DE + (
        "\n\nSie bauen Sondermaschinen für die Automobilindustrie, und Maschinenbauer mit 200 Mitarbeitenden "
        "arbeiten mit unserem CRM seit drei Jahren (https://muster-software.example)."
    )
    assert judge(text)["unsupported_specifics"].passed


@pytest.mark.parametrize(
    "snippet", ["{first_name}", "{{ company }}", "[Company]", "<NAME>", "Lorem ipsum", "XXX", "TODO"]
)
def test_placeholders_fail(judge: Judge, snippet: str) -> None:
    result = judge(GOOD_DE + f"\n\nPS: {snippet}")["placeholders"]
    assert not result.passed and result.severity == "error"


def test_length_bounds(judge: Judge) -> None:
    assert "at least 30" in judge("Hätten Sie Zeit für ein Gespräch?")["length"].message
    long_text = GOOD_DE + "\n\n" + " ".join(["Wir helfen Ihrem Vertrieb dabei, Zeit zu sparen."] * 25)
    assert "at most 160" in judge(long_text)["length"].message


def test_subject_length_and_fake_reply_prefixes(judge: Judge) -> None:
    assert "at most 70" in judge(subject="x" * 71)["subject"].message
    assert not judge(subject="")["subject"].passed
    for prefix in ("Re: ", "AW: ", "Fwd: ", "WG: ", "RE:RE: "):
        result = judge(subject=prefix + "Ihre neue Montagehalle")["reply_prefix"]
        assert not result.passed, prefix


def test_reply_prefix_on_a_follow_up_only_for_the_real_thread(judge: Judge) -> None:
    first = PreviousMail(step=1, subject="Ihr Vertrieb bei Müller", body="Sehr geehrte Frau Schmidt,\n\nText.")
    text = "Vor einigen Tagen schrieb ich Ihnen zu unserem CRM. " + GOOD_DE
    ok = judge(text, subject="Re: Ihr Vertrieb bei Müller", step=2, previous=(first,), claims=[])
    assert ok["reply_prefix"].passed
    fake = judge(text, subject="Re: Ihre Bestellung", step=2, previous=(first,), claims=[])
    assert not fake["reply_prefix"].passed


def test_spam_shouting_and_links(judge: Judge) -> None:
    spam = judge(GOOD_DE + "\n\nDas Erstgespräch ist garantiert kostenlos.")["spam_phrases"]
    assert not spam.passed and "garantiert" in spam.message and "kostenlos" in spam.message
    assert not judge(GOOD_DE + "\n\nJetzt ANRUFEN!!!")["shouting"].passed
    links = " ".join(f"https://muster-software.example/{i}" for i in range(3))
    assert "3 links" in judge(GOOD_DE + "\n\n" + links)["links"].message
    # the footer's own links do not count
    assert judge()["links"].message == "0 link(s)"


def test_wrong_language_fails_also_for_one_paragraph(judge: Judge) -> None:
    english = (
        "I read that you are opening a new plant, and we would like to show you how our CRM can help "
        "your sales team with all of their customer contacts."
    )
    assert not judge(english + "\n\n" + english)["language"].passed
    mixed = GOOD_DE + "\n\n" + english
    assert "paragraph" in judge(mixed)["language"].message


def test_informal_german_fails_in_a_formal_campaign(judge: Judge) -> None:
    result = judge(GOOD_DE + "\n\nHast du Lust, dich kurz mit mir auszutauschen?")["formal_address"]
    assert not result.passed and "'du'" in result.message and "'dich'" in result.message


def test_missing_footer_and_wrong_salutation_fail(judge: Judge) -> None:
    bare = f"Sehr geehrter Herr Schmidt,\n\n{GOOD_DE}\n\nMit freundlichen Grüßen\nErika Mustermann\n"
    results = judge(body=bare)
    assert not results["legal_footer"].passed
    assert "Sehr geehrte Frau Schmidt," in results["salutation"].message


def test_follow_up_must_refer_to_and_not_repeat_the_first_mail(judge: Judge) -> None:
    first = PreviousMail(
        step=1,
        subject="Ihre neue Montagehalle",
        body=compose_body(
            GOOD_DE,
            salutation="Sehr geehrte Frau Schmidt,",
            sign_off="x",
            footer="-- \nfooter",
            language="de",
        ),
    )
    new_text = (
        "Ein Punkt, den ich noch ergänzen möchte: Unsere Kunden sehen vor jedem Besuch auf einen Blick, "
        "welche Maschinen beim Kunden laufen und wann die nächste Wartung ansteht. Hätten Sie in der "
        "kommenden Woche 15 Minuten für ein kurzes Gespräch?"
    )
    unreferenced = judge(new_text, subject="Noch ein Gedanke", step=2, previous=(first,), claims=[])
    assert not unreferenced["follow_up_reference"].passed
    referenced = judge(
        "Vor einigen Tagen schrieb ich Ihnen zu Ihrer neuen Montagehalle. " + new_text,
        subject="Noch ein Gedanke",
        step=2,
        previous=(first,),
        claims=[],
    )
    assert referenced["follow_up_reference"].passed and referenced["repetition"].passed
    repeated = judge(
        "Vor einigen Tagen schrieb ich Ihnen. " + GOOD_DE, subject="Noch ein Gedanke", step=2, previous=(first,)
    )
    assert not repeated["repetition"].passed and "repeats" in repeated["repetition"].message


def test_english_names_check_flags_invented_capitalised_words(
    spec_en: CampaignSpec, profile_en: CompanyProfile
) -> None:
    ctx = context(spec_en, profile_en, Recipient(first_name="Tom", last_name="Baker"), language="en")
    text = (
        "I read that Northwind Robotics opens a second plant in Leeds. Congratulations on that step. "
        "Your sales team sees every customer contact, quote and service contract in one place. "
        "Would you have 15 minutes next week for a short call?"
    )
    body = compose_body(text, salutation=ctx.salutation, sign_off=ctx.sign_off, footer=ctx.footer, language="en")
    results = {r.name: r for r in check_draft("Your second plant in Leeds", body, [], ctx)}
    assert results["unsupported_specifics"].passed, results["unsupported_specifics"].message
    assert results["language"].passed
    invented = body.replace("in one place.", "in one place, like at Siemens in Manchester.")
    results = {r.name: r for r in check_draft("Your second plant", invented, [], ctx)}
    assert "Siemens" in results["unsupported_specifics"].message
    assert "Manchester" in results["unsupported_specifics"].message


def test_message_text_strips_greeting_sign_off_and_footer(spec_de: CampaignSpec, anna: Recipient) -> None:
    ctx_salutation = salutation_line("de", anna)
    body = compose_body(
        GOOD_DE, salutation=ctx_salutation, sign_off=sign_off(spec_de, "de"),
        footer=legal_footer(spec_de, "de"), language="de",
    )
    core = message_text(
        body, salutation=ctx_salutation, sign_off=sign_off(spec_de, "de"), footer=legal_footer(spec_de, "de")
    )
    assert core.startswith("in Ihren Neuigkeiten") and core.endswith("kurzes Gespräch?")
    assert "Mustermann" not in core and "Sehr geehrte" not in core
