"""Lead routes: filters, pagination, detail with facts and sources, timeline, scoping."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.routes.conftest import World


def test_list_filters_and_paginates(client: TestClient, world: World) -> None:
    auth = world.auth("admin")
    page = client.get("/api/leads", headers=auth, params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    rest = client.get("/api/leads", headers=auth, params={"limit": 2, "offset": 2}).json()
    assert len(rest["items"]) == 1
    all_ids = {i["id"] for i in page["items"]} | {i["id"] for i in rest["items"]}
    assert all_ids == {str(world.lead_a), str(world.lead_a2), str(world.lead_b)}
    fit = client.get("/api/leads", headers=auth, params={"min_fit": 85}).json()
    assert [i["id"] for i in fit["items"]] == [str(world.lead_a2)]
    found = client.get("/api/leads", headers=auth, params={"q": "Schmidt"}).json()
    assert [i["contact"]["email"] for i in found["items"]] == ["anna@kunde-a.example"]
    by_status = client.get("/api/leads", headers=auth, params={"status": "interested"}).json()
    assert by_status["total"] == 0
    bad = client.get("/api/leads", headers=auth, params={"status": "nonsense"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"


def test_rep_sees_only_assigned_leads(client: TestClient, world: World) -> None:
    page = client.get("/api/leads", headers=world.auth("rep_b")).json()
    assert [i["id"] for i in page["items"]] == [str(world.lead_b)]
    assert client.get(f"/api/leads/{world.lead_a}", headers=world.auth("rep_b")).status_code == 403
    other = client.get("/api/leads", headers=world.auth("rep_b"), params={"campaign_id": str(world.campaign_a)})
    assert other.status_code == 403


def test_detail_has_facts_with_sources(client: TestClient, world: World) -> None:
    lead = client.get(f"/api/leads/{world.lead_a}", headers=world.auth("rep_a")).json()
    assert lead["company"]["employees"] == 2500 and lead["contact"]["salutation"] == "Frau"
    facts = {f["id"]: f for f in lead["facts"]}
    assert facts[world.fact_a]["source_url"] == "https://kunde-a.example/presse"
    assert any(f["kind"] == "description" and f["source_url"] == "https://kunde-a.example/" for f in lead["facts"])
    assert lead["sources"][:2] == ["https://kunde-a.example/", "https://kunde-a.example/presse"]
    assert [d["id"] for d in lead["drafts"]] == [str(world.draft_a)]


def test_timeline_lists_every_interaction(client: TestClient, world: World) -> None:
    client.post(f"/api/drafts/{world.draft_a}/reject", headers=world.auth("rep_a"), json={"reason": "zu lang"})
    items = client.get(f"/api/leads/{world.lead_a}/timeline", headers=world.auth("rep_a")).json()
    types = [i["type"] for i in items]
    assert {"draft", "inbound", "task", "audit"} <= set(types)
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    audit = [i for i in items if i["type"] == "audit"]
    assert audit[-1]["data"]["action"] == "lead.status" and audit[-1]["data"]["data"]["to"] == "rejected"
