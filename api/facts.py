"""The research behind a lead: facts with sources, whichever store they sit in.

Research keeps facts both in ``Company.profile["facts"]`` (ids like ``f_1a2b3c4d5e``,
stable for kind/text/source) and as ``ResearchFact`` rows (UUIDs). Draft claims may cite
either id, so every row is also indexed under its stable profile id.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, or_, select

from agents.profile import Fact
from tools.crm.models import Company, ResearchFact

_NUMBER = re.compile(r"\d[\d.,\s]*")


@dataclass(frozen=True)
class FactView:
    """One fact as shown to a rep."""

    id: str
    kind: str
    text: str
    source_url: str
    retrieved_at: datetime | None


@dataclass
class FactIndex:
    """The facts of one company, in order, and a lookup by every id they are known under."""

    facts: list[FactView] = field(default_factory=list)
    by_id: dict[str, FactView] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)

    def add(self, view: FactView, *aliases: str) -> None:
        """Add a fact unless one with the same id is already there."""
        if view.id in self.by_id:
            return
        self.facts.append(view)
        for key in (view.id, *aliases):
            self.by_id.setdefault(key, view)

    def get(self, fact_id: str) -> FactView | None:
        """The fact a claim cites, or None."""
        return self.by_id.get(fact_id)

    @property
    def sources(self) -> list[str]:
        """Every page research read, then every fact source, without repeats."""
        seen: dict[str, None] = dict.fromkeys(self.pages)
        for fact in self.facts:
            seen.setdefault(fact.source_url, None)
        return list(seen)


def _stable_id(kind: str, text: str, source_url: str) -> str:
    return Fact(kind=kind, text=text, source_url=source_url).id


def _profile_fact(raw: Any) -> FactView | None:
    if not isinstance(raw, dict):
        return None
    try:
        fact = Fact.model_validate(raw)
    except ValidationError:
        return None
    return FactView(fact.id, fact.kind, fact.text, fact.source_url, fact.retrieved_at)


def company_facts(session: Session, *, company: Company | None, contact_id: uuid.UUID | None = None) -> FactIndex:
    """The facts of a company (and those about this contact), profile facts first."""
    index = FactIndex()
    if company is None:
        return index
    profile = company.profile or {}
    index.pages = [str(page) for page in profile.get("pages_visited", []) if isinstance(page, str)]
    for raw in profile.get("facts", []) or []:
        view = _profile_fact(raw)
        if view is not None:
            index.add(view)
    statement = select(ResearchFact).where(ResearchFact.company_id == company.id)
    if contact_id is not None:
        statement = statement.where(or_(col(ResearchFact.contact_id).is_(None), ResearchFact.contact_id == contact_id))
    else:
        statement = statement.where(col(ResearchFact.contact_id).is_(None))
    for row in session.exec(statement.order_by(col(ResearchFact.created_at))):
        stable = _stable_id(row.kind, row.text, row.source_url)
        existing = index.get(stable)
        if existing is not None:
            index.by_id.setdefault(str(row.id), existing)
            continue
        index.add(FactView(str(row.id), row.kind, row.text, row.source_url, row.retrieved_at), stable)
    return index


def employees_of(company: Company | None) -> int | None:
    """Head count from research (profile ``employees``) or the size hint ("2.500 Mitarbeiter")."""
    if company is None:
        return None
    value = (company.profile or {}).get("employees")
    if isinstance(value, int) and value >= 0:
        return value
    if company.size_hint:
        match = _NUMBER.search(company.size_hint)
        if match:
            digits = re.sub(r"[.,\s]", "", match.group(0))
            if digits.isdigit():
                return int(digits)
    return None
