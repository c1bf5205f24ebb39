"""`outreach draft`: reads the lead from the store, prints the draft, saves a versioned Draft row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from agents.campaign import load_campaign
from agents.profile import CompanyProfile, Fact, NewsItem
from api.cli import draft as draft_cli
from tools.crm.db import make_engine, session_scope, upgrade_schema
from tools.crm.models import AuditEvent, Draft, DraftStatus, ResearchFact
from tools.crm.repository import add_lead, upsert_campaign, upsert_company, upsert_contact
from tools.settings import load_settings

CAMPAIGNS = Path(__file__).resolve().parents[2] / "fixtures" / "campaigns"
runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    draft_cli.register(app)
    return app


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A store with the German campaign, a researched company and one lead; returns ids."""
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    settings.ensure_data_dir()
    engine = make_engine(settings.effective_database_url)
    upgrade_schema(engine)
    spec_de = load_campaign(CAMPAIGNS / "writer_de.yaml")
    spec_en = load_campaign(CAMPAIGNS / "writer_en.yaml")
    news = Fact(
        kind="news",
        text="2024-03-12: Müller Maschinenbau eröffnet neue Montagehalle in Stuttgart",
        source_url="https://mueller-maschinenbau.example/news",
    )
    profile = CompanyProfile(
        domain="mueller-maschinenbau.example",
        name="Müller Maschinenbau GmbH",
        country="DE",
        language="de",
        news=[NewsItem(title="Müller Maschinenbau eröffnet neue Montagehalle in Stuttgart", date="2024-03-12",
                       source_url=news.source_url)],
        facts=[news],
    )
    with session_scope(engine) as session:
        company = upsert_company(session, domain=profile.domain, name=profile.name, country="DE",
                                 profile=profile.model_dump(mode="json"))
        anna = upsert_contact(session, email="anna.schmidt@mueller-maschinenbau.example", first_name="Anna",
                              last_name="Schmidt", salutation="Frau", company_id=company.id)
        jonas = upsert_contact(session, email="jonas@mueller-maschinenbau.example", first_name="Jonas",
                               last_name="Weber", salutation="Herr", company_id=company.id)
        session.add(ResearchFact(company_id=company.id, kind="description", source_url="https://mueller-maschinenbau.example/",
                                 text="Wir bauen Sondermaschinen für die Automobilindustrie."))
        de = upsert_campaign(session, name=spec_de.name, spec=spec_de.model_dump(mode="json"))
        en = upsert_campaign(session, name=spec_en.name, spec=spec_en.model_dump(mode="json"))
        lead, _ = add_lead(session, campaign_id=de.id, contact_id=anna.id)
        jonas_de, _ = add_lead(session, campaign_id=de.id, contact_id=jonas.id)
        add_lead(session, campaign_id=en.id, contact_id=jonas.id)
        ids = {"lead": str(lead.id), "jonas_de": str(jonas_de.id)}
    ids["engine"] = engine
    yield ids
    engine.dispose()


def drafts(store: dict[str, Any]) -> list[Draft]:
    with Session(store["engine"]) as session:
        return list(session.exec(select(Draft).order_by(col(Draft.step), col(Draft.version))))


def test_draft_by_email_saves_a_template_draft_with_sources(store: dict[str, Any]) -> None:
    result = runner.invoke(cli(), ["draft", "anna.schmidt@mueller-maschinenbau.example", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["strategy"] == "template" and data["prompt_id"] == "template"
    assert data["lead_id"] == store["lead"] and data["step"] == 1 and data["version"] == 1
    assert data["body"].startswith("Sehr geehrte Frau Schmidt,\n\nin Ihren Neuigkeiten vom 12.03.2024")
    assert data["claims"][0]["source_url"] == "https://mueller-maschinenbau.example/news"
    assert data["claims"][0]["fact_text"].startswith("2024-03-12: Müller")
    assert {g["name"] for g in data["guardrails"]} >= {"grounded_claims", "legal_footer", "placeholders"}
    assert data["flagged"] is False
    [row] = drafts(store)
    assert str(row.id) == data["draft_id"] and row.status == DraftStatus.pending
    assert (row.prompt_id, row.prompt_version, row.strategy) == ("template", data["prompt_version"], "template")
    assert row.claims[0]["fact_id"] == data["claims"][0]["fact_id"] and row.guardrails
    with Session(store["engine"]) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "draft.created")).one()
        assert event.entity_id == data["draft_id"] and event.data["repair_rounds"] == 0


def test_redraft_supersedes_and_follow_up_uses_the_first_mail(store: dict[str, Any]) -> None:
    assert runner.invoke(cli(), ["draft", store["lead"], "--json"]).exit_code == 0
    again = json.loads(runner.invoke(cli(), ["draft", store["lead"], "--step", "1", "--json"]).stdout)
    assert again["version"] == 2
    follow = runner.invoke(cli(), ["draft", store["lead"], "--step", "2", "--json"])
    assert follow.exit_code == 0, follow.output
    data = json.loads(follow.stdout)
    assert data["subject"] == "Re: Ihr Vertrieb bei Müller Maschinenbau GmbH"
    assert "vor einigen Tagen schrieb ich Ihnen zu „Ihr Vertrieb bei Müller Maschinenbau GmbH“" in data["body"]
    statuses = [(d.step, d.version, d.status) for d in drafts(store)]
    assert statuses == [(1, 1, DraftStatus.superseded), (1, 2, DraftStatus.pending), (2, 1, DraftStatus.pending)]


def test_description_fact_from_a_research_row_is_used(store: dict[str, Any]) -> None:
    data = json.loads(runner.invoke(cli(), ["draft", store["jonas_de"], "--json", "--dry-run"]).stdout)
    assert data["body"].startswith("Sehr geehrter Herr Weber,")
    assert data["draft_id"] is None and drafts(store) == []


def test_human_output_shows_draft_claims_and_guardrails(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draft_cli.console, "width", 200)
    result = runner.invoke(cli(), ["draft", store["lead"]])
    assert result.exit_code == 0, result.output
    for text in ("Ihr Vertrieb bei Müller Maschinenbau GmbH", "claims", "guardrails", "grounded_claims",
                 "https://mueller-maschinenbau.example/news", "saved as draft"):
        assert text in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.com"], "no lead 'nobody@example.com'"),
        (["jonas@mueller-maschinenbau.example"], "pass --campaign"),
        (["anna.schmidt@mueller-maschinenbau.example", "--campaign", "nope"], "no campaign named 'nope'"),
        (["anna.schmidt@mueller-maschinenbau.example", "--step", "2"], "draft step 1 first"),
        (["anna.schmidt@mueller-maschinenbau.example", "--step", "9"], "has steps 1..3"),
        (["anna.schmidt@mueller-maschinenbau.example", "--strategy", "magic"], "--strategy must be one of"),
        (["anna.schmidt@mueller-maschinenbau.example", "--variant", "writer@99", "--strategy", "llm"], "writer"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(store: dict[str, Any], args: list[str], message: str) -> None:
    result = runner.invoke(cli(), ["draft", *args])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) <= 2
    assert drafts(store) == []


def test_campaign_option_picks_the_lead(store: dict[str, Any]) -> None:
    result = runner.invoke(cli(), ["draft", "jonas@mueller-maschinenbau.example", "-c", "writer-en", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["language"] == "de"  # auto: the company is in Germany
    assert data["body"].startswith("Hallo Jonas,")


def test_forced_llm_strategy_without_a_usable_model_fails_cleanly(store: dict[str, Any]) -> None:
    result = runner.invoke(cli(), ["draft", store["lead"], "--strategy", "llm"])
    assert result.exit_code == 1
    assert "error:" in result.output and "FORBID_REAL_MODELS" in result.output, result.output
    assert drafts(store) == []
