"""The research suite end to end: example sites on 127.0.0.1, a real Chromium, the scripted model."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.context import EvalContext
from evals.datasets.companies_schema import load_companies
from evals.runner import run_eval, write_reports
from evals.suites.research import research_settings
from tests.research_sites import IN_CI
from tools.browser import find_system_chromium
from tools.settings import Settings

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    if find_system_chromium() is None and not IN_CI:
        pytest.skip("no system Chromium")


async def test_two_sites_deterministic_and_scripted(scripted_ctx: EvalContext, tmp_path: Path) -> None:
    scripted_ctx.case_ids = ["falkenried", "hofmeister"]

    report = await run_eval("research", scripted_ctx)

    assert [v.name for v in report.variants] == ["deterministic", "scripted"]
    deterministic, scripted = report.variants
    falkenried, hofmeister = deterministic.cases
    assert falkenried.passed, falkenried.notes  # every stated fact found, on the right page
    assert falkenried.output["legal_name"] == "Falkenried Maschinenbau GmbH & Co. KG"
    assert any(flag.startswith("prompt_injection:") for flag in hofmeister.output["flags"])
    assert hofmeister.passed == (not hofmeister.notes)
    assert deterministic.metrics["source_accuracy"] == 1.0
    assert deterministic.metrics["flags_recall"] == 1.0  # the hidden prompt injection was flagged
    assert deterministic.metrics["forbidden_found"] == 0.0  # ... and not copied into the profile
    assert deterministic.metrics["legal_name.recall"] == 1.0
    assert deterministic.usage.calls == 0
    # the scripted model adds nothing, but research asked it once per site
    assert scripted.usage.calls == 2
    assert scripted.metrics == deterministic.metrics

    page = write_reports(report, tmp_path)["html"].read_text(encoding="utf-8")
    assert 'alt="precision by field"' in page and 'alt="recall by field"' in page


def test_local_sites_are_researched_without_delay_and_with_loopback_allowed(settings: Settings) -> None:
    local = research_settings(settings.model_copy(update={"url_allowlist": []}), load_companies()[:2])

    assert local.politeness_delay_s == 0.0
    assert {"127.0.0.1", "localhost"} <= set(local.url_allowlist)
