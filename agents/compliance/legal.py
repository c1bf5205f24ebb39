"""The complete legal footer of a promotional mail, and what a campaign still lacks to send.

German law asks every business letter, email included, for the company's legal details:
§35a GmbHG (GmbH: legal form, seat, register court and number, all managing directors),
§80 AktG (AG: the management board), §37a HGB (registered merchants and partnerships).
DSGVO Art. 21(2)-(4) requires the right to object to direct marketing to be pointed out
explicitly and separately (UWG §7(3) no. 4 adds: at no cost beyond basic rates); Art. 14
requires telling people whose data was not collected from them where it came from — here
a link to the sender's privacy page.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from agents.campaign import CampaignSpec, LegalIdentity
from agents.writer_types import Language

FOOTER_DELIMITER = "-- "

# Legal forms without a commercial register entry: no register court/number is required.
_UNREGISTERED_FORMS = re.compile(
    r"^(gbr|einzelunternehmen|einzelunternehmer(in)?|freiberufler(in)?|sole proprietor(ship)?|"
    r"freelancer|partnership \(gbr\))$",
    re.IGNORECASE,
)
_BOARD_FORMS = re.compile(r"\b(AG|SE|KGaA)\b")
_DIRECTOR_FORMS = re.compile(r"\b(GmbH|gGmbH|UG|mbH|Ltd\.?|Limited|LLC|Inc\.?)\b", re.IGNORECASE)

_COUNTRY_NAMES: dict[Language, dict[str, str]] = {
    "de": {"DE": "Deutschland", "AT": "Österreich", "CH": "Schweiz", "LI": "Liechtenstein"},
    "en": {"DE": "Germany", "AT": "Austria", "CH": "Switzerland", "LI": "Liechtenstein"},
}

_TEXT: dict[Language, dict[str, str]] = {
    "de": {
        "seat": "Sitz der Gesellschaft",
        "register": "Registergericht",
        "board": "Vorstand",
        "directors": "Geschäftsführer",
        "representatives": "Vertretungsberechtigt",
        "vat": "USt-IdNr.",
        "objection": (
            "Widerspruchsrecht (Art. 21 DSGVO): Sie können der Verwendung Ihrer Daten für Werbung "
            "jederzeit mit Wirkung für die Zukunft widersprechen. Ein Klick genügt: {url} "
            "– oder antworten Sie einfach mit „Abmelden“. Es entstehen Ihnen dafür nur die "
            "Übermittlungskosten nach den Basistarifen."
        ),
        "source": "Woher wir Ihre Kontaktdaten haben und wie wir sie verarbeiten (Art. 14 DSGVO): {url}",
    },
    "en": {
        "seat": "Registered office",
        "register": "Commercial register",
        "board": "Management board",
        "directors": "Managing directors",
        "representatives": "Authorised representatives",
        "vat": "VAT ID",
        "objection": (
            "Right to object (GDPR Art. 21): you may object at any time, with effect for the future, "
            "to the use of your data for marketing. One click is enough: {url} "
            "– or simply reply \"unsubscribe\". It costs you nothing beyond the basic transmission rates."
        ),
        "source": "Where we obtained your contact details and how we process them (GDPR Art. 14): {url}",
    },
}


class LegalIncomplete(ValueError):
    """The campaign's sender identity lacks details a promotional mail must carry."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("legal details incomplete, missing: " + ", ".join(missing))
        self.missing = missing


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def needs_register_entry(legal: LegalIdentity) -> bool:
    """False for legal forms that have no commercial register entry (GbR, sole proprietor)."""
    return not (legal.legal_form and _UNREGISTERED_FORMS.match(legal.legal_form.strip()))


def missing_legal_details(spec: CampaignSpec) -> list[str]:
    """Field paths of the sender's legal details that are empty or unusable; [] means complete."""
    legal = spec.sender.legal
    missing: list[str] = []
    if not legal.company_name.strip():
        missing.append("sender.legal.company_name")
    register_fields = {"sender.legal.register_court", "sender.legal.register_number"}
    for name in legal.missing_for_sending():
        if name in register_fields and not needs_register_entry(legal):
            continue
        missing.append(name)
    for name, value in (("privacy_url", legal.privacy_url), ("website", legal.website)):
        if value and not _is_http_url(value):
            missing.append(f"sender.legal.{name} (not an http(s) URL)")
    if not spec.sender.name.strip():
        missing.append("sender.name")
    return missing


def _representatives_label(legal: LegalIdentity, language: Language) -> str:
    form = legal.legal_form or ""
    if _BOARD_FORMS.search(form):
        return _TEXT[language]["board"]
    if _DIRECTOR_FORMS.search(form):
        return _TEXT[language]["directors"]
    return _TEXT[language]["representatives"]


def _company_name(legal: LegalIdentity) -> str:
    name = legal.company_name.strip()
    form = (legal.legal_form or "").strip()
    if form and not name.endswith(form):
        name = f"{name} {form}"
    return name


def identity_lines(spec: CampaignSpec, language: Language) -> list[str]:
    """The Impressum lines: name and form, address, seat and register, representatives, VAT ID."""
    legal = spec.sender.legal
    text = _TEXT[language]
    country = _COUNTRY_NAMES[language].get(legal.country.upper(), legal.country)
    city = " ".join(part for part in (legal.postal_code, legal.city) if part)
    lines = [_company_name(legal)]
    address = ", ".join(part for part in (legal.street, city, country) if part)
    if address:
        lines.append(address)
    register = ", ".join(part for part in (legal.register_court, legal.register_number) if part)
    seat = f"{text['seat']}: {legal.city}" if legal.city else ""
    lines.append(" · ".join(part for part in (seat, f"{text['register']}: {register}" if register else "") if part))
    if legal.managing_directors:
        lines.append(f"{_representatives_label(legal, language)}: {', '.join(legal.managing_directors)}")
    if legal.vat_id:
        lines.append(f"{text['vat']}: {legal.vat_id}")
    if legal.website:
        lines.append(legal.website)
    return [line for line in lines if line]


def objection_notice(language: Language, *, unsubscribe_url: str) -> str:
    """The DSGVO Art. 21 notice with the one-click link, in ``language``."""
    return _TEXT[language]["objection"].format(url=unsubscribe_url)


def data_source_notice(language: Language, *, privacy_url: str) -> str:
    """The DSGVO Art. 14 pointer to where the contact data came from, in ``language``."""
    return _TEXT[language]["source"].format(url=privacy_url)


def legal_footer_block(
    spec: CampaignSpec, language: Language, *, unsubscribe_url: str, privacy_url: str | None = None
) -> str:
    """The whole footer: Impressum, the Art. 21 objection notice and the Art. 14 data-source link.

    ``privacy_url`` defaults to ``spec.sender.legal.privacy_url``. Raises ``LegalIncomplete``
    (listing every missing field) when the campaign cannot lawfully send.
    """
    if language not in _TEXT:
        raise ValueError(f"unsupported footer language {language!r}: use de or en")
    privacy = (privacy_url or spec.sender.legal.privacy_url or "").strip()
    missing = [m for m in missing_legal_details(spec) if not (privacy and m == "sender.legal.privacy_url")]
    if not privacy and "sender.legal.privacy_url" not in missing:
        missing.append("sender.legal.privacy_url")
    if privacy and not _is_http_url(privacy):
        missing.append("privacy_url (not an http(s) URL)")
    if not unsubscribe_url.strip() or not _is_http_url(unsubscribe_url):
        missing.append("unsubscribe_url")
    if missing:
        raise LegalIncomplete(list(dict.fromkeys(missing)))
    lines = [FOOTER_DELIMITER, *identity_lines(spec, language), ""]
    lines.append(objection_notice(language, unsubscribe_url=unsubscribe_url.strip()))
    lines.append(data_source_notice(language, privacy_url=privacy))
    return "\n".join(lines)
