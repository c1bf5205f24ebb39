"""CSV import and export of contacts (with their companies).

Columns (header required, comma-separated, UTF-8, optional BOM); only ``email`` is required:

    email, first_name, last_name, salutation, role, phone, company_name, company_domain,
    website, country, language, lawful_basis, basis_source, basis_date, source, linkedin_url

``company_domain`` defaults to the email's domain unless it is a free-mail provider.
Bad rows are reported with their line numbers and skipped; good rows are kept. A file that
cannot be read as a whole (no header, wrong delimiter, not UTF-8) changes nothing.
Re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from tools.crm.models import Company, Contact, LawfulBasis
from tools.crm.repository import record_audit
from tools.crm.types import utcnow
from tools.domains import is_freemail, registrable_domain

COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "salutation",
    "role",
    "phone",
    "company_name",
    "company_domain",
    "website",
    "country",
    "language",
    "lawful_basis",
    "basis_source",
    "basis_date",
    "source",
    "linkedin_url",
)
_CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "salutation",
    "role",
    "phone",
    "language",
    "country",
    "lawful_basis",
    "basis_source",
    "basis_date",
    "source",
    "linkedin_url",
)
_SALUTATIONS = {"frau": "Frau", "herr": "Herr", "ms": "Frau", "mrs": "Frau", "mr": "Herr"}
MAX_ROWS = 200_000


class CsvImportError(ValueError):
    """The file cannot be imported at all; nothing was written."""


@dataclass
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    companies_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "companies_created": self.companies_created,
            "errors": [{"line": e.line, "message": e.message} for e in self.errors],
        }


@dataclass
class _Row:
    line: int
    email: str
    contact: dict[str, Any]
    company_domain: str | None
    company: dict[str, Any]


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CsvImportError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CsvImportError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _check_header(header: list[str], source: str) -> list[str]:
    names = [h.strip().lower() for h in header]
    if "email" in names:
        unknown = sorted(set(names) - set(COLUMNS) - {""})
        if unknown:
            raise CsvImportError(f"{source}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(COLUMNS)}")
        if len(set(names)) != len(names):
            raise CsvImportError(f"{source}: duplicate column names in the header")
        return names
    joined = ",".join(header)
    for delimiter, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        if delimiter in joined and "email" in [p.strip().lower() for p in joined.split(delimiter)]:
            raise CsvImportError(f"{source}: the file uses {label} as delimiter; contacts CSV must be comma-separated")
    raise CsvImportError(f"{source}: missing header with an 'email' column (first line: {joined[:80]!r})")


def _parse_date(value: str) -> datetime:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            parsed = datetime.strptime(value, fmt).date()
            return datetime.combine(parsed, datetime.min.time(), tzinfo=UTC)
        except ValueError:
            continue
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"basis_date {value!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)") from exc
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _parse_row(line: int, raw: dict[str, str]) -> _Row:
    values = {k: (v or "").strip() for k, v in raw.items() if k}
    try:
        email = validate_email(values.get("email", ""), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email {values.get('email', '')!r}: {exc}") from exc
    contact: dict[str, Any] = {name: values.get(name) or None for name in _CONTACT_FIELDS}
    if contact["salutation"]:
        key = contact["salutation"].lower().rstrip(".")
        if key not in _SALUTATIONS:
            raise ValueError(f"salutation {contact['salutation']!r} must be Frau or Herr (or empty)")
        contact["salutation"] = _SALUTATIONS[key]
    if contact["lawful_basis"]:
        try:
            contact["lawful_basis"] = LawfulBasis(contact["lawful_basis"].lower())
        except ValueError as exc:
            allowed = ", ".join(b.value for b in LawfulBasis)
            raise ValueError(f"lawful_basis {contact['lawful_basis']!r} must be one of {allowed}") from exc
    if contact["basis_date"]:
        contact["basis_date"] = _parse_date(contact["basis_date"])
    if contact["country"]:
        if len(contact["country"]) != 2 or not contact["country"].isalpha():
            raise ValueError(f"country {contact['country']!r} must be a two-letter code (DE, AT, CH, …)")
        contact["country"] = contact["country"].upper()
    if contact["language"]:
        contact["language"] = contact["language"].lower()[:5]
    domain_value = values.get("company_domain") or values.get("website") or ""
    if not domain_value and not is_freemail(email):
        domain_value = email
    company_domain = registrable_domain(domain_value) if domain_value else None
    company = {
        "name": values.get("company_name") or None,
        "website": values.get("website") or None,
        "country": contact["country"],
    }
    return _Row(line, email, contact, company_domain, company)


def parse_contacts_csv(path: Path) -> tuple[list[_Row], list[RowError]]:
    """Read and validate every row; raises CsvImportError if the file as a whole is unusable."""
    text = _read_text(path)
    if not text.strip():
        raise CsvImportError(f"{path}: the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise CsvImportError(f"{path}: not CSV: {exc}") from exc
    names = _check_header(header, str(path))
    rows: list[_Row] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                raise CsvImportError(f"{path}: more than {MAX_ROWS} rows; split the file")
            if len(record) != len(names):
                errors.append(RowError(line, f"expected {len(names)} fields, found {len(record)}"))
                continue
            try:
                row = _parse_row(line, dict(zip(names, record, strict=True)))
            except ValueError as exc:
                errors.append(RowError(line, str(exc)))
                continue
            if row.email in seen:
                errors.append(RowError(line, f"duplicate of line {seen[row.email]} ({row.email})"))
                continue
            seen[row.email] = line
            rows.append(row)
    except csv.Error as exc:
        raise CsvImportError(f"{path}: malformed CSV at line {reader.line_num}: {exc}") from exc
    return rows, errors


def _chunks(items: list[str], size: int = 900) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_contacts(session: Session, *, path: Path, actor: str = "cli") -> ImportReport:
    """Import contacts from a CSV file (idempotent); the caller commits."""
    rows, errors = parse_contacts_csv(path)
    report = ImportReport(rows=len(rows) + len(errors), errors=errors)
    domains = sorted({r.company_domain for r in rows if r.company_domain})
    companies: dict[str, Company] = {}
    for chunk in _chunks(domains):
        for company in session.exec(select(Company).where(col(Company.domain).in_(chunk))):
            companies[company.domain] = company
    contacts: dict[str, Contact] = {}
    for chunk in _chunks([r.email for r in rows]):
        for contact in session.exec(select(Contact).where(col(Contact.email).in_(chunk))):
            contacts[contact.email] = contact
    now = utcnow()
    for row in rows:
        company_id = None
        if row.company_domain:
            known = companies.get(row.company_domain)
            if known is None:
                known = company = Company(domain=row.company_domain, **{k: v for k, v in row.company.items() if v})
                companies[row.company_domain] = company
                session.add(company)
                report.companies_created += 1
            company_id = known.id
        fields = {k: v for k, v in row.contact.items() if v is not None}
        if company_id is not None:
            fields["company_id"] = company_id
        existing = contacts.get(row.email)
        if existing is None:
            session.add(Contact(email=row.email, created_at=now, updated_at=now, **fields))
            report.created += 1
            continue
        changed = False
        for name, value in fields.items():
            if getattr(existing, name) != value:
                setattr(existing, name, value)
                changed = True
        if changed:
            existing.updated_at = now
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    record_audit(
        session,
        action="crm.import",
        actor=actor,
        entity_type="file",
        entity_id=path.name[:64],
        data={k: v for k, v in report.as_dict().items() if k != "errors"} | {"errors": len(errors)},
    )
    return report


def _export_rows(session: Session) -> Iterable[dict[str, Any]]:
    companies = {c.id: c for c in session.exec(select(Company))}
    for contact in session.exec(select(Contact).order_by(col(Contact.email))):
        company = companies.get(contact.company_id) if contact.company_id else None
        basis_date: date | None = contact.basis_date.date() if contact.basis_date else None
        yield {
            "email": contact.email,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "salutation": contact.salutation,
            "role": contact.role,
            "phone": contact.phone,
            "company_name": company.name if company else None,
            "company_domain": company.domain if company else None,
            "website": company.website if company else None,
            "country": contact.country,
            "language": contact.language,
            "lawful_basis": contact.lawful_basis.value,
            "basis_source": contact.basis_source,
            "basis_date": basis_date.isoformat() if basis_date else None,
            "source": contact.source,
            "linkedin_url": contact.linkedin_url,
        }


def export_contacts(session: Session, *, out: io.TextIOBase | Any) -> int:
    """Write every contact as CSV in the import column set; returns the row count."""
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in _export_rows(session):
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        count += 1
    return count
