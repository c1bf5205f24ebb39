"""`outreach crm import|export|show`: the CRM store from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from api.cli.common import JsonOption, console, err_console, fail, print_json, store_session
from tools.crm.csv_io import COLUMNS, CsvImportError, export_contacts, import_contacts
from tools.crm.models import Contact
from tools.crm.repository import contacts_at_company, get_company_by_domain, get_contact_by_email

crm_app = typer.Typer(help="Contacts and companies in the CRM store.", no_args_is_help=True)


@crm_app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help=f"CSV file; columns: {', '.join(COLUMNS)} (email required)."),
    json_output: bool = JsonOption,
) -> None:
    """Import contacts from CSV; bad rows are listed with line numbers, good rows are kept."""
    with store_session() as (_settings, session):
        try:
            report = import_contacts(session, path=path)
        except CsvImportError as exc:
            fail(str(exc))
    if json_output:
        print_json(report.as_dict())
    else:
        console.print(
            f"{report.rows} rows: [green]{report.created} created[/], {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.companies_created} new companies, "
            f"[red]{len(report.errors)} rejected[/]"
        )
        for error in report.errors[:50]:
            err_console.print(f"  line {error.line}: {error.message}", highlight=False)
        if len(report.errors) > 50:
            err_console.print(f"  … and {len(report.errors) - 50} more")
    if report.errors and not report.created and not report.updated and not report.unchanged:
        raise typer.Exit(1)


@crm_app.command("export")
def export_cmd(
    out: Path | None = typer.Option(None, "--out", "-o", help="File to write (default: stdout)."),
) -> None:
    """Export every contact as CSV in the import column set."""
    with store_session() as (_settings, session):
        if out is None:
            count = export_contacts(session, out=sys.stdout)
        else:
            tmp = out.with_suffix(out.suffix + ".tmp")
            try:
                with tmp.open("w", encoding="utf-8", newline="") as handle:
                    count = export_contacts(session, out=handle)
                tmp.replace(out)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                fail(f"cannot write {out}: {exc.strerror}")
    if out is not None:
        err_console.print(f"{count} contacts written to {out}")


def _contact_dict(contact: Contact) -> dict[str, Any]:
    return contact.model_dump(mode="json")


@crm_app.command("show")
def show_cmd(
    key: str = typer.Argument(..., help="An email address or a company domain."),
    json_output: bool = JsonOption,
) -> None:
    """Show a contact (by email) or a company and its contacts (by domain)."""
    with store_session() as (_settings, session):
        data: dict[str, Any]
        if "@" in key:
            contact = get_contact_by_email(session, email=key)
            if contact is None:
                fail(f"no contact with email {key}")
            data = {"contact": _contact_dict(contact)}
        else:
            company = get_company_by_domain(session, domain=key)
            if company is None:
                fail(f"no company with domain {key}")
            data = {
                "company": company.model_dump(mode="json", exclude={"profile"}),
                "contacts": [_contact_dict(c) for c in contacts_at_company(session, company_id=company.id)],
            }
    if json_output:
        print_json(data)
        return
    for section, value in data.items():
        rows = value if isinstance(value, list) else [value]
        for row in rows:
            table = Table("field", "value", title=section)
            for field, field_value in row.items():
                if field_value not in (None, "", [], {}):
                    table.add_row(field, str(field_value))
            console.print(table)


def register(app: typer.Typer) -> None:
    """Add the crm commands."""
    app.add_typer(crm_app, name="crm")
