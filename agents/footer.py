"""The sign-off and the legal footer every mail carries (Impressum data, §35a GmbHG / §37a HGB).

``legal_footer`` builds the block from ``CampaignSpec.sender.legal`` plus the campaign's
``writer.footer`` text. Compliance extends this (unsubscribe link, Art. 14 DSGVO notice);
the writer appends exactly what it returns and the ``legal_footer`` guardrail checks that
the text is present, so the two can never drift apart.
"""

from __future__ import annotations

from agents.campaign import CampaignSpec, LegalIdentity
from agents.language import closing_line
from agents.writer_types import Language

FOOTER_DELIMITER = "-- "

_LABELS: dict[Language, dict[str, str]] = {
    "de": {
        "directors": "Geschäftsführung",
        "register": "Registergericht",
        "vat": "USt-IdNr.",
        "privacy": "Datenschutzhinweise",
        "phone": "Tel.",
    },
    "en": {
        "directors": "Managing directors",
        "director": "Managing director",
        "register": "Commercial register",
        "vat": "VAT ID",
        "privacy": "Privacy notice",
        "phone": "Phone",
    },
}


def _company_line(legal: LegalIdentity) -> str:
    name = legal.company_name.strip()
    form = (legal.legal_form or "").strip()
    if form and not name.endswith(form):
        name = f"{name} {form}"
    return name


def _address_line(legal: LegalIdentity) -> str | None:
    city = " ".join(p for p in (legal.postal_code, legal.city) if p)
    parts = [p for p in (legal.street, city) if p]
    return ", ".join(parts) if parts else None


def legal_footer(spec: CampaignSpec, language: Language) -> str:
    """The legal block appended to every mail, in ``language``; empty fields are left out."""
    legal = spec.sender.legal
    labels = _LABELS[language]
    lines = [FOOTER_DELIMITER, _company_line(legal)]
    address = _address_line(legal)
    if address:
        lines.append(address)
    if legal.managing_directors:
        key = "director" if language == "en" and len(legal.managing_directors) == 1 else "directors"
        lines.append(f"{labels[key]}: {', '.join(legal.managing_directors)}")
    register = ", ".join(p for p in (legal.register_court, legal.register_number) if p)
    if register:
        lines.append(f"{labels['register']}: {register}")
    if legal.vat_id:
        lines.append(f"{labels['vat']}: {legal.vat_id}")
    if legal.privacy_url:
        lines.append(f"{labels['privacy']}: {legal.privacy_url}")
    if legal.website:
        lines.append(legal.website)
    if spec.writer.footer:
        lines.extend(["", spec.writer.footer.strip()])
    return "\n".join(lines)


def sign_off(spec: CampaignSpec, language: Language) -> str:
    """Complimentary close and the sender's signature lines."""
    sender = spec.sender
    lines = [closing_line(language, style=spec.writer.salutation, tone=spec.tone), sender.name]
    if sender.title:
        lines.append(sender.title)
    if sender.phone:
        lines.append(f"{_LABELS[language]['phone']} {sender.phone}")
    lines.append(sender.email)
    return "\n".join(lines)
