"""The deterministic part of research: a CompanyProfile from the pages read, every fact sourced.

Structured data first (schema.org JSON-LD, meta/OpenGraph), then the legal notice
(Impressum parser), people cards, dated news, employee counts and contact links. Nothing
here calls a model; research with no useful model still yields a usable profile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agents.industries import guess_industry
from agents.profile import CompanyProfile, Fact, NewsItem, Person
from tools.extract import PageData, ld_types, same_number
from tools.impressum import parse_legal_notice
from tools.news import extract_news
from tools.page_kinds import PageKind
from tools.people import PersonEntry, extract_people

_ORG_TYPES = frozenset({"Organization", "Corporation", "LocalBusiness", "Company", "ProfessionalService", "Store"})
_UNIT = (
    r"(?:Mitarbeiter(?:innen|n)?|Mitarbeitende[n]?|Beschäftigte[n]?|Angestellte[n]?|Kolleg(?:inn)?en|employees|"
    r"staff|people|colleagues|workers|team[ \t]+members)"
)
_EMPLOYEES = re.compile(
    r"(?P<phrase>(?:(?:über|mehr[ \t]+als|rund|ca\.|circa|etwa|knapp|more[ \t]+than|over|around|about|nearly)[ \t]+)?"
    r"(?P<num>\d{1,3}(?:[.,]\d{3})+|\d{1,6})[ \t]*\+?[ \t]*" + _UNIT + ")",
    re.IGNORECASE,
)
# a table row or label: "Mitarbeitende: 180" / "Employees\n180"
_EMPLOYEES_LABEL = re.compile(
    r"^(?P<phrase>(?:Anzahl[ \t]+(?:der[ \t]+)?)?" + _UNIT
    + r"[ \t]*(?::[ \t]*|\n)(?P<num>\d{1,3}(?:[.,]\d{3})+|\d{1,6}))$",
    re.IGNORECASE | re.MULTILINE,
)
# "companies with 50 to 500 employees" describes customers, not the company itself
_CUSTOMER_SIZE = re.compile(
    r"(?:customers|clients|companies|firms|businesses|teams|Kunden|Unternehmen|Betriebe|Firmen|Mittelständler)"
    r"[^.!?\n]{0,40}$",
    re.IGNORECASE,
)
_PEOPLE_KINDS = frozenset({PageKind.team, PageKind.about, PageKind.contact, PageKind.home})


@dataclass
class ReadPage:
    """A visited page ready for extraction: its kind, when it was read, its data and cleaned text."""

    url: str
    kind: PageKind
    fetched_at: datetime
    data: PageData
    html: str
    clean_text: str
    hidden_instructions: list[str] = field(default_factory=list)


class _Facts:
    def __init__(self) -> None:
        self.items: list[Fact] = []

    def add(self, kind: str, text: str, page: ReadPage) -> None:
        fact = Fact(kind=kind, text=text.strip(), source_url=page.url, retrieved_at=page.fetched_at)
        if fact.text and all(f.id != fact.id for f in self.items):
            self.items.append(fact)


def _org(pages: Sequence[ReadPage]) -> tuple[dict[str, Any], ReadPage] | None:
    for page in sorted(pages, key=lambda p: p.kind != PageKind.home):
        for obj in page.data.json_ld:
            if ld_types(obj) & _ORG_TYPES:
                return obj, page
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, str | int | float) and str(value).strip():
        return re.sub(r"\s+", " ", str(value)).strip()
    return None


def _employees_from_ld(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("value") or value.get("maxValue") or value.get("minValue")
    try:
        return int(str(value).replace(".", "").replace(",", "")) if value is not None else None
    except ValueError:
        return None


def _apply_org(profile: CompanyProfile, facts: _Facts, org: dict[str, Any], page: ReadPage) -> None:
    name, legal = _str(org.get("name")), _str(org.get("legalName"))
    if name:
        profile.name = name
    if legal:
        profile.legal_name = legal
        facts.add("legal_name", legal, page)
    description = _str(org.get("description"))
    if description:
        profile.description = description
        facts.add("description", description, page)
    address = org.get("address")
    if isinstance(address, dict):
        city, country = _str(address.get("addressLocality")), _str(address.get("addressCountry"))
        street, postal = _str(address.get("streetAddress")), _str(address.get("postalCode"))
        if city:
            profile.location = city
            line = ", ".join(p for p in (street, " ".join(x for x in (postal, city) if x)) if p)
            profile.address = profile.address or line
            facts.add("address", line, page)
        if country and len(country) == 2:
            profile.country = country.upper()
    employees = _employees_from_ld(org.get("numberOfEmployees"))
    if employees:
        profile.employees = employees
        profile.size_signals.append(f"{employees} employees (schema.org)")
        facts.add("size", f"{employees} employees", page)
    for key, sink in (("email", profile.emails), ("telephone", profile.phones)):
        value = _str(org.get(key))
        if value:
            value = value.removeprefix("mailto:").lower() if key == "email" else value
            if value not in sink and not (key == "telephone" and same_number(value, sink)):
                sink.append(value)


def _apply_meta(profile: CompanyProfile, facts: _Facts, home: ReadPage) -> None:
    meta = home.data.meta
    if not profile.name:
        profile.name = meta.get("og:site_name") or None
    if not profile.description:
        description = meta.get("description") or meta.get("og:description")
        if description and len(description) >= 30:
            profile.description = description
            facts.add("description", description, home)
    profile.language = profile.language or home.data.lang


def _apply_legal(profile: CompanyProfile, facts: _Facts, page: ReadPage) -> dict[str, str]:
    """Legal fields from a legal notice; returns the directors' roles as stated there."""
    notice = parse_legal_notice(page.data.visible_text)
    if notice.is_empty():
        return {}
    if notice.legal_name:
        profile.legal_name = notice.legal_name
        facts.add("legal_name", notice.legal_name, page)
    if notice.legal_form:
        profile.legal_form = notice.legal_form
        facts.add("legal_form", notice.legal_form, page)
    if notice.address:
        profile.address = notice.address
        facts.add("address", notice.address, page)
    if notice.city:
        profile.location = notice.city
    if notice.country:
        profile.country = notice.country
    if notice.register_number:
        profile.register_number = notice.register_number
        profile.register_court = notice.register_court
        facts.add("register", ", ".join(x for x in (notice.register_court, notice.register_number) if x), page)
    if notice.vat_id:
        profile.vat_id = notice.vat_id
        facts.add("vat_id", notice.vat_id, page)
    for director in notice.directors:
        if director not in profile.directors:
            profile.directors.append(director)
        role = notice.director_roles.get(director)
        facts.add("director", f"{director} ({role})" if role else director, page)
    return notice.director_roles


def _bare(name: str) -> str:
    return re.sub(r"^(?:(?:Dr|Prof|Dipl|Ing|Mag)[.\-\w]*\.?\s+)+", "", name).lower()


def _merge_person(people: list[Person], entry: PersonEntry, source_url: str) -> None:
    for index, known in enumerate(people):
        if _bare(known.name) == _bare(entry.name):
            people[index] = known.model_copy(
                update={
                    "name": known.name if len(known.name) >= len(entry.name) else entry.name,
                    "role": known.role or entry.role,
                    "email": known.email or entry.email,
                    "phone": known.phone or entry.phone,
                }
            )
            return
    people.append(Person(name=entry.name, role=entry.role, email=entry.email, phone=entry.phone, source_url=source_url))


def _apply_people(
    profile: CompanyProfile, facts: _Facts, pages: Sequence[ReadPage], director_roles: dict[str, str]
) -> None:
    for page in pages:
        if page.kind not in _PEOPLE_KINDS:
            continue
        for entry in extract_people(page.html, page.data.json_ld):
            _merge_person(profile.people, entry, page.url)
            facts.add("person", f"{entry.name}, {entry.role}" if entry.role else entry.name, page)
    legal = next((p for p in pages if p.kind == PageKind.impressum), None)
    if legal is not None:
        default = "Geschäftsführer" if (profile.language or "de") == "de" else "Director"
        for director in profile.directors:
            role = director_roles.get(director, default)
            _merge_person(profile.people, PersonEntry(name=director, role=role), legal.url)


def _apply_news(profile: CompanyProfile, facts: _Facts, pages: Sequence[ReadPage]) -> None:
    for page in pages:
        if page.kind != PageKind.news:
            continue
        for entry in extract_news(page.html, page.url):
            if any(n.title == entry.title for n in profile.news):
                continue
            profile.news.append(NewsItem(title=entry.title, date=entry.date, url=entry.url, source_url=page.url))
            facts.add("news", f"{entry.date}: {entry.title}" if entry.date else entry.title, page)


def _size_matches(text: str) -> list[re.Match[str]]:
    found = [
        m for m in _EMPLOYEES.finditer(text) if not _CUSTOMER_SIZE.search(text[max(0, m.start() - 60) : m.start()])
    ]
    return found + list(_EMPLOYEES_LABEL.finditer(text))


def _apply_size(profile: CompanyProfile, facts: _Facts, pages: Sequence[ReadPage]) -> None:
    for page in pages:
        for match in _size_matches(page.clean_text):
            phrase = re.sub(r"\s+", " ", match.group("phrase")).strip()
            if phrase in profile.size_signals:
                continue
            profile.size_signals.append(phrase)
            facts.add("size", phrase, page)
            if profile.employees is None:
                profile.employees = int(re.sub(r"[.,]", "", match.group("num")))


def _apply_industry(profile: CompanyProfile, facts: _Facts, pages: Sequence[ReadPage]) -> None:
    texts = [p for p in pages if p.kind in {PageKind.home, PageKind.about}]
    corpus = " ".join([profile.description or ""] + [p.clean_text for p in texts])
    guess = guess_industry(corpus)
    if guess is None:
        return
    label, word = guess
    source = next((p for p in texts if word in p.clean_text.lower()), texts[0] if texts else pages[0])
    profile.industry = label
    facts.add("industry", f"{label} (the site mentions “{word}”)", source)


def _apply_topics(facts: _Facts, pages: Sequence[ReadPage], limit: int = 12) -> None:
    """Headings and list items of the home and about pages, as sourced "topic" facts."""
    added = 0
    for page in pages:
        if page.kind not in {PageKind.home, PageKind.about}:
            continue
        for topic in page.data.topics:
            if added >= limit:
                return
            if topic in page.clean_text:  # instruction-like text was removed from clean_text
                facts.add("topic", topic, page)
                added += 1


def _apply_contacts(profile: CompanyProfile, pages: Sequence[ReadPage]) -> None:
    for page in sorted(pages, key=lambda p: p.kind not in {PageKind.contact, PageKind.impressum}):
        for email in page.data.emails:
            if email not in profile.emails and len(profile.emails) < 10:
                profile.emails.append(email)
        for phone in page.data.phones:
            if not same_number(phone, profile.phones) and len(profile.phones) < 5:
                profile.phones.append(phone)


def build_profile(domain: str, website: str, pages: Sequence[ReadPage]) -> CompanyProfile:
    """A profile from the pages read; empty but valid when no page loaded."""
    profile = CompanyProfile(domain=domain, website=website)
    profile.pages_visited = [p.url for p in pages]
    if not pages:
        return profile
    facts = _Facts()
    home = next((p for p in pages if p.kind == PageKind.home), pages[0])
    org = _org(pages)
    if org is not None:
        _apply_org(profile, facts, *org)
    _apply_meta(profile, facts, home)
    director_roles: dict[str, str] = {}
    for page in pages:
        if page.kind == PageKind.impressum:
            director_roles.update(_apply_legal(profile, facts, page))
    _apply_people(profile, facts, pages, director_roles)
    _apply_news(profile, facts, pages)
    _apply_size(profile, facts, pages)
    _apply_industry(profile, facts, pages)
    _apply_topics(facts, pages)
    _apply_contacts(profile, pages)
    if not profile.name:
        profile.name = profile.legal_name or (home.data.title or "").split("|")[0].split(" – ")[0].strip() or None
    if profile.location:
        address_urls = {f.source_url for f in facts.items if f.kind == "address"}
        facts.add("location", profile.location, next((p for p in pages if p.url in address_urls), home))
    profile.facts = facts.items
    return profile
