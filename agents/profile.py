"""What research produces: a company profile whose every fact carries its source."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, Field

from tools.crm.types import utcnow


class Fact(BaseModel):
    """One sourced statement. ``id`` is stable for (text, source_url) so drafts can cite it."""

    id: str = ""
    kind: str = Field(
        default="fact",
        description="legal_name | legal_form | address | director | register | vat_id | "
        "description | industry | location | size | person | news | product | topic | contact | fact",
    )
    text: str
    source_url: str
    retrieved_at: datetime = Field(default_factory=utcnow)

    def model_post_init(self, _context: object) -> None:
        if not self.id:
            digest = hashlib.sha256(f"{self.kind}\x00{self.text}\x00{self.source_url}".encode()).hexdigest()
            self.id = f"f_{digest[:10]}"


class Person(BaseModel):
    """Someone who works at the company, as published on its site."""

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    source_url: str


class NewsItem(BaseModel):
    """A dated headline from the company's news/press page."""

    title: str
    date: str | None = None
    url: str | None = None
    source_url: str


class CompanyProfile(BaseModel):
    """Everything research found about one company."""

    domain: str
    name: str | None = None
    legal_name: str | None = None
    legal_form: str | None = None
    website: str | None = None
    description: str | None = None
    industry: str | None = None
    location: str | None = None
    country: str | None = None
    language: str | None = Field(default=None, description="Main language of the site (de/en).")
    size_signals: list[str] = Field(default_factory=list)
    employees: int | None = None
    address: str | None = None
    directors: list[str] = Field(default_factory=list)
    register_court: str | None = None
    register_number: str | None = None
    vat_id: str | None = None
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    news: list[NewsItem] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    pages_visited: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="e.g. prompt_injection:<url>, robots_disallowed:<url>")
    errors: list[str] = Field(default_factory=list)
    researched_at: datetime = Field(default_factory=utcnow)

    def fact(self, fact_id: str) -> Fact | None:
        """The fact with this id, if any."""
        return next((f for f in self.facts if f.id == fact_id), None)
