"""The legal footer (Impressum, Art. 21 objection, Art. 14 source) and what blocks sending."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from agents.campaign import CampaignSpec
from agents.compliance.legal import LegalIncomplete, legal_footer_block, missing_legal_details

URL = "https://outreach.muster.example/unsubscribe/abc.def"


def _spec(seeder: Any, **legal: Any) -> CampaignSpec:
    data = seeder.spec()
    data["sender"]["legal"].update(legal)
    return CampaignSpec.model_validate(data)


def test_german_footer_has_every_mandatory_detail(seeder: Any) -> None:
    footer = legal_footer_block(_spec(seeder), "de", unsubscribe_url=URL)
    lines = footer.splitlines()
    assert lines[0] == "-- "
    assert lines[1] == "Muster Software GmbH"
    assert "Beispielstraße 1, 10115 Berlin, Deutschland" in footer
    assert "Sitz der Gesellschaft: Berlin · Registergericht: Amtsgericht Charlottenburg, HRB 123456 B" in footer
    assert "Geschäftsführer: Erika Mustermann, Max Beispiel" in footer
    assert "USt-IdNr.: DE123456789" in footer
    assert "Widerspruchsrecht (Art. 21 DSGVO)" in footer and URL in footer
    assert "Art. 14 DSGVO): https://muster-software.example/datenschutz" in footer
    assert "Basistarifen" in footer  # UWG §7 Abs. 3 Nr. 4


def test_english_footer(seeder: Any) -> None:
    footer = legal_footer_block(_spec(seeder), "en", unsubscribe_url=URL, privacy_url="https://m.example/privacy")
    assert "Registered office: Berlin · Commercial register: Amtsgericht Charlottenburg, HRB 123456 B" in footer
    assert "Managing directors: Erika Mustermann, Max Beispiel" in footer
    assert "Germany" in footer
    assert "Right to object (GDPR Art. 21)" in footer and URL in footer
    assert "(GDPR Art. 14): https://m.example/privacy" in footer
    assert "Datenschutz" not in footer


def test_board_label_for_an_ag(seeder: Any) -> None:
    spec = _spec(seeder, company_name="Muster AG", legal_form="AG", managing_directors=["Dr. Eva Vorstand"])
    assert "Vorstand: Dr. Eva Vorstand" in legal_footer_block(spec, "de", unsubscribe_url=URL)
    assert "Management board: Dr. Eva Vorstand" in legal_footer_block(spec, "en", unsubscribe_url=URL)


def test_complete_spec_misses_nothing(seeder: Any) -> None:
    assert missing_legal_details(_spec(seeder)) == []


def test_every_missing_field_is_listed(seeder: Any) -> None:
    spec = _spec(seeder, street=None, register_court="", register_number=None, managing_directors=[],
                 privacy_url=None, legal_form=None)
    missing = missing_legal_details(spec)
    assert missing == [
        "sender.legal.legal_form",
        "sender.legal.street",
        "sender.legal.register_court",
        "sender.legal.register_number",
        "sender.legal.privacy_url",
        "sender.legal.managing_directors",
    ]
    with pytest.raises(LegalIncomplete) as info:
        legal_footer_block(spec, "de", unsubscribe_url=URL)
    assert info.value.missing[:6] == missing
    assert "sender.legal.street" in str(info.value)


def test_unregistered_forms_need_no_register(seeder: Any) -> None:
    spec = _spec(seeder, company_name="Erika Mustermann Beratung", legal_form="Einzelunternehmen",
                 register_court=None, register_number=None)
    assert missing_legal_details(spec) == []
    footer = legal_footer_block(spec, "de", unsubscribe_url=URL)
    assert "Registergericht" not in footer and "Vertretungsberechtigt: Erika Mustermann" in footer


def test_unusable_urls_are_reported(seeder: Any) -> None:
    spec = _spec(seeder, privacy_url="datenschutz.html")
    assert "sender.legal.privacy_url (not an http(s) URL)" in missing_legal_details(spec)
    with pytest.raises(LegalIncomplete, match="unsubscribe_url"):
        legal_footer_block(_spec(seeder), "de", unsubscribe_url="")
    with pytest.raises(LegalIncomplete, match="unsubscribe_url"):
        legal_footer_block(_spec(seeder), "de", unsubscribe_url="javascript:alert(1)")


def test_privacy_url_argument_fills_the_gap(seeder: Any) -> None:
    spec = _spec(seeder, privacy_url=None)
    footer = legal_footer_block(spec, "de", unsubscribe_url=URL, privacy_url="https://m.example/ds")
    assert "https://m.example/ds" in footer


def test_unknown_language_is_rejected(seeder: Any) -> None:
    with pytest.raises(ValueError, match="language"):
        legal_footer_block(_spec(seeder), "fr", unsubscribe_url=URL)  # type: ignore[arg-type]


def test_footer_does_not_mutate_the_spec(seeder: Any) -> None:
    spec = _spec(seeder)
    before = copy.deepcopy(spec.model_dump())
    legal_footer_block(spec, "de", unsubscribe_url=URL)
    assert spec.model_dump() == before
