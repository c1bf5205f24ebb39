"""Company research: crawl the site within budget, extract deterministically, let the model fill gaps.

``research_company`` visits the home page and, by priority, the legal notice (Impressum),
team/management, about, contact and news pages; builds a ``CompanyProfile`` whose facts
all cite a page and its retrieval time; asks the model (when one is given) for a small
form of verbatim values and keeps only those found on the pages; removes private-life
statements; and records what went wrong as data: page errors, refused requests
(``blocked_request:<url>``), robots.txt refusals (``robots_disallowed:<url>``) and pages
that try to instruct a model (``prompt_injection:<url>``). It has no tool that writes or
sends anything.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from agents.industries import fold
from agents.injection import scan
from agents.llm import LLM
from agents.minimise import minimise_profile
from agents.profile import CompanyProfile, Fact
from agents.profile_builder import ReadPage, build_profile
from agents.research_llm import LLMFindings, PageText, summarise
from tools.browser import Browser, PageResult, SiteCrawl
from tools.crm.types import utcnow
from tools.domains import registrable_domain
from tools.page_kinds import PRIORITY, PageKind, classify_link, rank_links
from tools.settings import Settings
from tools.web_guard import normalise_host

_GERMAN_TLDS = (".de", ".at", ".ch", ".li")
_LLM_ORDER = (PageKind.home, PageKind.about, PageKind.news, PageKind.team, PageKind.contact, PageKind.other)


class ResearchInputError(ValueError):
    """The URL or domain to research is not usable; nothing was fetched."""


def normalise_start_url(url_or_domain: str) -> tuple[str, bool]:
    """(start URL, whether the scheme was assumed) for ``"firma.de"`` or ``"https://firma.de/de/"``."""
    value = url_or_domain.strip()
    if not value:
        raise ResearchInputError("no URL or domain given")
    assumed = "://" not in value
    if assumed:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError as exc:
        raise ResearchInputError(f"not a URL: {url_or_domain!r} ({exc})") from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise ResearchInputError(f"only http and https sites can be researched, not {parts.scheme!r}")
    host = normalise_host(host)
    if not host or " " in host or ("." not in host and ":" not in host and host != "localhost"):
        raise ResearchInputError(f"not a website address: {url_or_domain!r}")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")), assumed


class ResearchPicker:
    """Chooses which links of each visited page to crawl: one page per kind, by priority."""

    def __init__(self, start_url: str) -> None:
        self.start_url = start_url
        self.kinds: dict[str, PageKind] = {start_url: PageKind.home}
        self._guessed = False

    def __call__(self, page: PageResult) -> list[str]:
        links = page.data.links if page.data else []
        wanted = [kind for kind in PRIORITY if kind not in self.kinds.values()]
        chosen = [link.url for link in rank_links(links, wanted=wanted) if link.url not in self.kinds]
        for url in chosen:
            self.kinds[url] = classify_link(next(link for link in links if link.url == url))
        if not self._guessed and PageKind.impressum not in self.kinds.values() and self._german(page):
            self._guessed = True
            parts = urlsplit(page.final_url)
            guess = urlunsplit((parts.scheme, parts.netloc, "/impressum", "", ""))
            self.kinds.setdefault(guess, PageKind.impressum)
            chosen.append(guess)
        return chosen

    def _german(self, page: PageResult) -> bool:
        host = urlsplit(page.final_url).hostname or ""
        return (page.data is not None and page.data.lang == "de") or host.endswith(_GERMAN_TLDS)

    def kind_of(self, url: str) -> PageKind:
        """The kind the page was visited as."""
        return self.kinds.get(url, PageKind.other)


def _read(page: PageResult, kind: PageKind) -> ReadPage:
    assert page.data is not None
    visible = scan(page.data.visible_text)
    hidden = scan(page.data.hidden_text)
    return ReadPage(
        url=page.final_url,
        kind=kind,
        fetched_at=page.fetched_at,
        data=page.data,
        html=page.html,
        clean_text=visible.cleaned,
        hidden_instructions=visible.labels + [label for label in hidden.labels if label not in visible.labels],
    )


def _record_crawl(profile: CompanyProfile, crawl: SiteCrawl) -> None:
    for page in crawl.pages:
        if page.error == "robots_disallowed":
            profile.flags.append(f"robots_disallowed:{page.url}")
        elif page.error:
            profile.errors.append(f"page {page.url}: {page.error}")
    refused_pages = {page.url for page in crawl.pages if (page.error or "").startswith("blocked:")}
    for blocked in crawl.blocked:
        flag = f"blocked_request:{blocked.url}"
        if flag in profile.flags:
            continue
        profile.flags.append(flag)
        if blocked.url not in refused_pages:  # a refused page already has its error line
            profile.errors.append(f"refused {blocked.resource_type} {blocked.url}: {blocked.reason}")
    if crawl.budget_exhausted:
        profile.errors.append(f"crawl budget ({crawl.budget_exhausted}) reached; {len(crawl.skipped)} link(s) left")


def _fact(kind: str, text: str, source_url: str, pages: list[ReadPage]) -> Fact:
    page = next((p for p in pages if p.url == source_url), pages[0])
    return Fact(kind=kind, text=text, source_url=source_url, retrieved_at=page.fetched_at)


def _merge_llm(profile: CompanyProfile, findings: LLMFindings, pages: list[ReadPage]) -> None:
    if findings.error:
        profile.errors.append(f"llm: {findings.error}")
    profile.flags.extend(f"llm_rejected:{reason}" for reason in findings.rejected)
    new: list[Fact] = []
    if findings.description and not profile.description:
        profile.description = findings.description.value
        new.append(_fact("description", findings.description.value, findings.description.source_url, pages))
    if findings.industry:
        profile.industry = findings.industry.value
        profile.facts = [f for f in profile.facts if f.kind != "industry"]
        new.append(_fact("industry", findings.industry.value, findings.industry.source_url, pages))
    if findings.location and not profile.location:
        profile.location = findings.location.value
        new.append(_fact("location", findings.location.value, findings.location.source_url, pages))
    if findings.employees_text and all(fold(findings.employees_text.value) != fold(s) for s in profile.size_signals):
        profile.size_signals.append(findings.employees_text.value)
        new.append(_fact("size", findings.employees_text.value, findings.employees_text.source_url, pages))
    for product in findings.products:
        new.append(_fact("product", product.value, product.source_url, pages))
    known = {f.id for f in profile.facts}
    profile.facts.extend(f for f in new if f.id not in known)


def _llm_pages(pages: list[ReadPage]) -> list[PageText]:
    ordered = sorted(pages, key=lambda p: _LLM_ORDER.index(p.kind) if p.kind in _LLM_ORDER else len(_LLM_ORDER))
    return [PageText(url=p.url, kind=p.kind.value, text=p.clean_text) for p in ordered if p.kind != PageKind.impressum]


async def _crawl(browser: Browser, start_url: str, settings: Settings) -> tuple[SiteCrawl, ResearchPicker]:
    picker = ResearchPicker(start_url)
    crawl = await browser.crawl_site(
        start_url, pick_links=picker, max_pages=settings.crawl_max_pages, max_seconds=settings.crawl_max_seconds
    )
    return crawl, picker


async def research_company(
    url_or_domain: str,
    *,
    browser: Browser,
    llm: LLM | None,
    settings: Settings,
    now: datetime | None = None,
) -> CompanyProfile:
    """Research one company's website into a sourced ``CompanyProfile``.

    Raises ResearchInputError for an unusable URL; every failure while researching
    (refused addresses, robots.txt, timeouts, oversized pages, model errors) is recorded
    on the profile instead. ``llm=None`` researches deterministically only.
    """
    start_url, assumed_scheme = normalise_start_url(url_or_domain)
    crawl, picker = await _crawl(browser, start_url, settings)
    home = crawl.pages[0] if crawl.pages else None
    if assumed_scheme and home is not None and (home.error or "").startswith(("network", "timeout")):
        start_url = "http://" + start_url.removeprefix("https://")
        crawl, picker = await _crawl(browser, start_url, settings)
    pages = [_read(page, picker.kind_of(page.url)) for page in crawl.ok_pages]
    profile = build_profile(registrable_domain(start_url), start_url, pages)
    _record_crawl(profile, crawl)
    for page in pages:
        if page.hidden_instructions:
            profile.flags.append(f"prompt_injection:{page.url}")
    if llm is not None and pages:
        findings = await summarise(llm, domain=profile.domain, pages=_llm_pages(pages))
        _merge_llm(profile, findings, pages)
    dropped = minimise_profile(profile)
    if dropped:
        profile.flags.append(f"minimised:{dropped}")
    profile.researched_at = now or utcnow()
    return profile
