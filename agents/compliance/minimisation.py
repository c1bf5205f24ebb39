"""Data minimisation (DSGVO Art. 5(1)(c), (e)): business facts only, and not forever.

The filter that keeps research to business facts is ``agents.minimise`` (research applies
it to every profile before it is stored; ``is_business_fact`` is re-exported here). This
module adds the storage-limitation side: ``purge_expired`` deletes research and inbound
mail older than ``Settings.retention_days``; the worker calls it periodically.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from agents.minimise import is_business_fact, minimise_profile, private_categories
from tools.crm.models import Company, InboundMessage, ReplyClassification, ResearchFact
from tools.crm.repository import record_audit
from tools.settings import Settings

__all__ = ["PurgeReport", "is_business_fact", "minimise_profile", "private_categories", "purge_expired"]


@dataclass
class PurgeReport:
    """What one retention run removed."""

    cutoff: datetime
    research_facts: int = 0
    inbound_messages: int = 0
    classifications: int = 0
    profiles_cleared: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output and the audit log."""
        data = asdict(self)
        data["cutoff"] = self.cutoff.isoformat()
        return data


def purge_expired(session: Session, now: datetime, settings: Settings) -> PurgeReport:
    """Delete research facts, company profiles and inbound mail older than ``retention_days``.

    Reply classifications go with their inbound mail; the lead's status and audit trail
    stay. Idempotent; the caller commits.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cutoff = now - timedelta(days=settings.retention_days)
    report = PurgeReport(cutoff=cutoff)
    connection = session.connection()
    report.research_facts = connection.execute(
        delete(ResearchFact).where(col(ResearchFact.retrieved_at) < cutoff)
    ).rowcount
    old_inbound = select(InboundMessage.id).where(col(InboundMessage.received_at) < cutoff)
    report.classifications = connection.execute(
        delete(ReplyClassification).where(col(ReplyClassification.inbound_id).in_(old_inbound))
    ).rowcount
    report.inbound_messages = connection.execute(
        delete(InboundMessage).where(col(InboundMessage.received_at) < cutoff)
    ).rowcount
    report.profiles_cleared = connection.execute(
        update(Company)
        .where(col(Company.researched_at).is_not(None), col(Company.researched_at) < cutoff)
        .values(profile={}, researched_at=None, updated_at=now)
    ).rowcount
    if report.research_facts or report.inbound_messages or report.profiles_cleared:
        record_audit(session, action="retention.purged", actor="worker", data=report.as_dict())
    session.flush()
    return report
