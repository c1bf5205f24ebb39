"""One-click unsubscribe over HTTP (RFC 8058): GET confirms, POST unsubscribes, bad tokens get 400."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.compliance.unsubscribe import make_token, unsubscribe_url
from tools.crm.models import AuditEvent, Lead, LeadStatus, OutboxMessage, OutboxStatus, Suppression
from tools.email.outbox import enqueue
from tools.settings import Settings


def _path(settings: Settings, world: Any, engine: Engine) -> str:
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_a)
        assert lead is not None
        url = unsubscribe_url(settings, lead.contact_id, lead.campaign_id)
    return url.removeprefix(settings.public_base_url)


def _state(engine: Engine, world: Any) -> tuple[int, LeadStatus]:
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_a)
        assert lead is not None
        return len(session.exec(select(Suppression)).all()), lead.status


def test_get_shows_a_bilingual_form_and_changes_nothing(
    client: TestClient, settings: Settings, engine: Engine, world: Any
) -> None:
    before = _state(engine, world)
    response = client.get(_path(settings, world, engine))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in response.text
    assert "Abmelden" in response.text and "Unsubscribe" in response.text
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert _state(engine, world) == before == (0, LeadStatus.new)


def test_one_click_post_unsubscribes_at_once_without_auth_or_redirect(
    client: TestClient, settings: Settings, engine: Engine, world: Any
) -> None:
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_a)
        assert lead is not None
        row = enqueue(session, campaign_id=lead.campaign_id, contact_id=lead.contact_id, lead_id=lead.id, step=1,
                      draft_id=None, from_email="erika@muster.example", to_email="anna@kunde-a.example",
                      subject="Hallo", body="Text")
        row_id = row.id
        session.commit()
    path = _path(settings, world, engine)
    client.cookies.clear()
    response = client.post(path, content=b"List-Unsubscribe=One-Click", follow_redirects=False,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert "Sie sind abgemeldet" in response.text and "You are unsubscribed" in response.text
    assert _state(engine, world) == (1, LeadStatus.suppressed)
    with Session(engine) as session:
        stored = session.get(OutboxMessage, row_id)
        assert stored is not None and (stored.status, stored.refusal_code) == (OutboxStatus.refused, "suppressed")
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "compliance.unsubscribed")).all()
    again = client.post(path, follow_redirects=False)  # idempotent, body optional
    assert again.status_code == 200
    assert _state(engine, world) == (1, LeadStatus.suppressed) and len(events) == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_token_gets_400_and_changes_nothing(
    client: TestClient, settings: Settings, engine: Engine, world: Any, method: str
) -> None:
    path = _path(settings, world, engine)
    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    response = getattr(client, method)(tampered, follow_redirects=False)
    assert response.status_code == 400
    assert "Ungültiger Abmeldelink" in response.text and "Invalid unsubscribe link" in response.text
    assert "Nothing was changed" in response.text
    assert _state(engine, world) == (0, LeadStatus.new)


def test_foreign_and_malformed_tokens(client: TestClient, settings: Settings, engine: Engine, world: Any) -> None:
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_a)
        assert lead is not None
        foreign = make_token(contact_id=lead.contact_id, campaign_id=lead.campaign_id, secret="someone-else")
    for token in (foreign, "x", str(world.lead_a)):
        assert client.post(f"/unsubscribe/{token}").status_code == 400
    assert _state(engine, world) == (0, LeadStatus.new)
