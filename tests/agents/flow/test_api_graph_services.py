"""The API's draft decisions resume the lead graph (so approved mail is sent and followed up)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.graph_services import GraphDraftService
from api.workflow import WorkflowError
from tests.agents.flow.conftest import seed_lead, template_campaign
from tools.crm.models import Draft, DraftStatus, LeadStatus, OutboxMessage
from tools.settings import Settings


async def test_api_approval_resumes_the_thread(
    open_orchestrator: Callable[..., object], engine: Engine, flow_settings: Settings
) -> None:
    seeded = seed_lead(engine, template_campaign())
    async with open_orchestrator() as orchestrator:  # type: ignore[attr-defined]
        await orchestrator.run_lead(seeded.lead_id)
        waiting = await orchestrator.waiting_for(seeded.lead_id)
    assert waiting is not None
    service = GraphDraftService(engine, flow_settings.model_copy(update={"llm_base_url": None}))
    try:
        with pytest.raises(WorkflowError, match="needs a reason"):
            await service.reject_draft(uuid.UUID(waiting["draft_id"]), "rep@x", "")
        outcome = await service.approve_draft(uuid.UUID(waiting["draft_id"]), "rep@x", edited_subject="Kurze Frage")
        assert outcome.lead_status == LeadStatus.approved and outcome.outbox_id is not None
        orchestrator = await service.orchestrator()
        assert (await orchestrator.waiting_for(seeded.lead_id) or {}).get("kind") == "await_reply"
    finally:
        await service.aclose()
    with Session(engine) as session:
        outbox = session.exec(select(OutboxMessage)).one()
        assert outbox.subject == "Kurze Frage"
        edited = session.get(Draft, outcome.approved_draft_id)
        assert edited is not None and edited.status == DraftStatus.approved and edited.created_by == "rep@x"
