"""The legal-notice parser: German, Austrian, Swiss and UK notices; nothing is guessed."""

from __future__ import annotations

from pathlib import Path

from tools.extract import parse_page
from tools.impressum import clean_person_name, parse_legal_notice

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"


def notice_of(site: str, page: str) -> str:
    return parse_page((SITES / site / page).read_text(encoding="utf-8"), "http://127.0.0.1/").visible_text


def test_german_impressum_fixture() -> None:
    notice = parse_legal_notice(notice_of("mueller-maschinenbau", "impressum.html"))
    assert notice.legal_name == "Müller Maschinenbau GmbH"
    assert notice.legal_form == "GmbH"
    assert notice.address == "Industriestraße 12, 70565 Stuttgart"
    assert notice.country == "DE"
    assert notice.directors == ["Dr. Hans Müller", "Petra Schmidt"]
    assert notice.director_roles == {"Dr. Hans Müller": "Geschäftsführer", "Petra Schmidt": "Geschäftsführer"}
    assert (notice.register_court, notice.register_number) == ("Amtsgericht Stuttgart", "HRB 723456")
    assert notice.vat_id == "DE123456789"


def test_uk_legal_notice_fixture() -> None:
    notice = parse_legal_notice(notice_of("acme-analytics", "legal.html"))
    assert (notice.legal_name, notice.legal_form) == ("Acme Analytics Ltd", "Ltd")
    assert notice.address == "1 Market Street, London EC1A 1BB"
    assert notice.country == "GB"
    assert notice.directors == ["Jane Doe", "John Smith"]
    assert notice.register_number == "09876543"
    assert notice.register_court == "Companies House (England and Wales)"
    assert notice.vat_id == "GB123456789"


def test_ag_with_vorstand_one_line_register_and_spaced_vat() -> None:
    notice = parse_legal_notice(
        "Impressum\nSchneider Antriebstechnik AG\nHauptstr. 5a, D-80331 München\n"
        "Vorstand: Prof. Dr. Klaus Schneider (Vorsitzender), Dipl.-Ing. Maria Huber\n"
        "Aufsichtsratsvorsitzender: Peter Lang\nHandelsregister: HRB 98765, Amtsgericht München\n"
        "USt-IdNr.: DE 811 222 333"
    )
    assert notice.legal_name == "Schneider Antriebstechnik AG"
    assert (notice.street, notice.postal_code, notice.city) == ("Hauptstr. 5a", "80331", "München")
    assert notice.directors == ["Prof. Dr. Klaus Schneider", "Dipl.-Ing. Maria Huber"]
    assert notice.director_roles["Prof. Dr. Klaus Schneider"] == "Vorstand (Vorsitzender)"
    assert "Peter Lang" not in notice.directors
    assert (notice.register_court, notice.register_number) == ("Amtsgericht München", "HRB 98765")
    assert notice.vat_id == "DE811222333"


def test_kg_represented_by_its_general_partner_and_berlin_suffix() -> None:
    notice = parse_legal_notice(
        "Klein Verpackungsmaschinen GmbH & Co. KG\nAm Hafen 3 · 28197 Bremen\n"
        "vertreten durch die Klein Verwaltungs GmbH, diese vertreten durch den Geschäftsführer Jan Klein\n"
        "Eingetragen im Handelsregister des Amtsgerichts Charlottenburg unter HRB 4567 B"
    )
    assert (notice.legal_name, notice.legal_form) == ("Klein Verpackungsmaschinen GmbH & Co. KG", "GmbH & Co. KG")
    assert notice.address == "Am Hafen 3, 28197 Bremen"
    assert notice.directors == ["Jan Klein"]
    assert notice.director_roles == {"Jan Klein": "Geschäftsführer"}
    assert (notice.register_court, notice.register_number) == ("Amtsgericht Charlottenburg", "HRB 4567 B")


def test_austrian_and_swiss_notices() -> None:
    austria = parse_legal_notice(
        "Bauer Steuerungstechnik GmbH\nGewerbepark 7\n4020 Linz\nÖsterreich\nGeschäftsführer\nThomas Bauer\n"
        "Anna Bauer\nFirmenbuchnummer: FN 123456 b\nFirmenbuchgericht: Landesgericht Linz\nUID: ATU12345678"
    )
    assert (austria.postal_code, austria.city, austria.country) == ("4020", "Linz", "AT")
    assert austria.directors == ["Thomas Bauer", "Anna Bauer"]
    assert (austria.register_court, austria.register_number) == ("Landesgericht Linz", "FN 123456b")
    assert austria.vat_id == "ATU12345678"
    swiss = parse_legal_notice(
        "Sihlberg Energietechnik AG\nTössfeldstrasse 33\n8406 Winterthur\nSchweiz\n"
        "Vertretungsberechtigte Personen: Dr. Beat Sieber (Präsident des Verwaltungsrates), Corinne Zürcher (CEO)\n"
        "Handelsregister: Handelsregister des Kantons Zürich\nUnternehmens-Identifikationsnummer (UID): "
        "CHE-109.876.543\nMehrwertsteuernummer: CHE-109.876.543 MWST"
    )
    assert swiss.country == "CH"
    assert swiss.register_court == "Handelsregister des Kantons Zürich"
    assert swiss.register_number == "CHE-109.876.543"
    assert swiss.director_roles == {"Dr. Beat Sieber": "Präsident des Verwaltungsrates", "Corinne Zürcher": "CEO"}


def test_text_without_a_legal_notice_yields_nothing() -> None:
    notice = parse_legal_notice(
        "Willkommen!\nWir bauen seit 1950 Maschinen für die Industrie.\nUnser Team freut sich auf Sie.\n"
        "Rufen Sie uns an."
    )
    assert notice.is_empty()
    assert notice.legal_name is None and notice.directors == [] and notice.register_number is None
    assert parse_legal_notice("").is_empty()


def test_person_names_are_cleaned_or_rejected() -> None:
    assert clean_person_name("Herrn Dr. Hans Müller") == "Dr. Hans Müller"
    assert clean_person_name("den Geschäftsführer Jan Klein (seit 2020)") == "Jan Klein"
    assert clean_person_name("Frau Anna-Lena von der Heide") == "Anna-Lena von der Heide"
    for not_a_name in ("die Klein Verwaltungs GmbH", "Amtsgericht Bremen", "HRB 12345", "info@firma.de", "Müller"):
        assert clean_person_name(not_a_name) is None, not_a_name


def test_us_company_information_page() -> None:
    notice = parse_legal_notice(
        "Company information\nBluefield Grid Systems, Inc. is a Delaware corporation (Delaware file number 6543210) "
        "with its principal office at 2100 Lakeshore Ridge Drive, Suite 300, Austin, TX 78741, USA.\n"
        "Officers: Marcus Chen (Chief Executive Officer), Dev Patel (Chief Technology Officer)"
    )
    assert (notice.legal_name, notice.legal_form, notice.register_number) == (
        "Bluefield Grid Systems, Inc.", "Inc.", "6543210"
    )
    assert notice.address == "2100 Lakeshore Ridge Drive, Suite 300, Austin, TX 78741"
    assert notice.country == "US"
    assert notice.director_roles == {"Marcus Chen": "Chief Executive Officer", "Dev Patel": "Chief Technology Officer"}
