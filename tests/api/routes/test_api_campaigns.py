"""Campaign routes: create from CampaignSpec, validate, lifecycle, status counts, metrics, assignments."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api.routes.conftest import World, campaign_spec
from tools.crm.models import Campaign, Draft, DraftStatus, InboundMessage, OutboxMessage, OutboxStatus


def test_reps_list_only_their_campaigns(client: TestClient, world: World) -> None:
    page = client.get("/api/campaigns", headers=world.auth("rep_a")).json()
    assert [c["name"] for c in page["items"]] == ["kampagne-a"] and page["total"] == 1
    assert page["items"][0]["leads"] == 2
    everything = client.get("/api/campaigns", headers=world.auth("admin")).json()
    assert [c["name"] for c in everything["items"]] == ["kampagne-a", "kampagne-b"]
    assert client.get("/api/campaigns").status_code == 401


def test_create_from_spec(client: TestClient, world: World, engine: Engine) -> None:
    response = client.post("/api/campaigns", headers=world.auth("service"), json=campaign_spec("neue-kampagne"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "created" and created["spec"]["sender"]["email"] == "erika@muster.example"
    duplicate = client.post("/api/campaigns", headers=world.auth("service"), json=campaign_spec("neue-kampagne"))
    assert duplicate.status_code == 409
    with Session(engine) as session:
        assert len(session.exec(select(Campaign).where(Campaign.name == "neue-kampagne")).all()) == 1


def test_create_rejects_bad_spec_naming_the_field(client: TestClient, world: World, engine: Engine) -> None:
    spec = campaign_spec("kaputt")
    spec["sender"]["email"] = "not-an-address"
    response = client.post("/api/campaigns", headers=world.auth("service"), json=spec)
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["type"].endswith("validation-error") and problem["status"] == 422
    assert any(e["field"] == "body.sender.email" for e in problem["errors"])
    with Session(engine) as session:
        assert session.exec(select(Campaign).where(Campaign.name == "kaputt")).first() is None


def test_reps_cannot_create_campaigns(client: TestClient, world: World) -> None:
    response = client.post("/api/campaigns", headers=world.auth("rep_a"), json=campaign_spec("rep-kampagne"))
    assert response.status_code == 403 and "campaigns:write" in response.json()["detail"]


def test_validate_reports_errors_and_missing_legal_fields(client: TestClient, world: World) -> None:
    spec = campaign_spec("pruefen")
    spec["sender"]["legal"]["register_number"] = None
    verdict = client.post("/api/campaigns/validate", headers=world.auth("reader"), json=spec).json()
    assert verdict == {"valid": True, "errors": [], "missing_for_sending": ["sender.legal.register_number"]}
    del spec["offer"]
    verdict = client.post("/api/campaigns/validate", headers=world.auth("reader"), json=spec).json()
    assert not verdict["valid"] and verdict["errors"][0]["field"] == "body.offer"


def test_lifecycle_start_pause_resume(client: TestClient, world: World) -> None:
    base = f"/api/campaigns/{world.campaign_a}"
    auth = world.auth("service")
    assert client.post(f"{base}/pause", headers=auth).status_code == 409
    started = client.post(f"{base}/start", headers=auth).json()
    assert started == {"id": str(world.campaign_a), "name": "kampagne-a", "status": "running",
                       "previous_status": "created"}
    assert client.post(f"{base}/start", headers=auth).status_code == 409
    assert client.post(f"{base}/pause", headers=auth).json()["status"] == "paused"
    assert client.post(f"{base}/resume", headers=auth).json()["status"] == "running"
    assert client.get(base, headers=auth).json()["status"] == "running"
    unknown = client.post(f"/api/campaigns/{uuid.uuid4()}/start", headers=auth)
    assert unknown.status_code == 404


def test_status_counts_and_funnel(client: TestClient, world: World) -> None:
    status = client.get(f"/api/campaigns/{world.campaign_b}/status", headers=world.auth("rep_b")).json()
    assert status["leads"] == {"new": 1} and status["drafts"] == {"pending": 1} and status["outbox"] == {"sent": 1}
    assert status["open_tasks"] == 1
    assert status["funnel"] == {"found": 1, "researched": 1, "drafted": 1, "approved": 1, "sent": 1, "replied": 1,
                                "interested": 0}
    assert client.get(f"/api/campaigns/{world.campaign_b}/status", headers=world.auth("rep_a")).status_code == 403


def test_reply_rate_by_prompt_version(client: TestClient, world: World, engine: Engine) -> None:
    with Session(engine) as session:
        for draft_id, lead_id, contact_email in ((world.draft_a, world.lead_a, "anna@kunde-a.example"),
                                                 (world.draft_a2, world.lead_a2, "carl@kunde-c.example")):
            draft = session.get(Draft, draft_id)
            draft.status = DraftStatus.sent
            outbox = OutboxMessage(campaign_id=world.campaign_a, contact_id=_contact(session, lead_id),
                                   lead_id=lead_id, draft_id=draft_id, step=1, message_id=f"<m-{draft_id}@x>",
                                   from_email="erika@muster.example", to_email=contact_email, subject="s", body="b",
                                   status=OutboxStatus.sent)
            session.add_all([draft, outbox])
        session.commit()
    metrics = client.get(f"/api/campaigns/{world.campaign_a}/metrics", headers=world.auth("rep_a")).json()
    rates = {(r["prompt_id"], r["prompt_version"]): r for r in metrics["reply_rates"]}
    assert rates[("writer", "2")] == {"prompt_id": "writer", "prompt_version": "2", "sent": 1, "replied": 1,
                                      "interested": 1, "reply_rate": 1.0}
    assert rates[("writer", "1")]["replied"] == 0 and rates[("writer", "1")]["reply_rate"] == 0.0
    assert metrics["funnel"]["sent"] == 2 and metrics["funnel"]["interested"] == 1


def _contact(session: Session, lead_id: uuid.UUID) -> uuid.UUID:
    from tools.crm.models import Lead

    return session.get(Lead, lead_id).contact_id


def test_out_of_office_is_not_a_reply(client: TestClient, world: World, engine: Engine) -> None:
    from tools.crm.models import ReplyClassification

    with Session(engine) as session:
        inbound = session.exec(select(InboundMessage).where(InboundMessage.lead_id == world.lead_b)).one()
        session.add(ReplyClassification(inbound_id=inbound.id, lead_id=world.lead_b, label="out_of_office",
                                        stage="rules"))
        session.commit()
    funnel = client.get(f"/api/campaigns/{world.campaign_b}/metrics", headers=world.auth("admin")).json()["funnel"]
    assert funnel["replied"] == 0 and funnel["sent"] == 1


def test_assignments_admin_only(client: TestClient, world: World) -> None:
    base = f"/api/campaigns/{world.campaign_b}/assignments"
    assert client.post(base, headers=world.auth("rep_a"), json={"email": "rep-a@muster.example"}).status_code == 403
    added = client.post(base, headers=world.auth("admin"), json={"email": "rep-a@muster.example"})
    assert added.status_code == 201
    assert {a["email"] for a in client.get(base, headers=world.auth("admin")).json()} == {
        "rep-a@muster.example", "rep-b@muster.example"}
    assert client.get(f"/api/campaigns/{world.campaign_b}", headers=world.auth("rep_a")).status_code == 200
    user_id = added.json()["user_id"]
    assert client.delete(f"{base}/{user_id}", headers=world.auth("admin")).status_code == 204
    assert client.get(f"/api/campaigns/{world.campaign_b}", headers=world.auth("rep_a")).status_code == 403
    assert client.post(base, headers=world.auth("admin"), json={"email": "nobody@x.example"}).status_code == 404
