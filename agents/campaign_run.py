"""`outreach campaign run`: source leads, research, score and draft them, fill the approval queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from agents.campaign import CampaignSpec
from agents.reporting import campaign_counts
from agents.service import Orchestrator
from agents.sourcing import SourcingReport, source_leads
from tools.crm.db import session_scope
from tools.crm.repository import upsert_campaign

ProgressFn = Callable[[str, dict[str, Any]], None]


@dataclass
class CampaignRunReport:
    """What one run of a campaign did."""

    campaign_id: uuid.UUID
    sourcing: SourcingReport
    counts: dict[str, Any]
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        s = self.sourcing
        return {
            "campaign_id": str(self.campaign_id),
            "companies_found": s.companies_found,
            "companies_researched": s.companies_researched,
            "research_cache_hits": s.cache_hits,
            "contacts_created": s.contacts_created,
            "leads": len(s.lead_ids),
            "counts": self.counts,
            "errors": self.errors + s.errors,
        }


async def run_campaign(
    orchestrator: Orchestrator, spec: CampaignSpec, *, base_dir: Path, progress: ProgressFn | None = None
) -> CampaignRunReport:
    """Run a campaign up to the approval queue (idempotent: re-running continues where it stopped)."""
    engine = orchestrator.context.engine
    with session_scope(engine) as session:
        campaign = upsert_campaign(session, name=spec.name, spec=spec.model_dump(mode="json"), status="active")

    def counts() -> dict[str, Any]:
        with Session(engine) as session:
            return campaign_counts(session, campaign_id=campaign.id)

    def on_company(report: SourcingReport) -> None:
        if progress is not None:
            progress("sourcing", {"companies": report.companies_found, "leads": len(report.lead_ids)})

    sourcing = await source_leads(
        orchestrator.context, campaign=campaign, spec=spec, base_dir=base_dir, on_company=on_company
    )
    if progress is not None:
        progress("leads", {"total": len(sourcing.lead_ids), **counts()})

    def on_done(_lead_id: uuid.UUID) -> None:
        if progress is not None:
            progress("lead", counts())

    errors = await orchestrator.run_leads(sourcing.lead_ids, concurrency=spec.limits.concurrency, on_done=on_done)
    return CampaignRunReport(campaign.id, sourcing, counts(), errors)
