"""``outreach inbox …``: poll the IMAP mailbox, ingest a mail file, list unmatched mail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from api.cli.common import JsonOption, console, fail, get_settings, open_store, print_json, store_session
from tools.crm.models import InboundMessage
from tools.email.errors import ImapError, ParseError
from tools.email.imap import poll_mailbox
from tools.email.ingest import list_unmatched, store_raw_email

inbox_app = typer.Typer(help="Inbound mail: poll IMAP, ingest files, list unmatched mail.", no_args_is_help=True)


def _summary(row: InboundMessage) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "received_at": row.received_at.isoformat(),
        "from": row.from_email,
        "to": row.to_email,
        "subject": row.subject,
        "message_id": row.message_id,
        "lead_id": str(row.lead_id) if row.lead_id else None,
        "match_method": row.match_method,
        "reply": row.stripped_text[:500],
    }


@inbox_app.command("poll")
def poll(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Fetch at most this many mails."),
    as_json: bool = JsonOption,
) -> None:
    """Fetch unseen mail from the IMAP folder, store and match it, then mark it seen."""
    settings = get_settings()
    if not settings.imap_host:
        fail("IMAP is not configured: set OUTREACH_IMAP_HOST, OUTREACH_IMAP_USERNAME and OUTREACH_IMAP_PASSWORD")
    engine = open_store(settings)
    try:
        report = poll_mailbox(engine, settings, limit=limit)
    except ImapError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"fetched {report.fetched}, stored {report.stored} ({report.matched} matched, "
        f"{report.unmatched} unmatched), {report.duplicates} already known, {len(report.failed)} unreadable"
    )
    for line in report.failed:
        console.print(f"  [yellow]unreadable[/] {line}", highlight=False)


@inbox_app.command("ingest")
def ingest(
    path: str = typer.Argument(..., help="An .eml file, or - to read one mail from stdin."),
    as_json: bool = JsonOption,
) -> None:
    """Store one RFC 5322 mail from a file or stdin and match it to its thread."""
    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        with store_session() as (settings, session):
            row, created = store_raw_email(session, raw, settings=settings)
    except ParseError as exc:
        fail(f"{path}: {exc}")
    data = {**_summary(row), "created": created}
    if as_json:
        print_json(data)
        return
    state = "stored" if created else "already stored"
    match = f"matched to lead {data['lead_id']} by {row.match_method}" if row.lead_id else "unmatched"
    console.print(f"{state}: {row.subject!r} from {row.from_email} ({match})", highlight=False)


@inbox_app.command("unmatched")
def unmatched(
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="How many to list."),
    as_json: bool = JsonOption,
) -> None:
    """List inbound mail that no thread matched, newest first."""
    with store_session() as (_settings, session):
        rows = [_summary(row) for row in list_unmatched(session, limit=limit)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no unmatched mail")
        return
    for row in rows:
        console.print(f"{row['received_at'][:16]}  {row['from']}  {row['subject']!r}  ({row['id']})",
                      highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``outreach inbox`` to the CLI."""
    app.add_typer(inbox_app, name="inbox")
