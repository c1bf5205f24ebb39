"""Research in the store: save a profile with its facts, and reuse it while it is fresh.

A company researched within ``research_ttl_days`` is reused for every contact there —
no browser, no model call. The whole profile is kept as JSON on ``Company.profile``; the
facts also become ``ResearchFact`` rows (replaced on every save) so other parts can query
and purge them. A profile whose site could not be read is saved but never counts as fresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlmodel import Session, col, delete

from agents.profile import CompanyProfile
from tools.crm.models import Company, ResearchFact
from tools.crm.repository import add_facts, get_company_by_domain, record_audit, upsert_company
from tools.crm.types import utcnow


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def load_fresh_profile(session: Session, *, domain: str, ttl_days: int, now: datetime | None) -> CompanyProfile | None:
    """The stored profile of ``domain`` if it was researched less than ``ttl_days`` ago, else None."""
    if ttl_days <= 0:
        return None
    company = get_company_by_domain(session, domain=domain)
    if company is None or company.researched_at is None or not company.profile:
        return None
    if (now or utcnow()) - company.researched_at >= timedelta(days=ttl_days):
        return None
    try:
        profile = CompanyProfile.model_validate(company.profile)
    except ValidationError:
        return None  # written by an older, incompatible version: research again
    return profile if profile.pages_visited else None


def save_profile(session: Session, profile: CompanyProfile) -> Company:
    """Create or update the company of ``profile``, store the profile and replace its facts."""
    country = profile.country.upper() if profile.country and len(profile.country) == 2 else None
    size_hint = f"{profile.employees} employees" if profile.employees else next(iter(profile.size_signals), None)
    company = upsert_company(
        session,
        domain=profile.domain,
        name=_clip(profile.name, 300),
        legal_name=_clip(profile.legal_name, 300),
        website=_clip(profile.website, 2048),
        country=country,
        industry=_clip(profile.industry, 200),
        description=profile.description,
        size_hint=_clip(size_hint, 100),
    )
    company.profile = profile.model_dump(mode="json")
    company.researched_at = profile.researched_at
    company.updated_at = utcnow()
    session.add(company)
    session.exec(
        delete(ResearchFact).where(
            col(ResearchFact.company_id) == company.id, col(ResearchFact.contact_id).is_(None)
        )
    )
    stored = add_facts(
        session,
        facts=(
            ResearchFact(
                company_id=company.id,
                kind=fact.kind[:50],
                text=fact.text,
                source_url=fact.source_url[:2048],
                retrieved_at=fact.retrieved_at,
            )
            for fact in profile.facts
        ),
    )
    record_audit(
        session,
        action="research.saved",
        entity_type="company",
        entity_id=company.id,
        data={"domain": company.domain, "facts": stored, "pages": len(profile.pages_visited), "flags": profile.flags},
    )
    session.flush()
    return company
