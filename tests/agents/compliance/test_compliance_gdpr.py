"""Export and erasure across every store: SQL, vector memory, LangGraph checkpoints, mail files.

The erasure test greps the raw bytes of the SQLite files, the chroma folder, the
checkpoint database and the outbox folder for the address afterwards.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.checkpoint import checkpoint_target
from agents.compliance.config import ComplianceSettings
from agents.compliance.gdpr import erase_subject, export_subject
from agents.compliance.sendcheck import make_precheck
from agents.compliance.subject import GdprError
from agents.compliance.unsubscribe import unsubscribe_by_token, unsubscribe_link_factory, unsubscribe_url
from memory.embeddings import HashingEmbedder
from memory.store import VectorMemory, persistent_client
from memory.types import Interaction
from tools.crm.db import session_scope
from tools.crm.models import (
    AuditEvent,
    Company,
    Contact,
    InboundMessage,
    ReplyClassification,
    ResearchFact,
    Suppression,
)
from tools.crm.repository import create_task
from tools.crm.suppression import is_suppressed
from tools.email.outbox import dispatch
from tools.email.transport import FileTransport
from tools.settings import Settings

ANNA = "anna.schmidt@kunde-gmbh.example"
BERND = "bernd@andere-firma.example"
NOW = datetime.fromisoformat("2025-01-15T09:00:00+00:00")
SRC = "https://kunde-gmbh.example/team"


class _State(TypedDict, total=False):
    email: str
    note: str


@pytest.fixture
async def saver(settings: Settings) -> AsyncIterator[AsyncSqliteSaver]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(checkpoint_target(settings)[1]) as checkpointer:
        await checkpointer.setup()
        yield checkpointer


@pytest.fixture
def memory(settings: Settings) -> VectorMemory:
    return VectorMemory(persistent_client(settings.chroma_dir), HashingEmbedder())


async def _populate(engine: Engine, settings: Settings, seeder: Any, memory: VectorMemory,
                    saver: AsyncSqliteSaver) -> dict[str, Any]:
    with session_scope(engine) as session:
        anna = seeder.lead(session, email=ANNA)
        bernd = seeder.lead(session, email=BERND)
        company = session.get(Company, anna.company.id)
        assert company is not None
        company.profile = {"people": [{"name": "Anna Schmidt", "email": ANNA, "role": "Vertrieb"},
                                      {"name": "Otto Normal", "email": "otto@kunde-gmbh.example"}],
                           "emails": [ANNA, "info@kunde-gmbh.example"], "directors": ["Otto Normal"],
                           "phones": ["+49 89 1"]}
        session.add(company)
        session.add_all([
            ResearchFact(company_id=anna.company.id, contact_id=anna.contact.id, kind="person",
                         text="Anna Schmidt, Leiterin Vertrieb", source_url=SRC),
            ResearchFact(company_id=anna.company.id, kind="contact", text=f"Kontakt: {ANNA}", source_url=SRC),
            ResearchFact(company_id=anna.company.id, kind="fact", text="Maschinenbau seit 1952", source_url=SRC),
        ])
        inbound = InboundMessage(message_id="<reply-1@kunde-gmbh.example>", from_email=ANNA, lead_id=anna.lead.id,
                                 subject="Re: Ihr Vertrieb", body_text="Gern, rufen Sie mich an.",
                                 raw=f"From: Anna <{ANNA}>\r\n\r\nGern", headers={"from": ANNA})
        session.add(inbound)
        session.flush()
        session.add(ReplyClassification(inbound_id=inbound.id, lead_id=anna.lead.id, label="interested",
                                        stage="rules", fields={"reply_to": ANNA}))
        create_task(session, kind="escalation", title="Anna is interested", lead_id=anna.lead.id,
                    payload={"email": ANNA})
        create_task(session, kind="review", title=f"Check the mail to {ANNA}", payload={"to_email": ANNA})
    quick = settings.model_copy(update={"send_min_spacing_s": 0})
    precheck = make_precheck(engine, quick, config=ComplianceSettings(), clock=lambda: NOW, rng=random.Random(0))
    report = await dispatch(engine, FileTransport(settings.outbox_dir), settings=quick, precheck=precheck,
                            now=NOW, unsubscribe=unsubscribe_link_factory(quick))
    assert sorted(report.sent) == sorted([anna.row.id, bernd.row.id])
    memory.add([
        Interaction(id="m1", kind="sent_email", text=f"Mail an {ANNA} über CRM", contact=str(anna.contact.id)),
        Interaction(id="m2", kind="reply", text="Gern, rufen Sie mich an", contact=str(anna.contact.id)),
        Interaction(id="m3", kind="research_note", text=f"Team page lists {ANNA} in sales",
                    company="kunde-gmbh.example"),
        Interaction(id="m4", kind="sent_email", text=f"Mail an {BERND}", contact=str(bernd.contact.id)),
    ])
    graph = StateGraph(_State)
    graph.add_node("draft", lambda state: {"note": f"drafted for {state['email']}"})
    graph.add_edge(START, "draft")
    graph.add_edge("draft", END)
    app = graph.compile(checkpointer=saver)
    for seeded, email in ((anna, ANNA), (bernd, BERND)):
        thread = f"{seeded.campaign.id}:{seeded.contact.id}"
        await app.ainvoke({"email": email}, {"configurable": {"thread_id": thread}})
    return {"anna": anna, "bernd": bernd}


def _files_containing(root: Path, needle: str) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes().lower():
            hits.append(str(path.relative_to(root)))
    return sorted(hits)


async def test_export_holds_everything(engine: Engine, settings: Settings, seeder: Any, memory: VectorMemory,
                                       saver: AsyncSqliteSaver) -> None:
    await _populate(engine, settings, seeder, memory, saver)
    data = await export_subject(engine, email=ANNA.upper(), settings=settings, memory=memory, checkpointer=saver)
    assert data["contact"]["email"] == ANNA
    counts = {key: len(data[key]) for key in ("leads", "drafts", "outbox", "inbound", "classifications", "tasks",
                                              "research_facts", "memory", "checkpoints", "files")}
    assert counts == {"leads": 1, "drafts": 1, "outbox": 1, "inbound": 1, "classifications": 1, "tasks": 2,
                      "research_facts": 2, "memory": 2, "checkpoints": 1, "files": 1}
    assert data["outbox"][0]["status"] == "sent"
    assert data["checkpoints"][0]["values"]["note"] == f"drafted for {ANNA}"
    assert f"To: {ANNA}" in data["files"][0]["content"]
    assert data["memory_mentions"] == {"interactions_research_note": ["m3"], "interactions_sent_email": ["m1"]}
    assert data["company_profile"]["people"][0]["name"] == "Anna Schmidt"
    assert {e["action"] for e in data["audit_events"]} >= {"outbox.sent", "task.created"}
    assert data["suppression"] == {"suppressed": False, "reason": None}
    assert BERND not in str(data)


async def test_erase_leaves_nothing_in_any_store(engine: Engine, settings: Settings, seeder: Any,
                                                 memory: VectorMemory, saver: AsyncSqliteSaver) -> None:
    seeded = await _populate(engine, settings, seeder, memory, saver)
    assert _files_containing(settings.data_dir, ANNA)  # the address is everywhere before
    report = await erase_subject(engine, email=ANNA, settings=settings, memory=memory, checkpointer=saver,
                                 actor="test")
    assert report.residue == []
    assert report.contact_found and report.memory_items == 3 and report.checkpoint_threads == 1
    assert report.files_deleted == 1
    assert report.deleted["leads"] == 1 and report.deleted["contacts"] == 1
    engine.dispose()
    assert _files_containing(settings.data_dir, ANNA) == []  # SQLite + WAL, chroma, checkpoints, outbox
    secret = settings.secret_key.get_secret_value()
    with Session(engine) as session:
        assert is_suppressed(session, email=ANNA, secret=secret) == "erasure"
        assert [s.hint for s in session.exec(select(Suppression))] == [""]
        erased = session.exec(select(AuditEvent).where(AuditEvent.action == "gdpr.erased")).one()
        assert erased.actor == "test" and "anna" not in str(erased.data).lower()
        assert session.exec(select(Contact).where(Contact.email == BERND)).one()
        company = session.get(Company, seeded["anna"].company.id)
        assert company is not None and company.profile["people"] == [
            {"name": "Otto Normal", "email": "otto@kunde-gmbh.example"}]
        assert [f.text for f in session.exec(select(ResearchFact))] == ["Maschinenbau seit 1952"]
    # Everyone else is untouched.
    assert [i.id for i in memory.for_contact(str(seeded["bernd"].contact.id))] == ["m4"]
    assert _files_containing(settings.outbox_dir, BERND)
    bernd_thread = f"{seeded['bernd'].campaign.id}:{seeded['bernd'].contact.id}"
    assert await saver.aget_tuple({"configurable": {"thread_id": bernd_thread}}) is not None
    # The old unsubscribe link of the erased person changes nothing, and a second erasure is a no-op.
    token = unsubscribe_url(settings, seeded["anna"].contact.id, seeded["anna"].campaign.id).rsplit("/", 1)[1]
    with session_scope(engine) as session:
        assert not unsubscribe_by_token(session, token=token, secret=secret).contact_found
    again = await erase_subject(engine, email=ANNA, settings=settings, memory=memory, checkpointer=saver)
    assert not again.contact_found and again.residue == [] and sum(again.deleted.values()) == 0


async def test_erase_rejects_a_bad_address_and_changes_nothing(engine: Engine, settings: Settings,
                                                                seeder: Any) -> None:
    with session_scope(engine) as session:
        seeder.lead(session)
    with pytest.raises(GdprError, match="not an email address"):
        await erase_subject(engine, email="anna at kunde", settings=settings)
    with Session(engine) as session:
        assert session.exec(select(Suppression)).all() == []
        assert len(session.exec(select(Contact)).all()) == 1
