"""CSV import/export: bad rows with line numbers, idempotent re-import, whole-file errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tools.crm.csv_io import CsvImportError, export_contacts, import_contacts
from tools.crm.models import Company, Contact, LawfulBasis

GOOD = (
    "email,first_name,last_name,salutation,role,company_name,country,lawful_basis,basis_date\n"
    "anna.muster@muster-gmbh.de,Anna,Muster,Frau,Geschäftsführerin,Muster GmbH,DE,consent,2026-03-01\n"
    "bob@example.com,Bob,Smith,Mr,CTO,Example Inc,US,legitimate_interest,\n"
    "carla@gmail.com,Carla,,,,,AT,none,\n"
)


def _write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_contacts_and_companies(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        report = import_contacts(session, path=_write(tmp_path, GOOD))
        session.commit()
        assert (report.created, report.companies_created, report.errors) == (3, 2, [])
        anna = session.exec(select(Contact).where(Contact.email == "anna.muster@muster-gmbh.de")).one()
        assert anna.salutation == "Frau" and anna.lawful_basis is LawfulBasis.consent
        assert anna.basis_date is not None and anna.basis_date.year == 2026
        carla = session.exec(select(Contact).where(Contact.email == "carla@gmail.com")).one()
        assert carla.company_id is None, "a free-mail domain is not an employer"
        assert {c.domain for c in session.exec(select(Company))} == {"muster-gmbh.de", "example.com"}


def test_reimport_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    with Session(engine) as session:
        import_contacts(session, path=path)
        session.commit()
        before = {c.email: c.updated_at for c in session.exec(select(Contact))}
        report = import_contacts(session, path=path)
        session.commit()
        assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
        assert {c.email: c.updated_at for c in session.exec(select(Contact))} == before


def test_bad_rows_reported_with_line_numbers_good_rows_kept(engine: Engine, tmp_path: Path) -> None:
    text = (
        "email,first_name,salutation,country,lawful_basis\n"
        "ok@firma.de,Ok,,DE,\n"
        "not-an-email,X,,,\n"
        "ok@firma.de,Dup,,,\n"
        "x@firma.de,X,Dr,,\n"
        "y@firma.de,Y,,Germany,\n"
        "z@firma.de,Z,,,maybe\n"
        "w@firma.de,too,many,fields,here,extra\n"
    )
    with Session(engine) as session:
        report = import_contacts(session, path=_write(tmp_path, text))
        session.commit()
        assert report.created == 1
        by_line = {e.line: e.message for e in report.errors}
        assert set(by_line) == {3, 4, 5, 6, 7, 8}
        assert "invalid email" in by_line[3]
        assert "duplicate of line 2" in by_line[4]
        assert "salutation" in by_line[5]
        assert "country" in by_line[6]
        assert "lawful_basis" in by_line[7]
        assert "expected 5 fields" in by_line[8]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("first_name,last_name\nAnna,Muster\n", "missing header"),
        ("email;first_name\nanna@x.de;Anna\n", "semicolon as delimiter"),
        ("email,shoe_size\nanna@x.de,42\n", "unknown column"),
        ("", "empty"),
    ],
)
def test_unusable_file_changes_nothing(engine: Engine, tmp_path: Path, text: str, message: str) -> None:
    with Session(engine) as session:
        with pytest.raises(CsvImportError, match=message):
            import_contacts(session, path=_write(tmp_path, text))
        assert session.exec(select(Contact)).all() == []


def test_not_utf8_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,first_name\nj@x.de,Jürgen\n".encode("latin-1"))
    with Session(engine) as session, pytest.raises(CsvImportError, match="not UTF-8"):
        import_contacts(session, path=path)


def test_export_round_trips(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        import_contacts(session, path=_write(tmp_path, GOOD))
        session.commit()
        out = io.StringIO()
        assert export_contacts(session, out=out) == 3
    exported = _write(tmp_path, out.getvalue(), "export.csv")
    with Session(engine) as session:
        report = import_contacts(session, path=exported)
        assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 3, [])
    assert out.getvalue().splitlines()[0].startswith("email,first_name,last_name")


def test_fifty_thousand_rows(engine: Engine, tmp_path: Path) -> None:
    lines = ["email,first_name,company_name"] + [f"p{i}@firma{i % 997}.de,P{i},Firma {i % 997}" for i in range(50_000)]
    with Session(engine) as session:
        report = import_contacts(session, path=_write(tmp_path, "\n".join(lines) + "\n"))
        session.commit()
        assert (report.created, report.companies_created, len(report.errors)) == (50_000, 997, 0)
