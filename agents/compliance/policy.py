"""Lawful basis per jurisdiction: may this contact receive promotional email at all?

The rule comes from ``ComplianceSettings.lawful_basis_policy`` (default strict):
DE and AT need consent or an existing customer relationship (UWG §7, TKG §174);
other known countries also accept legitimate interest; an unknown country gets the
strictest rule in the table; ``none`` never passes. Consent and the existing-customer
exception must be provable (DSGVO Art. 7(1)), so they count only with a recorded source
and date.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import object_session
from sqlmodel import Session

from agents.campaign import CampaignSpec
from agents.compliance.channels import create_channel_task, lead_language
from agents.compliance.config import DEFAULT_COUNTRY_KEY, ComplianceSettings, load_compliance_settings
from agents.profile import CompanyProfile
from agents.writer_types import Language
from tools.crm.models import Company, Contact, LawfulBasis, Lead, Task

REASON_CODE = "lawful_basis_missing"

PROOF_REQUIRED = frozenset({LawfulBasis.consent, LawfulBasis.existing_customer})


@dataclass(frozen=True)
class BasisDecision:
    """The outcome for one contact: allowed or not, and the facts that decided it."""

    allowed: bool
    country: str | None
    basis: LawfulBasis
    accepted: tuple[LawfulBasis, ...]
    reason: str

    @property
    def reason_code(self) -> str | None:
        """``lawful_basis_missing`` when not allowed (the send-time refusal code), else None."""
        return None if self.allowed else REASON_CODE


def recipient_country(contact: Contact, company: Company | None) -> str | None:
    """The contact's country, else the company's; None when neither is a 2-letter code."""
    for value in (contact.country, company.country if company is not None else None):
        if value and len(value.strip()) == 2 and value.strip().isalpha():
            return value.strip().upper()
    return None


def accepted_bases(config: ComplianceSettings, country: str | None) -> tuple[LawfulBasis, ...]:
    """The bases the policy accepts for a country; an unknown country gets the strictest rule."""
    table = config.lawful_basis_policy
    if country is not None:
        rule = table.get(country.upper(), table[DEFAULT_COUNTRY_KEY])
        return tuple(rule)
    strictest = set.intersection(*(set(bases) for bases in table.values()))
    # Keep the table's order so messages are stable.
    ordered = [basis for basis in LawfulBasis if basis in strictest]
    return tuple(ordered)


def evaluate_basis(contact: Contact, company: Company | None, config: ComplianceSettings) -> BasisDecision:
    """Whether the contact's recorded lawful basis allows promotional email in their country."""
    country = recipient_country(contact, company)
    accepted = accepted_bases(config, country)
    basis = LawfulBasis(contact.lawful_basis)
    where = country or "unknown country (strictest rule)"
    names = ", ".join(b.value for b in accepted) or "nothing"
    if basis is LawfulBasis.none:
        return BasisDecision(False, country, basis, accepted, f"no lawful basis recorded; {where} needs {names}")
    if basis not in accepted:
        return BasisDecision(False, country, basis, accepted, f"{basis.value} is not enough in {where}; needs {names}")
    if basis in PROOF_REQUIRED and not (contact.basis_source and contact.basis_date):
        return BasisDecision(
            False, country, basis, accepted, f"{basis.value} has no recorded source and date (DSGVO Art. 7(1))"
        )
    return BasisDecision(True, country, basis, accepted, f"{basis.value} accepted in {where}")


def _company_of(contact: Contact, session: Session | None = None) -> Company | None:
    session = session or object_session(contact)  # type: ignore[assignment]
    if contact.company_id is None or session is None:
        return None
    return session.get(Company, contact.company_id)


def check_lawful_basis(
    contact: Contact, company: Company | None = None, config: ComplianceSettings | None = None
) -> BasisDecision:
    """``evaluate_basis`` for callers that hold only the contact (its company is loaded from its session)."""
    company = company if company is not None else _company_of(contact)
    return evaluate_basis(contact, company, config or load_compliance_settings())


def propose_other_channel(
    session: Session,
    *,
    lead: Lead,
    contact: Contact,
    spec: CampaignSpec,
    profile: CompanyProfile | None = None,
    company: Company | None = None,
    reason: str | None = None,
    language: Language | None = None,
    config: ComplianceSettings | None = None,
) -> tuple[Task, bool]:
    """The rep's task to reach a lead we may not email (phone, LinkedIn draft); one per lead.

    Returns the task and whether it was created now. ``reason`` defaults to the policy's
    explanation, ``language`` to the lead's.
    """
    company = company if company is not None else _company_of(contact, session)
    if reason is None:
        reason = evaluate_basis(contact, company, config or load_compliance_settings()).reason
    return create_channel_task(
        session, lead=lead, contact=contact, company=company, spec=spec, reason=reason,
        language=language or lead_language(contact), profile=profile,
    )
