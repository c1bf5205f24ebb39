"""The research browser: one Chromium per process, a fresh context per site, every request guarded.

Each site gets its own context whose every request passes the SSRF guard, redirect hop by
redirect hop (``tools.browser_session``). Service workers are blocked and WebSockets are
closed. Pages have a navigation timeout and a size cap, sites have a crawl budget (pages,
seconds), robots.txt is honoured and pages of one domain are spaced by a politeness delay
(or the site's Crawl-delay). Expected failures become ``PageResult.error``, never exceptions.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from tools.browser_session import SiteSession, first_line, loaded
from tools.domains import registrable_domain
from tools.errors import BrowserUnavailable
from tools.extract import absolute_url, parse_page
from tools.page_result import BlockedRequest, PageResult, SiteCrawl
from tools.robots import RobotsCache
from tools.safe_http import GuardedFetcher
from tools.throttle import DomainThrottle
from tools.web_guard import WebGuard

if TYPE_CHECKING:
    from playwright.async_api import Browser as PWBrowser
    from playwright.async_api import Playwright

    from tools.settings import Settings

__all__ = ["BlockedRequest", "Browser", "PageResult", "SiteCrawl", "find_system_chromium"]

USER_AGENT = "Mozilla/5.0 (compatible; outreach-agents/0.1; company research)"
PRODUCT_TOKEN = "outreach-agents"
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--dns-prefetch-disable",
)
SYSTEM_CHROMIUM = (Path("/usr/bin/chromium"), Path("/usr/bin/chromium-browser"))
LinkPicker = Callable[[PageResult], Iterable[str]]


class Browser:
    """One Chromium for the process. Use ``async with Browser.from_settings(s) as browser``."""

    def __init__(
        self,
        *,
        guard: WebGuard,
        robots: RobotsCache | None = None,
        executable: Path | None = None,
        concurrency: int = 4,
        page_timeout_s: float = 15.0,
        page_max_bytes: int = 3_000_000,
        crawl_max_pages: int = 8,
        crawl_max_seconds: float = 60.0,
        politeness_delay_s: float = 1.0,
        respect_robots: bool = True,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.guard = guard
        self.fetcher = GuardedFetcher(guard, user_agent=user_agent, max_connections=8 * concurrency)
        self.robots = robots or RobotsCache(
            guard=guard, fetcher=self.fetcher, product_token=PRODUCT_TOKEN, timeout_s=min(10.0, page_timeout_s)
        )
        self.executable = executable
        self.page_timeout_s = page_timeout_s
        self.page_max_bytes = page_max_bytes
        self.crawl_max_pages = crawl_max_pages
        self.crawl_max_seconds = crawl_max_seconds
        self.politeness_delay_s = politeness_delay_s
        self.respect_robots = respect_robots
        self.user_agent = user_agent
        self.slots = asyncio.Semaphore(concurrency)
        self.throttle = DomainThrottle()
        self.pages_loaded = 0
        self._playwright: Playwright | None = None
        self._browser: PWBrowser | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Browser:
        """A browser configured from ``Settings`` (not started: use ``async with``)."""
        return cls(
            guard=WebGuard(allowlist=settings.url_allowlist),
            executable=settings.browser_executable or find_system_chromium(),
            concurrency=settings.browser_concurrency,
            page_timeout_s=settings.page_timeout_s,
            page_max_bytes=settings.page_max_bytes,
            crawl_max_pages=settings.crawl_max_pages,
            crawl_max_seconds=settings.crawl_max_seconds,
            politeness_delay_s=settings.politeness_delay_s,
        )

    async def __aenter__(self) -> Browser:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Launch Chromium; raises BrowserUnavailable with the reason if it cannot start."""
        if self._browser is not None:
            return
        if self.executable is not None and not self.executable.exists():
            raise BrowserUnavailable(f"Chromium not found at {self.executable}")
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(
                executable_path=str(self.executable) if self.executable else None,
                args=list(LAUNCH_ARGS),
                headless=True,
            )
        except PlaywrightError as exc:
            await self._playwright.stop()
            self._playwright = None
            hint = "" if self.executable else " (install a system Chromium or run `playwright install chromium`)"
            raise BrowserUnavailable(f"cannot start Chromium: {first_line(exc)}{hint}") from exc

    async def close(self) -> None:
        """Close Chromium and the HTTP connections (idempotent)."""
        await self.fetcher.aclose()
        if self._browser is not None:
            with suppress(PlaywrightError):
                await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    async def robots_refusal(self, url: str) -> str | None:
        """Why robots.txt keeps us from ``url`` (``robots_disallowed``, or ``blocked: …`` when the guard
        refused the site's robots.txt itself); None when the page may be fetched."""
        if not self.respect_robots:
            return None
        policy = await self.robots.policy(url)
        if policy.status == "blocked":
            return f"blocked: {policy.detail}"
        return None if policy.allows(url, PRODUCT_TOKEN) else "robots_disallowed"

    async def delay_for(self, url: str) -> float:
        """Seconds between two pages of ``url``'s domain: politeness or robots Crawl-delay."""
        delay = self.politeness_delay_s
        if self.respect_robots:
            crawl_delay = (await self.robots.policy(url)).crawl_delay(PRODUCT_TOKEN)
            delay = max(delay, crawl_delay or 0.0)
        return delay

    async def _session(self, timeout_s: float) -> SiteSession:
        if self._browser is None:
            raise BrowserUnavailable("the browser is not started: use `async with Browser(...)`")
        session = SiteSession(self, timeout_s=timeout_s)
        context = await self._browser.new_context(
            service_workers="block", user_agent=self.user_agent, accept_downloads=False, locale="de-DE"
        )
        await context.route("**/*", session.handle)
        await context.route_web_socket(re.compile(".*"), session.handle_ws)
        session.context = context
        return session

    async def fetch(self, url: str) -> PageResult:
        """Load and read one page in a fresh context; refusals and failures are in the result."""
        crawl = await self.crawl_site(url, pick_links=lambda _page: (), max_pages=1)
        return crawl.pages[0]

    async def crawl_site(
        self,
        start_url: str,
        *,
        pick_links: LinkPicker | None = None,
        max_pages: int | None = None,
        max_seconds: float | None = None,
    ) -> SiteCrawl:
        """Visit ``start_url`` and the same-site links ``pick_links`` chooses, within budget.

        ``pick_links`` gets each loaded page and returns URLs to visit next (in order);
        by default every same-site link in document order. Links to other sites are skipped.
        """
        pick = pick_links or (lambda page: [link.url for link in (page.data.links if page.data else [])])
        budget_pages = max_pages or self.crawl_max_pages
        budget_s = max_seconds or self.crawl_max_seconds
        started = time.monotonic()
        start_url = absolute_url(start_url, start_url) or start_url
        crawl = SiteCrawl(start_url=start_url, site=registrable_domain(start_url))
        sites = {crawl.site}
        frontier, seen = [start_url], {start_url}
        session = await self._session(self.page_timeout_s)
        try:
            while frontier:
                if sum(1 for p in crawl.pages if loaded(p)) >= budget_pages:
                    crawl.budget_exhausted = "pages"
                    break
                remaining = budget_s - (time.monotonic() - started)
                if remaining < 0.5:
                    crawl.budget_exhausted = "seconds"
                    break
                url = frontier.pop(0)
                seen_blocked = len(session.blocked)
                page = await session.visit(url, timeout_s=min(self.page_timeout_s, remaining))
                page.blocked = session.blocked[seen_blocked:]
                if page.error == "robots_disallowed":
                    crawl.skipped.append((url, "robots_disallowed"))
                crawl.pages.append(page)
                if not page.ok:
                    continue
                self.pages_loaded += 1
                seen.add(page.final_url)
                page.data = await asyncio.to_thread(parse_page, page.html, page.final_url)
                if len(crawl.pages) == 1:
                    sites.add(registrable_domain(page.final_url))
                for link in pick(page):
                    if link in seen:
                        continue
                    seen.add(link)
                    if registrable_domain(link) not in sites:
                        crawl.skipped.append((link, "off_site"))
                        continue
                    frontier.append(link)
            crawl.skipped.extend((url, "budget") for url in frontier)
        finally:
            crawl.blocked = session.blocked
            if session.context is not None:
                with suppress(PlaywrightError):
                    await session.context.close()
        crawl.elapsed_s = time.monotonic() - started
        return crawl


def find_system_chromium() -> Path | None:
    """The system Chromium if installed (preferred over Playwright's own download)."""
    for candidate in SYSTEM_CHROMIUM:
        if candidate.exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None
