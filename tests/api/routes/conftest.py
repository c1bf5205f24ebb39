"""A seeded store and an app for the API and web tests: two campaigns, their reps, drafts, replies."""

from __future__ import annotations

import copy
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agents.profile import Fact
from api.app import create_app
from api.auth import hash_password
from api.ratelimit import Rate, RateLimits
from api.schemas.campaigns import CAMPAIGN_EXAMPLE
from api.users import assign_campaign, create_api_key
from tools.crm import repository as repo
from tools.crm.auth_models import User, UserRole
from tools.crm.db import make_engine, upgrade_schema
from tools.crm.models import (
    Campaign,
    Draft,
    InboundMessage,
    LLMCall,
    OutboxMessage,
    OutboxStatus,
    ReplyClassification,
    ResearchFact,
)
from tools.crm.types import utcnow
from tools.settings import Settings

PASSWORD = "correct horse battery staple"
GENEROUS = RateLimits(login=Rate(burst=1000, per_minute=1000), webhook=Rate(burst=1000, per_minute=1000))


@cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every seeded user (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def _user(session: Session, email: str, role: UserRole) -> User:
    user = User(email=email, role=role, password_hash=password_hash())
    session.add(user)
    session.flush()
    return user


def campaign_spec(name: str) -> dict[str, Any]:
    """A complete, valid CampaignSpec as JSON."""
    spec = copy.deepcopy(CAMPAIGN_EXAMPLE)
    spec["name"] = name
    return spec


@dataclass
class World:
    """Ids and credentials of the seeded data."""

    campaign_a: uuid.UUID
    campaign_b: uuid.UUID
    lead_a: uuid.UUID
    lead_a2: uuid.UUID
    lead_b: uuid.UUID
    draft_a: uuid.UUID  # pending, one supported and one unsupported claim, a failed guardrail
    draft_a2: uuid.UUID  # pending, low risk
    draft_b: uuid.UUID  # pending follow-up (step 2), campaign B
    fact_a: str  # stable id of the fact draft_a cites
    reply_a: uuid.UUID
    task_a: uuid.UUID
    keys: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        """Authorization header of a seeded key."""
        return {"Authorization": f"Bearer {self.keys[who]}"}


def _company(session: Session, domain: str, name: str, employees: int, news: str) -> tuple[Any, Fact]:
    fact = Fact(kind="news", text=news, source_url=f"https://{domain}/presse")
    company = repo.upsert_company(session, domain=domain, name=name, website=f"https://{domain}",
                                  industry="Maschinenbau", country="DE", size_hint=f"{employees} Mitarbeiter")
    company.profile = {"domain": domain, "employees": employees, "facts": [fact.model_dump(mode="json")],
                       "pages_visited": [f"https://{domain}/", f"https://{domain}/presse"]}
    company.researched_at = utcnow()
    session.add(company)
    session.add(ResearchFact(company_id=company.id, kind="description", text=f"{name} baut Sondermaschinen.",
                             source_url=f"https://{domain}/"))
    session.flush()
    return company, fact


def seed(engine: Engine) -> World:
    """Two campaigns (A, B), a rep for each, an admin, drafts, a reply and an escalation."""
    with Session(engine, expire_on_commit=False) as session:
        camp_a = Campaign(name="kampagne-a", spec=campaign_spec("kampagne-a"), status="created")
        camp_b = Campaign(name="kampagne-b", spec=campaign_spec("kampagne-b"), status="running")
        session.add_all([camp_a, camp_b])
        session.flush()
        company_a, fact_a = _company(session, "kunde-a.example", "Kunde A GmbH", 2500,
                                     "12.11.2026 – Neue Fertigungshalle in Augsburg eröffnet")
        company_a2, _ = _company(session, "kunde-c.example", "Kunde C GmbH", 80, "Kunde C feiert 50 Jahre")
        company_b, _ = _company(session, "kunde-b.example", "Kunde B AG", 300, "Kunde B übernimmt Wettbewerber")
        anna = repo.upsert_contact(session, email="anna@kunde-a.example", first_name="Anna", last_name="Schmidt",
                                   salutation="Frau", company_id=company_a.id)
        carl = repo.upsert_contact(session, email="carl@kunde-c.example", first_name="Carl", last_name="Clausen",
                                   salutation="Herr", company_id=company_a2.id)
        bert = repo.upsert_contact(session, email="bert@kunde-b.example", first_name="Bert", last_name="Braun",
                                   salutation="Herr", company_id=company_b.id)
        lead_a, _ = repo.add_lead(session, campaign_id=camp_a.id, contact_id=anna.id, source="listing")
        lead_a2, _ = repo.add_lead(session, campaign_id=camp_a.id, contact_id=carl.id, source="listing")
        lead_b, _ = repo.add_lead(session, campaign_id=camp_b.id, contact_id=bert.id, source="csv")
        lead_a.fit_score, lead_a2.fit_score, lead_b.fit_score = 82, 90, 70
        body_a = ("Sehr geehrte Frau Schmidt,\n\nSie haben eine neue Fertigungshalle in Augsburg eröffnet. "
                  "Ihr Umsatz wuchs um 40 %.\n\nMit freundlichen Grüßen\nErika Mustermann")
        draft_a = Draft(lead_id=lead_a.id, subject="Ihre neue Fertigungshalle", body=body_a, language="de",
                        prompt_id="writer", prompt_version="2",
                        claims=[{"text": "Sie haben eine neue Fertigungshalle in Augsburg eröffnet",
                                 "fact_id": fact_a.id},
                                {"text": "Ihr Umsatz wuchs um 40 %", "fact_id": "f_doesnotexist"}],
                        guardrails=[{"name": "word_count", "passed": False, "severity": "warning",
                                     "message": "30 words; at least 40"},
                                    {"name": "legal_footer", "passed": True, "severity": "error", "message": ""}])
        draft_a2 = Draft(lead_id=lead_a2.id, subject="50 Jahre Kunde C", body="Sehr geehrter Herr Clausen,\n\n…",
                         language="de", prompt_id="writer", prompt_version="1", claims=[], guardrails=[])
        draft_b = Draft(lead_id=lead_b.id, step=2, subject="Übernahme", body="Sehr geehrter Herr Braun,\n\n…",
                        language="de")
        session.add_all([draft_a, draft_a2, draft_b])
        session.flush()
        # an earlier mail to Bert that was sent and answered with <script>
        out = OutboxMessage(campaign_id=camp_b.id, contact_id=bert.id, lead_id=lead_b.id, step=1,
                            message_id="<outbox-seed@muster.example>", from_email="erika@muster.example",
                            to_email=bert.email, subject="Vorab", body="Hallo", status=OutboxStatus.sent,
                            sent_at=utcnow() - timedelta(days=2))
        session.add(out)
        hostile = "<script>alert('x')</script> Gerne!"
        reply_b = InboundMessage(message_id="<r1@kunde-b.example>", from_email=bert.email, subject="Re: Vorab",
                                 body_text=hostile, stripped_text=hostile,
                                 lead_id=lead_b.id, match_method="in_reply_to", processed=True)
        reply_a = InboundMessage(message_id="<r2@kunde-a.example>", from_email=anna.email, subject="Re: Halle",
                                 body_text="Rufen Sie mich an.", stripped_text="Rufen Sie mich an.",
                                 lead_id=lead_a.id, match_method="in_reply_to", processed=True)
        session.add_all([reply_a, reply_b])
        session.flush()
        session.add(ReplyClassification(inbound_id=reply_a.id, lead_id=lead_a.id, label="interested",
                                        confidence=0.9, stage="model"))
        task_a = repo.create_task(session, kind="escalation", title="Anna Schmidt ist interessiert",
                                  lead_id=lead_a.id, body="Sie möchte angerufen werden.",
                                  payload={"suggested_answer": "Sehr geehrte Frau Schmidt, gerne rufe ich an.",
                                           "inbound_id": str(reply_a.id)})
        repo.create_task(session, kind="escalation", title="Bert <script>alert(1)</script> antwortet",
                         lead_id=lead_b.id, payload={"suggested_answer": "<b>Danke</b>", "inbound_id": str(reply_b.id)})
        session.add(LLMCall(model="gpt-4o-mini", agent="writer", campaign_id=camp_a.id, input_tokens=1000,
                            output_tokens=200, latency_ms=800, cost_usd=0.0003))
        session.add(LLMCall(model="local", agent="classifier", campaign_id=camp_b.id, input_tokens=50,
                            output_tokens=5, latency_ms=100, ok=False, error="timeout"))
        admin = _user(session, "admin@muster.example", UserRole.admin)
        rep_a = _user(session, "rep-a@muster.example", UserRole.rep)
        rep_b = _user(session, "rep-b@muster.example", UserRole.rep)
        assign_campaign(session, user=rep_a, campaign_id=camp_a.id)
        assign_campaign(session, user=rep_b, campaign_id=camp_b.id)
        keys = {
            "admin": create_api_key(session, name="admin", scopes=["admin"], user=admin)[0],
            "rep_a": create_api_key(session, name="rep-a", scopes=["read", "drafts:approve", "tasks:write",
                                                                   "suppressions:write"], user=rep_a)[0],
            "rep_b": create_api_key(session, name="rep-b", scopes=["read", "drafts:approve", "tasks:write"],
                                    user=rep_b)[0],
            "reader": create_api_key(session, name="reader", scopes=["read"])[0],
            "webhook": create_api_key(session, name="mailer", scopes=["webhooks:inbound"])[0],
            "service": create_api_key(session, name="service", scopes=["read", "campaigns:write",
                                                                       "drafts:approve", "webhooks:inbound"])[0],
        }
        session.commit()
        return World(campaign_a=camp_a.id, campaign_b=camp_b.id, lead_a=lead_a.id, lead_a2=lead_a2.id,
                     lead_b=lead_b.id, draft_a=draft_a.id, draft_a2=draft_a2.id, draft_b=draft_b.id,
                     fact_a=fact_a.id, reply_a=reply_a.id, task_a=task_a.id, keys=keys)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated SQLite file, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "outreach.db"
    template = make_engine(f"sqlite:///{path}")
    upgrade_schema(template)
    template.dispose()
    return path


@pytest.fixture
def engine(settings: Settings, migrated_template: Path) -> Iterator[Engine]:
    """A migrated SQLite engine in the test's data dir (overrides the suite-wide fixture)."""
    target = settings.data_dir / "outreach.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_template, target)
    eng = make_engine(settings.effective_database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def world(engine: Engine) -> World:
    """The seeded store."""
    return seed(engine)


@pytest.fixture
def app(settings: Settings, engine: Engine, world: World) -> FastAPI:
    """The app on the seeded store, with generous rate limits."""
    return create_app(settings, engine=engine, limits=GENEROUS)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient running the app's lifespan."""
    with TestClient(app) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1:<free port> in a background thread."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
