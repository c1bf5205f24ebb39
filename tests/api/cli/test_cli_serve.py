"""`outreach serve`, `outreach user …` and `outreach apikey …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.app import app_from_env
from api.cli.serve import register
from tools.crm.auth_models import ApiKey, CampaignAssignment, User
from tools.crm.db import make_engine
from tools.crm.repository import upsert_campaign

runner = CliRunner()


@pytest.fixture
def cli() -> typer.Typer:
    """A CLI with only these commands (the real root registers every area's modules)."""
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(data))
    return data


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_user_add_and_list(cli: typer.Typer, data_env: Path) -> None:
    created = _json(runner.invoke(cli, ["user", "add", "Admin@Muster.example", "--role", "admin",
                                        "--password-stdin", "--json"], input="ein sehr langes passwort\n"))
    assert created["email"] == "admin@muster.example" and created["role"] == "admin" and created["has_password"]
    listed = _json(runner.invoke(cli, ["user", "list", "--json"]))
    assert [u["email"] for u in listed] == ["admin@muster.example"]
    engine = make_engine(f"sqlite:///{data_env / 'outreach.db'}")
    with Session(engine) as session:
        assert session.exec(select(User)).one().password_hash.startswith("$argon2")
    engine.dispose()


def test_user_add_refuses_bad_input(cli: typer.Typer, data_env: Path) -> None:
    short = runner.invoke(cli, ["user", "add", "rep@muster.example", "--password-stdin"], input="kurz\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    runner.invoke(cli, ["user", "add", "rep@muster.example", "--no-password"])
    again = runner.invoke(cli, ["user", "add", "rep@muster.example", "--no-password"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert len(_json(runner.invoke(cli, ["user", "list", "--json"]))) == 1


def test_user_assign(cli: typer.Typer, data_env: Path) -> None:
    runner.invoke(cli, ["user", "add", "rep@muster.example", "--no-password"])
    missing = runner.invoke(cli, ["user", "assign", "rep@muster.example", "gibt-es-nicht"])
    assert missing.exit_code == 1 and "no campaign" in missing.output
    engine = make_engine(f"sqlite:///{data_env / 'outreach.db'}")
    with Session(engine) as session:
        upsert_campaign(session, name="demo", spec={"name": "demo"})
        session.commit()
    assert runner.invoke(cli, ["user", "assign", "rep@muster.example", "demo"]).exit_code == 0
    with Session(engine) as session:
        assert len(session.exec(select(CampaignAssignment)).all()) == 1
    engine.dispose()


def test_apikey_create_list_revoke(cli: typer.Typer, data_env: Path) -> None:
    created = _json(runner.invoke(cli, ["apikey", "create", "mailer", "--scope", "webhooks:inbound", "--scope", "read",
                                        "--json"]))
    token = created["token"]
    assert token.startswith("oak_") and created["scopes"] == ["read", "webhooks:inbound"]
    listed = _json(runner.invoke(cli, ["apikey", "list", "--json"]))
    assert [k["name"] for k in listed] == ["mailer"] and "token" not in listed[0]
    engine = make_engine(f"sqlite:///{data_env / 'outreach.db'}")
    with Session(engine) as session:
        stored = session.exec(select(ApiKey)).one()
        assert token not in json.dumps(stored.model_dump(mode="json"))
    engine.dispose()
    with TestClient(app_from_env()) as client:
        assert client.get("/api/replies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        revoked = _json(runner.invoke(cli, ["apikey", "revoke", "mailer", "--json"]))
        assert revoked["revoked_at"]
        assert client.get("/api/replies", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _json(runner.invoke(cli, ["apikey", "list", "--json"])) == []
    assert len(_json(runner.invoke(cli, ["apikey", "list", "--all", "--json"]))) == 1


def test_apikey_create_refuses_unknown_scope(cli: typer.Typer, data_env: Path) -> None:
    result = runner.invoke(cli, ["apikey", "create", "x", "--scope", "root"])
    assert result.exit_code == 1 and "unknown scope(s) root" in result.output
    assert runner.invoke(cli, ["apikey", "revoke", "nothing"]).exit_code == 1


def test_serve_runs_uvicorn_with_the_factory(cli: typer.Typer, data_env: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **kwargs: calls.append((target, kwargs)))
    monkeypatch.setenv("OUTREACH_API_PORT", "8123")
    result = runner.invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    target, kwargs = calls[0]
    assert target == "api.app:app_from_env" and kwargs["factory"] is True
    assert (kwargs["host"], kwargs["port"], kwargs["workers"]) == ("127.0.0.1", 8123, 2)
    assert (data_env / "outreach.db").exists()


def test_serve_fails_in_one_line_on_a_bad_database(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_DATABASE_URL", "mysql://nope")
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 1 and "unsupported database" in result.output
