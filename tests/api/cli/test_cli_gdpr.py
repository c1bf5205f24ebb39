"""`outreach gdpr export|erase` and `outreach suppress add|list`."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import gdpr as gdpr_cli
from tools.crm.db import make_engine, session_scope, upgrade_schema
from tools.crm.models import Lead, LeadStatus, Suppression
from tools.crm.repository import add_lead, upsert_campaign, upsert_contact
from tools.settings import Settings

runner = CliRunner()
ANNA = "anna@kunde.example"


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    gdpr_cli.register(app)
    return app


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    data = tmp_path / "data"
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(data))
    monkeypatch.setenv("OUTREACH_SECRET_KEY", "cli-test-secret")
    settings = Settings(data_dir=data)
    settings.ensure_data_dir()
    engine = make_engine(settings.effective_database_url)
    upgrade_schema(engine)
    with session_scope(engine) as session:
        contact = upsert_contact(session, email=ANNA, first_name="Anna", last_name="Schmidt")
        campaign = upsert_campaign(session, name="kampagne", spec={"name": "kampagne"})
        add_lead(session, campaign_id=campaign.id, contact_id=contact.id)
    engine.dispose()
    return settings


def _rows(settings: Settings, model: Any) -> list[Any]:
    engine = make_engine(settings.effective_database_url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(model)))
    finally:
        engine.dispose()


def test_suppress_add_and_list(cli: typer.Typer, store: Settings) -> None:
    added = runner.invoke(cli, ["suppress", "add", ANNA.upper(), "--reason", "manual", "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["leads_suppressed"] == 1
    assert [lead.status for lead in _rows(store, Lead)] == [LeadStatus.suppressed]
    assert runner.invoke(cli, ["suppress", "add", "Spam-Domain.example"]).exit_code == 0
    listed = runner.invoke(cli, ["suppress", "list", "--json"])
    assert listed.exit_code == 0
    entries = json.loads(listed.output)
    assert sorted(e["kind"] for e in entries) == ["address", "domain"]
    assert ANNA not in listed.output and "spam-domain.example" not in listed.output.lower()
    table = runner.invoke(cli, ["suppress", "list"])
    assert table.exit_code == 0 and "a***@" in table.output and "manual" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["suppress", "add", "no spaces allowed"], "not a domain"),
        (["suppress", "add", ANNA, "--reason", "erasure"], "--reason must be one of"),
        (["gdpr", "export", "nobody"], "not an email address"),
        (["gdpr", "erase", "nobody", "--yes"], "not an email address"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(cli: typer.Typer, store: Settings, args: list[str],
                                                   message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert _rows(store, Suppression) == []


def test_export_to_a_private_file(cli: typer.Typer, store: Settings, tmp_path: Path) -> None:
    out = tmp_path / "anna.json"
    result = runner.invoke(cli, ["gdpr", "export", ANNA, "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["contact"]["email"] == ANNA and len(data["leads"]) == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    printed = runner.invoke(cli, ["gdpr", "export", ANNA])
    assert json.loads(printed.output)["contact"]["email"] == ANNA


def test_erase_needs_yes_then_erases(cli: typer.Typer, store: Settings) -> None:
    refused = runner.invoke(cli, ["gdpr", "erase", ANNA])
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert len(_rows(store, Lead)) == 1
    result = runner.invoke(cli, ["gdpr", "erase", ANNA, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["contact_found"] and report["residue"] == [] and report["deleted"]["leads"] == 1
    assert _rows(store, Lead) == []
    assert [s.hint for s in _rows(store, Suppression)] == [""]
    assert json.loads(runner.invoke(cli, ["gdpr", "export", ANNA]).output)["contact"] is None
