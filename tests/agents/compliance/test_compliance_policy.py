"""Lawful basis per jurisdiction and the configurable policy table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from agents.campaign import CampaignSpec
from agents.compliance.config import ComplianceSettings, load_compliance_settings
from agents.compliance.policy import (
    accepted_bases,
    check_lawful_basis,
    evaluate_basis,
    propose_other_channel,
    recipient_country,
)
from agents.profile import CompanyProfile
from tools.crm.db import session_scope
from tools.crm.models import Company, Contact, LawfulBasis

STRICT = ComplianceSettings()
RECORDED_AT = datetime(2024, 5, 1, tzinfo=UTC)


def _contact(country: str | None, basis: LawfulBasis, *, recorded: bool = True) -> Contact:
    return Contact(email="x@y.example", country=country, lawful_basis=basis,
                   basis_source="Messe 2024" if recorded else None, basis_date=RECORDED_AT if recorded else None)


@pytest.mark.parametrize(
    ("country", "basis", "allowed"),
    [
        ("DE", LawfulBasis.consent, True),
        ("DE", LawfulBasis.existing_customer, True),
        ("DE", LawfulBasis.legitimate_interest, False),
        ("AT", LawfulBasis.legitimate_interest, False),
        ("AT", LawfulBasis.consent, True),
        ("CH", LawfulBasis.legitimate_interest, True),
        ("GB", LawfulBasis.legitimate_interest, True),
        (None, LawfulBasis.legitimate_interest, False),  # unknown country: the strictest rule
        (None, LawfulBasis.consent, True),
        ("DE", LawfulBasis.none, False),
        ("US", LawfulBasis.none, False),
    ],
)
def test_default_policy(country: str | None, basis: LawfulBasis, allowed: bool) -> None:
    decision = evaluate_basis(_contact(country, basis), None, STRICT)
    assert decision.allowed is allowed, decision.reason


def test_company_country_is_the_fallback() -> None:
    contact = _contact(None, LawfulBasis.legitimate_interest)
    assert recipient_country(contact, Company(domain="k.example", country="at")) == "AT"
    assert not evaluate_basis(contact, Company(domain="k.example", country="AT"), STRICT).allowed
    assert evaluate_basis(contact, Company(domain="k.example", country="FR"), STRICT).allowed


def test_consent_must_be_provable() -> None:
    decision = evaluate_basis(_contact("DE", LawfulBasis.consent, recorded=False), None, STRICT)
    assert not decision.allowed and "source and date" in decision.reason
    # Legitimate interest needs no consent record.
    assert evaluate_basis(_contact("FR", LawfulBasis.legitimate_interest, recorded=False), None, STRICT).allowed


def test_reason_names_country_and_requirement() -> None:
    decision = evaluate_basis(_contact("DE", LawfulBasis.legitimate_interest), None, STRICT)
    assert decision.reason == "legitimate_interest is not enough in DE; needs consent, existing_customer"


def test_custom_table_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_LAWFUL_BASIS_POLICY", '{"ch": ["consent"], "*": ["consent", "legitimate_interest"]}')
    config = load_compliance_settings()
    assert accepted_bases(config, "CH") == (LawfulBasis.consent,)
    assert accepted_bases(config, "DE") == (LawfulBasis.consent, LawfulBasis.legitimate_interest)
    assert accepted_bases(config, None) == (LawfulBasis.consent,)
    assert not evaluate_basis(_contact("CH", LawfulBasis.legitimate_interest), None, config).allowed


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"DE": ["none"]}, "never"),
        ({"DEU": ["consent"]}, "two-letter"),
        ({"DE": []}, "at least one"),
        ({"DE": ["maybe"]}, "Input should be"),
    ],
)
def test_bad_tables_are_rejected(table: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ComplianceSettings.model_validate({"lawful_basis_policy": table})


def test_a_table_without_default_gets_the_strict_default() -> None:
    config = ComplianceSettings(lawful_basis_policy={"FR": [LawfulBasis.legitimate_interest]})
    assert accepted_bases(config, "IT") == (LawfulBasis.consent, LawfulBasis.existing_customer)


def test_flow_helpers_load_the_company_and_create_one_task(engine: Engine, seeder: Any) -> None:
    """The draft-time path (research → score) uses the same policy and the same channel task."""
    with session_scope(engine) as session:
        seeded = seeder.lead(session, email="urs@firma.example", country=None,
                             basis=LawfulBasis.legitimate_interest, basis_source=None)
        contact = session.get(Contact, seeded.contact.id)
        assert contact is not None
        assert check_lawful_basis(contact).reason_code == "lawful_basis_missing"  # company country unknown
        company = session.get(Company, seeded.company.id)
        assert company is not None
        company.country = "CH"
        session.add(company)
        session.flush()
        assert check_lawful_basis(contact).allowed and check_lawful_basis(contact).reason_code is None
        company.country = "DE"
        session.add(company)
        session.flush()
        profile = CompanyProfile(domain="firma.example", phones=["+49 30 999"])
        spec = CampaignSpec.model_validate(seeded.campaign.spec)
        task, created = propose_other_channel(session, lead=seeded.lead, contact=contact, spec=spec, profile=profile)
        again, created_again = propose_other_channel(session, lead=seeded.lead, contact=contact, spec=spec)
    assert created and not created_again and again.id == task.id
    assert "+49 30 999" in task.body and "legitimate_interest is not enough in DE" in task.body
    assert task.payload["language"] == "de"
