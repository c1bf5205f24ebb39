"""What a visit of the research browser returns: pages, refused requests, a site's crawl."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tools.crm.types import utcnow
from tools.extract import PageData


@dataclass(frozen=True)
class BlockedRequest:
    """A request the guard refused: what, why, and which page made it."""

    url: str
    reason: str
    resource_type: str
    page_url: str


@dataclass
class PageResult:
    """One page visit. ``error`` is None on success, else a short reason such as ``timeout``."""

    url: str
    final_url: str
    status: int | None = None
    html: str = ""
    error: str | None = None
    fetched_at: datetime = field(default_factory=utcnow)
    elapsed_s: float = 0.0
    data: PageData | None = None
    blocked: list[BlockedRequest] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the page loaded and was read."""
        return self.error is None


@dataclass
class SiteCrawl:
    """The pages of one site visited within budget, and what was refused or skipped."""

    start_url: str
    site: str
    pages: list[PageResult] = field(default_factory=list)
    blocked: list[BlockedRequest] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    budget_exhausted: str | None = None
    elapsed_s: float = 0.0

    @property
    def ok_pages(self) -> list[PageResult]:
        """Pages that loaded."""
        return [p for p in self.pages if p.ok]
