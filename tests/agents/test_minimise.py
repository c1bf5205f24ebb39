"""Data minimisation: business facts stay, private life goes (German and English)."""

from __future__ import annotations

import pytest

from agents.minimise import is_business_fact, minimise_facts, minimise_profile, private_categories
from agents.profile import CompanyProfile, Fact, Person


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Hans Müller ist verheiratet und hat drei Kinder.", "family"),
        ("Sie lebt mit ihrem Mann in Esslingen.", "family"),
        ("Priya lives in Richmond with her husband and two children.", "family"),
        ("He is a father of two.", "family"),
        ("Geboren am 3. Mai 1980 in Esslingen.", "birth"),
        ("Jonas (42 Jahre alt) leitet den Einkauf.", "birth"),
        ("Her birthday is on 4 July.", "birth"),
        ("Nach seiner Krebserkrankung kehrte er zurück.", "health"),
        ("She is on maternity leave.", "health"),
        ("Er ist schwerbehindert und Diabetiker; seine Diagnose kam 2019.", "health"),
        ("Privatadresse: Rosenweg 3, 70191 Stuttgart", "private_address"),
        ("Die Familie lebt in Stuttgart.", "private_address"),
        ("His home address is 12 Oak Lane.", "private_address"),
        ("Er ist Mitglied der CDU.", "special_category"),
        ("Sie ist katholisch.", "special_category"),
    ],
)
def test_private_statements_are_recognised(text: str, category: str) -> None:
    assert category in private_categories(text)
    assert not is_business_fact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Seit 1987 entwickeln wir Sondermaschinen in Stuttgart.",
        "Möbel für Kinder und Jugendliche aus Massivholz.",
        "Müller & Sohn GmbH ist ein Familienunternehmen in dritter Generation.",
        "Wir entwickeln Software für die Diagnose von Maschinenschäden.",
        "Medical devices for cancer diagnostics.",
        "Founded in 2016, we have 45 employees in London.",
        "Petra Schmidt, Geschäftsführerin, Leitung Vertrieb",
        "Industriestraße 12, 70565 Stuttgart",
    ],
)
def test_business_statements_stay(text: str) -> None:
    assert is_business_fact(text), private_categories(text)


def test_profiles_keep_business_facts_people_and_register_data() -> None:
    source = "https://firma.example/team"
    profile = CompanyProfile(
        domain="firma.example",
        description="Hans Müller ist verheiratet und hat drei Kinder.",
        size_signals=["über 120 Mitarbeitern", "Geboren am 3. Mai 1980"],
        people=[
            Person(name="Jonas Weber", role="Leiter Einkauf, Vater von zwei Kindern", source_url=source),
            Person(name="Petra Schmidt", role="Geschäftsführerin", email="p.schmidt@firma.example", source_url=source),
        ],
        facts=[
            Fact(kind="person", text="Petra Schmidt, Geschäftsführerin", source_url=source),
            Fact(kind="fact", text="Hans Müller ist verheiratet und hat drei Kinder.", source_url=source),
            Fact(kind="legal_name", text="Müller & Söhne GmbH", source_url=source),
            Fact(kind="news", text="2024-01-01: Geschäftsführer feiert 60. Geburtstag", source_url=source),
        ],
    )
    dropped = minimise_profile(profile)
    assert dropped == 2
    assert [f.kind for f in profile.facts] == ["person", "legal_name"]
    assert profile.description is None
    assert profile.size_signals == ["über 120 Mitarbeitern"]
    assert [(p.name, p.role) for p in profile.people] == [("Jonas Weber", None), ("Petra Schmidt", "Geschäftsführerin")]
    kept, count = minimise_facts([])
    assert (kept, count) == ([], 0)
