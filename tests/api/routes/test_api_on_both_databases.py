"""The API's queries on SQLite and PostgreSQL: queue, approval, funnel, usage by day, idempotency."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from tests.api.routes.conftest import GENEROUS, seed
from tools.crm.models import OutboxMessage
from tools.settings import Settings


def test_main_flows(any_engine: Engine, settings: Settings) -> None:
    world = seed(any_engine)
    with TestClient(create_app(settings, engine=any_engine, limits=GENEROUS)) as client:
        queue = client.get("/api/drafts", headers=world.auth("rep_a")).json()
        assert [i["id"] for i in queue["items"]] == [str(world.draft_a), str(world.draft_a2)]
        headers = {**world.auth("rep_a"), "Idempotency-Key": "both-dbs"}
        first = client.post(f"/api/drafts/{world.draft_a2}/approve", headers=headers)
        again = client.post(f"/api/drafts/{world.draft_a2}/approve", headers=headers)
        assert first.status_code == 200 and again.json() == first.json()
        status = client.get(f"/api/campaigns/{world.campaign_b}/status", headers=world.auth("admin")).json()
        assert status["funnel"]["replied"] == 1 and status["outbox"] == {"sent": 1}
        usage = client.get("/api/usage", headers=world.auth("admin"), params={"group_by": "day"}).json()
        assert len(usage["rows"]) == 1 and len(usage["rows"][0]["key"]) == 10 and usage["total"]["calls"] == 2
        campaign = client.get("/api/usage", headers=world.auth("admin"), params={"group_by": "campaign"}).json()
        assert {r["key"] for r in campaign["rows"]} == {str(world.campaign_a), str(world.campaign_b)}
        leads = client.get("/api/leads", headers=world.auth("admin"), params={"q": "kunde-b"}).json()
        assert leads["total"] == 1
        tasks = client.get("/api/tasks", headers=world.auth("rep_a"), params={"kind": ["escalation"]}).json()
        assert tasks["total"] == 1
    with Session(any_engine) as session:
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == world.lead_a2)).all()) == 1
