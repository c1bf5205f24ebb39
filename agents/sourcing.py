"""Where a campaign's leads come from: listing pages, search, URL lists and CSV files.

Companies found are researched here once (cached for every later contact and for the lead
threads); people with a published business address become contacts. Contacts found this way
carry no recorded consent, so the send-time policy decides whether they may be emailed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from agents.campaign import ICP, CampaignSpec, LeadSource
from agents.flow.context import FlowContext
from agents.nodes.research import research_company
from agents.profile import CompanyProfile, Person
from agents.research_store import load_fresh_profile, save_profile
from tools.crm.csv_io import import_contacts, parse_contacts_csv
from tools.crm.db import session_scope
from tools.crm.models import Campaign, LawfulBasis
from tools.crm.repository import add_lead, get_contact_by_email, upsert_company, upsert_contact
from tools.discovery import discover_from_listing
from tools.domains import registrable_domain

_FEMININE_ROLE = re.compile(
    r"\w*(führerin|leiterin|inhaberin|gründerin|direktorin|managerin|ingenieurin|beraterin|prokuristin)\b",
    re.IGNORECASE,
)
_MASCULINE_ROLE = re.compile(r"\w*(führer|leiter|inhaber|gründer|direktor|vorstand|prokurist)\b", re.IGNORECASE)


@dataclass
class SourcingReport:
    """What sourcing found and did."""

    companies_found: int = 0
    companies_researched: int = 0
    cache_hits: int = 0
    contacts_created: int = 0
    leads_created: int = 0
    lead_ids: list[uuid.UUID] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def salutation_hint(name: str, role: str | None) -> str | None:
    """Frau/Herr from an explicit title or a German role noun (…in → Frau); None when unsure."""
    lowered = name.lower()
    if lowered.startswith(("frau ", "ms ", "ms. ", "mrs ")):
        return "Frau"
    if lowered.startswith(("herr ", "mr ", "mr. ")):
        return "Herr"
    if role:
        if _FEMININE_ROLE.search(role):
            return "Frau"
        if _MASCULINE_ROLE.search(role):
            return "Herr"
    return None


def _split_name(name: str) -> tuple[str | None, str | None]:
    cleaned = re.sub(r"^(frau|herr|dr\.?|prof\.?|mr\.?|ms\.?|mrs\.?)\s+", "", name.strip(), flags=re.IGNORECASE)
    cleaned = re.sub(r"^(dr\.?|prof\.?)\s+", "", cleaned, flags=re.IGNORECASE)
    parts = cleaned.split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return None, parts[0]
    return " ".join(parts[:-1]), parts[-1]


def pick_people(profile: CompanyProfile, icp: ICP, *, limit: int = 2) -> list[Person]:
    """People with a published address, those whose role matches the ICP first."""
    with_email = [p for p in profile.people if p.email]
    wanted = [r.lower() for r in icp.roles]

    def rank(person: Person) -> int:
        role = (person.role or "").lower()
        return 0 if any(w in role or role in w for w in wanted if role) else 1

    return sorted(with_email, key=rank)[:limit]


async def _profile_for(ctx: FlowContext, website: str, report: SourcingReport) -> CompanyProfile:
    domain = registrable_domain(website)
    async with ctx.research_locks(domain):
        with session_scope(ctx.engine) as session:
            cached = load_fresh_profile(session, domain=domain, ttl_days=ctx.settings.research_ttl_days, now=ctx.now())
        if cached is not None:
            report.cache_hits += 1
            return cached
        browser = await ctx.browser.get()
        profile = await research_company(website, browser=browser, llm=ctx.llm, settings=ctx.settings, now=ctx.now())
        with session_scope(ctx.engine) as session:
            save_profile(session, profile)
        report.companies_researched += 1
        return profile


def _add_people(
    engine: Engine, campaign: Campaign, spec: CampaignSpec, profile: CompanyProfile, report: SourcingReport
) -> None:
    with session_scope(engine) as session:
        company = upsert_company(session, domain=profile.domain, name=profile.name, website=profile.website)
        for person in pick_people(profile, spec.icp):
            assert person.email is not None
            first, last = _split_name(person.name)
            existing = get_contact_by_email(session, email=person.email)
            contact = existing or upsert_contact(
                session,
                email=person.email,
                first_name=first,
                last_name=last,
                role=person.role,
                salutation=salutation_hint(person.name, person.role),
                company_id=company.id,
                country=profile.country,
                language=profile.language,
                lawful_basis=LawfulBasis.none,
                source=f"research:{person.source_url}",
            )
            report.contacts_created += existing is None
            lead, created = add_lead(
                session,
                campaign_id=campaign.id,
                contact_id=contact.id,
                source=f"research:{profile.domain}",
                owner=spec.owner,
            )
            report.leads_created += created
            report.lead_ids.append(lead.id)


async def _websites(ctx: FlowContext, source: LeadSource) -> list[str]:
    if source.kind == "urls":
        return list(source.urls)[: source.limit]
    if source.kind == "listing":
        assert source.url is not None
        browser = await ctx.browser.get()
        found = await discover_from_listing(source.url, browser=browser)
        return [c.website for c in found][: source.limit]
    from tools.search import build_search_provider

    provider = build_search_provider(ctx.settings)
    assert source.query is not None
    results = await provider.search(source.query, limit=source.limit)
    return [r.url for r in results]


def _csv_leads(engine: Engine, campaign: Campaign, spec: CampaignSpec, path: Path, report: SourcingReport) -> None:
    rows, _errors = parse_contacts_csv(path)
    with session_scope(engine) as session:
        import_contacts(session, path=path, actor="campaign")
        for row in rows:
            contact = get_contact_by_email(session, email=row.email)
            assert contact is not None
            lead, created = add_lead(
                session, campaign_id=campaign.id, contact_id=contact.id, source=f"csv:{path.name}", owner=spec.owner
            )
            report.leads_created += created
            report.lead_ids.append(lead.id)


async def source_leads(
    ctx: FlowContext,
    *,
    campaign: Campaign,
    spec: CampaignSpec,
    base_dir: Path,
    on_company: Callable[[SourcingReport], None] | None = None,
) -> SourcingReport:
    """Run every source of the campaign; returns what was found (leads are idempotent)."""
    report = SourcingReport()
    for source in spec.sources:
        if source.kind == "csv":
            assert source.path is not None
            path = Path(source.path)
            _csv_leads(ctx.engine, campaign, spec, path if path.is_absolute() else base_dir / path, report)
            continue
        websites = await _websites(ctx, source)
        seen: set[str] = set()
        for website in websites:
            domain = registrable_domain(website)
            if domain in seen:
                continue
            seen.add(domain)
            report.companies_found += 1
            profile = await _profile_for(ctx, website, report)
            _add_people(ctx.engine, campaign, spec, profile, report)
            if on_company is not None:
                on_company(report)
    report.lead_ids = list(dict.fromkeys(report.lead_ids))
    return report
