"""The template strategy: grammatical German with a verbatim dated headline, neutral fallback, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agents.campaign import CampaignSpec, StepTemplate
from agents.nodes.writer import draft_email
from agents.profile import CompanyProfile, Fact, NewsItem
from agents.testing import ScriptedLLM
from agents.writer_template import TemplateStrategy, format_date, personalisations
from agents.writer_types import DraftRequest, Recipient, WriterConfigError

EXPECTED_GERMAN_MESSAGE = (
    "Sehr geehrte Frau Schmidt,\n\n"
    "in Ihren Neuigkeiten vom 12.03.2024 habe ich die Meldung „Müller Maschinenbau eröffnet neue Montagehalle "
    "in Stuttgart“ gelesen.\n\n"
    "Ich schreibe Ihnen, weil viele Maschinenbauer ihre Kundenkontakte noch in Listen pflegen. Wir bei Muster "
    "Software GmbH haben dafür ein Cloud-CRM für den Mittelstand entwickelt. Ihr Vertrieb sieht alle "
    "Kundenkontakte, Angebote und Wartungsverträge an einem Ort und spart sich das Pflegen von Excel-Listen.\n\n"
    "Hätten Sie in der kommenden Woche 15 Minuten für ein kurzes Gespräch?\n\n"
    "Mit freundlichen Grüßen\nErika Mustermann\n"
)


async def test_german_template_quotes_the_headline_verbatim_with_its_date(
    request_de: DraftRequest, news_fact: Fact
) -> None:
    local = ScriptedLLM([], model_name="local/SmolLM2-135M-Instruct")
    result = await draft_email(request_de, llm=local)
    local.assert_complete()
    assert local.calls == []
    assert result.body.startswith(EXPECTED_GERMAN_MESSAGE)
    assert result.subject == "Ihr Vertrieb bei Müller Maschinenbau GmbH"
    assert result.strategy == "template" and result.prompt_id == "template"
    assert len(result.prompt_version) == 12 and result.language == "de"
    assert [c.fact_id for c in result.claims] == [news_fact.id]
    assert result.claims[0].text == "„Müller Maschinenbau eröffnet neue Montagehalle in Stuttgart“ (2024-03-12)"
    assert not result.flagged and result.repair_rounds == 0
    assert all(g.passed for g in result.guardrails), [g for g in result.guardrails if not g.passed]


async def test_template_version_follows_the_template_text(request_de: DraftRequest) -> None:
    first = await draft_email(request_de)
    changed = request_de.model_copy(deep=True)
    changed.spec.sequence[0].templates["de"] = StepTemplate(
        subject="Frage zu {company}", body=changed.spec.sequence[0].templates["de"].body + "\nDanke."
    )
    second = await draft_email(changed)
    assert first.prompt_version != second.prompt_version
    assert (await draft_email(request_de)).prompt_version == first.prompt_version


@pytest.mark.parametrize(
    ("salutation", "last_name", "greeting"),
    [("Herr", "Weber", "Sehr geehrter Herr Weber,"), (None, "Weber", "Guten Tag Jonas Weber,")],
)
async def test_salutation_follows_the_contact(
    request_de: DraftRequest, salutation: str | None, last_name: str, greeting: str
) -> None:
    recipient = Recipient(first_name="Jonas", last_name=last_name, salutation=salutation)
    result = await draft_email(request_de.model_copy(update={"recipient": recipient}))
    assert result.body.startswith(greeting + "\n\nin Ihren Neuigkeiten")
    assert not result.flagged


async def test_a_failing_personalisation_is_dropped_for_the_neutral_variant(
    request_de: DraftRequest,
) -> None:
    profile = CompanyProfile(
        domain="mueller-maschinenbau.example",
        name="Müller Maschinenbau GmbH",
        facts=[
            Fact(
                kind="news",
                text="2024-04-01: Großes Gewinnspiel zum Firmenjubiläum",
                source_url="https://mueller-maschinenbau.example/news",
            )
        ],
    )
    result = await draft_email(request_de.model_copy(update={"profile": profile}))
    assert result.attempts[0].failures[0].startswith("spam_phrases:")
    assert "Gewinnspiel" in result.attempts[0].body
    assert result.repair_rounds == 1 and not result.flagged
    assert result.claims == [] and "Gewinnspiel" not in result.body
    assert result.body.startswith("Sehr geehrte Frau Schmidt,\n\nich schreibe Ihnen, weil")


async def test_a_template_that_keeps_failing_is_flagged(request_de: DraftRequest) -> None:
    spam = request_de.model_copy(deep=True)
    spam.spec.sequence[0].templates["de"] = StepTemplate(
        subject="Angebot für {company}",
        body="{personalization}\n\nUnser Erstgespräch ist garantiert kostenlos. {value_proposition}\n\n"
        "{call_to_action}",
    )
    result = await draft_email(spam)
    assert result.flagged and result.repair_rounds == 1  # the neutral variant is the only repair
    assert any(r.startswith("spam_phrases:") for r in result.flagged_reasons)
    no_facts = spam.model_copy(update={"profile": CompanyProfile(domain="x.example", name="X GmbH")})
    unrepairable = await draft_email(no_facts)
    assert unrepairable.flagged and unrepairable.repair_rounds == 0


async def test_placeholders_unknown_to_the_writer_are_a_campaign_error(request_de: DraftRequest) -> None:
    broken = request_de.model_copy(deep=True)
    broken.spec.sequence[0].templates["de"] = StepTemplate(subject="Hallo {firma}", body="{personalization}")
    with pytest.raises(WriterConfigError, match=r"sequence step 1 template 'de': unknown placeholder \{firma\}"):
        await draft_email(broken)


async def test_a_known_placeholder_without_a_value_is_left_for_the_guardrail(request_de: DraftRequest) -> None:
    named = request_de.model_copy(deep=True)
    named.spec.sequence[0].templates["de"] = StepTemplate(
        subject="Frage an {first_name}", body=named.spec.sequence[0].templates["de"].body
    )
    unnamed = named.model_copy(update={"recipient": Recipient(salutation="Frau")})
    result = await draft_email(unnamed)
    assert result.flagged and result.subject == "Frage an {first_name}"
    assert any(r.startswith("placeholders:") for r in result.flagged_reasons)
    assert result.body.startswith("Guten Tag,\n\n")


async def test_follow_up_template_refers_to_the_first_mail_without_repeating_it(
    request_de: DraftRequest, follow_up_de: Callable[..., DraftRequest]
) -> None:
    first = await draft_email(request_de)
    second = await draft_email(follow_up_de(first.subject, first.body))
    assert second.subject == f"Re: {first.subject}"
    assert "vor einigen Tagen schrieb ich Ihnen zu „Ihr Vertrieb bei Müller Maschinenbau GmbH“." in second.body
    assert "Montagehalle" not in second.body and second.claims == []
    assert not second.flagged, second.flagged_reasons
    # step 3 has no template: the built-in follow-up is used, and it does not repeat step 1 either
    third_request = follow_up_de(first.subject, first.body, step=3)
    third = await draft_email(third_request)
    assert not third.flagged, third.flagged_reasons
    assert third.body.startswith("Sehr geehrte Frau Schmidt,\n\nvor einigen Tagen schrieb ich Ihnen zu")
    assert third.prompt_version != second.prompt_version


async def test_english_template_with_first_name_and_english_date(
    spec_en: CampaignSpec, profile_en: CompanyProfile
) -> None:
    request = DraftRequest(spec=spec_en, recipient=Recipient(first_name="Tom", last_name="Baker"), profile=profile_en)
    result = await draft_email(request)
    assert result.language == "en" and "website language is en" in result.strategy_reason
    assert result.body.startswith(
        "Hi Tom,\n\nI read your news from 2 May 2024: “Northwind Robotics opens a second plant in Leeds”.\n\n"
        "I am writing because"
    )
    assert "\n\nBest regards\nErika Mustermann\nHead of Sales\n" in result.body
    assert not result.flagged, result.flagged_reasons


def test_personalisation_falls_back_to_description_and_product(profile_de: CompanyProfile) -> None:
    no_news = profile_de.model_copy(update={"news": [], "facts": [f for f in profile_de.facts if f.kind != "news"]})
    options = personalisations(no_news, "de")
    assert options[0].sentence == (
        "Auf Ihrer Website schreiben Sie: „Wir bauen Sondermaschinen für die Automobilindustrie.“"
    )
    product = Fact(kind="product", text="Roboterzellen für die Montage", source_url="https://x.example/produkte")
    with_product = no_news.model_copy(update={"facts": [product]})
    assert personalisations(with_product, "de")[0].sentence == (
        "Auf Ihrer Website stellen Sie „Roboterzellen für die Montage“ vor."
    )
    # a German fact is not quoted in an English mail; an English one is
    assert personalisations(with_product, "en") == []
    english = Fact(kind="product", text="Robot cells for the assembly line", source_url="https://x.example/en")
    assert personalisations(with_product.model_copy(update={"facts": [english]}), "en")[0].sentence == (
        "On your website you present “Robot cells for the assembly line”."
    )


def test_newest_news_first_and_uncited_news_items_skipped(profile_de: CompanyProfile) -> None:
    older = Fact(kind="news", text="05.01.2023 – Neuer Standort in Ulm", source_url="https://x.example/news")
    uncited = NewsItem(title="Eine Meldung ohne Fakt", date="2025-01-01", source_url="https://x.example/news")
    profile = profile_de.model_copy(update={"facts": [older, *profile_de.facts], "news": [*profile_de.news, uncited]})
    titles = [p.sentence for p in personalisations(profile, "de") if "Meldung" in p.sentence]
    assert "Montagehalle" in titles[0] and "Ulm" in titles[1]
    assert all("ohne Fakt" not in t for t in titles)
    assert "vom 05.01.2023" in titles[1]


def test_format_date() -> None:
    assert format_date("2024-03-12", "de") == "12.03.2024"
    assert format_date("2024-03-12T08:00:00Z", "en") == "12 March 2024"
    assert format_date("12. März 2024", "de") == "12. März 2024"
    assert format_date("2024-02-31", "de") == "2024-02-31"


async def test_repair_stops_once_the_neutral_variant_was_tried(request_de: DraftRequest) -> None:
    strategy = TemplateStrategy(request_de, language="de")
    first = await strategy.draft()
    assert first is not None and first.claims
    neutral = await strategy.draft(first, ["x"])
    assert neutral is not None and neutral.claims == []
    assert await strategy.draft(neutral, ["x"]) is None
