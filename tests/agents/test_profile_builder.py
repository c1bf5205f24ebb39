"""The deterministic profile: structured data first, every fact sourced, no model involved."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.profile_builder import ReadPage, build_profile
from tools.extract import parse_page
from tools.page_kinds import PageKind

READ_AT = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


def page(url: str, html: str, kind: PageKind = PageKind.home) -> ReadPage:
    data = parse_page(html, url)
    return ReadPage(url=url, kind=kind, fetched_at=READ_AT, data=data, html=html, clean_text=data.visible_text)


def test_headcounts_of_customers_are_not_the_company_size() -> None:
    home = page(
        "https://q.example/",
        "<html lang=en><body><p>Over 400 sales teams, mostly software companies with 50 to 500 employees, "
        "forecast with us.</p><p>Around 650 colleagues work in our warehouses.</p></body></html>",
    )
    profile = build_profile("q.example", "https://q.example/", [home])
    assert profile.employees == 650
    assert profile.size_signals == ["Around 650 colleagues"]


def test_a_table_row_gives_the_headcount_without_reading_across_rows() -> None:
    about = page(
        "https://w.example/ueber-uns/",
        "<html lang=de><body><table><tr><th>Gegründet</th><td>1987</td></tr>"
        "<tr><th>Mitarbeitende</th><td>180</td></tr></table></body></html>",
        PageKind.about,
    )
    profile = build_profile("w.example", "https://w.example/", [about])
    assert profile.employees == 180
    assert [(f.kind, f.text, f.source_url, f.retrieved_at) for f in profile.facts if f.kind == "size"] == [
        ("size", "Mitarbeitende 180", "https://w.example/ueber-uns/", READ_AT)
    ]


def test_json_ld_organization_comes_first_and_meta_fills_gaps() -> None:
    home = page(
        "https://d.example/",
        """<html lang="de"><head><meta property="og:site_name" content="D-Site">
        <meta name="description" content="Chirurgische Instrumente und Endoskopie-Zubehör aus Tuttlingen.">
        <script type="application/ld+json">{"@type": "Corporation", "name": "Donautal", "legalName": "Donautal AG",
         "numberOfEmployees": {"@type": "QuantitativeValue", "value": "420"}, "telephone": "+49 7461 5550-0",
         "address": {"addressLocality": "Tuttlingen", "addressCountry": "de", "postalCode": "78532"}}</script>
        </head><body><p>Tel. 07461 5550-0</p></body></html>""",
    )
    profile = build_profile("d.example", "https://d.example/", [home])
    assert (profile.name, profile.legal_name, profile.employees, profile.location, profile.country) == (
        "Donautal", "Donautal AG", 420, "Tuttlingen", "DE"
    )
    assert profile.description == "Chirurgische Instrumente und Endoskopie-Zubehör aus Tuttlingen."
    assert profile.phones == ["+49 7461 5550-0"]  # the national spelling is the same number
    assert profile.industry == "Healthcare"
    assert {f.kind for f in profile.facts} >= {"legal_name", "size", "description", "address", "industry"}
    assert all(f.source_url == "https://d.example/" for f in profile.facts)


def test_no_pages_give_an_empty_but_valid_profile() -> None:
    profile = build_profile("x.example", "https://x.example/", [])
    assert profile.domain == "x.example" and profile.facts == [] and profile.pages_visited == []
