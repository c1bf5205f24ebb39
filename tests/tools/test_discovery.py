"""Discovery: companies from a listing page, search results and CSV, de-duplicated by registrable domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.discovery import (
    DiscoveredCompany,
    companies_from_csv,
    companies_from_listing,
    dedupe_companies,
    discover_from_search,
)
from tools.search import SearchResult

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
LISTING_URL = "https://www.messe-automation.example/aussteller.html"


def listing() -> list[DiscoveredCompany]:
    return companies_from_listing((SITES / "listing" / "index.html").read_text(encoding="utf-8"), LISTING_URL)


def test_listing_with_twenty_companies_finds_all_and_removes_duplicates() -> None:
    found = listing()
    assert len(found) == 20
    assert len({c.domain for c in found}) == 20
    domains = [c.domain for c in found]
    assert domains[0] == "mueller-maschinenbau.de"
    assert "fischer-automation.com" in domains and "hartmann-industrial.co.uk" in domains
    assert all(c.source_url == LISTING_URL for c in found)


def test_names_come_from_link_text_or_the_entry_around_a_generic_link() -> None:
    names = {c.domain: c.name for c in listing()}
    assert names["mueller-maschinenbau.de"] == "Müller Maschinenbau GmbH"  # link text
    assert names["schneider-antriebe.de"] == "Schneider Antriebstechnik AG"  # URL as text: <strong>
    assert names["fischer-automation.com"] == "Fischer Automation GmbH"  # "Website": <h3>
    assert names["hoffmann-foerdertechnik.de"] == "Hoffmann Fördertechnik GmbH & Co. KG"
    # the duplicate entries (partner stand, shop subdomain, upper-case URL) did not rename anyone
    assert names["klein-verpackung.de"] == "Klein Verpackungsmaschinen GmbH"


def test_navigation_footer_social_and_own_links_are_not_companies() -> None:
    domains = {c.domain for c in listing()}
    for not_a_company in ("facebook.com", "linkedin.com", "youtube.com", "google.com", "messe-automation.example"):
        assert not_a_company not in domains


def test_broken_or_empty_pages_give_no_companies() -> None:
    assert companies_from_listing("", LISTING_URL) == []
    assert companies_from_listing("<html><body><p>Keine Aussteller.</p></body></html>", LISTING_URL) == []


def test_dedupe_keeps_the_first_per_domain() -> None:
    a = DiscoveredCompany(name="A", website="https://www.a.de/", domain="a.de", source_url="x")
    b = DiscoveredCompany(name="A Shop", website="https://shop.a.de/", domain="a.de", source_url="x")
    c = DiscoveredCompany(name="C", website="https://c.de/", domain="c.de", source_url="x")
    assert dedupe_companies([a, b, c]) == [a, c]


class FakeSearch:
    name = "fake"

    def __init__(self, results: list[SearchResult]) -> None:
        self.results = results
        self.queries: list[tuple[str, int]] = []

    async def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        self.queries.append((query, limit))
        return self.results[:limit]


async def test_search_results_become_companies_one_per_domain() -> None:
    provider = FakeSearch(
        [
            SearchResult(title="Weber Hydraulik GmbH | Hydraulikzylinder", url="https://www.weber-hydraulik.de/"),
            SearchResult(title="Weber Hydraulik – Kontakt", url="https://weber-hydraulik.de/kontakt"),
            SearchResult(title="Weber Hydraulik | LinkedIn", url="https://de.linkedin.com/company/weber"),
            SearchResult(title="", url="https://www.becker-sensorik.co.uk/"),
        ]
    )
    found = await discover_from_search(provider, "Hydraulik Hersteller", limit=10)
    assert [(c.name, c.domain) for c in found] == [
        ("Weber Hydraulik GmbH", "weber-hydraulik.de"),
        ("Becker Sensorik", "becker-sensorik.co.uk"),
    ]
    assert found[0].source_url == "search:fake:Hydraulik Hersteller"
    assert provider.queries == [("Hydraulik Hersteller", 10)]


def test_csv_rows_become_companies(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "email,first_name,company_name,website\n"
        "anna@mueller-maschinenbau.de,Anna,Müller Maschinenbau GmbH,\n"
        "ben@www.mueller-maschinenbau.de,Ben,,\n"
        "cara@gmail.com,Cara,,https://www.cara-design.de/\n"
        "dan@gmx.de,Dan,,\n"
        "not-an-email,Eve,,\n",
        encoding="utf-8",
    )
    found = companies_from_csv(path)
    assert [(c.name, c.domain, c.website) for c in found] == [
        ("Müller Maschinenbau GmbH", "mueller-maschinenbau.de", "https://mueller-maschinenbau.de/"),
        ("Cara Design", "cara-design.de", "https://www.cara-design.de/"),
    ]


def test_csv_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    from tools.crm.csv_io import CsvImportError

    path = tmp_path / "bad.csv"
    path.write_text("name;email\nA;a@b.de\n", encoding="utf-8")
    with pytest.raises(CsvImportError):
        companies_from_csv(path)
