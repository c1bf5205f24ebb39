"""What the vector memory stores and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from tools.crm.types import utcnow

InteractionKind = Literal["research_note", "sent_email", "reply", "rep_edit", "outcome"]
Outcome = Literal["positive", "negative", "neutral", "unknown"]


class Interaction(BaseModel):
    """One thing that happened with a company or contact, worth remembering."""

    id: str
    kind: InteractionKind
    text: str
    company: str | None = Field(default=None, description="Company domain.")
    contact: str | None = Field(default=None, description="Contact id (not the address).")
    campaign: str | None = None
    industry: str | None = None
    outcome: Outcome = "unknown"
    language: str | None = None
    at: datetime = Field(default_factory=utcnow)
    extra: dict[str, str] = Field(default_factory=dict)


class MemoryHit(BaseModel):
    """A remembered interaction and how close it is to the query (0 = identical)."""

    interaction: Interaction
    distance: float


class Memory(Protocol):
    """The queries the agents need. Implemented by ``memory.store.VectorMemory``."""

    def add(self, interactions: list[Interaction]) -> None: ...

    def similar(
        self,
        text: str,
        *,
        kind: InteractionKind | None = None,
        company: str | None = None,
        contact: str | None = None,
        industry: str | None = None,
        outcome: Outcome | None = None,
        campaign: str | None = None,
        k: int = 5,
    ) -> list[MemoryHit]: ...

    def for_contact(self, contact: str) -> list[Interaction]: ...

    def delete_contact(self, contact: str) -> int: ...
