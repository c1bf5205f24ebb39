"""People on team pages and dated headlines on news pages, read deterministically."""

from __future__ import annotations

from pathlib import Path

from tools.extract import parse_page
from tools.news import extract_news, parse_date
from tools.people import PersonEntry, extract_people

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"


def read(site: str, page: str) -> str:
    return (SITES / site / page).read_text(encoding="utf-8")


def test_team_cards_give_name_role_and_the_contact_inside_the_card() -> None:
    people = extract_people(read("mueller-maschinenbau", "team.html"))
    assert people == [
        PersonEntry("Dr. Hans Müller", "Geschäftsführer", "h.mueller@mueller-maschinenbau.de", None),
        PersonEntry("Petra Schmidt", "Geschäftsführerin, Leitung Vertrieb", "p.schmidt@mueller-maschinenbau.de", None),
        PersonEntry("Jonas Weber", "Leiter Einkauf", None, "+49 711 123456-30"),
    ]


def test_json_ld_people_merge_with_list_items() -> None:
    html = read("acme-analytics", "company/leadership.html")
    people = extract_people(html, parse_page(html, "http://127.0.0.1/").json_ld)
    assert [(p.name, p.role, p.email) for p in people] == [
        ("Jane Doe", "Chief Executive Officer", "jane.doe@acme-analytics.co.uk"),
        ("John Smith", "Chief Technology Officer", None),
        ("Priya Patel", "Head of Sales", "priya.patel@acme-analytics.co.uk"),
    ]


def test_definition_lists_and_inline_roles() -> None:
    html = """<main><dl>
      <dt>Corinne Zürcher</dt><dd>CEO, Vorsitzende der Geschäftsleitung · <a href="mailto:cz@x.example">Mail</a></dd>
      <dt>Lukas Frei</dt><dd>CTO, Leiter Entwicklung</dd></dl>
      <ul><li>Hans Leitner – Vertriebsleiter Süd (Bayern, <a href="tel:+49891234567">Tel</a></li></ul></main>"""
    people = extract_people(html)
    assert ("Corinne Zürcher", "CEO, Vorsitzende der Geschäftsleitung", "cz@x.example") in [
        (p.name, p.role, p.email) for p in people
    ]
    assert ("Lukas Frei", "CTO, Leiter Entwicklung") in [(p.name, p.role) for p in people]
    leitner = next(p for p in people if p.name == "Hans Leitner")  # "Leitner" is a name, not a role
    assert leitner.role == "Vertriebsleiter Süd" and leitner.phone == "+49891234567"


def test_pages_without_people_yield_none() -> None:
    for page in ("index.html", "impressum.html", "kontakt.html", "aktuelles.html"):
        assert extract_people(read("mueller-maschinenbau", page)) == [], page
    assert extract_people("") == []
    assert extract_people("<main><h2>Unser Team</h2><p>Geschäftsführung</p></main>") == []


def test_news_items_are_dated_and_sorted_newest_first() -> None:
    news = extract_news(read("mueller-maschinenbau", "aktuelles.html"), "http://127.0.0.1:9/aktuelles.html")
    assert [(n.date, n.title) for n in news] == [
        ("2024-03-12", "Müller Maschinenbau auf der Hannover Messe 2024"),
        ("2024-01-15", "Neue Montagehalle in Esslingen eröffnet"),
        ("2023-10-02", "Auftrag für Prüfstände von einem süddeutschen Zulieferer"),
    ]
    assert news[0].url == "http://127.0.0.1:9/news/hannover-messe-2024.html"
    english = extract_news(read("acme-analytics", "newsroom.html"), "http://127.0.0.1:9/")
    assert [(n.date, n.title) for n in english] == [
        ("2024-03-04", "Acme Analytics raises £12m Series B"),
        ("2023-11-20", "Acme Analytics opens Dublin office"),
    ]


def test_leading_dates_are_cut_from_headlines_and_undated_blocks_ignored() -> None:
    html = """<ul><li><h3>12.11.2026 – Neue Halle eröffnet</h3></li><li><h3>Ohne Datum, kein Eintrag</h3></li></ul>"""
    assert [(n.date, n.title) for n in extract_news(html, "http://x/")] == [("2026-11-12", "Neue Halle eröffnet")]
    assert extract_news("", "http://x/") == []


def test_dates_in_german_and_english() -> None:
    assert parse_date("am 3. März 2024") == "2024-03-03"
    assert parse_date("Sept. 9, 2023") == "2023-09-09"
    assert parse_date("1 January 2022") == "2022-01-01"
    assert parse_date("31.02.2024") is None
    assert parse_date("keine Angabe") is None


def test_role_suffixes_make_roles_but_names_with_them_stay_names() -> None:
    html = """<ul>
      <li>Uwe Hofmeister – Inhaber, Elektrotechnikermeister</li>
      <li>Melanie Hofmeister – Büroleitung und Angebote</li>
      <li>Kevin Brauer – Meister Schaltanlagenbau</li>
      <li>Lea Sommer – Auszubildende Elektronikerin</li></ul>"""
    assert [(p.name, p.role) for p in extract_people(html)] == [
        ("Uwe Hofmeister", "Inhaber, Elektrotechnikermeister"),
        ("Melanie Hofmeister", "Büroleitung und Angebote"),
        ("Kevin Brauer", "Meister Schaltanlagenbau"),
        ("Lea Sommer", "Auszubildende Elektronikerin"),
    ]


def test_headlines_in_dated_headings_or_bold_lines() -> None:
    headings = """<main><h1>Newsroom</h1>
      <h2>21 October 2026: Fenmoor opens chilled hub in Peterborough</h2><p>140 new jobs.</p>
      <h2>November 18, 2026 – Quillstone launches pipeline forecasting</h2><p>Text.</p></main>"""
    assert [(n.date, n.title) for n in extract_news(headings, "http://x/")] == [
        ("2026-11-18", "Quillstone launches pipeline forecasting"),
        ("2026-10-21", "Fenmoor opens chilled hub in Peterborough"),
    ]
    bold = "<main><p><strong>02.10.2026 – Zweite Werkstatt bezogen</strong><br>Eine Halle mit 400 m².</p></main>"
    assert [(n.date, n.title) for n in extract_news(bold, "http://x/")] == [("2026-10-02", "Zweite Werkstatt bezogen")]
