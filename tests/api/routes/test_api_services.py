"""The service seam: create_app(services=...) routes decisions to the given implementation."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from api.services import (
    CampaignOutcome,
    DraftOutcome,
    Services,
    StoreCampaignService,
    StoreReplyService,
    WorkflowError,
)
from tests.api.routes.conftest import GENEROUS, World
from tools.crm.models import DraftStatus, LeadStatus
from tools.settings import Settings


class RecordingDrafts:
    """A DraftService that records decisions (as a graph-backed one would resume threads)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, uuid.UUID, str, tuple[str | None, ...]]] = []

    def _outcome(self, draft_id: uuid.UUID, status: DraftStatus) -> DraftOutcome:
        return DraftOutcome(draft_id=draft_id, status=status, lead_id=draft_id, lead_status=LeadStatus.approved)

    async def approve_draft(self, draft_id: uuid.UUID, actor: str, edited_body: str | None = None,
                            edited_subject: str | None = None) -> DraftOutcome:
        self.calls.append(("approve", draft_id, actor, (edited_subject, edited_body)))
        return self._outcome(draft_id, DraftStatus.approved)

    async def reject_draft(self, draft_id: uuid.UUID, actor: str, reason: str) -> DraftOutcome:
        self.calls.append(("reject", draft_id, actor, (reason,)))
        return self._outcome(draft_id, DraftStatus.rejected)

    async def regenerate_draft(self, draft_id: uuid.UUID, actor: str, instruction: str) -> DraftOutcome:
        self.calls.append(("regenerate", draft_id, actor, (instruction,)))
        return self._outcome(draft_id, DraftStatus.pending)


def test_decisions_go_to_the_given_service(settings: Settings, engine: Engine, world: World) -> None:
    drafts = RecordingDrafts()
    services = Services(campaigns=StoreCampaignService(engine, settings), drafts=drafts,
                        replies=StoreReplyService(engine, settings))
    with TestClient(create_app(settings, engine=engine, services=services, limits=GENEROUS)) as client:
        auth = world.auth("rep_a")
        client.post(f"/api/drafts/{world.draft_a}/approve", headers=auth, json={"body": "Neu"})
        client.post(f"/api/drafts/{world.draft_a}/reject", headers=auth, json={"reason": "nein"})
        client.post(f"/api/drafts/{world.draft_a}/regenerate", headers=auth, json={"instruction": "kürzer"})
        denied = client.post(f"/api/drafts/{world.draft_b}/approve", headers=auth)
    assert denied.status_code == 403
    assert drafts.calls == [
        ("approve", world.draft_a, "apikey:rep-a", (None, "Neu")),
        ("reject", world.draft_a, "apikey:rep-a", ("nein",)),
        ("regenerate", world.draft_a, "apikey:rep-a", ("kürzer",)),
    ]


async def test_store_campaign_service_refuses_bad_transitions(settings: Settings, engine: Engine,
                                                              world: World) -> None:
    service = StoreCampaignService(engine, settings)
    started = await service.start(world.campaign_a, actor="test")
    assert started == CampaignOutcome(world.campaign_a, "kampagne-a", "running", "created")
    with pytest.raises(WorkflowError, match="it is running"):
        await service.resume(world.campaign_a, actor="test")
