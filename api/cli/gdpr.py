"""`outreach gdpr export|erase` and `outreach suppress add|list`: data-subject rights and the ledger."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from agents.compliance.gdpr import erase_from_settings, export_from_settings
from agents.compliance.scrub import ScrubError
from agents.compliance.subject import GdprError, subject_address
from agents.compliance.suppress import SuppressError, SuppressionReason, suppress_value
from api.cli.common import JsonOption, console, err_console, fail, get_settings, open_store, print_json, store_session
from memory.store import MemoryStoreError
from tools.crm.suppression import list_suppressions

gdpr_app = typer.Typer(help="Data-subject requests (DSGVO Art. 15, 17, 20).", no_args_is_help=True)
suppress_app = typer.Typer(help="The suppression ledger: addresses and domains never mailed.", no_args_is_help=True)

_MANUAL_REASONS = [r.value for r in SuppressionReason if r is not SuppressionReason.erasure]


def _write_private(path: Path, text: str) -> None:
    """Write atomically with owner-only permissions: an export is personal data."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        fail(f"cannot write {path}: {exc.strerror}")


@gdpr_app.command("export")
def export_cmd(
    email: str = typer.Argument(..., help="The person's email address."),
    out: Path | None = typer.Option(None, "--out", "-o", help="File to write (default: stdout)."),
) -> None:
    """Everything held about a person as JSON: CRM rows, research, mails, memory, checkpoints, audit."""
    try:
        subject_address(email)
    except GdprError as exc:
        fail(str(exc))
    settings = get_settings()
    engine = open_store(settings)
    try:
        data = asyncio.run(export_from_settings(engine, email=email, settings=settings))
    except MemoryStoreError as exc:
        fail(f"cannot read the vector memory: {exc}")
    finally:
        engine.dispose()
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    _write_private(out, text)
    found = "a contact" if data["contact"] else "no contact"
    err_console.print(f"{found}, {len(data['leads'])} leads, {len(data['outbox'])} mails out, "
                      f"{len(data['inbound'])} in, {len(data.get('memory', []))} memory entries → {out}")


@gdpr_app.command("erase")
def erase_cmd(
    email: str = typer.Argument(..., help="The person's email address."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    json_output: bool = JsonOption,
) -> None:
    """Erase a person from every store; only a keyed-hash suppression and an audit event remain."""
    try:
        address = subject_address(email)
    except GdprError as exc:
        fail(str(exc))
    if not yes:
        if not sys.stdin.isatty():
            fail("erasure cannot be undone: pass --yes to confirm")
        typer.confirm(f"Erase everything about {address}? This cannot be undone", abort=True)
    settings = get_settings()
    engine = open_store(settings)
    try:
        report = asyncio.run(erase_from_settings(engine, email=address, settings=settings, actor="cli"))
    except MemoryStoreError as exc:
        fail(f"cannot erase from the vector memory (nothing in SQL was changed): {exc}")
    except ScrubError as exc:
        fail(f"the rows are erased, but a store file could not be compacted; run the command again: {exc}")
    finally:
        engine.dispose()
    if json_output:
        print_json(report.as_dict())
    else:
        total = sum(report.deleted.values())
        console.print(f"erased: {total} rows, {report.memory_items} memory entries, "
                      f"{report.checkpoint_threads} checkpoint threads, {report.files_deleted} files; "
                      "address kept only as a keyed hash in the suppression ledger")
    if report.residue:
        err_console.print("[bold red]still found:[/] " + "; ".join(report.residue), highlight=False)
        raise typer.Exit(2)


@suppress_app.command("add")
def suppress_add_cmd(
    value: str = typer.Argument(..., help="An email address or a domain."),
    reason: str = typer.Option("manual", "--reason", help=f"One of: {', '.join(_MANUAL_REASONS)}."),
    json_output: bool = JsonOption,
) -> None:
    """Never mail this address or domain again (pending mail to it is refused at once)."""
    if reason not in _MANUAL_REASONS:
        fail(f"--reason must be one of {', '.join(_MANUAL_REASONS)}, not {reason!r}")
    with store_session() as (settings, session):
        try:
            result = suppress_value(session, value=value, reason=SuppressionReason(reason), source="cli",
                                    secret=settings.secret_key.get_secret_value(), actor="cli")
        except SuppressError as exc:
            fail(str(exc))
    data: dict[str, Any] = {
        "id": str(result.suppression_id),
        "already": result.already,
        "leads_suppressed": len(result.leads_suppressed),
        "outbox_refused": len(result.outbox_refused),
    }
    if json_output:
        print_json(data)
    elif result.already:
        console.print("already suppressed")
    else:
        console.print(
            f"suppressed; {data['leads_suppressed']} leads stopped, {data['outbox_refused']} pending mails refused"
        )


@suppress_app.command("list")
def suppress_list_cmd(
    limit: int = typer.Option(100, "--limit", min=1, max=10_000, help="How many entries."),
    json_output: bool = JsonOption,
) -> None:
    """Ledger entries, newest first: masked hints and hashes only, never addresses."""
    with store_session() as (_settings, session):
        rows = list_suppressions(session, limit=limit)
    data: list[dict[str, str]] = [
        {"id": str(r.id), "kind": r.kind.value, "reason": r.reason, "hint": r.hint, "source": r.source or "",
         "created_at": r.created_at.isoformat(), "hash": r.value_hash[:12]}
        for r in rows
    ]
    if json_output:
        print_json(data)
        return
    table = Table("created", "kind", "reason", "hint", "source", "hash")
    for row in data:
        table.add_row(row["created_at"][:19], row["kind"], row["reason"], row["hint"] or "(erased)",
                      row["source"], row["hash"])
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the gdpr and suppress commands."""
    app.add_typer(gdpr_app, name="gdpr")
    app.add_typer(suppress_app, name="suppress")
