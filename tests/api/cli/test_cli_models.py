"""`outreach llm ping` and `outreach usage` through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli.models import register
from tools.crm.db import session_scope
from tools.crm.models import Campaign, LLMCall
from tools.settings import Settings


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """Only this module's commands, on the test's data dir."""
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def recorded(engine: Engine) -> None:
    at = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        campaign = Campaign(name="fruehjahr")
        session.add(campaign)
        session.flush()
        session.add_all(
            [
                LLMCall(at=at, model="gpt-4o-mini", agent="writer", campaign_id=campaign.id, input_tokens=1200,
                        output_tokens=300, latency_ms=900, cost_usd=0.00036),
                LLMCall(at=at, model="gpt-4o-mini", agent="classifier", input_tokens=400, output_tokens=20,
                        latency_ms=300, cost_usd=0.000072, cached=True),
            ]
        )


@pytest.mark.usefixtures("recorded")
class TestUsage:
    def test_json_by_campaign(self, cli: typer.Typer) -> None:
        result = CliRunner().invoke(cli, ["usage", "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["by"] == "campaign"
        rows = {row["key"]: row for row in data["rows"]}
        assert rows["fruehjahr"]["input_tokens"] == 1200 and rows["fruehjahr"]["calls"] == 1
        assert rows["(none)"]["cached_calls"] == 1

    def test_table_by_agent_and_day(self, cli: typer.Typer) -> None:
        result = CliRunner().invoke(cli, ["usage", "--by", "agent"])
        assert result.exit_code == 0, result.output
        assert "writer" in result.stdout and "classifier" in result.stdout and "total" in result.stdout
        result = CliRunner().invoke(cli, ["usage", "--by", "day", "--json"])
        assert [r["key"] for r in json.loads(result.stdout)["rows"]] == ["2026-05-04"]

    def test_recent_days_only(self, cli: typer.Typer) -> None:
        result = CliRunner().invoke(cli, ["usage", "--days", "1", "--json"])
        assert json.loads(result.stdout)["rows"] == []

    def test_bad_grouping_is_one_line_and_non_zero(self, cli: typer.Typer) -> None:
        result = CliRunner().invoke(cli, ["usage", "--by", "model"])
        assert result.exit_code == 1
        assert "cannot group by 'model'" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_usage_on_an_empty_store(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["usage"])
    assert result.exit_code == 0 and "no model calls recorded" in result.stdout


def test_ping_fails_cleanly_when_real_models_are_forbidden(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["llm", "ping"])
    assert result.exit_code == 1
    assert "model check failed" in result.stderr and "OUTREACH_FORBID_REAL_MODELS" in result.stderr


def test_ping_rejects_a_bad_configuration(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_LOCAL_MODEL_PATH", "/nonexistent/model.gguf")
    result = CliRunner().invoke(cli, ["llm", "ping", "--json"])
    assert result.exit_code == 1
    assert "does not exist" in result.stderr and result.stdout == ""


@pytest.mark.slow
def test_ping_the_embedded_model(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.delenv("OUTREACH_FORBID_REAL_MODELS")
    monkeypatch.setenv("OUTREACH_LOCAL_MODEL_THREADS", "1")  # robust on a busy 2-core machine
    result = CliRunner().invoke(cli, ["llm", "ping", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["endpoint"] == "embedded" and data["model"].startswith("local/")
    assert data["output_tokens"] > 0 and data["tokens_per_s"] > 0 and data["latency_s"] > 0
    from tools.crm.db import make_engine

    engine = make_engine(settings.effective_database_url)
    with Session(engine) as session:
        (row,) = session.exec(select(LLMCall)).all()
    engine.dispose()
    assert row.agent == "ping" and row.prompt_id == "llm.ping" and row.output_tokens == data["output_tokens"]
