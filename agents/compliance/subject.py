"""Finding everything about one person: the rows of the SQL store (linked by id or naming
the address), their memory entries and their mail files. Used by export and erasure.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chromadb.errors import NotFoundError
from sqlalchemy import Text, cast, func, or_
from sqlmodel import Session, col, select

from agents.compliance.scrub import files_mentioning
from memory.store import KINDS, VectorMemory
from memory.types import Memory
from tools.crm.models import (
    AuditEvent,
    Contact,
    Draft,
    InboundMessage,
    Lead,
    OutboxMessage,
    ReplyClassification,
    ResearchFact,
    Task,
)
from tools.crm.suppression import normalize_address
from tools.email.transport import eml_filename
from tools.settings import Settings


class GdprError(ValueError):
    """The request cannot be carried out (e.g. not an email address)."""


@dataclass
class Subject:
    """Every SQL row that is about one person."""

    email: str
    contact: Contact | None = None
    leads: list[Lead] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    classifications: list[ReplyClassification] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    facts: list[ResearchFact] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """LangGraph thread ids of the person's leads (``campaign:contact``)."""
        return [f"{lead.campaign_id}:{lead.contact_id}" for lead in self.leads]

    def entity_ids(self) -> set[str]:
        """Ids of every row about the person, as audit events reference them."""
        rows: list[Any] = [*self.leads, *self.drafts, *self.outbox, *self.inbound, *self.classifications,
                           *self.tasks, *self.facts]
        ids = {str(row.id) for row in rows}
        if self.contact is not None:
            ids.add(str(self.contact.id))
        return ids


def subject_address(email: str) -> str:
    """The normalised address of a request; GdprError if it is not an email address."""
    address = normalize_address(email)
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in address):
        raise GdprError(f"not an email address: {email!r}")
    return address


def mentions(column: Any, needle: str) -> Any:
    """SQL condition: the column's text (or JSON) contains ``needle``, case-insensitively."""
    return func.lower(cast(column, Text)).contains(needle.lower(), autoescape=True)


def full_name(contact: Contact | None) -> str | None:
    """"First Last" when both are known (used to find research facts naming the person)."""
    if contact is None or not (contact.first_name and contact.last_name):
        return None
    name = f"{contact.first_name.strip()} {contact.last_name.strip()}"
    return name if len(name) >= 5 else None


def collect_subject(session: Session, *, email: str) -> Subject:
    """Find every row about the person with this address (linked by id or mentioning it)."""
    address = subject_address(email)
    subject = Subject(email=address)
    contact = session.exec(select(Contact).where(Contact.email == address)).first()
    subject.contact = contact
    lead_ids: list[uuid.UUID] = []
    if contact is not None:
        subject.leads = list(session.exec(select(Lead).where(Lead.contact_id == contact.id)))
        lead_ids = [lead.id for lead in subject.leads]
    by_lead = col(Draft.lead_id).in_(lead_ids)
    subject.drafts = list(session.exec(select(Draft).where(by_lead)))
    outbox_match = [func.lower(col(OutboxMessage.to_email)) == address, col(OutboxMessage.lead_id).in_(lead_ids)]
    if contact is not None:
        outbox_match.append(col(OutboxMessage.contact_id) == contact.id)
    subject.outbox = list(session.exec(select(OutboxMessage).where(or_(*outbox_match))))
    subject.inbound = list(session.exec(select(InboundMessage).where(or_(
        func.lower(col(InboundMessage.from_email)) == address,
        col(InboundMessage.lead_id).in_(lead_ids),
        mentions(InboundMessage.raw, address),
        mentions(InboundMessage.headers, address),
    ))))
    inbound_ids = [row.id for row in subject.inbound]
    subject.classifications = list(session.exec(select(ReplyClassification).where(or_(
        col(ReplyClassification.inbound_id).in_(inbound_ids), col(ReplyClassification.lead_id).in_(lead_ids),
    ))))
    subject.tasks = list(session.exec(select(Task).where(or_(
        col(Task.lead_id).in_(lead_ids), mentions(Task.payload, address), mentions(Task.body, address),
        mentions(Task.title, address),
    ))))
    fact_match = [mentions(ResearchFact.text, address)]
    if contact is not None:
        fact_match.append(col(ResearchFact.contact_id) == contact.id)
        name = full_name(contact)
        if name and contact.company_id is not None:
            fact_match.append((col(ResearchFact.company_id) == contact.company_id) & mentions(ResearchFact.text, name))
    subject.facts = list(session.exec(select(ResearchFact).where(or_(*fact_match))))
    ids = sorted(subject.entity_ids())
    subject.audit = list(session.exec(select(AuditEvent).where(or_(
        col(AuditEvent.entity_id).in_(ids), mentions(AuditEvent.data, address),
    )).order_by(col(AuditEvent.at))))
    return subject


def memory_ids_mentioning(memory: Memory, needles: list[str]) -> dict[str, list[str]]:
    """Vector-memory items whose document contains the address, by collection (chroma only)."""
    if not isinstance(memory, VectorMemory):
        return {}
    found: dict[str, list[str]] = {}
    for kind in KINDS:
        name = memory.collection_name(kind)
        try:
            collection = memory.client.get_collection(name, embedding_function=None)
        except (NotFoundError, ValueError):  # the collection was never created
            continue
        ids: set[str] = set()
        for needle in needles:
            ids.update(collection.get(where_document={"$contains": needle}, include=[])["ids"])
        if ids:
            found[name] = sorted(ids)
    return found


def subject_files(settings: Settings, address: str, message_ids: list[str]) -> list[Path]:
    """The person's .eml files in the outbox folder and cached pages naming their address."""
    named = {settings.outbox_dir / eml_filename(mid) for mid in message_ids if mid}
    mentioned = set(files_mentioning(settings.outbox_dir, [address]) + files_mentioning(settings.cache_dir, [address]))
    return sorted(path for path in named | mentioned if path.is_file())
