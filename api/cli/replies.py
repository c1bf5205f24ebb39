"""``outreach classify <file.eml>`` and ``outreach tasks list|confirm``: replies and the work they make."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from agents.llm import LLM
from agents.nodes.reply_classifier import CascadeConfig, ReplyClassificationResult, ReplyLabel, classify_reply
from agents.reply_actions import ReplyActionError
from agents.reply_review import confirm_review
from agents.reply_types import ReplyInput
from api.cli.common import JsonOption, console, fail, get_settings, print_json, store_session
from tools.crm.models import Task, TaskStatus
from tools.crm.repository import list_tasks
from tools.email.errors import ParseError
from tools.email.parsing import parse_raw_email

tasks_app = typer.Typer(help="Work for humans: escalations, reviews, addresses to find.", no_args_is_help=True)
_LABELS = ", ".join(label.value for label in ReplyLabel)


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")


def _result_dict(result: ReplyClassificationResult) -> dict[str, Any]:
    return {
        "label": result.label.value,
        "confidence": result.confidence,
        "stage": result.stage.value,
        "provisional": result.provisional,
        "is_automatic": result.is_automatic,
        "fields": result.fields.present(),
        "reasons": result.reasons,
    }


def classify_cmd(
    path: str = typer.Argument(..., help="An .eml file (RFC 5322), or - to read one from stdin."),
    use_llm: bool = typer.Option(False, "--llm", help="Ask the configured LLM when the trained model is unsure."),
    json_output: bool = JsonOption,
) -> None:
    """Classify one reply with the cascade (rules → trained model → LLM → human) and show why."""
    raw = _read(path)
    try:
        parsed = parse_raw_email(raw)
    except ParseError as exc:
        fail(f"{path}: {exc}")
    reply = ReplyInput.from_parsed(parsed, raw=raw.decode("utf-8", errors="replace"))
    llm: LLM | None = None
    if use_llm:
        from agents.deps import build_llm  # builds a client: only when asked for

        llm = build_llm(get_settings())
    result = asyncio.run(classify_reply(reply, llm=llm, config=CascadeConfig()))
    data = _result_dict(result)
    if json_output:
        print_json(data)
        return
    flag = " (provisional: a human confirms)" if result.provisional else ""
    console.print(f"[bold]{result.label.value}[/] {result.confidence:.2f} via {result.stage.value}{flag}",
                  highlight=False)
    if result.is_automatic:
        console.print("automatic message: never answered automatically")
    for name, value in data["fields"].items():
        console.print(f"  {name}: {value}", highlight=False)
    for reason in result.reasons:
        console.print(f"  - {reason}", highlight=False)


def _task_dict(task: Task) -> dict[str, Any]:
    return {
        "id": str(task.id),
        "kind": task.kind,
        "status": task.status.value,
        "title": task.title,
        "assignee": task.assignee,
        "lead_id": str(task.lead_id) if task.lead_id else None,
        "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "body": task.body,
        "payload": task.payload,
    }


@tasks_app.command("list")
def list_cmd(
    status: TaskStatus | None = typer.Option(None, "--status", help="open or done (default: both)."),
    kind: str | None = typer.Option(None, "--kind", help="escalation, review, find_address, …"),
    assignee: str | None = typer.Option(None, "--assignee", help="Only tasks of this person."),
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="How many, newest first."),
    json_output: bool = JsonOption,
) -> None:
    """List tasks for humans, newest first."""
    with store_session() as (_settings, session):
        tasks = list_tasks(session, status=status, assignee=assignee, limit=limit)
        rows = [_task_dict(task) for task in tasks if kind is None or task.kind == kind]
    if json_output:
        print_json(rows)
        return
    if not rows:
        console.print("no tasks")
        return
    table = Table("created", "kind", "status", "assignee", "title", "id")
    for row in rows:
        table.add_row(row["created_at"][:16], row["kind"], row["status"], row["assignee"] or "-", row["title"],
                      row["id"])
    console.print(table)


@tasks_app.command("confirm")
def confirm_cmd(
    task_id: str = typer.Argument(..., help="Id of a review task."),
    label: str = typer.Argument(..., help=f"The right label: {_LABELS}."),
    actor: str = typer.Option("rep", "--actor", help="Who decided (recorded in the audit log)."),
    json_output: bool = JsonOption,
) -> None:
    """Settle a review task: apply the label a human chose and close the task."""
    try:
        task_uuid = uuid.UUID(task_id)
    except ValueError:
        fail(f"not a task id: {task_id!r}")
    try:
        chosen = ReplyLabel(label)
    except ValueError:
        fail(f"unknown label {label!r}; choose one of {_LABELS}")
    try:
        with store_session() as (settings, session):
            outcome = asyncio.run(confirm_review(session, task_id=task_uuid, label=chosen, settings=settings,
                                                 actor=actor))
    except ReplyActionError as exc:
        fail(str(exc))
    if json_output:
        print_json(outcome.model_dump(mode="json"))
        return
    console.print(f"task {task_id} done: {chosen.value} → {outcome.action}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``outreach classify`` and ``outreach tasks`` to the CLI."""
    app.command("classify")(classify_cmd)
    app.add_typer(tasks_app, name="tasks")
