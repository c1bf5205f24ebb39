"""The research suite: research each company website in a real Chromium and score the profiles.

Rows with ``site`` are served from ``examples/sites`` on 127.0.0.1
(``examples.server.start_example_sites``, one port per site) and researched with an
allow-list of the loopback addresses and no politeness delay; rows with ``url`` are
researched as they are, under the configured settings (allow-list, delays, budgets).

Variants: ``deterministic`` (no model: the extraction alone) always, and one per
``--model`` (the model fills gaps such as the description; its values must be found on
the pages). Research has a single prompt version, so it takes no ``--variant``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from agents.llm import LLM
from agents.nodes.research import ResearchInputError, research_company
from agents.profile import CompanyProfile
from evals.context import EvalConfigError, EvalContext
from evals.datasets.companies_schema import COMPANIES_PATH, CompanyCase, load_companies
from evals.llms import ModelFactory
from evals.results import CaseRecord, UsageTotals, VariantResult
from evals.scorers.research import LOWER_IS_BETTER, CompanyScore, aggregate, score_profile
from evals.scripted import research_answers, responder
from evals.suites.common import SuiteOutput, dataset_info, stopwatch
from tools.browser import Browser
from tools.errors import BrowserUnavailable
from tools.settings import Settings

if TYPE_CHECKING:
    from examples.server import ExampleSites

LOOPBACK = ("127.0.0.1", "localhost")


@dataclass
class ResearchSuiteOptions:
    """Where the example sites live (default ``examples/sites``)."""

    sites_dir: Path | None = None


def _example_server() -> ModuleType:
    """``examples.server``; from a source checkout also when run through the ``outreach`` script.

    The examples are not part of the installed packages, so the console script cannot import
    them; the checkout root (the folder holding ``evals/`` and ``examples/``) is added to the
    import path when it has them.
    """
    try:
        return importlib.import_module("examples.server")
    except ImportError:
        root = Path(__file__).resolve().parents[2]
        if not (root / "examples" / "server.py").is_file():
            raise EvalConfigError("rows with 'site' need the examples/ folder of a source checkout") from None
        sys.path.append(str(root))
        return importlib.import_module("examples.server")


@contextmanager
def _served(cases: list[CompanyCase], sites_dir: Path | None) -> Iterator[dict[str, str]]:
    """Start URL of every case: example sites served locally, other URLs as given."""
    local = [case for case in cases if case.site]
    servers: AbstractContextManager[ExampleSites | None] = nullcontext()
    if local:
        server = _example_server()
        try:
            servers = server.start_example_sites(sites_dir)
        except server.ExampleSitesError as exc:
            raise EvalConfigError(str(exc)) from exc
    with servers as running:
        urls: dict[str, str] = {}
        for case in cases:
            if case.url:
                urls[case.id] = case.url
                continue
            assert running is not None and case.site is not None
            if case.site not in running.site_urls:
                known = ", ".join(sorted(running.site_urls))
                raise EvalConfigError(f"case {case.id}: no example site {case.site!r} (known: {known})")
            urls[case.id] = running.site_urls[case.site]
        yield urls


def research_settings(settings: Settings, cases: list[CompanyCase]) -> Settings:
    """The settings research runs under: loopback allowed for local sites, no delay if all are local."""
    if not any(case.site for case in cases):
        return settings
    allow = list(dict.fromkeys([*settings.url_allowlist, *LOOPBACK]))
    update: dict[str, Any] = {"url_allowlist": allow}
    if all(case.site for case in cases):
        update["politeness_delay_s"] = 0.0
    return settings.model_copy(update=update)


def _record(case: CompanyCase, url: str, profile: CompanyProfile, score: CompanyScore, error: str | None) -> (
    CaseRecord
):
    notes = [f"missed {m}" for m in score.missed] + [f"not on the site: {f}" for f in score.false_positives]
    notes += [f"wrong source: {s}" for s in score.source_errors]
    notes += [f"leaked: {f}" for f in score.forbidden_found] + [f"flag missing: {f}" for f in score.flags_missing]
    return CaseRecord(
        case_id=case.id,
        passed=score.perfect and error is None,
        input={"url": url, "site": case.site},
        expected={"legal_name": case.legal_name.value if case.legal_name else None,
                  "directors": [d.value for d in case.directors], "people": [p.name for p in case.people],
                  "news": [n.title for n in case.news]},
        output={"legal_name": profile.legal_name, "register_number": profile.register_number,
                "directors": profile.directors, "people": [p.name for p in profile.people],
                "news": [n.title for n in profile.news], "flags": profile.flags, "errors": profile.errors,
                "pages": profile.pages_visited},
        notes=notes,
        error=error,
    )


async def _research_one(
    browser: Browser, url: str, llm: LLM | None, settings: Settings
) -> tuple[CompanyProfile, str | None]:
    try:
        return await research_company(url, browser=browser, llm=llm, settings=settings), None
    except ResearchInputError as exc:
        return CompanyProfile(domain=url), f"{type(exc).__name__}: {exc}"


async def run_research(
    ctx: EvalContext, path: Path | str | None = None, options: ResearchSuiteOptions | None = None
) -> SuiteOutput:
    """Research every selected company once per variant and score the profiles."""
    options = options or ResearchSuiteOptions()
    if ctx.prompts:
        raise EvalConfigError("the research suite has no prompt variants (research@1 is its only prompt)")
    path = Path(path or COMPANIES_PATH)
    cases = ctx.select(load_companies(path))
    settings = research_settings(ctx.settings, cases)
    factories: list[tuple[str, ModelFactory | None]] = [("deterministic", None)]
    factories += [(kind, ctx.factory(kind)) for kind in ctx.models]
    variants: list[VariantResult] = []
    with _served(cases, options.sites_dir) as urls:
        try:
            async with Browser.from_settings(settings) as browser:
                for name, factory in factories:

                    async def work(
                        case: CompanyCase, factory: ModelFactory | None = factory
                    ) -> tuple[CaseRecord, CompanyScore]:
                        llm = factory.llm_for(responder(research_answers())) if factory else None
                        profile, error = await _research_one(browser, urls[case.id], llm, settings)
                        score = score_profile(case, profile)
                        return _record(case, urls[case.id], profile, score, error), score

                    with stopwatch() as elapsed:
                        done = await ctx.run_cases(f"research {name}", cases, work)
                    metrics, details = aggregate([score for _, score in done])
                    variants.append(
                        VariantResult(
                            name=name,
                            model=factory.kind if factory else "none",
                            metrics=metrics,
                            lower_is_better=sorted(LOWER_IS_BETTER),
                            details=details,
                            usage=factory.counter.snapshot() if factory else UsageTotals(),
                            cases=[record for record, _ in done],
                            seconds=elapsed[0],
                        )
                    )
        except BrowserUnavailable as exc:
            raise EvalConfigError(f"the research suite needs Chromium: {exc}") from exc
    return SuiteOutput(
        dataset=dataset_info(path, len(cases)),
        variants=variants,
        options={"politeness_delay_s": settings.politeness_delay_s, "crawl_max_pages": settings.crawl_max_pages},
    )
