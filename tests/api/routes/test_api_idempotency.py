"""Idempotency-Key: replay, mismatch, in-progress, per credential, across app instances (workers)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.app import create_app
from api.idempotency import _fingerprint, _request_hash
from tests.api.routes.conftest import GENEROUS, World, campaign_spec
from tools.crm.auth_models import IdempotencyRecord
from tools.crm.models import Campaign, OutboxMessage
from tools.settings import Settings


def _campaigns(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Campaign)).one())


def test_repeat_returns_the_first_result(client: TestClient, world: World, engine: Engine) -> None:
    headers = {**world.auth("service"), "Idempotency-Key": "create-1"}
    first = client.post("/api/campaigns", headers=headers, json=campaign_spec("einmalig"))
    second = client.post("/api/campaigns", headers=headers, json=campaign_spec("einmalig"))
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _campaigns(engine) == 3


def test_same_key_different_body_is_409(client: TestClient, world: World, engine: Engine) -> None:
    headers = {**world.auth("service"), "Idempotency-Key": "create-2"}
    assert client.post("/api/campaigns", headers=headers, json=campaign_spec("erste")).status_code == 201
    clash = client.post("/api/campaigns", headers=headers, json=campaign_spec("zweite"))
    assert clash.status_code == 409 and clash.json()["type"].endswith("idempotency-mismatch")
    assert _campaigns(engine) == 3


def test_approval_is_sent_once(client: TestClient, world: World, engine: Engine) -> None:
    headers = {**world.auth("rep_a"), "Idempotency-Key": "approve-a2"}
    responses = [client.post(f"/api/drafts/{world.draft_a2}/approve", headers=headers) for _ in range(3)]
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    with Session(engine) as session:
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == world.lead_a2)).all()) == 1


def test_errors_are_replayed_but_auth_failures_are_not_kept(client: TestClient, world: World,
                                                           engine: Engine) -> None:
    headers = {**world.auth("service"), "Idempotency-Key": "pause-1"}
    first = client.post(f"/api/campaigns/{world.campaign_a}/pause", headers=headers)
    assert first.status_code == 409  # a created campaign cannot be paused; the answer is kept
    assert client.post(f"/api/campaigns/{world.campaign_a}/pause", headers=headers).json() == first.json()
    anonymous = {"Idempotency-Key": "anon-1"}
    assert client.post(f"/api/campaigns/{world.campaign_a}/start", headers=anonymous).status_code == 401
    with Session(engine) as session:
        keys = {r.key for r in session.exec(select(IdempotencyRecord))}
    assert keys == {"pause-1"}


def test_keys_are_per_credential(client: TestClient, world: World) -> None:
    spec = campaign_spec("geteilt")
    first = client.post("/api/campaigns", headers={**world.auth("service"), "Idempotency-Key": "k"}, json=spec)
    other = client.post("/api/campaigns", headers={**world.auth("admin"), "Idempotency-Key": "k"}, json=spec)
    assert first.status_code == 201 and other.status_code == 409  # not a replay: the name is taken
    assert other.json()["type"].endswith("/conflict")


def test_in_progress_key_is_409_with_retry_after(client: TestClient, world: World, engine: Engine) -> None:
    authorization = world.auth("service")["Authorization"]
    body = json.dumps(campaign_spec("busy")).encode()
    scope = {"method": "POST", "path": "/api/campaigns", "query_string": b"",
             "headers": [(b"authorization", authorization.encode()), (b"content-type", b"application/json")]}
    with Session(engine) as session:  # as if another worker were still running the first request
        session.add(IdempotencyRecord(key="busy", principal=_fingerprint(scope), method="POST",
                                      path="/api/campaigns", request_hash=_request_hash(scope, body)))
        session.commit()
    response = client.post("/api/campaigns", content=body, headers={
        "Authorization": authorization, "Idempotency-Key": "busy", "Content-Type": "application/json"})
    assert response.status_code == 409 and response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("idempotency-in-progress")
    assert _campaigns(engine) == 2


def test_bad_key_is_400(client: TestClient, world: World) -> None:
    response = client.post("/api/campaigns", headers={**world.auth("service"), "Idempotency-Key": "x" * 300},
                           json=campaign_spec("lang"))
    assert response.status_code == 400


def test_replay_works_across_app_instances(settings: Settings, engine: Engine, world: World) -> None:
    headers = {**world.auth("service"), "Idempotency-Key": "cross-worker"}
    with TestClient(create_app(settings, engine=engine, limits=GENEROUS)) as worker_one:
        first = worker_one.post(f"/api/campaigns/{world.campaign_a}/start", headers=headers)
    with TestClient(create_app(settings, engine=engine, limits=GENEROUS)) as worker_two:
        second = worker_two.post(f"/api/campaigns/{world.campaign_a}/start", headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
