"""Data-subject rights: export everything we hold about a person (DSGVO Art. 15/20) and erase it
(Art. 17) from every store — the SQL store, the vector memory, the LangGraph checkpoints
and the outbox/cache files — keeping only the keyed-hash suppression entry (so they are
never mailed again) and an audit event without the address.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col

from agents.checkpoint import checkpoint_target, open_checkpointer
from agents.compliance.scrub import (
    files_mentioning,
    scrub_chroma_log,
    sql_residue,
    vacuum_sqlite_file,
    vacuum_store,
    zero_unused_hnsw_capacity,
)
from agents.compliance.subject import (
    GdprError,
    collect_subject,
    full_name,
    memory_ids_mentioning,
    mentions,
    subject_address,
    subject_files,
)
from agents.compliance.suppress import SuppressionReason, suppress_person
from agents.deps import build_memory
from memory.store import VectorMemory
from memory.types import Memory
from tools.crm.db import session_scope
from tools.crm.models import (
    AuditEvent,
    Company,
    Contact,
    Draft,
    InboundMessage,
    Lead,
    LLMCall,
    OutboxMessage,
    ReplyClassification,
    ResearchFact,
    Suppression,
    SuppressionKind,
    Task,
)
from tools.crm.repository import record_audit
from tools.crm.suppression import is_suppressed, suppression_hash
from tools.crm.types import utcnow
from tools.settings import Settings

__all__ = [
    "ErasureReport",
    "GdprError",
    "erase_from_settings",
    "erase_sql",
    "erase_subject",
    "export_from_settings",
    "export_subject",
    "subject_export",
]


@dataclass
class ErasureReport:
    """What an erasure removed, and anything still found afterwards (should be empty)."""

    contact_found: bool
    deleted: dict[str, int] = field(default_factory=dict)
    memory_items: int = 0
    checkpoint_threads: int = 0
    files_deleted: int = 0
    residue: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def _dump(rows: list[Any]) -> list[dict[str, Any]]:
    return [row.model_dump(mode="json") for row in rows]


def _company_mentions(company: Company | None, address: str, name: str | None) -> dict[str, Any]:
    if company is None:
        return {}
    profile = company.profile if isinstance(company.profile, dict) else {}
    people = [p for p in profile.get("people", []) if isinstance(p, dict)
              and ((p.get("email") or "").lower() == address or (name and p.get("name") == name))]
    return {
        "company": {"domain": company.domain, "name": company.name},
        "people": people,
        "emails": [e for e in profile.get("emails", []) if isinstance(e, str) and e.lower() == address],
        "directors": [d for d in profile.get("directors", []) if name and d == name],
    }


def subject_export(session: Session, *, email: str, settings: Settings) -> dict[str, Any]:
    """The SQL part of an export: every row about the person, as JSON-ready data."""
    subject = collect_subject(session, email=email)
    contact = subject.contact
    company = session.get(Company, contact.company_id) if contact is not None and contact.company_id else None
    reason = is_suppressed(session, email=subject.email, secret=settings.secret_key.get_secret_value())
    return {
        "subject": {"email": subject.email, "exported_at": utcnow().isoformat()},
        "contact": contact.model_dump(mode="json") if contact is not None else None,
        "company_profile": _company_mentions(company, subject.email, full_name(contact)),
        "leads": _dump(subject.leads),
        "drafts": _dump(subject.drafts),
        "outbox": _dump(subject.outbox),
        "inbound": _dump(subject.inbound),
        "classifications": _dump(subject.classifications),
        "tasks": _dump(subject.tasks),
        "research_facts": _dump(subject.facts),
        "audit_events": _dump(subject.audit),
        "suppression": {"suppressed": reason is not None, "reason": reason},
        "thread_ids": subject.thread_ids,
    }


async def export_subject(
    engine: Engine,
    *,
    email: str,
    settings: Settings,
    memory: Memory | None = None,
    checkpointer: BaseCheckpointSaver[str] | None = None,
) -> dict[str, Any]:
    """Everything held about the person: SQL rows, memory entries, checkpoint state, mail files."""

    def sql() -> dict[str, Any]:
        with session_scope(engine) as session:
            return subject_export(session, email=email, settings=settings)

    data = await asyncio.to_thread(sql)
    address = data["subject"]["email"]
    contact_id = data["contact"]["id"] if data["contact"] else None
    if memory is not None:
        items = await asyncio.to_thread(memory.for_contact, contact_id) if contact_id else []
        data["memory"] = [item.model_dump(mode="json") for item in items]
        data["memory_mentions"] = await asyncio.to_thread(memory_ids_mentioning, memory, [address])
    if checkpointer is not None:
        states = []
        for thread_id in data["thread_ids"]:
            found = await checkpointer.aget_tuple({"configurable": {"thread_id": thread_id}})
            if found is not None:
                states.append({"thread_id": thread_id, "values": found.checkpoint.get("channel_values", {})})
        data["checkpoints"] = states
    files = await asyncio.to_thread(subject_files, settings, address, [row["message_id"] for row in data["outbox"]])
    data["files"] = [{"path": str(path), "content": path.read_text(errors="replace")} for path in files]
    return data


def _scrub_company(session: Session, company: Company | None, address: str, name: str | None) -> int:
    if company is None or not isinstance(company.profile, dict):
        return 0
    profile = dict(company.profile)
    before = repr(profile)

    def keep(text: Any) -> bool:
        lowered = str(text).lower()
        return address not in lowered and not (name and name.lower() in lowered)

    profile["people"] = [p for p in profile.get("people", []) if keep(p)]
    profile["emails"] = [e for e in profile.get("emails", []) if keep(e)]
    profile["directors"] = [d for d in profile.get("directors", []) if keep(d)]
    profile["facts"] = [f for f in profile.get("facts", []) if keep(f)]
    if repr(profile) == before:
        return 0
    company.profile = profile
    company.updated_at = utcnow()
    session.add(company)
    return 1


def erase_sql(session: Session, *, email: str, secret: str, actor: str = "admin") -> dict[str, int]:
    """Delete every SQL row about the person; leave a hash-only suppression and one audit event."""
    subject = collect_subject(session, email=email)
    contact = subject.contact
    company = session.get(Company, contact.company_id) if contact is not None and contact.company_id else None
    connection = session.connection()
    lead_ids = [lead.id for lead in subject.leads]
    outbox_ids = [row.id for row in subject.outbox]
    entity_ids = sorted(subject.entity_ids())
    counts: dict[str, int] = {}

    def remove(name: str, model: type[SQLModel], ids: list[uuid.UUID]) -> None:
        counts[name] = connection.execute(delete(model).where(col(model.id).in_(ids))).rowcount  # type: ignore[attr-defined]

    remove("classifications", ReplyClassification, [row.id for row in subject.classifications])
    connection.execute(update(InboundMessage).where(col(InboundMessage.outbox_id).in_(outbox_ids)).values(outbox_id=None))
    remove("inbound", InboundMessage, [row.id for row in subject.inbound])
    remove("tasks", Task, [row.id for row in subject.tasks])
    remove("outbox", OutboxMessage, outbox_ids)
    remove("drafts", Draft, [row.id for row in subject.drafts])
    remove("research_facts", ResearchFact, [row.id for row in subject.facts])
    connection.execute(update(LLMCall).where(col(LLMCall.lead_id).in_(lead_ids)).values(lead_id=None))
    remove("leads", Lead, lead_ids)
    counts["audit_events"] = connection.execute(delete(AuditEvent).where(or_(
        col(AuditEvent.entity_id).in_(entity_ids), mentions(AuditEvent.data, subject.email),
    ))).rowcount
    counts["company_profiles_scrubbed"] = _scrub_company(session, company, subject.email, full_name(contact))
    session.flush()
    if contact is not None:
        connection.execute(delete(Contact).where(col(Contact.id) == contact.id))
    counts["contacts"] = 1 if contact is not None else 0
    session.expunge_all()
    entry = suppress_person(session, email=subject.email, reason=SuppressionReason.erasure, secret=secret,
                            source="gdpr-erasure", actor=actor, keep_hint=False)
    connection.execute(update(Suppression).where(col(Suppression.id) == entry.suppression_id).values(hint=""))
    digest = suppression_hash(subject.email, kind=SuppressionKind.address, secret=secret)
    record_audit(session, action="gdpr.erased", actor=actor, entity_type="subject", entity_id=digest[:64],
                 data={"deleted": counts, "suppression_id": str(entry.suppression_id)})
    session.flush()
    return counts


def _store_residue(engine: Engine, settings: Settings, memory: Memory | None, address: str) -> list[str]:
    residue = sql_residue(engine, address)
    for folder in (settings.outbox_dir, settings.cache_dir, settings.log_dir):
        residue += [f"file {path}" for path in files_mentioning(folder, [address])]
    if memory is not None:
        hits = memory_ids_mentioning(memory, [address])
        residue += [f"memory {name} ({len(ids)} items)" for name, ids in hits.items()]
        if isinstance(memory, VectorMemory) and settings.chroma_url is None:
            residue += [f"file {path}" for path in files_mentioning(settings.chroma_dir, [address])]
    kind, target = checkpoint_target(settings)
    if kind == "sqlite" and Path(target).exists():
        residue += [f"file {path}" for path in files_mentioning(Path(target).parent, [address])
                    if path.name.startswith(Path(target).name)]
    return residue


async def erase_subject(
    engine: Engine,
    *,
    email: str,
    settings: Settings,
    memory: Memory | None = None,
    checkpointer: BaseCheckpointSaver[str] | None = None,
    actor: str = "admin",
) -> ErasureReport:
    """Erase the person everywhere; safe to run again (a second run finishes an interrupted one).

    Order: memory, checkpoints and files first, then the SQL store in one transaction (so a
    failure leaves the SQL rows that let a rerun find what remains), then compaction of
    the store files, then a residue check of every store.
    """
    address = subject_address(email)
    secret = settings.secret_key.get_secret_value()

    def collect() -> tuple[str | None, list[str], list[str]]:
        with session_scope(engine) as session:
            subject = collect_subject(session, email=address)
            contact_id = str(subject.contact.id) if subject.contact is not None else None
            return contact_id, subject.thread_ids, [row.message_id for row in subject.outbox]

    contact_id, thread_ids, message_ids = await asyncio.to_thread(collect)
    report = ErasureReport(contact_found=contact_id is not None)
    if memory is not None:
        if contact_id is not None:
            report.memory_items = await asyncio.to_thread(memory.delete_contact, contact_id)
        found = await asyncio.to_thread(memory_ids_mentioning, memory, [address])
        if found and isinstance(memory, VectorMemory):
            for name, ids in found.items():
                await asyncio.to_thread(memory.client.get_collection(name, embedding_function=None).delete, ids=ids)
                report.memory_items += len(ids)
    if checkpointer is not None:
        for thread_id in thread_ids:
            await checkpointer.adelete_thread(thread_id)
        report.checkpoint_threads = len(thread_ids)
    for path in await asyncio.to_thread(subject_files, settings, address, message_ids):
        path.unlink(missing_ok=True)
        report.files_deleted += 1

    def sql() -> dict[str, int]:
        with session_scope(engine) as session:
            return erase_sql(session, email=address, secret=secret, actor=actor)

    report.deleted = await asyncio.to_thread(sql)
    tables = ["contact", "lead", "draft", "outboxmessage", "inboundmessage", "replyclassification", "task",
              "researchfact", "auditevent", "company"]
    await asyncio.to_thread(vacuum_store, engine, tables)
    kind, target = checkpoint_target(settings)
    if checkpointer is not None and kind == "sqlite":
        await asyncio.to_thread(vacuum_sqlite_file, Path(target))
    if isinstance(memory, VectorMemory) and settings.chroma_url is None:
        await asyncio.to_thread(scrub_chroma_log, settings.chroma_dir)
        await asyncio.to_thread(zero_unused_hnsw_capacity, settings.chroma_dir)
    report.residue = await asyncio.to_thread(_store_residue, engine, settings, memory, address)
    return report


async def export_from_settings(
    engine: Engine, *, email: str, settings: Settings, memory: Memory | None = None
) -> dict[str, Any]:
    """``export_subject`` with the deployment's own memory and checkpointer (CLI, API)."""
    memory = memory if memory is not None else build_memory(settings)
    async with open_checkpointer(settings) as saver:
        return await export_subject(engine, email=email, settings=settings, memory=memory, checkpointer=saver)


async def erase_from_settings(
    engine: Engine, *, email: str, settings: Settings, actor: str, memory: Memory | None = None
) -> ErasureReport:
    """``erase_subject`` with the deployment's own memory and checkpointer (CLI, API)."""
    subject_address(email)  # reject a bad address before any client is built
    memory = memory if memory is not None else build_memory(settings)
    async with open_checkpointer(settings) as saver:
        return await erase_subject(
            engine, email=email, settings=settings, memory=memory, checkpointer=saver, actor=actor
        )
