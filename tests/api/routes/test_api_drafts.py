"""Draft routes: queue order, claims with sources, approve / edit / reject / regenerate, bulk, scoping."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api.routes.conftest import World
from tools.crm.models import AuditEvent, Draft, DraftStatus, Lead, LeadStatus, OutboxMessage, Task


def test_queue_is_sorted_by_risk_and_scoped_to_the_reps_campaigns(client: TestClient, world: World) -> None:
    page = client.get("/api/drafts", headers=world.auth("rep_a")).json()
    ids = [item["id"] for item in page["items"]]
    assert ids == [str(world.draft_a), str(world.draft_a2)]  # draft_b (campaign B) is not there
    risky, calm = page["items"]
    codes = {flag["code"] for flag in risky["risk"]["flags"]}
    assert codes == {"guardrail_warning", "unsupported_claim", "big_account_first_contact"}
    assert risky["risk"]["level"] == "high" and risky["risk"]["score"] == 15 + 30 + 25
    assert calm["risk"] == {"score": 0, "level": "low", "value": 90, "flags": []}
    admin = client.get("/api/drafts", headers=world.auth("admin")).json()
    assert admin["total"] == 3


def test_draft_shows_claims_with_their_facts_and_sources(client: TestClient, world: World) -> None:
    draft = client.get(f"/api/drafts/{world.draft_a}", headers=world.auth("rep_a")).json()
    supported, unsupported = draft["claims"]
    assert supported["supported"] and supported["fact"]["id"] == world.fact_a
    assert supported["fact"]["source_url"] == "https://kunde-a.example/presse"
    assert not unsupported["supported"] and unsupported["fact"] is None
    assert draft["guardrails"][0] == {"name": "word_count", "passed": False, "severity": "warning",
                                      "message": "30 words; at least 40"}


def test_rep_of_another_campaign_gets_403(client: TestClient, world: World, engine: Engine) -> None:
    assert client.get(f"/api/drafts/{world.draft_a}", headers=world.auth("rep_b")).status_code == 403
    response = client.post(f"/api/drafts/{world.draft_a}/approve", headers=world.auth("rep_b"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert str(world.campaign_a) in response.json()["detail"]
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a).status is DraftStatus.pending
        assert session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == world.lead_a)).first() is None


def test_read_only_key_cannot_approve(client: TestClient, world: World) -> None:
    response = client.post(f"/api/drafts/{world.draft_a}/approve", headers=world.auth("reader"))
    assert response.status_code == 403
    assert "drafts:approve" in response.json()["detail"]
    assert client.post(f"/api/drafts/{world.draft_a}/approve").status_code == 401


def test_approve_queues_the_mail(client: TestClient, world: World, engine: Engine) -> None:
    response = client.post(f"/api/drafts/{world.draft_a2}/approve", headers=world.auth("rep_a"))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == "approved" and result["lead_status"] == "approved"
    with Session(engine) as session:
        draft = session.get(Draft, world.draft_a2)
        outbox = session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == world.lead_a2)).one()
        assert draft.status is DraftStatus.approved
        assert str(outbox.id) == result["outbox_id"] and outbox.draft_id == draft.id
        assert outbox.to_email == "carl@kunde-c.example" and outbox.from_email.endswith("erika@muster.example")
        assert outbox.subject == draft.subject and outbox.status.value == "pending"
        assert session.get(Lead, world.lead_a2).status is LeadStatus.approved
        actions = [e.action for e in session.exec(select(AuditEvent))]
        assert "draft.approved" in actions
    again = client.post(f"/api/drafts/{world.draft_a2}/approve", headers=world.auth("rep_a"))
    assert again.status_code == 409 and "not pending" in again.json()["detail"]


def test_edit_and_approve_keeps_a_new_version(client: TestClient, world: World, engine: Engine) -> None:
    body = "Sehr geehrte Frau Schmidt,\n\nSie haben eine neue Fertigungshalle in Augsburg eröffnet.\n\nGruß"
    response = client.post(f"/api/drafts/{world.draft_a}/approve", headers=world.auth("rep_a"),
                           json={"subject": "Ihre Halle in Augsburg", "body": body})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == "superseded" and result["approved_draft_id"] != str(world.draft_a)
    with Session(engine) as session:
        edited = session.get(Draft, uuid.UUID(result["approved_draft_id"]))
        assert edited.version == 2 and edited.edited_from_id == world.draft_a
        assert edited.created_by == "apikey:rep-a" and edited.status is DraftStatus.approved
        assert [c["text"] for c in edited.claims] == ["Sie haben eine neue Fertigungshalle in Augsburg eröffnet"]
        outbox = session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == world.lead_a)).one()
        assert outbox.body == body and outbox.subject == "Ihre Halle in Augsburg" and outbox.draft_id == edited.id


def test_follow_up_threads_to_the_sent_mail(client: TestClient, world: World, engine: Engine) -> None:
    assert client.post(f"/api/drafts/{world.draft_b}/approve", headers=world.auth("rep_b")).status_code == 200
    with Session(engine) as session:
        follow_up = session.exec(select(OutboxMessage).where(OutboxMessage.draft_id == world.draft_b)).one()
        assert follow_up.step == 2 and follow_up.in_reply_to == "<outbox-seed@muster.example>"


def test_reject_needs_a_reason_and_keeps_it(client: TestClient, world: World, engine: Engine) -> None:
    missing = client.post(f"/api/drafts/{world.draft_a}/reject", headers=world.auth("rep_a"), json={"reason": ""})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.reason"
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a).status is DraftStatus.pending
    ok = client.post(f"/api/drafts/{world.draft_a}/reject", headers=world.auth("rep_a"),
                     json={"reason": "Falscher Ansprechpartner"})
    assert ok.status_code == 200 and ok.json()["lead_status"] == "rejected"
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a).reject_reason == "Falscher Ansprechpartner"


def test_regenerate_opens_one_task(client: TestClient, world: World, engine: Engine) -> None:
    first = client.post(f"/api/drafts/{world.draft_a}/regenerate", headers=world.auth("rep_a"),
                        json={"instruction": "Kürzer bitte"}).json()
    second = client.post(f"/api/drafts/{world.draft_a}/regenerate", headers=world.auth("rep_a"),
                         json={"instruction": "Ohne Umsatzzahl"}).json()
    assert first["task_id"] == second["task_id"] and second["status"] == "pending"
    with Session(engine) as session:
        task = session.get(Task, uuid.UUID(first["task_id"]))
        assert task.kind == "regenerate" and task.payload["instruction"] == "Ohne Umsatzzahl"
    queue = client.get("/api/drafts", headers=world.auth("rep_a")).json()["items"]
    assert queue[0]["regeneration_requested"] == "Ohne Umsatzzahl"


def test_bulk_approve_takes_only_low_risk(client: TestClient, world: World, engine: Engine) -> None:
    response = client.post("/api/drafts/bulk-approve", headers=world.auth("rep_a"),
                           json={"draft_ids": [str(world.draft_a), str(world.draft_a2)]})
    assert response.status_code == 200
    result = response.json()
    assert [a["draft_id"] for a in result["approved"]] == [str(world.draft_a2)]
    assert result["skipped"] == [{"draft_id": str(world.draft_a), "reason": "risk is high"}]


def test_bulk_approve_outside_scope_changes_nothing(client: TestClient, world: World, engine: Engine) -> None:
    response = client.post("/api/drafts/bulk-approve", headers=world.auth("rep_a"),
                           json={"draft_ids": [str(world.draft_a2), str(world.draft_b)]})
    assert response.status_code == 403
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a2).status is DraftStatus.pending


def test_unknown_draft_is_404(client: TestClient, world: World) -> None:
    response = client.get("/api/drafts/00000000-0000-4000-8000-000000000000", headers=world.auth("admin"))
    assert response.status_code == 404 and response.json()["title"] == "Not Found"
