"""`outreach research <url>` and `outreach discover <listing-url>`: research companies in the browser.

Research already in the store and younger than ``research_ttl_days`` is reused (no browser,
no model call) and the output says so; ``--refresh`` researches again. ``--llm auto`` uses the
model only when an OpenAI-compatible endpoint is configured: the embedded model adds little
to research, and research works without one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.engine import Engine

from agents.campaign import CampaignError, CampaignSpec, load_campaign
from agents.llm import LLM, LLMError
from agents.nodes.research import ResearchInputError, normalise_start_url, research_company
from agents.profile import CompanyProfile
from agents.research_store import load_fresh_profile, save_profile
from agents.scoring import FitScore, score_fit
from api.cli.common import JsonOption, console, fail, get_settings, open_store, print_json
from tools.browser import Browser
from tools.crm.db import session_scope
from tools.crm.types import utcnow
from tools.discovery import DiscoveredCompany, discover_from_listing
from tools.domains import registrable_domain
from tools.errors import BrowserUnavailable, DiscoveryError
from tools.settings import Settings


class LLMMode(StrEnum):
    auto = "auto"
    on = "on"
    off = "off"


CampaignOption = typer.Option(None, "--campaign", "-c", help="Campaign YAML; its ICP scores the fit.")
RefreshOption = typer.Option(False, "--refresh", help="Research again even if fresh research is stored.")
LLMOption = typer.Option(LLMMode.auto, "--llm", help="auto: only with a configured endpoint; on; off.")


@dataclass
class Outcome:
    """One company's research result as the CLI reports it."""

    profile: CompanyProfile
    cached: bool
    fit: FitScore | None = None
    name: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self, threshold: int | None) -> dict[str, Any]:
        return {
            "domain": self.profile.domain,
            "name": self.name or self.profile.name,
            "cached": self.cached,
            "fit": None
            if self.fit is None
            else {**self.fit.model_dump(), "is_fit": self.fit.is_fit(threshold or 0), "threshold": threshold},
            "profile": self.profile.model_dump(mode="json"),
        }


def _load_spec(path: Path | None) -> CampaignSpec | None:
    if path is None:
        return None
    try:
        return load_campaign(path)
    except CampaignError as exc:
        fail(str(exc))


def _build_llm(settings: Settings, mode: LLMMode, engine: Engine) -> LLM | None:
    if mode == LLMMode.off or (mode == LLMMode.auto and not settings.llm_base_url):
        return None
    from agents.deps import build_llm

    try:
        return build_llm(settings, engine=engine)
    except LLMError as exc:
        fail(f"cannot use the model: {exc}")


def _cached(engine: Engine, settings: Settings, domain: str, refresh: bool) -> CompanyProfile | None:
    if refresh:
        return None
    with session_scope(engine) as session:
        return load_fresh_profile(session, domain=domain, ttl_days=settings.research_ttl_days, now=utcnow())


def _save(engine: Engine, profile: CompanyProfile) -> None:
    with session_scope(engine) as session:
        save_profile(session, profile)


def _run(settings: Settings, work: Callable[[Browser], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with Browser.from_settings(settings) as browser:
            return await work(browser)

    try:
        return asyncio.run(go())
    except BrowserUnavailable as exc:
        fail(str(exc))


def research_cmd(
    url: str = typer.Argument(..., help="Company website or domain, e.g. https://firma.de or firma.de."),
    campaign: Path | None = CampaignOption,
    refresh: bool = RefreshOption,
    llm_mode: LLMMode = LLMOption,
    json_output: bool = JsonOption,
) -> None:
    """Research one company's website: legal notice, people, news, facts with sources."""
    try:
        start_url, _assumed = normalise_start_url(url)
    except ResearchInputError as exc:
        fail(str(exc))
    spec = _load_spec(campaign)
    settings = get_settings()
    engine = open_store(settings)
    try:
        domain = registrable_domain(start_url)
        profile = _cached(engine, settings, domain, refresh)
        outcome = Outcome(profile=profile, cached=True) if profile is not None else None
        if outcome is None:
            llm = _build_llm(settings, llm_mode, engine)

            async def work(browser: Browser) -> CompanyProfile:
                return await research_company(url, browser=browser, llm=llm, settings=settings)

            status = console.status(f"researching {start_url} …", spinner="dots")
            with nullcontext() if json_output else status:
                fresh: CompanyProfile = _run(settings, work)
            _save(engine, fresh)
            outcome = Outcome(profile=fresh, cached=False)
    finally:
        engine.dispose()
    if spec is not None:
        outcome.fit = score_fit(outcome.profile, spec.icp, contact_role=None)
    threshold = spec.icp.threshold if spec else None
    if json_output:
        print_json(outcome.as_dict(threshold))
    else:
        _print_profile(outcome, settings, threshold)
    if not outcome.profile.pages_visited:
        reason = outcome.profile.errors[0] if outcome.profile.errors else "no page loaded"
        hint = " (local sites need OUTREACH_URL_ALLOWLIST)" if "blocked:" in reason else ""
        fail(f"could not read {start_url}: {reason}{hint}")


def _print_profile(outcome: Outcome, settings: Settings, threshold: int | None) -> None:
    profile = outcome.profile
    if outcome.cached:
        console.print(
            f"[cyan]reusing research of {profile.domain} from {profile.researched_at:%Y-%m-%d %H:%M} UTC "
            f"(younger than {settings.research_ttl_days} days): no browser, no model call[/]",
            highlight=False,
        )
    table = Table("field", "value", title=f"{profile.name or profile.domain}", show_lines=False)
    for label, value in (
        ("domain", profile.domain),
        ("legal name", profile.legal_name),
        ("address", profile.address),
        ("register", " ".join(x for x in (profile.register_court, profile.register_number) if x) or None),
        ("VAT id", profile.vat_id),
        ("directors", ", ".join(profile.directors) or None),
        ("industry", profile.industry),
        ("size", ", ".join(profile.size_signals) or None),
        ("description", profile.description),
        ("people", "; ".join(f"{p.name} ({p.role or '?'})" for p in profile.people) or None),
        ("news", "; ".join(f"{n.date or '?'} {n.title}" for n in profile.news[:3]) or None),
        ("pages", str(len(profile.pages_visited))),
        ("facts", str(len(profile.facts))),
    ):
        if value:
            table.add_row(label, value)
    console.print(table)
    if outcome.fit is not None:
        verdict = "fit" if outcome.fit.is_fit(threshold or 0) else "not a fit"
        console.print(f"ICP fit: [bold]{outcome.fit.score}[/] ({verdict}, threshold {threshold})", highlight=False)
        for reason in outcome.fit.reasons:
            console.print(f"  {reason}", highlight=False, soft_wrap=True)
    for flag in profile.flags:
        console.print(f"[yellow]flag:[/] {flag}", highlight=False, soft_wrap=True)
    for error in profile.errors[:10]:
        console.print(f"[yellow]warning:[/] {error}", highlight=False, soft_wrap=True)


def discover_cmd(
    listing_url: str = typer.Argument(..., help="Listing page: exhibitor list, member directory, …"),
    campaign: Path = typer.Option(..., "--campaign", "-c", help="Campaign YAML; its ICP scores and excludes."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Research at most N companies."),
    refresh: bool = RefreshOption,
    llm_mode: LLMMode = LLMOption,
    json_output: bool = JsonOption,
) -> None:
    """Find the companies a listing page links to, research each and score its ICP fit."""
    try:
        normalise_start_url(listing_url)
    except ResearchInputError as exc:
        fail(str(exc))
    spec = _load_spec(campaign)
    assert spec is not None
    settings = get_settings()
    engine = open_store(settings)
    try:
        llm = _build_llm(settings, llm_mode, engine)

        async def work(browser: Browser) -> tuple[list[DiscoveredCompany], list[Outcome]]:
            run = _Discovery(browser=browser, engine=engine, settings=settings, spec=spec, llm=llm, refresh=refresh)
            return await run.execute(listing_url, limit=limit, show=not json_output)

        found, outcomes = _run(settings, work)
    finally:
        engine.dispose()
    threshold = spec.icp.threshold
    summary = {
        "listing": listing_url,
        "found": len(found),
        "researched": sum(1 for o in outcomes if not o.cached),
        "cached": sum(1 for o in outcomes if o.cached),
        "fit": sum(1 for o in outcomes if o.fit is not None and o.fit.is_fit(threshold)),
        "excluded": sum(1 for o in outcomes if o.fit is not None and o.fit.excluded),
        "threshold": threshold,
    }
    if json_output:
        print_json({**summary, "companies": [o.as_dict(threshold) for o in outcomes]})
        return
    table = Table("company", "domain", "fit", "research", "notes", title=f"{len(found)} companies on {listing_url}")
    for outcome in sorted(outcomes, key=lambda o: -(o.fit.score if o.fit else 0)):
        fit = outcome.fit
        mark = "" if fit is None else f"{fit.score}{' ✓' if fit.is_fit(threshold) else ''}"
        table.add_row(
            outcome.name or outcome.profile.name or "?",
            outcome.profile.domain,
            mark,
            "cached" if outcome.cached else ("failed" if not outcome.profile.pages_visited else "researched"),
            "; ".join(outcome.notes)[:80],
        )
    console.print(table)
    console.print(
        f"found {summary['found']} · researched {summary['researched']} · reused {summary['cached']} · "
        f"fit {summary['fit']} (threshold {threshold}) · excluded {summary['excluded']}",
        highlight=False,
    )


@dataclass
class _Discovery:
    browser: Browser
    engine: Engine
    settings: Settings
    spec: CampaignSpec
    llm: LLM | None
    refresh: bool

    async def _one(self, company: DiscoveredCompany, slots: asyncio.Semaphore) -> Outcome:
        cached = _cached(self.engine, self.settings, company.domain, self.refresh)
        if cached is not None:
            return Outcome(profile=cached, cached=True, name=company.name)
        async with slots:
            try:
                profile = await research_company(
                    company.website, browser=self.browser, llm=self.llm, settings=self.settings
                )
            except ResearchInputError as exc:  # a listing can link to anything
                empty = CompanyProfile(domain=company.domain, website=company.website, errors=[str(exc)])
                return Outcome(profile=empty, cached=False, name=company.name, notes=[str(exc)])
        _save(self.engine, profile)
        notes = [] if profile.pages_visited else profile.errors[:1]
        return Outcome(profile=profile, cached=False, name=company.name, notes=notes)

    async def execute(
        self, listing_url: str, *, limit: int | None, show: bool
    ) -> tuple[list[DiscoveredCompany], list[Outcome]]:
        try:
            found = await discover_from_listing(listing_url, browser=self.browser)
        except DiscoveryError as exc:
            fail(str(exc))
        chosen = found[:limit] if limit else found
        slots = asyncio.Semaphore(self.settings.browser_concurrency)
        outcomes: list[Outcome] = []
        columns = (
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}")
        )
        with Progress(*columns, console=console, disable=not show) as bar:
            task = bar.add_task("researching", total=len(chosen), info="")
            for next_done in asyncio.as_completed([self._one(c, slots) for c in chosen]):
                outcome = await next_done
                outcome.fit = score_fit(outcome.profile, self.spec.icp, contact_role=None)
                outcomes.append(outcome)
                bar.update(task, advance=1, info=outcome.profile.domain + (" (cached)" if outcome.cached else ""))
        return found, outcomes


def register(app: typer.Typer) -> None:
    """Add `research` and `discover` to the root CLI."""
    app.command("research")(research_cmd)
    app.command("discover")(discover_cmd)
