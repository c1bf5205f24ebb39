"""`outreach research` and `outreach discover` against local sites in a real Chromium."""

from __future__ import annotations

import json
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli.main import app
from tests.research_sites import IN_CI, SITES
from tools.browser import Browser, find_system_chromium
from tools.crm.db import make_engine
from tools.crm.models import Company
from tools.errors import BrowserUnavailable
from tools.local_sites import LocalSite, RouteHandler, serve_site

pytestmark = pytest.mark.browser
runner = CliRunner()
CAMPAIGN = Path(__file__).resolve().parents[2] / "fixtures" / "campaigns" / "research_maschinenbau.yaml"


@pytest.fixture
def data_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if find_system_chromium() is None and not IN_CI:
        pytest.skip("no system Chromium")
    data = tmp_path / "data"
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(data))
    monkeypatch.setenv("OUTREACH_URL_ALLOWLIST", '["127.0.0.1"]')
    monkeypatch.setenv("OUTREACH_POLITENESS_DELAY_S", "0")
    return data


def companies(data: Path) -> list[Company]:
    engine = make_engine(f"sqlite:///{data / 'outreach.db'}")
    with Session(engine) as session:
        rows = list(session.exec(select(Company)).all())
    engine.dispose()
    return rows


def no_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(self: Browser) -> None:
        raise BrowserUnavailable("the test forbids starting Chromium")

    monkeypatch.setattr(Browser, "start", refuse)


def test_research_scores_saves_and_reuses_without_a_browser(data_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_site(SITES / "mueller-maschinenbau") as site:
        first = runner.invoke(app, ["research", site.url("/"), "--campaign", str(CAMPAIGN), "--json"])
        assert first.exit_code == 0, first.output
        data = json.loads(first.stdout)
        assert data["cached"] is False
        assert data["profile"]["legal_name"] == "Müller Maschinenbau GmbH"
        assert data["fit"]["score"] == 100 and data["fit"]["is_fit"] is True and data["fit"]["threshold"] == 60
        assert [c.legal_name for c in companies(data_env)] == ["Müller Maschinenbau GmbH"]

        no_browser(monkeypatch)
        again = runner.invoke(app, ["research", site.url("/impressum.html")])
        assert again.exit_code == 0, again.output
        assert "reusing research of 127.0.0.1:" in again.stdout and "no browser, no model call" in again.stdout
        assert "HRB 723456" in again.stdout
        refreshed = runner.invoke(app, ["research", site.url("/"), "--refresh"])
    assert refreshed.exit_code == 1
    assert "the test forbids starting Chromium" in refreshed.output


def test_research_shows_flags_for_a_site_with_injected_instructions(data_env: Path) -> None:
    with serve_site(SITES / "injection") as site:
        result = runner.invoke(app, ["research", site.url("/"), "--llm", "off"])
    assert result.exit_code == 0, result.output
    assert f"flag: prompt_injection:{site.url('/')}" in result.stdout
    assert "flag: blocked_request:http://169.254.169.254/" in result.stdout


def test_a_site_that_cannot_be_read_fails_with_the_reason(data_env: Path) -> None:
    result = runner.invoke(app, ["research", "http://169.254.169.254/latest/meta-data/", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["profile"]["pages_visited"] == []
    assert "could not read http://169.254.169.254/latest/meta-data/" in result.output
    assert "blocked: ip:link_local 169.254.169.254" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["research", "ftp://firma.de/"], "only http and https"),
        (["research", "firma"], "not a website address"),
        (["research", "https://firma.de/", "--campaign", "missing.yaml"], "cannot read campaign file"),
        (["discover", "http://127.0.0.1:9/", "--campaign", str(CAMPAIGN), "--limit", "0"], "--limit"),
        (["discover", "gopher://x/", "--campaign", str(CAMPAIGN)], "only http and https"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(data_env: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output
    assert not (data_env / "outreach.db").exists() or companies(data_env) == []


def test_an_invalid_campaign_names_the_field(data_env: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(CAMPAIGN.read_text(encoding="utf-8").replace("threshold: 60", "threshold: 600"))
    result = runner.invoke(app, ["research", "https://firma.de/", "--campaign", str(broken)])
    assert result.exit_code == 1 and "icp.threshold" in result.output


def listing_of(*sites: LocalSite) -> RouteHandler:
    rows = "".join(
        f'<li><a href="{site.url("/")}">Firma {index}</a> · <a href="{site.url("/kontakt.html")}">Kontakt</a></li>'
        for index, site in enumerate(sites, 1)
    )
    body = (
        f"<html><body><h1>Aussteller</h1><ul>{rows}<li><a href='https://www.linkedin.com/x'>LinkedIn</a></li>"
        f"</ul></body></html>"
    ).encode()

    def route(handler: BaseHTTPRequestHandler, _site: LocalSite) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def test_discover_researches_every_listed_company_once_then_reuses(data_env: Path) -> None:
    with ExitStack() as stack:
        mueller = stack.enter_context(serve_site(SITES / "mueller-maschinenbau"))
        acme = stack.enter_context(serve_site(SITES / "acme-analytics"))
        listing = stack.enter_context(serve_site(None, routes={"/": listing_of(mueller, acme)}))
        first = runner.invoke(app, ["discover", listing.url("/"), "--campaign", str(CAMPAIGN), "--json"])
        assert first.exit_code == 0, first.output
        report = json.loads(first.stdout)
        assert (report["found"], report["researched"], report["cached"], report["fit"]) == (2, 2, 0, 1)
        fits = {c["domain"]: (c["name"], c["fit"]["is_fit"]) for c in report["companies"]}
        assert fits == {
            f"127.0.0.1:{mueller.port}": ("Firma 1", True),
            f"127.0.0.1:{acme.port}": ("Firma 2", False),
        }
        second = runner.invoke(app, ["discover", listing.url("/"), "--campaign", str(CAMPAIGN), "--limit", "1"])
        assert second.exit_code == 0, second.output
        assert "found 2 · researched 0 · reused 1" in second.stdout
        missing = runner.invoke(app, ["discover", listing.url("/gone.html"), "--campaign", str(CAMPAIGN)])
    assert missing.exit_code == 1 and "cannot read listing" in missing.output and "http_404" in missing.output
    assert sorted(c.name or "" for c in companies(data_env)) == ["Acme Analytics", "Müller Maschinenbau"]
