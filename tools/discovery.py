"""Lead discovery: companies from listing pages, search results and CSV files.

A listing page (trade-fair exhibitor list, association member list) is read in the
research browser; every link to another site outside the page's navigation, header and
footer is a candidate, named by its link text or, when that is generic ("Website",
"www.…"), by the heading or bold text of its list entry. Social networks, maps and the
listing's own site are skipped. Everything is de-duplicated by registrable domain
(tldextract with its bundled suffix list — it never downloads).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import lxml.html
from lxml import etree
from pydantic import BaseModel, Field

from tools.domains import registrable_domain
from tools.errors import DiscoveryError
from tools.extract import absolute_url

if TYPE_CHECKING:
    from tools.browser import Browser
    from tools.search import SearchProvider

PLATFORM_DOMAINS = frozenset(
    {
        "facebook.com", "fb.com", "linkedin.com", "xing.com", "twitter.com", "x.com", "instagram.com",
        "youtube.com", "youtu.be", "tiktok.com", "pinterest.com", "vimeo.com", "github.com", "kununu.com",
        "google.com", "google.de", "goo.gl", "bing.com", "apple.com", "wikipedia.org", "openstreetmap.org",
        "whatsapp.com", "wa.me", "t.me", "bit.ly", "glassdoor.com", "indeed.com", "stepstone.de",
    }
)
_CHROME_TAGS = frozenset({"nav", "header", "footer"})
_ENTRY_TAGS = frozenset({"li", "tr", "article", "dd", "dt", "section", "div", "td", "p"})
_NAME_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "strong", "b")
_GENERIC = re.compile(
    r"^(?:website|webseite|homepage|home|web|www|internet|url|link|mehr|more|details|info|shop|online[- ]?shop|"
    r"besuchen|->|→|»)\W*$|^(?:zur|zum|zu|to|go\s+to|visit|more|mehr|weiter|read|learn|details|website|homepage)\b"
    r"|\b(?:besuchen|ansehen|anzeigen|erfahren|website|webseite|homepage|produktseite)\W*$",
    re.IGNORECASE,
)
_URLISH = re.compile(r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?$", re.IGNORECASE)


class DiscoveredCompany(BaseModel):
    """A company found by discovery: its name, website and registrable domain, and where we saw it."""

    name: str
    website: str
    domain: str
    source_url: str = Field(description="Listing page URL, search query (search:<provider>:<q>) or CSV path.")


def _text(element: lxml.html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def _usable_name(text: str) -> bool:
    return 2 <= len(text) <= 150 and not _GENERIC.match(text) and not _URLISH.match(text)


def _in_chrome(anchor: lxml.html.HtmlElement) -> bool:
    return any(parent.tag in _CHROME_TAGS for parent in anchor.iterancestors())


def _entry_name(anchor: lxml.html.HtmlElement) -> str | None:
    """The name of the list entry around a generically labelled link."""
    for parent in anchor.iterancestors():
        if parent.tag not in _ENTRY_TAGS:
            continue
        for tag in _NAME_TAGS:
            for candidate in parent.iter(tag):
                text = _text(candidate)
                if _usable_name(text):
                    return text
        own: list[str] = [str(t).strip() for t in parent.itertext() if str(t).strip()]
        if own and _usable_name(own[0]) and own[0] != _text(anchor):
            return own[0]
        if parent.tag in {"li", "tr", "article"}:
            return None
    return None


def _fallback_name(domain: str) -> str:
    label = domain.split(".")[0]
    return " ".join(part.capitalize() for part in re.split(r"[-_]", label) if part)


def dedupe_companies(companies: Iterable[DiscoveredCompany]) -> list[DiscoveredCompany]:
    """Keep the first company per registrable domain, in order."""
    seen: set[str] = set()
    unique: list[DiscoveredCompany] = []
    for company in companies:
        if company.domain and company.domain not in seen:
            seen.add(company.domain)
            unique.append(company)
    return unique


def companies_from_listing(html: str, url: str) -> list[DiscoveredCompany]:
    """Companies linked from a listing page's HTML, de-duplicated by registrable domain."""
    try:
        root = lxml.html.document_fromstring(html) if html.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return []
    base = root.find(".//base")
    base_url = absolute_url(base.get("href") or "", url) if base is not None else None
    own_site = registrable_domain(url)
    found: list[DiscoveredCompany] = []
    for anchor in root.iter("a"):
        target = absolute_url(anchor.get("href") or "", base_url or url)
        if target is None or _in_chrome(anchor):
            continue
        domain = registrable_domain(target)
        if not domain or domain == own_site or domain in PLATFORM_DOMAINS:
            continue
        text = _text(anchor)
        name = text if _usable_name(text) else (_entry_name(anchor) or _fallback_name(domain))
        found.append(DiscoveredCompany(name=name, website=target, domain=domain, source_url=url))
    return dedupe_companies(found)


async def discover_from_listing(url: str, *, browser: Browser, limit: int | None = None) -> list[DiscoveredCompany]:
    """Read a listing page in the research browser and return the companies it links to.

    Raises DiscoveryError when the page cannot be read (refused, robots, timeout, 404).
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    page = await browser.fetch(url)
    if not page.ok:
        raise DiscoveryError(f"cannot read listing {url}: {page.error}")
    companies = companies_from_listing(page.html, page.final_url)
    return companies[:limit] if limit is not None else companies


def _title_name(title: str) -> str:
    for separator in (" | ", " – ", " — ", " - ", " :: ", ": "):
        if separator in title:
            title = title.split(separator)[0]
    return title.strip()


async def discover_from_search(
    provider: SearchProvider, query: str, *, limit: int = 20
) -> list[DiscoveredCompany]:
    """Companies from a web search: one per registrable domain, platforms skipped."""
    results = await provider.search(query, limit=limit)
    found: list[DiscoveredCompany] = []
    for result in results:
        domain = registrable_domain(result.url)
        if not domain or domain in PLATFORM_DOMAINS:
            continue
        name = _title_name(result.title) or _fallback_name(domain)
        source = f"search:{provider.name}:{query}"
        found.append(DiscoveredCompany(name=name, website=result.url, domain=domain, source_url=source))
    return dedupe_companies(found)[:limit]


def companies_from_csv(path: Path) -> list[DiscoveredCompany]:
    """Companies of a contacts CSV (the format of ``tools.crm.csv_io``); bad rows are skipped."""
    from tools.crm.csv_io import parse_contacts_csv

    rows, _errors = parse_contacts_csv(path)
    found: list[DiscoveredCompany] = []
    for row in rows:
        if not row.company_domain:
            continue
        website = row.company.get("website") or f"https://{row.company_domain}/"
        name = row.company.get("name") or _fallback_name(row.company_domain)
        found.append(DiscoveredCompany(name=name, website=website, domain=row.company_domain, source_url=str(path)))
    return dedupe_companies(found)
