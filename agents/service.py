"""The orchestrator: runs lead threads, resumes them (rep decisions, replies, timers), sends mail.

Used by the CLI (`outreach campaign run`, `outreach worker`), the API and the demo. One
instance per process; every long wait lives in the checkpointer, so any process can resume.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from agents.checkpoint import open_checkpointer
from agents.flow.context import FlowContext, LazyResource
from agents.graph import build_graph
from agents.llm import LLM
from agents.routing import ApprovalDecision, ResumeError, WaitEvent, parse_decision
from agents.state import InputState, thread_id_for
from memory.types import Memory
from tools.crm.db import make_engine, session_scope, upgrade_schema
from tools.crm.models import (
    AuditEvent,
    Campaign,
    Draft,
    InboundMessage,
    Lead,
    LeadStatus,
    OutboxMessage,
    OutboxStatus,
)
from tools.crm.repository import NotFound, get_lead, record_audit, set_lead_status
from tools.crm.types import utcnow
from tools.settings import Settings

ACTIVE_CAMPAIGN_STATES = ("active", "running")
WAITING_STATUSES = (LeadStatus.sent, LeadStatus.approved, LeadStatus.paused, LeadStatus.replied)


class NotWaiting(ResumeError):
    """The thread is not waiting for this kind of input (already decided, or elsewhere)."""


@dataclass
class TickReport:
    """What one worker tick did."""

    sent: int = 0
    refused: int = 0
    deferred: int = 0
    failed: int = 0
    replies: int = 0
    woken: int = 0
    started: int = 0
    errors: list[str] = field(default_factory=list)


class Orchestrator:
    """Owns the compiled graph, its checkpointer and the run context."""

    def __init__(self, context: FlowContext, checkpointer: Any, *, transport: Any = None) -> None:
        self.context = context
        self.graph = build_graph(checkpointer)
        self.checkpointer = checkpointer
        self._transport = transport
        self._last_purge: datetime | None = None

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: Settings,
        *,
        engine: Engine | None = None,
        llm: LLM | None = None,
        memory: Memory | None = None,
        use_memory: bool = True,
        transport: Any = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> AsyncIterator[Orchestrator]:
        """Build everything from settings (or the given parts) for the lifetime of the block.

        ``use_memory=False`` runs without vector memory (tests that do not need it).
        """
        from agents.deps import build_llm, build_memory

        own_engine = engine is None
        if engine is None:
            engine = make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
            upgrade_schema(engine)
        browser = LazyResource(lambda: _start_browser(settings))
        context = FlowContext(
            settings=settings,
            engine=engine,
            llm=llm if llm is not None else build_llm(settings, engine=engine),
            memory=memory if memory is not None or not use_memory else build_memory(settings),
            browser=browser,
            llm_slots=asyncio.Semaphore(settings.llm_concurrency),
            clock=clock,
        )
        try:
            async with open_checkpointer(settings) as saver:
                yield cls(context, saver, transport=transport)
        finally:
            await browser.aclose()
            if own_engine:
                engine.dispose()

    # --- threads -----------------------------------------------------------------------------

    @staticmethod
    def config(lead: Lead) -> RunnableConfig:
        """LangGraph config addressing the lead's thread."""
        return {"configurable": {"thread_id": thread_id_for(str(lead.campaign_id), str(lead.contact_id))}}

    def _lead(self, lead_id: uuid.UUID) -> Lead:
        with Session(self.context.engine) as session:
            return get_lead(session, lead_id=lead_id)

    async def run_lead(self, lead_id: uuid.UUID) -> dict[str, Any]:
        """Start (or continue) a lead's thread until it waits or finishes."""
        lead = self._lead(lead_id)
        snapshot = await self.graph.aget_state(self.config(lead))
        if snapshot.next or snapshot.values:
            if snapshot.interrupts or not snapshot.next:
                return dict(snapshot.values)
            payload: Any = None  # resume an interrupted (crashed) run from its last checkpoint
        else:
            payload = InputState(
                campaign_id=str(lead.campaign_id), contact_id=str(lead.contact_id), lead_id=str(lead.id)
            )
        result = await self.graph.ainvoke(payload, self.config(lead), context=self.context, durability="sync")
        return dict(result)

    async def run_leads(
        self, lead_ids: list[uuid.UUID], *, concurrency: int, on_done: Callable[[uuid.UUID], None] | None = None
    ) -> list[str]:
        """Run many lead threads with a concurrency limit; returns error lines (one per failed lead)."""
        slots = asyncio.Semaphore(concurrency)
        errors: list[str] = []

        async def one(lead_id: uuid.UUID) -> None:
            async with slots:
                try:
                    await self.run_lead(lead_id)
                except Exception as exc:  # noqa: BLE001 - one lead's failure is recorded, the campaign goes on
                    errors.append(f"lead {lead_id}: {type(exc).__name__}: {exc}")
                    with session_scope(self.context.engine) as session:
                        lead = get_lead(session, lead_id=lead_id)
                        set_lead_status(session, lead=lead, status=LeadStatus.failed, reason=str(exc)[:500])
                if on_done is not None:
                    on_done(lead_id)

        await asyncio.gather(*(one(lead_id) for lead_id in lead_ids))
        return errors

    async def waiting_for(self, lead_id: uuid.UUID) -> dict[str, Any] | None:
        """The interrupt payload the lead's thread waits on, if any."""
        snapshot = await self.graph.aget_state(self.config(self._lead(lead_id)))
        for interrupt in snapshot.interrupts:
            value = interrupt.value
            return dict(value) if isinstance(value, dict) else {"value": value}
        return None

    async def resume(self, lead_id: uuid.UUID, value: dict[str, Any], *, expect: str) -> dict[str, Any]:
        """Resume a waiting thread with ``value`` if it waits for ``expect`` (approval / await_reply)."""
        waiting = await self.waiting_for(lead_id)
        if waiting is None or waiting.get("kind") != expect:
            raise NotWaiting(f"lead {lead_id} is not waiting for {expect}")
        lead = self._lead(lead_id)
        result = await self.graph.ainvoke(
            Command(resume=value), self.config(lead), context=self.context, durability="sync"
        )
        return dict(result)

    async def decide(self, draft_id: uuid.UUID | str, decision: ApprovalDecision | dict[str, Any]) -> dict[str, Any]:
        """Apply a rep's decision on a pending draft (approve / edit / reject / regenerate)."""
        parsed = decision if isinstance(decision, ApprovalDecision) else parse_decision(decision)
        try:
            draft_id = uuid.UUID(str(draft_id))
        except ValueError as exc:
            raise NotFound(f"not a draft id: {draft_id!r}") from exc
        with Session(self.context.engine) as session:
            draft = session.get(Draft, draft_id)
            if draft is None:
                raise NotFound(f"no draft {draft_id}")
            lead_id = draft.lead_id
        waiting = await self.waiting_for(lead_id)
        if waiting is None or waiting.get("draft_id") != str(draft_id):
            raise NotWaiting(f"draft {draft_id} is not awaiting approval")
        return await self.resume(lead_id, parsed.model_dump(), expect="approval")

    # --- mail ---------------------------------------------------------------------------------

    def transport(self) -> Any:
        """The configured mail transport (built on first use)."""
        if self._transport is None:
            from tools.email.transport import make_transport

            self._transport = make_transport(self.context.settings)
        return self._transport

    async def recover(self, *, older_than: timedelta | None = None) -> int:
        """Resolve outbox rows a crashed process left in ``sending`` (never resends); returns how many."""
        from tools.email.reconcile import reconcile

        outcome = await reconcile(
            self.context.engine, self.transport(), self.context.settings, older_than=older_than, now=self.context.now()
        )
        return len(outcome.sent) + len(outcome.requeued) + len(outcome.needs_review)

    async def dispatch(self, report: TickReport) -> None:
        """Send due outbox rows through the send-time compliance checks; mark leads sent."""
        from agents.compliance.sendcheck import make_precheck
        from agents.compliance.unsubscribe import unsubscribe_link_factory
        from tools.email.outbox import dispatch

        settings = self.context.settings
        outcome = await dispatch(
            self.context.engine,
            self.transport(),
            settings=settings,
            precheck=make_precheck(self.context.engine, settings, clock=self.context.clock),
            unsubscribe=unsubscribe_link_factory(settings),
            now=self.context.now(),
        )
        report.sent += len(outcome.sent)
        report.failed += len(outcome.failed) + len(outcome.uncertain)
        report.refused += len(outcome.refused)
        report.deferred += len(outcome.deferred) + len(outcome.retrying)
        with session_scope(self.context.engine) as session:
            rows = session.exec(
                select(Lead)
                .join(OutboxMessage, col(OutboxMessage.lead_id) == col(Lead.id))
                .where(OutboxMessage.status == OutboxStatus.sent, Lead.status == LeadStatus.approved)
            ).all()
            for lead in rows:
                set_lead_status(session, lead=lead, status=LeadStatus.sent)

    async def deliver_replies(self, report: TickReport) -> None:
        """Hand every matched, unprocessed inbound mail to its lead's thread."""
        with Session(self.context.engine) as session:
            pending = session.exec(
                select(InboundMessage)
                .where(InboundMessage.processed == False, col(InboundMessage.lead_id).is_not(None))  # noqa: E712
                .order_by(col(InboundMessage.received_at))
            ).all()
        for inbound in pending:
            assert inbound.lead_id is not None
            waiting = await self.waiting_for(inbound.lead_id)
            try:
                if waiting is not None and waiting.get("kind") == "approval":
                    await self.resume(
                        inbound.lead_id, {"kind": "reply", "inbound_id": str(inbound.id)}, expect="approval"
                    )
                elif waiting is not None and waiting.get("kind") == "await_reply":
                    event = WaitEvent(kind="reply", inbound_id=str(inbound.id))
                    await self.resume(inbound.lead_id, event.model_dump(), expect="await_reply")
                else:
                    report.errors.append(f"inbound {inbound.id}: lead thread is not waiting; kept for review")
            except Exception as exc:  # noqa: BLE001 - one bad reply must not stop the others
                report.errors.append(f"inbound {inbound.id}: {type(exc).__name__}: {exc}")
                continue
            with session_scope(self.context.engine) as session:
                row = session.get(InboundMessage, inbound.id)
                assert row is not None
                row.processed = True
                session.add(row)
            report.replies += 1

    async def wake_due(self, report: TickReport) -> None:
        """Resume threads whose follow-up or pause date has come."""
        now = self.context.now()
        with Session(self.context.engine) as session:
            due = session.exec(
                select(Lead).where(col(Lead.next_action_at) <= now, col(Lead.status).in_(WAITING_STATUSES))
            ).all()
        for lead in due:
            waiting = await self.waiting_for(lead.id)
            if waiting is None or waiting.get("kind") != "await_reply":
                continue
            if lead.status == LeadStatus.approved:
                continue  # the mail has not left yet: the follow-up clock starts when it does
            with session_scope(self.context.engine) as session:
                row = get_lead(session, lead_id=lead.id)
                row.next_action_at = None
                session.add(row)
            try:
                await self.resume(lead.id, {"kind": "timer"}, expect="await_reply")
                report.woken += 1
            except Exception as exc:  # noqa: BLE001 - recorded, the worker continues with the next lead
                report.errors.append(f"lead {lead.id}: {type(exc).__name__}: {exc}")

    # --- campaigns and leads started outside `campaign run` --------------------------------

    async def source_started_campaigns(self, report: TickReport) -> None:
        """Campaigns started through the API: find their leads once (the threads start next)."""
        from agents.campaign import CampaignSpec
        from agents.sourcing import source_leads

        with Session(self.context.engine) as session:
            done = set(session.exec(select(AuditEvent.entity_id).where(AuditEvent.action == "campaign.sourced")))
            campaigns = [
                c for c in session.exec(select(Campaign).where(Campaign.status == "running")) if str(c.id) not in done
            ]
        for campaign in campaigns:
            try:
                found = await source_leads(
                    self.context,
                    campaign=campaign,
                    spec=CampaignSpec.model_validate(campaign.spec),
                    base_dir=Path.cwd(),
                )
            except Exception as exc:  # noqa: BLE001 - recorded; the worker goes on with other campaigns
                report.errors.append(f"campaign {campaign.name}: {type(exc).__name__}: {exc}")
                continue
            with session_scope(self.context.engine) as session:
                record_audit(
                    session,
                    action="campaign.sourced",
                    entity_type="campaign",
                    entity_id=campaign.id,
                    data={"leads": len(found.lead_ids), "companies": found.companies_found},
                )

    async def start_new_leads(self, report: TickReport) -> None:
        """Start threads for leads created outside a campaign run (referrals, API-started campaigns)."""
        with Session(self.context.engine) as session:
            fresh = session.exec(
                select(Lead)
                .join(Campaign, col(Campaign.id) == col(Lead.campaign_id))
                .where(Lead.status == LeadStatus.new, col(Campaign.status).in_(ACTIVE_CAMPAIGN_STATES))
            ).all()
        if fresh:
            report.errors.extend(await self.run_leads([lead.id for lead in fresh], concurrency=4))
            report.started += len(fresh)

    # --- the worker round ----------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """One worker round: recover stale sends, send what is due, deliver replies, wake due
        threads, source API-started campaigns, start new leads, purge expired data (hourly)."""
        report = TickReport()
        await self.recover()
        await self.dispatch(report)
        await self.deliver_replies(report)
        await self.wake_due(report)
        await self.source_started_campaigns(report)
        await self.start_new_leads(report)
        self.purge_if_due()
        return report

    def purge_if_due(self, every: timedelta = timedelta(hours=1)) -> None:
        """Retention: delete research and inbound mail older than ``retention_days`` (at most hourly)."""
        from agents.compliance.minimisation import purge_expired

        now = self.context.now()
        if self._last_purge is not None and now - self._last_purge < every:
            return
        with session_scope(self.context.engine) as session:
            purge_expired(session, now, self.context.settings)
        self._last_purge = now


async def _start_browser(settings: Settings) -> Any:
    from tools.browser import Browser

    browser = Browser.from_settings(settings)
    await browser.__aenter__()
    return browser
