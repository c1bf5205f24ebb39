"""`outreach classify <file.eml>` and `outreach tasks list|confirm` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli.replies import register
from evals.datasets.schema import load_replies
from tools.crm.db import make_engine, session_scope, upgrade_schema
from tools.crm.models import Campaign, Contact, InboundMessage, Lead, LeadStatus, Task
from tools.settings import Settings

runner = CliRunner()

OOO = (
    "From: Thomas Becker <t.becker@becker.example>\r\nTo: erika@muster.example\r\n"
    "Subject: =?utf-8?q?Abwesenheitsnotiz=3A_Angebot?=\r\nDate: Mon, 04 Jan 2027 09:12:00 +0100\r\n"
    "Auto-Submitted: auto-generated\r\nMessage-ID: <ooo-1@becker.example>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Ich bin bis einschließlich 15.01.2027 nicht im Büro.\r\n"
)


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    return app


def test_classify_a_delivery_report(cli: typer.Typer, tmp_path: Path) -> None:
    row = next(r for r in load_replies() if r.raw and "Status: 5.1.1" in r.raw)
    path = tmp_path / "bounce.eml"
    path.write_text(row.raw or "", encoding="utf-8")
    result = runner.invoke(cli, ["classify", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["label"], data["stage"], data["is_automatic"]) == ("bounce", "rules", True)
    assert data["fields"]["bounce_kind"] == "hard" and data["fields"]["bounce_status"] == "5.1.1"


def test_classify_prints_label_fields_and_reasons(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "ooo.eml"
    path.write_bytes(OOO.encode())
    result = runner.invoke(cli, ["classify", str(path)])
    assert result.exit_code == 0, result.output
    assert "out_of_office" in result.stdout and "return_date: 2027-01-16" in result.stdout
    assert "never answered automatically" in result.stdout
    piped = runner.invoke(cli, ["classify", "-", "--json"], input=path.read_bytes())
    assert json.loads(piped.stdout)["fields"] == {"return_date": "2027-01-16"}


def test_classify_bad_input_fails_with_one_line(cli: typer.Typer, tmp_path: Path) -> None:
    missing = runner.invoke(cli, ["classify", str(tmp_path / "nope.eml")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    junk = tmp_path / "junk.eml"
    junk.write_text("just some words\n")
    bad = runner.invoke(cli, ["classify", str(junk)])
    assert bad.exit_code == 1 and "not an email" in bad.output


def _review_task(settings: Settings) -> str:
    engine = make_engine(settings.effective_database_url)
    settings.ensure_data_dir()
    upgrade_schema(engine)
    with session_scope(engine) as session:
        campaign = Campaign(name="c", spec={})
        contact = Contact(email="anna@kunde.example")
        session.add_all([campaign, contact])
        session.flush()
        lead = Lead(campaign_id=campaign.id, contact_id=contact.id, status=LeadStatus.paused)
        session.add(lead)
        session.flush()
        inbound = InboundMessage(
            message_id="<r@kunde.example>",
            from_email=contact.email,
            subject="AW: x",
            body_text="Hmm, eher nicht.",
            stripped_text="Hmm, eher nicht.",
            lead_id=lead.id,
        )
        session.add(inbound)
        session.flush()
        task = Task(kind="review", title="Confirm", lead_id=lead.id, payload={"inbound_id": str(inbound.id)})
        other = Task(kind="escalation", title="Answer", lead_id=lead.id, payload={})
        session.add_all([task, other])
        session.flush()
        task_id = str(task.id)
    engine.dispose()
    return task_id


def test_tasks_list_and_confirm(cli: typer.Typer, settings: Settings) -> None:
    assert runner.invoke(cli, ["tasks", "list"]).stdout.strip() == "no tasks"
    task_id = _review_task(settings)
    listed = json.loads(runner.invoke(cli, ["tasks", "list", "--json", "--status", "open"]).stdout)
    assert {t["kind"] for t in listed} == {"review", "escalation"}
    only = json.loads(runner.invoke(cli, ["tasks", "list", "--json", "--kind", "review"]).stdout)
    assert [t["id"] for t in only] == [task_id]
    table = runner.invoke(cli, ["tasks", "list"])
    assert "review" in table.stdout and "escalation" in table.stdout

    confirmed = runner.invoke(cli, ["tasks", "confirm", task_id, "not_interested", "--json"])
    assert confirmed.exit_code == 0, confirmed.output
    assert json.loads(confirmed.stdout)["action"] == "closed"
    done = json.loads(runner.invoke(cli, ["tasks", "list", "--json", "--status", "done"]).stdout)
    assert [t["id"] for t in done] == [task_id]
    again = runner.invoke(cli, ["tasks", "confirm", task_id, "not_interested"])
    assert again.exit_code == 1 and "already done" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-a-uuid", "interested"], "not a task id"),
        (["00000000-0000-0000-0000-000000000000", "maybe"], "unknown label 'maybe'"),
        (["00000000-0000-0000-0000-000000000000", "interested"], "no review task"),
    ],
)
def test_confirm_bad_input_fails_with_one_line(cli: typer.Typer, args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["tasks", "confirm", *args])
    assert result.exit_code == 1 and message in result.output
