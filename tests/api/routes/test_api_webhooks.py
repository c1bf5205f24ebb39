"""POST /webhooks/inbound-email: raw and JSON mail, duplicates, bad input, auth, rate limit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.app import create_app
from api.ratelimit import Rate, RateLimits
from tests.api.routes.conftest import World
from tools.crm.models import AuditEvent, InboundMessage
from tools.settings import Settings

RAW = (
    "From: Bert Braun <bert@kunde-b.example>\r\nTo: erika@muster.example\r\nSubject: Re: Vorab\r\n"
    "Message-ID: <neu-1@kunde-b.example>\r\nIn-Reply-To: <outbox-seed@muster.example>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nGerne nächste Woche.\r\n\r\n> Hallo\r\n"
)


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(InboundMessage)).one())


def test_raw_mail_is_stored_and_matched(client: TestClient, world: World, engine: Engine) -> None:
    response = client.post("/webhooks/inbound-email", content=RAW.encode(),
                           headers={**world.auth("webhook"), "Content-Type": "message/rfc822"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["matched"] and body["lead_id"] == str(world.lead_b) and not body["duplicate"]
    repeat = client.post("/webhooks/inbound-email", content=RAW.encode(),
                         headers={**world.auth("webhook"), "Content-Type": "text/plain"})
    assert repeat.status_code == 200 and repeat.json()["duplicate"] and repeat.json()["id"] == body["id"]
    with Session(engine) as session:
        stored = session.exec(select(InboundMessage).where(InboundMessage.message_id == "<neu-1@kunde-b.example>")
                              ).one()
        assert stored.stripped_text.strip() == "Gerne nächste Woche." and not stored.processed
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "inbound.received")).all()
        assert len(events) == 1 and events[0].actor == "apikey:mailer"


def test_json_payload(client: TestClient, world: World) -> None:
    payload = {"from": "Bert <bert@kunde-b.example>", "to": "erika@muster.example", "subject": "Re: Vorab",
               "text": "Bitte rufen Sie an.", "message_id": "<json-1@kunde-b.example>",
               "in_reply_to": "<outbox-seed@muster.example>"}
    first = client.post("/webhooks/inbound-email", json=payload, headers=world.auth("webhook"))
    assert first.status_code == 201 and first.json()["lead_id"] == str(world.lead_b)
    again = client.post("/webhooks/inbound-email", json=payload, headers=world.auth("webhook"))
    assert again.status_code == 200 and again.json()["duplicate"]


def test_bad_input_changes_nothing(client: TestClient, world: World, engine: Engine) -> None:
    before = _count(engine)
    auth = world.auth("webhook")
    missing_from = client.post("/webhooks/inbound-email", json={"to": "a@b.example", "subject": "", "text": "x"},
                               headers=auth)
    assert missing_from.status_code == 422 and missing_from.json()["errors"][0]["field"] == "body.from"
    garbage = client.post("/webhooks/inbound-email", content=b"\x00\xff not a mail",
                          headers={**auth, "Content-Type": "message/rfc822"})
    assert garbage.status_code == 422 and "not an email" in garbage.json()["detail"]
    not_json = client.post("/webhooks/inbound-email", content=b"{nope", headers={**auth,
                                                                               "Content-Type": "application/json"})
    assert not_json.status_code == 400
    wrong_type = client.post("/webhooks/inbound-email", content=b"<p>x</p>", headers={**auth,
                                                                                   "Content-Type": "text/html"})
    assert wrong_type.status_code == 415
    empty = client.post("/webhooks/inbound-email", content=b"  ", headers={**auth, "Content-Type": "text/plain"})
    assert empty.status_code == 422
    assert _count(engine) == before


def test_webhook_needs_its_scope(client: TestClient, world: World) -> None:
    headers = {"Content-Type": "message/rfc822"}
    assert client.post("/webhooks/inbound-email", content=RAW.encode(), headers=headers).status_code == 401
    denied = client.post("/webhooks/inbound-email", content=RAW.encode(), headers={**headers, **world.auth("rep_a")})
    assert denied.status_code == 403 and "webhooks:inbound" in denied.json()["detail"]


def test_webhook_is_rate_limited(settings: Settings, engine: Engine, world: World) -> None:
    limits = RateLimits(webhook=Rate(burst=2, per_minute=1))
    with TestClient(create_app(settings, engine=engine, limits=limits)) as client:
        headers = {**world.auth("webhook"), "Content-Type": "message/rfc822"}
        codes = [client.post("/webhooks/inbound-email", content=RAW.encode(), headers=headers).status_code
                 for _ in range(3)]
        assert codes == [201, 200, 429]
