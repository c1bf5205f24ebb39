"""`outreach inbox ingest | unmatched | poll` through the CLI (IMAP end to end: test_email_imap)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli.inbox import register
from tools.settings import Settings

runner = CliRunner()

MAIL = (
    "From: Fremd <fremd@anders.example>\r\nTo: juergen@firma.example\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
    "Message-ID: <cli-1@anders.example>\r\n\r\nGuten Tag,\r\nwer sind Sie?\r\n\r\nMit freundlichen Grüßen\r\nF.\r\n"
)


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """Only this module's commands, on the test's data dir."""
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    return app


def test_ingest_then_list_unmatched(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(MAIL.encode())
    first = runner.invoke(cli, ["inbox", "ingest", str(path), "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["created"] is True and data["lead_id"] is None and data["subject"] == "Grüße"
    assert data["reply"] == "Guten Tag,\nwer sind Sie?"
    again = runner.invoke(cli, ["inbox", "ingest", str(path)])
    assert again.exit_code == 0 and "already stored" in again.stdout

    listed = runner.invoke(cli, ["inbox", "unmatched", "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert [r["message_id"] for r in rows] == ["<cli-1@anders.example>"]
    human = runner.invoke(cli, ["inbox", "unmatched"])
    assert "fremd@anders.example" in human.stdout


def test_ingest_from_stdin(cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["inbox", "ingest", "-", "--json"], input=MAIL.encode())
    assert result.exit_code == 0 and json.loads(result.stdout)["created"] is True


def test_ingest_garbage_fails_with_one_line(cli: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(b"\x00\xff\xfe\x89PNG")
    result = runner.invoke(cli, ["inbox", "ingest", str(path)])
    assert result.exit_code == 1
    assert "not an email" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert json.loads(runner.invoke(cli, ["inbox", "unmatched", "--json"]).stdout) == []


def test_ingest_missing_file(cli: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["inbox", "ingest", str(tmp_path / "nope.eml")])
    assert result.exit_code == 1 and "cannot read" in result.stderr


def test_poll_without_imap_config_fails_clearly(cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["inbox", "poll"])
    assert result.exit_code == 1 and "OUTREACH_IMAP_HOST" in result.stderr


def test_unmatched_empty(cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["inbox", "unmatched"])
    assert result.exit_code == 0 and "no unmatched mail" in result.stdout
