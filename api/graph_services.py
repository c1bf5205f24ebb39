"""Draft decisions through the lead graph: the API resumes the thread that waits on a draft.

A draft whose lead thread waits on it (the normal case: drafts come from `outreach campaign
run`) is decided with ``Orchestrator.decide`` — the same path as the CLI — so the thread goes
on to send, wait for replies and follow up. A draft no thread waits on (written by
`outreach draft`) falls back to the store transitions of ``StoreDraftService``.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from agents.routing import ResumeError
from agents.service import Orchestrator
from api.services import Services, StoreCampaignService, StoreDraftService, StoreReplyService
from api.workflow import DraftOutcome, WorkflowError
from tools.crm.models import Draft, DraftStatus, Lead, OutboxMessage
from tools.crm.repository import NotFound
from tools.settings import Settings


class GraphDraftService:
    """``DraftService`` backed by the orchestrator (opened on first use, closed with the app)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.fallback = StoreDraftService(engine, settings)
        self._stack = AsyncExitStack()
        self._orchestrator: Orchestrator | None = None
        self._lock = asyncio.Lock()

    async def orchestrator(self) -> Orchestrator:
        """The process's orchestrator, built once."""
        async with self._lock:
            if self._orchestrator is None:
                self._orchestrator = await self._stack.enter_async_context(
                    Orchestrator.open(self.settings, engine=self.engine)
                )
            return self._orchestrator

    async def aclose(self) -> None:
        """Close the orchestrator (model, browser, checkpointer)."""
        await self._stack.aclose()
        self._orchestrator = None

    def _lead_of(self, draft_id: uuid.UUID) -> uuid.UUID:
        with Session(self.engine) as session:
            draft = session.get(Draft, draft_id)
            if draft is None:
                raise NotFound(f"no draft {draft_id}")
            return draft.lead_id

    def _outcome(self, draft_id: uuid.UUID, lead_id: uuid.UUID) -> DraftOutcome:
        with Session(self.engine) as session:
            draft = session.get(Draft, draft_id)
            lead = session.get(Lead, lead_id)
            assert draft is not None and lead is not None
            approved = session.exec(
                select(Draft)
                .where(Draft.lead_id == lead_id, Draft.step == draft.step, Draft.status == DraftStatus.approved)
                .order_by(col(Draft.version).desc())
            ).first()
            outbox = session.exec(
                select(OutboxMessage).where(OutboxMessage.lead_id == lead_id, OutboxMessage.step == draft.step)
            ).first()
            return DraftOutcome(
                draft_id=draft_id,
                status=draft.status,
                lead_id=lead_id,
                lead_status=lead.status,
                approved_draft_id=approved.id if approved else None,
                outbox_id=outbox.id if outbox else None,
            )

    async def _decide(self, draft_id: uuid.UUID, decision: dict[str, Any]) -> DraftOutcome | None:
        lead_id = self._lead_of(draft_id)
        orchestrator = await self.orchestrator()
        waiting = await orchestrator.waiting_for(lead_id)
        if waiting is None or waiting.get("draft_id") != str(draft_id):
            return None
        try:
            await orchestrator.decide(draft_id, decision)
        except ResumeError as exc:
            raise WorkflowError(str(exc)) from exc
        return self._outcome(draft_id, lead_id)

    async def approve_draft(
        self, draft_id: uuid.UUID, actor: str, edited_body: str | None = None, edited_subject: str | None = None
    ) -> DraftOutcome:
        """Approve (an edit when text is given); the thread queues the mail."""
        edit = edited_body is not None or edited_subject is not None
        decision = {
            "action": "edit" if edit else "approve",
            "actor": actor,
            "body": edited_body,
            "subject": edited_subject,
        }
        outcome = await self._decide(draft_id, decision)
        return outcome or await self.fallback.approve_draft(draft_id, actor, edited_body, edited_subject)

    async def reject_draft(self, draft_id: uuid.UUID, actor: str, reason: str) -> DraftOutcome:
        """Reject with a reason; the thread ends without mail."""
        outcome = await self._decide(draft_id, {"action": "reject", "actor": actor, "reason": reason})
        return outcome or await self.fallback.reject_draft(draft_id, actor, reason)

    async def regenerate_draft(self, draft_id: uuid.UUID, actor: str, instruction: str) -> DraftOutcome:
        """Draft again following the instruction; the new version waits for approval."""
        decision = {"action": "regenerate", "actor": actor, "instruction": instruction}
        outcome = await self._decide(draft_id, decision)
        return outcome or await self.fallback.regenerate_draft(draft_id, actor, instruction)


def graph_services(engine: Engine, settings: Settings) -> tuple[Services, GraphDraftService]:
    """Services whose draft decisions go through the lead graph (``outreach serve``)."""
    drafts = GraphDraftService(engine, settings)
    services = Services(
        campaigns=StoreCampaignService(engine, settings), drafts=drafts, replies=StoreReplyService(engine, settings)
    )
    return services, drafts
