"""The seam between the API and the orchestration.

Routes call these protocols for everything that starts work or resumes a lead's graph.
``StoreServices`` does the store transitions directly (draft status, lead status, outbox
row, regenerate task) and is the default; the graph-backed implementation (LangGraph
``Command(resume=…)``) plugs in through ``create_app(settings, services=...)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol, TypeVar

import anyio.to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.workflow import (
    CampaignOutcome,
    DraftOutcome,
    InvalidInput,
    WorkflowError,
    approve_draft,
    change_campaign,
    reject_draft,
    request_regeneration,
)
from tools.crm.db import session_scope
from tools.crm.models import InboundMessage
from tools.crm.repository import NotFound, record_audit
from tools.settings import Settings

T = TypeVar("T")

__all__ = [
    "CampaignOutcome",
    "CampaignService",
    "DraftOutcome",
    "DraftService",
    "InvalidInput",
    "ReplyService",
    "Services",
    "StoreCampaignService",
    "StoreDraftService",
    "StoreReplyService",
    "WorkflowError",
    "store_services",
]


class CampaignService(Protocol):
    """Start, pause and resume campaigns."""

    async def start(self, campaign_id: uuid.UUID, *, actor: str) -> CampaignOutcome:
        """Begin working the campaign (discover, research, draft)."""
        ...

    async def pause(self, campaign_id: uuid.UUID, *, actor: str) -> CampaignOutcome:
        """Stop new work and sending; in-flight leads wait."""
        ...

    async def resume(self, campaign_id: uuid.UUID, *, actor: str) -> CampaignOutcome:
        """Continue a paused campaign."""
        ...


class DraftService(Protocol):
    """A rep's decisions on drafts."""

    async def approve_draft(
        self,
        draft_id: uuid.UUID,
        actor: str,
        edited_body: str | None = None,
        edited_subject: str | None = None,
    ) -> DraftOutcome:
        """Approve (after an edit when text is given) and queue the mail."""
        ...

    async def reject_draft(self, draft_id: uuid.UUID, actor: str, reason: str) -> DraftOutcome:
        """Reject with a reason; the lead is not mailed."""
        ...

    async def regenerate_draft(self, draft_id: uuid.UUID, actor: str, instruction: str) -> DraftOutcome:
        """Ask for a new version following ``instruction``."""
        ...


class ReplyService(Protocol):
    """What happens after an inbound mail was stored."""

    async def inbound_received(self, inbound_id: uuid.UUID, *, actor: str) -> None:
        """Hand a stored mail to classification and the reply actions."""
        ...


@dataclass(frozen=True)
class Services:
    """Everything the API delegates to the orchestration."""

    campaigns: CampaignService
    drafts: DraftService
    replies: ReplyService


class _StoreBacked:
    """Runs one store transaction per call on a worker thread."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    async def _run(self, work: Callable[[Session], T]) -> T:
        def in_transaction() -> T:
            with session_scope(self.engine) as session:
                return work(session)

        return await anyio.to_thread.run_sync(in_transaction)


class StoreCampaignService(_StoreBacked):
    """Campaign state changes in the store; a runner process acts on ``running`` campaigns."""

    async def start(self, campaign_id: uuid.UUID, *, actor: str) -> CampaignOutcome:
        """created|paused → running."""
        return await self._run(partial(_campaign, campaign_id=campaign_id, action="start", actor=actor))

    async def pause(self, campaign_id: uuid.UUID, *, actor: str) -> CampaignOutcome:
        """running → paused."""
        return await self._run(partial(_campaign, campaign_id=campaign_id, action="pause", actor=actor))

    async def resume(self, campaign_id: uuid.UUID, *, actor: str) -> CampaignOutcome:
        """paused → running."""
        return await self._run(partial(_campaign, campaign_id=campaign_id, action="resume", actor=actor))


def _campaign(session: Session, *, campaign_id: uuid.UUID, action: str, actor: str) -> CampaignOutcome:
    return change_campaign(session, campaign_id=campaign_id, action=action, actor=actor)


class StoreDraftService(_StoreBacked):
    """Draft decisions as store transitions: approve queues the outbox row in the same transaction.

    ``regenerator``, when given, writes the new version right away (e.g. the writer agent);
    without it a ``regenerate`` task is opened for the runner.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        regenerator: Callable[[uuid.UUID, str, str], Awaitable[DraftOutcome]] | None = None,
    ) -> None:
        super().__init__(engine, settings)
        self.regenerator = regenerator

    async def approve_draft(
        self,
        draft_id: uuid.UUID,
        actor: str,
        edited_body: str | None = None,
        edited_subject: str | None = None,
    ) -> DraftOutcome:
        """Approve, editing first when text is given."""
        return await self._run(partial(
            approve_draft, draft_id=draft_id, actor=actor, settings=self.settings,
            edited_subject=edited_subject, edited_body=edited_body,
        ))

    async def reject_draft(self, draft_id: uuid.UUID, actor: str, reason: str) -> DraftOutcome:
        """Reject with a reason."""
        return await self._run(partial(reject_draft, draft_id=draft_id, actor=actor, reason=reason))

    async def regenerate_draft(self, draft_id: uuid.UUID, actor: str, instruction: str) -> DraftOutcome:
        """Regenerate now (with a regenerator) or open a task for the runner."""
        if self.regenerator is not None:
            return await self.regenerator(draft_id, actor, instruction)
        return await self._run(partial(request_regeneration, draft_id=draft_id, actor=actor,
                                       instruction=instruction))


class StoreReplyService(_StoreBacked):
    """Leaves stored mail unprocessed (``processed`` false) for the runner and audits its arrival."""

    async def inbound_received(self, inbound_id: uuid.UUID, *, actor: str) -> None:
        """Record that the mail arrived through the API."""
        await self._run(partial(_audit_inbound, inbound_id=inbound_id, actor=actor))


def _audit_inbound(session: Session, *, inbound_id: uuid.UUID, actor: str) -> None:
    inbound = session.get(InboundMessage, inbound_id)
    if inbound is None:
        raise NotFound(f"no inbound message {inbound_id}")
    record_audit(
        session,
        action="inbound.received",
        actor=actor,
        entity_type="lead" if inbound.lead_id else "inbound",
        entity_id=inbound.lead_id or inbound.id,
        data={"inbound_id": str(inbound.id), "match_method": inbound.match_method},
    )


def store_services(engine: Engine, settings: Settings) -> Services:
    """The default services: store transitions only."""
    return Services(
        campaigns=StoreCampaignService(engine, settings),
        drafts=StoreDraftService(engine, settings),
        replies=StoreReplyService(engine, settings),
    )
