"""Data minimisation (DSGVO Art. 5(1)(c)): research keeps business facts only.

Statements about private life — birthdays and age, family and relationships, health,
home or private addresses, religion, politics, sexual orientation — are dropped, in
German and English. People keep name, role, business email and phone only.
"""

from __future__ import annotations

import re

from agents.profile import CompanyProfile, Fact, Person

_PRIVATE: tuple[tuple[str, str], ...] = (
    (
        "birth",
        r"\bgeboren\b|\bgeb\.\s*(?:am\s*)?\d|\bGeburtstag\w*|\bGeburtsdatum\b|\bJahrgang\s+\d{4}\b|\b(?:born|birthday|"
        r"date\s+of\s+birth|DOB)\b|\b\d{1,3}\s*(?:Jahre\s+alt|years?\s+old)\b",
    ),
    (
        "family",
        r"\b(?:verheiratet|ledig|geschieden|verwitwet|Familienvater|Familienmensch|married|divorced|widow(?:ed|er)?)\b|"
        r"\b(?:sein\w*|ihr\w*|mit\s+(?:sein\w*|ihr\w*))\s+(?:Ehe)?(?:Frau|Mann|Ehefrau|Ehemann|Partner\w*|Kinder\w*|"
        r"Tochter|Töchter\w*|Sohn|Söhne\w*|Familie|Enkel\w*)\b|\b(?:hat|haben|mit|und)\s+(?:ein\w*|zwei|drei|vier|fünf|"
        r"\d+)\s+(?:Kind\w*|Töchter\w*|Tochter|Söhne\w*|Sohn|Enkel\w*)\b|\b(?:his|her|their)\s+(?:wife|husband|spouse|"
        r"partner|children|kids|daughters?|sons?|family|grandchildren)\b|\b(?:has|have|with)\s+(?:an?|one|two|three|four|"
        r"five|\d+)\s+(?:children|kids|daughters?|sons?|grandchildren)\b|\b(?:father|mother|Vater|Mutter)\s+(?:of|von)\s+"
        r"(?:two|three|\d+|zwei|drei)\b",
    ),
    (
        "health",
        r"\w*(?:krank|erkrank)\w*|\bDiagnose\w*\b|\bTherapie\w*\b|\bBehinderung\w*\b|\bschwanger\w*\b|\bKrebs\w*|"
        r"\bOperation\b|\bReha\b|\bBurn-?out\b|\billness\b|\bdisease\b|\bdiagnos\w+\b|\bcancer\b|\bpregnan\w+\b|"
        r"\bdisabilit\w+\b|\bsurgery\b|\bmedical\s+leave\b|\bsick\s+leave\b|\bdepression\b|\bElternzeit\b|"
        r"\bMutterschutz\b|\bparental\s+leave\b|\bmaternity\s+leave\b",
    ),
    (
        "private_address",
        r"\b(?:lebt|wohnt|leben|wohnen)\s+(?:mit|in|im|bei|zusammen)\b|\bwohnhaft\b|\bPrivat(?:adresse|anschrift|wohnung|nummer|telefon)\b|\bprivat\s+(?:erreichbar|unter)\b|"
        r"\bzu\s+Hause\b|\blives\s+(?:in|at|with)\b|\bhome\s+(?:address|phone|number)\b|\bresid(?:es|ing)\s+(?:in|at)\b|"
        r"\bprivate\s+(?:address|phone|number)\b",
    ),
    (
        "special_category",
        r"\bKonfession\b|\breligi\w+\b|\bkatholisch\b|\bevangelisch\b|\bmuslimisch\b|\bjüdisch\b|\bParteimitglied\w*\b|"
        r"\bMitglied\s+der\s+(?:CDU|CSU|SPD|FDP|AfD|Grünen|Linken)\b|\bGewerkschaftsmitglied\w*\b|\bsexuell\w*\s+"
        r"Orientierung\b|\bhomosexu\w+\b|\bheterosexu\w+\b|\bpolitical\s+(?:party|views)\b|\bsexual\s+orientation\b|"
        r"\bethnic\w*\b",
    ),
)
_COMPILED = tuple((label, re.compile(pattern, re.IGNORECASE)) for label, pattern in _PRIVATE)
# health words also describe products ("Software für die Diagnose"); they are private only about a person
_PERSONAL_DE = re.compile(r"\b(?:er|Er|seine?[mnrs]?|Seine?[mnrs]?|ihre?[mnrs]?|ihm)\b")
_PERSONAL_EN = re.compile(r"\b(?:he|she|his|her|him)\b", re.IGNORECASE)
# register data is published by law and names the company, never a private life
_EXEMPT_KINDS = frozenset({"legal_name", "legal_form", "register", "vat_id"})


def private_categories(text: str) -> list[str]:
    """Which private-life categories ``text`` touches (empty for a business statement)."""
    found = [label for label, pattern in _COMPILED if pattern.search(text)]
    if "health" in found and not (_PERSONAL_DE.search(text) or _PERSONAL_EN.search(text)):
        found.remove("health")
    return found


def is_business_fact(text: str) -> bool:
    """True when ``text`` says nothing about anyone's private life."""
    return not private_categories(text)


def minimise_facts(facts: list[Fact]) -> tuple[list[Fact], int]:
    """The business facts, and how many were dropped."""
    kept = [f for f in facts if f.kind in _EXEMPT_KINDS or is_business_fact(f.text)]
    return kept, len(facts) - len(kept)


def minimise_person(person: Person) -> Person | None:
    """The person with business fields only; None when even the role is private."""
    if person.role and not is_business_fact(person.role):
        person = person.model_copy(update={"role": None})
    if not is_business_fact(person.name):
        return None
    return person


def minimise_profile(profile: CompanyProfile) -> int:
    """Drop private statements from a profile in place; returns how many facts were dropped."""
    profile.facts, dropped = minimise_facts(profile.facts)
    people = [minimise_person(p) for p in profile.people]
    profile.people = [p for p in people if p is not None]
    if profile.description and not is_business_fact(profile.description):
        profile.description = None
    profile.size_signals = [s for s in profile.size_signals if is_business_fact(s)]
    return dropped
