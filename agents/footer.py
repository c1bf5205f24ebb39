"""The sign-off and the legal footer every mail carries (Impressum data, §35a GmbHG / §37a HGB).

``legal_footer`` builds the block from ``CampaignSpec.sender.legal`` plus the campaign's
``writer.footer`` text. Compliance extends this (unsubscribe link, Art. 14 DSGVO notice);
the writer appends exactly what it returns and the ``legal_footer`` guardrail checks that
the text is present, so the two can never drift apart.
"""

from __future__ import annotations

from agents.campaign import CampaignSpec
from agents.compliance.legal import FOOTER_DELIMITER, LegalIncomplete, identity_lines, legal_footer_block
from agents.language import closing_line
from agents.writer_types import Language

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


def legal_footer(spec: CampaignSpec, language: Language, *, unsubscribe_url: str | None = None) -> str:
    """The legal block appended to every mail, in ``language``.

    With the recipient's one-click ``unsubscribe_url`` (the orchestrator always has it) the
    block is compliance's complete footer: Impressum, the Art. 21 objection notice and the
    Art. 14 data-source link. Without it (a draft previewed outside a campaign run, or a
    campaign whose legal details are incomplete — the send check refuses those anyway) it is
    the Impressum with the privacy link. The campaign's ``writer.footer`` text follows.
    """
    lines: list[str]
    try:
        if unsubscribe_url is None:
            raise LegalIncomplete(["unsubscribe_url"])
        lines = [legal_footer_block(spec, language, unsubscribe_url=unsubscribe_url)]
    except LegalIncomplete:
        legal = spec.sender.legal
        lines = [FOOTER_DELIMITER, *identity_lines(spec, language)]
        if legal.privacy_url:
            lines.append(f"{_LABELS[language]['privacy']}: {legal.privacy_url}")
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
