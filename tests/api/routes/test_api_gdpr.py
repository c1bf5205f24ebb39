"""GDPR export and erasure over the API: admins only, address in the body, erasure confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tools.crm.models import AuditEvent, Contact, InboundMessage, Lead

ANNA = "anna@kunde-a.example"


def _auth(world: Any, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[who]}"}


@pytest.mark.parametrize("path", ["/api/gdpr/export", "/api/gdpr/erase"])
def test_only_admins(client: TestClient, world: Any, path: str) -> None:
    body = {"email": ANNA, "confirm": True}
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers=_auth(world, "rep_a")).status_code == 403
    assert client.post(path, json=body, headers=_auth(world, "service")).status_code == 403


def test_export(client: TestClient, world: Any) -> None:
    response = client.post("/api/gdpr/export", json={"email": ANNA}, headers=_auth(world, "admin"))
    assert response.status_code == 200
    data = response.json()
    assert data["contact"]["email"] == ANNA
    assert [lead["id"] for lead in data["leads"]] == [str(world.lead_a)]
    assert len(data["inbound"]) == 1 and len(data["classifications"]) == 1 and len(data["tasks"]) == 1
    assert data["memory"] == [] and data["checkpoints"] == []


def test_erase_needs_confirmation_then_erases(client: TestClient, engine: Engine, world: Any) -> None:
    unconfirmed = client.post("/api/gdpr/erase", json={"email": ANNA}, headers=_auth(world, "admin"))
    assert unconfirmed.status_code == 422 and "confirm=true" in unconfirmed.json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(Contact).where(Contact.email == ANNA)).first() is not None
    response = client.post("/api/gdpr/erase", json={"email": ANNA, "confirm": True}, headers=_auth(world, "admin"))
    assert response.status_code == 200
    report = response.json()
    assert report["contact_found"] and report["residue"] == []
    assert report["deleted"]["leads"] == 1 and report["deleted"]["inbound"] == 1
    with Session(engine) as session:
        assert session.exec(select(Contact).where(Contact.email == ANNA)).first() is None
        assert session.get(Lead, world.lead_a) is None
        assert session.exec(select(InboundMessage).where(InboundMessage.from_email == ANNA)).first() is None
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "gdpr.erased")).one()
        assert event.actor == "apikey:admin" and ANNA not in str(event.data)
        assert session.get(Lead, world.lead_a2) is not None  # other people stay


def test_bad_address_is_422(client: TestClient, world: Any) -> None:
    response = client.post("/api/gdpr/erase", json={"email": "not-an-address", "confirm": True},
                           headers=_auth(world, "admin"))
    assert response.status_code == 422 and "not an email address" in response.json()["detail"]
