"""Replies, tasks, suppressions and usage routes, with rep scoping."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from tests.api.routes.conftest import World
from tools.crm.db import make_engine
from tools.crm.models import InboundMessage, Suppression, Task, TaskStatus
from tools.crm.suppression import is_suppressed
from tools.settings import Settings


def test_replies_are_scoped_and_carry_their_label(client: TestClient, world: World, engine: Engine) -> None:
    with Session(engine) as session:
        session.add(InboundMessage(message_id="<stray@x.example>", from_email="stray@x.example", subject="?"))
        session.commit()
    rep = client.get("/api/replies", headers=world.auth("rep_a")).json()
    assert [r["id"] for r in rep["items"]] == [str(world.reply_a)]
    assert rep["items"][0]["label"] == "interested" and rep["items"][0]["campaign_id"] == str(world.campaign_a)
    admin = client.get("/api/replies", headers=world.auth("admin")).json()
    assert admin["total"] == 3
    unmatched = client.get("/api/replies", headers=world.auth("admin"), params={"unmatched": True}).json()
    assert [r["from_email"] for r in unmatched["items"]] == ["stray@x.example"]
    assert client.get("/api/replies", headers=world.auth("rep_a"), params={"unmatched": True}).status_code == 403
    labelled = client.get("/api/replies", headers=world.auth("admin"), params={"label": "interested"}).json()
    assert labelled["total"] == 1
    assert client.get(f"/api/replies/{world.reply_a}", headers=world.auth("rep_b")).status_code == 403
    assert client.get(f"/api/replies/{world.reply_a}", headers=world.auth("rep_a")).json()["text"] == \
        "Rufen Sie mich an."


def test_tasks_list_assign_complete(client: TestClient, world: World, engine: Engine) -> None:
    mine = client.get("/api/tasks", headers=world.auth("rep_a"), params={"status": "open"}).json()
    assert [t["id"] for t in mine["items"]] == [str(world.task_a)]
    assert mine["items"][0]["payload"]["suggested_answer"].startswith("Sehr geehrte")
    url = f"/api/tasks/{world.task_a}"
    assert client.post(f"{url}/assign", headers=world.auth("rep_b")).status_code == 403
    taken = client.post(f"{url}/assign", headers=world.auth("rep_a")).json()
    assert taken["assignee"] == "rep-a@muster.example"
    other = client.post(f"{url}/assign", headers=world.auth("rep_a"), json={"assignee": "rep-b@muster.example"})
    assert other.status_code == 403
    assert client.post(f"{url}/assign", headers=world.auth("admin"),
                       json={"assignee": "rep-b@muster.example"}).json()["assignee"] == "rep-b@muster.example"
    # assigned to rep B now, so rep B may see it although it belongs to campaign A
    assert client.get(url, headers=world.auth("rep_b")).status_code == 200
    done = client.post(f"{url}/complete", headers=world.auth("rep_b"), json={"note": "angerufen"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert client.post(f"{url}/complete", headers=world.auth("rep_b")).status_code == 409
    with Session(engine) as session:
        task = session.get(Task, world.task_a)
        assert task.status is TaskStatus.done and task.payload["completion_note"] == "angerufen"
    assert client.post(f"{url}/complete", headers=world.auth("reader")).status_code == 403


def test_suppressions_add_and_list(client: TestClient, world: World, engine: Engine, settings: Settings) -> None:
    added = client.post("/api/suppressions", headers=world.auth("rep_a"),
                        json={"value": "Anna@Kunde-A.example", "reason": "unsubscribe"})
    assert added.status_code == 201
    assert added.json()["hint"] == "A***@Kunde-A.example" and "anna" not in added.text.lower().replace("a***", "")
    again = client.post("/api/suppressions", headers=world.auth("rep_a"), json={"value": "anna@kunde-a.example"})
    assert again.json()["id"] == added.json()["id"]
    domain = client.post("/api/suppressions", headers=world.auth("rep_a"),
                         json={"value": "konkurrenz.example", "kind": "domain", "reason": "competitor"})
    assert domain.status_code == 201
    bad = client.post("/api/suppressions", headers=world.auth("rep_a"), json={"value": "not-an-address"})
    assert bad.status_code == 422 and "not an email address" in bad.json()["detail"]
    listed = client.get("/api/suppressions", headers=world.auth("reader")).json()
    assert listed["total"] == 2
    assert client.post("/api/suppressions", headers=world.auth("reader"),
                       json={"value": "x@y.example"}).status_code == 403
    with Session(engine) as session:
        assert len(session.exec(select(Suppression)).all()) == 2
        secret = settings.secret_key.get_secret_value()
        assert is_suppressed(session, email="anna@kunde-a.example", secret=secret) == "unsubscribe"
        assert is_suppressed(session, email="boss@konkurrenz.example", secret=secret) == "competitor"


def test_usage_aggregates_and_scopes(client: TestClient, world: World) -> None:
    admin = client.get("/api/usage", headers=world.auth("admin")).json()
    assert [r["key"] for r in admin["rows"]] == ["gpt-4o-mini", "local"]
    assert admin["total"]["calls"] == 2 and admin["total"]["errors"] == 1
    assert admin["total"]["input_tokens"] == 1050
    rep = client.get("/api/usage", headers=world.auth("rep_a"), params={"group_by": "agent"}).json()
    assert rep["rows"] == [{"key": "writer", "calls": 1, "input_tokens": 1000, "output_tokens": 200,
                            "cost_usd": 0.0003, "avg_latency_ms": 800, "errors": 0, "cached": 0}]
    by_day = client.get("/api/usage", headers=world.auth("admin"), params={"group_by": "day"}).json()
    assert len(by_day["rows"]) == 1 and by_day["rows"][0]["calls"] == 2
    future = client.get("/api/usage", headers=world.auth("admin"), params={"since": "2999-01-01T00:00:00Z"}).json()
    assert future["total"]["calls"] == 0 and future["rows"] == []
    naive = client.get("/api/usage", headers=world.auth("admin"), params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    assert client.get("/api/usage", headers=world.auth("admin"), params={"group_by": "x"}).status_code == 422


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "detail": ""}


def test_readiness_reports_a_dead_database(settings: Settings) -> None:
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing", pool_size=1)
    with TestClient(create_app(settings, engine=dead, migrate=False)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"] == "error" and ready.json()["detail"]
    dead.dispose()


def test_unknown_paths_are_problems_or_pages(client: TestClient) -> None:
    api = client.get("/api/nothing-here")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    page = client.get("/nothing-here", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>404</h1>" in page.text
