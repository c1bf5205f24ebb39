"""People on a team / management / contact page, read deterministically.

Two sources: schema.org ``Person`` objects in JSON-LD, and HTML "cards" — the smallest
element that holds a name-like line and a role-like line (``<h3>Dr. Hans Müller</h3>
<p>Geschäftsführer</p>``, ``<li><strong>Jane Doe</strong> – CEO</li>``), with a mailto:
or tel: link inside the card when there is one. Only what is written on the page is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import lxml.html
from lxml import etree

from tools.extract import emails_in_text, ld_types, normalise_phone
from tools.impressum import NOT_NAME_WORDS, clean_person_name

ROLE_WORDS = re.compile(
    r"\b(?:Geschäftsführ\w*|Vorstand\w*|Vorsitzende[rn]?|Prokurist(?:in)?|Inhaber(?:in)?|Gründer(?:in)?|"
    r"Gesellschafter(?:in)?|Leitung|Leiter(?:in)?|Bereichsleit\w*|Abteilungsleit\w*|Teamleit\w*|Vertrieb\w*|"
    r"Verkauf\w*|Einkauf\w*|Marketing|Personalleit\w*|Techniker(?:in)?|Entwicklung|Konstruktion|Produktion|"
    r"Ingenieur(?:in)?|Berater(?:in)?|Referent(?:in)?|Assistenz|Sachbearbeiter(?:in)?|Projektleit\w*|"
    r"Key[- ]Account\w*|Manager(?:in)?|Managing|Director|Direktor(?:in)?|Head|Chief|Officer|CEO|CTO|CFO|COO|CMO|"
    r"CRO|CIO|President|Vice|VP|Founder|Co-?Founder|Owner|Partner(?:in)?|Lead|Engineer|Sales|Purchasing|"
    r"Procurement|Operations|Finance|Consultant|Specialist|Coordinator|Koordinator(?:in)?|Auszubildende[r]?|"
    r"Azubi|Monteur(?:in)?|Elektroniker(?:in)?|Mechatroniker(?:in)?|Kaufmann|Kauffrau|Buchhaltung|Disposition|"
    r"Disponent(?:in)?|Kundenservice|Kundendienst|Außendienst|Innendienst|Meister(?:in)?)(?![a-zäöüß])"
    r"|\w+(?:leitung|leiter|leiterin|meister|meisterin)\b",
    re.IGNORECASE,
)
# single words that make a line a role, never a name ("Hofmeister" and "Leitner" are names)
ROLE_TOKENS = frozenset(
    {
        "geschäftsführer", "geschäftsführerin", "geschäftsführung", "vorstand", "inhaber", "inhaberin", "leiter",
        "leiterin", "leitung", "vertrieb", "einkauf", "marketing", "manager", "managerin", "director", "head",
        "chief", "officer", "ceo", "cto", "cfo", "coo", "cmo", "founder", "gründer", "gründerin", "partner",
        "sales", "prokurist", "prokuristin", "assistenz", "auszubildende", "meister", "meisterin", "vp",
    }
)
_NOT_NAMES = NOT_NAME_WORDS | {
    "geschäftsführung", "ansprechpartner", "mehr", "erfahren", "read", "more", "contact", "about", "home", "start",
    "jobs", "service", "e-mail", "email", "phone", "newsletter", "login",
}
_CARD_TAGS = frozenset({"div", "li", "article", "section", "figure", "td", "tr", "dd", "p", "address"})
_SPLIT = re.compile(r"\s*(?:[,|–—]|\s-\s)\s*")


@dataclass(frozen=True)
class PersonEntry:
    """A person as published: name, role, business email and phone when shown."""

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


def _name(text: str) -> str | None:
    if len(text) > 60 or any(token.strip(".,").lower() in ROLE_TOKENS for token in text.split()):
        return None
    name = clean_person_name(text)
    if name is None:
        return None
    words = {w.lower().strip(".") for w in name.split()}
    return None if words & _NOT_NAMES else name


def _role(text: str) -> str | None:
    text = text.strip(" ,;:–—-·|")
    if text.count("(") > text.count(")"):
        text = text[: text.rfind("(")].strip(" ,;:–—-·|")
    if 2 <= len(text) <= 80 and ROLE_WORDS.search(text) and not re.search(r"[@]|https?://|\d{4,}", text):
        return text
    return None


def _chunks(element: lxml.html.HtmlElement) -> list[str]:
    return [re.sub(r"\s+", " ", str(t)).strip() for t in element.itertext() if str(t).strip()]


def _card_person(chunks: list[str]) -> tuple[str, str | None] | None:
    """(name, role) from a card's text chunks, or None."""
    for index, chunk in enumerate(chunks):
        name = _name(chunk)
        parts = _SPLIT.split(chunk, maxsplit=1)
        if name is None and len(parts) == 2:  # "Jane Doe – CEO" in one text node
            name, inline_role = _name(parts[0]), _role(parts[1])
            if name and inline_role:
                return name, inline_role
            continue
        if name is None:
            continue
        for follower in chunks[index + 1 : index + 3]:
            role = _role(follower)
            if role:
                return name, role
        return None
    return None


def _contact_links(element: lxml.html.HtmlElement) -> tuple[str | None, str | None]:
    email = phone = None
    for anchor in element.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.lower().startswith("mailto:") and email is None:
            email = unquote(href[7:].split("?", 1)[0]).strip().lower() or None
        elif href.lower().startswith("tel:") and phone is None:
            phone = normalise_phone(unquote(href[4:]))
    if email is None:
        found = emails_in_text(" ".join(_chunks(element)))
        email = found[0] if found else None
    if phone is None:
        match = re.search(r"(?:Tel\.?|Telefon|Phone|Fon)\s*:?\s*(\+?[\d ()/.\-]{6,24}\d)", " ".join(_chunks(element)))
        phone = normalise_phone(match.group(1)) if match else None
    return email, phone


def _definition_people(root: lxml.html.HtmlElement) -> list[PersonEntry]:
    """``<dl><dt>Name</dt><dd>Role · mail</dd>…</dl>``: each term with its description is a card."""
    people: list[PersonEntry] = []
    for term in root.iter("dt"):
        description = term.getnext()
        if description is None or description.tag != "dd":
            continue
        person = _card_person(_chunks(term) + _chunks(description))
        if person is not None:
            email, phone = _contact_links(description)
            people.append(PersonEntry(name=person[0], role=person[1], email=email, phone=phone))
    return people


def _html_people(root: lxml.html.HtmlElement) -> list[PersonEntry]:
    cards: dict[Any, tuple[str, str | None]] = {}
    for element in root.iter(*_CARD_TAGS):
        if element.tag == "dl" or any(parent.tag == "dl" for parent in element.iterancestors()):
            continue  # definition lists are read pairwise
        chunks = _chunks(element)
        if not chunks or len(chunks) > 12 or sum(len(c) for c in chunks) > 600:
            continue
        person = _card_person(chunks)
        if person is not None:
            cards[element] = person
    people: list[PersonEntry] = []
    for element, (name, role) in cards.items():
        # keep the innermost card: skip an element that contains another card
        if any(other is not element and element in other.iterancestors() for other in cards):
            continue
        email, phone = _contact_links(element)
        people.append(PersonEntry(name=name, role=role, email=email, phone=phone))
    return people


def _ld_people(json_ld: list[dict[str, Any]]) -> list[PersonEntry]:
    people: list[PersonEntry] = []
    for obj in json_ld:
        candidates = [obj] if "Person" in ld_types(obj) else []
        for key in ("founder", "founders", "employee", "employees", "member"):
            value = obj.get(key)
            items = value if isinstance(value, list) else [value]
            candidates.extend(i for i in items if isinstance(i, dict) and "Person" in ld_types(i))
        for item in candidates:
            name = clean_person_name(str(item.get("name") or ""))
            if not name:
                continue
            email = str(item.get("email") or "").removeprefix("mailto:").strip().lower() or None
            phone = normalise_phone(str(item.get("telephone") or ""))
            role = str(item.get("jobTitle") or "").strip() or None
            people.append(PersonEntry(name=name, role=role, email=email, phone=phone))
    return people


def extract_people(html: str, json_ld: list[dict[str, Any]] | None = None) -> list[PersonEntry]:
    """People on a page: JSON-LD first, then HTML cards; one entry per name, details merged."""
    try:
        root = lxml.html.document_fromstring(html) if html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    found = _ld_people(json_ld or [])
    if root is not None:
        found += _definition_people(root) + _html_people(root)
    merged: dict[str, PersonEntry] = {}
    for person in found:
        known = merged.get(person.name)
        if known is None:
            merged[person.name] = person
        else:
            merged[person.name] = PersonEntry(
                name=person.name,
                role=known.role or person.role,
                email=known.email or person.email,
                phone=known.phone or person.phone,
            )
    return list(merged.values())
