"""HTML to research data: JSON-LD, OpenGraph, contact links, visible vs hidden text, links."""

from __future__ import annotations

from pathlib import Path

from tools.extract import (
    absolute_url,
    deobfuscate_email,
    emails_in_text,
    extract_links,
    normalise_phone,
    parse_page,
    same_number,
)

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"

PAGE = """<!doctype html><html lang="de-DE"><head>
<title>Beispiel GmbH – Startseite</title>
<meta name="description" content="Wir bauen Förderanlagen.">
<meta property="og:site_name" content="Beispiel">
<base href="https://www.beispiel.de/de/">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "Organization", "name": "Beispiel"}, {"@type": ["schema:Person"], "name": "Eva Roth"}]}</script>
<script type="application/ld+json">{ not json </script>
<script>var secret = "do not read";</script>
<style>.x { color: red }</style>
</head><body>
<h1>Förderanlagen</h1><p>Seit 1950.<br>In Hamburg.</p>
<div style="display: none">Versteckter Text</div><p hidden>Auch versteckt</p><span aria-hidden="true">Icon</span>
<p>Kontakt: <a href="mailto:Info@Beispiel.de?subject=Hallo">schreiben</a>, vertrieb (at) beispiel (dot) de,
Tel.: +49 40 123456-0, <a href="tel:+4940123456 0">anrufen</a>, Stand: 01.09.2026</p>
<a href="team.html#top">Team</a> <a href="/impressum">Impressum</a> <a href="#oben">nach oben</a>
<a href="javascript:void(0)">x</a> <a href="mailto:a@b.de">mail</a>
<a href="https://other.example/x" title="Partner"></a>
<a href="team.html">Team again</a>
</body></html>"""


def test_structured_data_meta_and_language_are_read() -> None:
    data = parse_page(PAGE, "https://www.beispiel.de/de/start")
    assert data.title == "Beispiel GmbH – Startseite"
    assert data.lang == "de"
    assert data.meta["description"] == "Wir bauen Förderanlagen."
    assert data.meta["og:site_name"] == "Beispiel"
    assert [obj["name"] for obj in data.json_ld] == ["Beispiel", "Eva Roth"]


def test_visible_text_keeps_lines_and_drops_scripts_while_hidden_text_is_kept_apart() -> None:
    data = parse_page(PAGE, "https://www.beispiel.de/")
    assert "Seit 1950.\nIn Hamburg." in data.visible_text
    assert "secret" not in data.visible_text and "color" not in data.visible_text
    for hidden in ("Versteckter Text", "Auch versteckt", "Icon"):
        assert hidden not in data.visible_text
        assert hidden in data.hidden_text


def test_contacts_from_links_and_text_without_dates_or_duplicates() -> None:
    data = parse_page(PAGE, "https://www.beispiel.de/")
    assert data.emails == ["info@beispiel.de", "a@b.de", "vertrieb@beispiel.de"]
    assert data.phones == ["+4940123456 0"]  # the text spelling of the same number is a duplicate
    assert all("2026" not in p for p in data.phones)


def test_links_are_absolute_deduplicated_and_resolved_against_base_href() -> None:
    data = parse_page(PAGE, "https://www.beispiel.de/de/start")
    urls = [link.url for link in data.links]
    assert urls == [
        "https://www.beispiel.de/de/team.html",
        "https://www.beispiel.de/impressum",
        "https://other.example/x",
    ]
    assert data.links[2].text == "Partner"
    assert data.links[0].text == "Team | Team again"  # texts of repeated links are kept
    assert extract_links(PAGE, "https://x.example/")[0].url == "https://x.example/team.html"


def test_bad_or_empty_html_gives_empty_data_not_an_exception() -> None:
    for html in ("", "   ", "\x00\x01", "<html><body><p>unclosed <b>tags"):
        data = parse_page(html, "https://x.example/")
        assert data.url == "https://x.example/"
    assert parse_page("<p>unclosed <b>tags", "https://x.example/").visible_text == "unclosed tags"
    assert extract_links("", "https://x.example/") == []


def test_helpers() -> None:
    assert absolute_url("  /a?b=1#c ", "https://X.example/y/") == "https://x.example/a?b=1"
    assert absolute_url("ftp://x.example/", "https://x.example/") is None
    assert absolute_url("#top", "https://x.example/") is None
    assert deobfuscate_email("info [at] firma [dot] de") == "info@firma.de"
    assert emails_in_text("logo@2x.png and hi@firma.de.") == ["hi@firma.de"]
    assert normalise_phone("12.03.2024") is None
    assert normalise_phone("12 34") is None
    assert same_number("0711 123456-0", ["+49 711 123456-0"])
    assert not same_number("+49 711 123456-30", ["+49 711 123456-0"])


def test_fixture_home_page_reads_json_ld_and_meta() -> None:
    html = (SITES / "mueller-maschinenbau" / "index.html").read_text(encoding="utf-8")
    data = parse_page(html, "http://127.0.0.1/")
    assert data.json_ld[0]["address"]["addressLocality"] == "Stuttgart"
    assert data.meta["og:site_name"] == "Müller Maschinenbau"
    assert "Sondermaschinen" in data.main_text
    assert [link.text for link in data.links][:3] == ["Start", "Über uns", "Leistungen"]
