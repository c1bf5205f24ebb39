"""The foundation commands through the real console entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


@pytest.fixture
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(data))
    return data


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "config", "crm"):
        assert command in result.output


def test_init_creates_store(data_env: Path) -> None:
    result = runner.invoke(app, ["init", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tables"] >= 12
    assert (data_env / "outreach.db").exists()
    assert runner.invoke(app, ["init"]).exit_code == 0


def test_config_show_masks_secrets(data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("OUTREACH_DATABASE_URL", "postgresql+psycopg://u:hunter2@db.internal/x")
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0
    assert "sk-very-secret" not in result.output and "hunter2" not in result.output
    data = json.loads(result.output)
    assert data["llm_api_key"] == "**********"
    assert data["data_dir"] == str(data_env)


def test_import_show_export(data_env: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("email,first_name,company_name\nanna@muster.de,Anna,Muster GmbH\nbroken,,\n")
    result = runner.invoke(app, ["crm", "import", str(csv_path), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["created"] == 1 and report["errors"][0]["line"] == 3
    shown = json.loads(runner.invoke(app, ["crm", "show", "muster.de", "--json"]).stdout)
    assert shown["company"]["name"] == "Muster GmbH" and shown["contacts"][0]["email"] == "anna@muster.de"
    contact = json.loads(runner.invoke(app, ["crm", "show", "anna@muster.de", "--json"]).stdout)
    assert contact["contact"]["first_name"] == "Anna"
    out = tmp_path / "export.csv"
    assert runner.invoke(app, ["crm", "export", "--out", str(out)]).exit_code == 0
    assert "anna@muster.de" in out.read_text()


def test_unknown_key_is_one_line_error(data_env: Path) -> None:
    result = runner.invoke(app, ["crm", "show", "nobody@nowhere.de"])
    assert result.exit_code == 1
    assert "no contact with email nobody@nowhere.de" in result.output


def test_unreachable_database_is_one_clear_line(data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1
    assert "cannot connect to postgresql+psycopg://nobody@127.0.0.1:1/none" in result.output


def test_bad_database_url(data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_DATABASE_URL", "mysql://x@127.0.0.1/db")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1 and "unsupported database 'mysql'" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; permission bits do not apply")
def test_unwritable_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(locked / "data"))
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1 and "not writable" in result.output


def test_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(blocker))
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1 and "not writable" in result.output


def test_console_script_runs(tmp_path: Path) -> None:
    env = {**os.environ, "OUTREACH_DATA_DIR": str(tmp_path / "d")}
    done = subprocess.run([sys.executable, "-m", "api.cli.main", "--help"], capture_output=True, text=True, env=env,
                          check=False, cwd=Path(__file__).parents[3])
    assert done.returncode == 0 and "outreach" in done.stdout
