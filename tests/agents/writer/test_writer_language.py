"""Language choice, salutation, sign-off, legal footer and the stopword detector."""

from __future__ import annotations

import pytest

from agents.campaign import CampaignSpec
from agents.footer import legal_footer, sign_off
from agents.language import choose_language, closing_line, detect_language, gender_of, salutation_line
from agents.profile import CompanyProfile
from agents.writer_types import Recipient


@pytest.mark.parametrize(
    ("salutation", "expected"),
    [
        ("Frau", "Sehr geehrte Frau Schmidt,"),
        ("Herr", "Sehr geehrter Herr Schmidt,"),
        ("Hr.", "Sehr geehrter Herr Schmidt,"),
        ("Ms", "Sehr geehrte Frau Schmidt,"),
        (None, "Guten Tag Anna Schmidt,"),
        ("Divers", "Guten Tag Anna Schmidt,"),
    ],
)
def test_german_formal_salutation(salutation: str | None, expected: str) -> None:
    recipient = Recipient(first_name="Anna", last_name="Schmidt", salutation=salutation)
    assert salutation_line("de", recipient) == expected


def test_salutation_without_any_name_and_other_styles() -> None:
    nobody = Recipient(salutation="Frau")
    assert salutation_line("de", nobody) == "Guten Tag,"
    assert salutation_line("en", nobody) == "Hello,"
    anna = Recipient(first_name="Anna", last_name="Schmidt", salutation="Frau")
    assert salutation_line("de", anna, style="first_name") == "Hallo Anna,"
    assert salutation_line("en", anna, style="first_name") == "Hi Anna,"
    assert salutation_line("de", anna, tone="friendly") == "Guten Tag Frau Schmidt,"
    assert salutation_line("en", anna) == "Dear Ms Schmidt,"
    # first-name style without a first name falls back to the formal greeting
    assert salutation_line("de", Recipient(last_name="Weber", salutation="Herr"), style="first_name") == (
        "Sehr geehrter Herr Weber,"
    )
    assert gender_of("MRS.") == "female" and gender_of("x") == "unknown"


def test_closing_lines() -> None:
    assert closing_line("de") == "Mit freundlichen Grüßen"
    assert closing_line("de", tone="friendly") == "Viele Grüße"
    assert closing_line("en") == "Kind regards"
    assert closing_line("en", style="first_name") == "Best regards"


def _profile(country: str | None = None, language: str | None = None) -> CompanyProfile:
    return CompanyProfile(domain="x.example", country=country, language=language)


def test_language_choice_rules(spec_en: CampaignSpec, spec_de: CampaignSpec) -> None:
    assert spec_en.language == "auto"
    assert choose_language(spec_de, Recipient(language="en"), _profile("GB")).language == "de"  # campaign fixes it
    assert choose_language(spec_en, Recipient(language="de-AT"), _profile("GB", "en")).language == "de"
    assert choose_language(spec_en, Recipient(country="AT"), _profile(None, "en")).language == "de"
    assert choose_language(spec_en, Recipient(), _profile("DE", "en")).language == "de"
    swiss_en = choose_language(spec_en, Recipient(), _profile("CH", "en"))
    assert swiss_en.language == "en" and "website" in swiss_en.reason
    assert choose_language(spec_en, Recipient(), _profile("CH")).language == "de"
    assert choose_language(spec_en, Recipient(), _profile("FR", "fr")).language == "en"


def test_detector_needs_evidence_and_a_majority() -> None:
    german = "Wir haben uns gefreut, dass Sie mit uns über die neue Halle sprechen wollen und wir Ihnen helfen."
    english = "We were glad to hear that you would like to talk with us about the new plant and how we can help."
    assert detect_language(german).language == "de"
    assert detect_language(english).language == "en"
    assert detect_language("Hallo").language is None
    assert detect_language(german + " " + english).language is None


def test_legal_footer_contains_the_full_identity(spec_de: CampaignSpec) -> None:
    footer = legal_footer(spec_de, "de")
    for part in (
        "Muster Software GmbH",
        "Beispielstraße 1, 10115 Berlin",
        "Geschäftsführer: Erika Mustermann, Max Beispiel",
        "Registergericht: Amtsgericht Charlottenburg, HRB 123456 B",
        "USt-IdNr.: DE123456789",
        "Datenschutzhinweise: https://muster-software.example/datenschutz",
        "Abmelden",
    ):
        assert part in footer
    assert footer.startswith("-- \n")
    english = legal_footer(spec_de, "en")
    assert "Managing directors: Erika Mustermann, Max Beispiel" in english
    assert "Commercial register:" in english


def test_with_an_unsubscribe_link_the_footer_carries_the_dsgvo_notices(spec_de: CampaignSpec) -> None:
    link = "https://outreach.example/unsubscribe/t0k3n"
    footer = legal_footer(spec_de, "de", unsubscribe_url=link)
    assert "Widerspruchsrecht (Art. 21 DSGVO)" in footer and link in footer
    assert "(Art. 14 DSGVO): https://muster-software.example/datenschutz" in footer
    assert "Geschäftsführer: Erika Mustermann, Max Beispiel" in footer


def test_legal_footer_leaves_out_empty_fields(spec_en: CampaignSpec) -> None:
    spec = spec_en.model_copy(deep=True)
    spec.sender.legal.vat_id = None
    spec.sender.legal.register_court = None
    footer = legal_footer(spec, "en")
    assert "VAT" not in footer and "Commercial register: HRB 123456 B" in footer
    assert "Erika Mustermann" in footer and "Managing director" in footer


def test_sign_off(spec_de: CampaignSpec) -> None:
    assert sign_off(spec_de, "de").splitlines() == [
        "Mit freundlichen Grüßen",
        "Erika Mustermann",
        "Vertriebsleiterin",
        "Tel. +49 30 1234567",
        "erika.mustermann@muster-software.example",
    ]
