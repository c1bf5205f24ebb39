"""One browser context of the research browser: the guarded route handler and page visits.

Every request a page makes passes ``SiteSession.handle``: images, fonts, media and
stylesheets are dropped; every other URL must pass the SSRF guard (cached per host); the
request is then fetched in Python by ``GuardedFetcher`` — which checks the address again
when it connects — one hop at a time, so each redirect target passes the guard too
(Playwright does not call a route handler for redirects), and the answer is handed to the
page. Responses over the size cap are refused. Refusals are recorded with the page that
made them; navigation failures become ``PageResult.error``.
"""

from __future__ import annotations

import html
import re
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Protocol

import httpx
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tools.crm.types import utcnow
from tools.domains import registrable_domain
from tools.errors import BlockedURL
from tools.extract import absolute_url
from tools.page_result import BlockedRequest, PageResult
from tools.safe_http import Fetched, GuardedFetcher, ResponseTooLarge
from tools.throttle import DomainThrottle
from tools.web_guard import WebGuard

if TYPE_CHECKING:
    import asyncio

    from playwright.async_api import BrowserContext, Page, Request, Route, WebSocketRoute

BLOCKED_TYPES = frozenset(
    {"image", "media", "font", "stylesheet", "manifest", "texttrack", "ping", "beacon", "csp_report", "imageset"}
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 8
LOAD_GRACE_S = 3.0


class SessionOwner(Protocol):
    """What a session needs from its browser."""

    guard: WebGuard
    fetcher: GuardedFetcher
    throttle: DomainThrottle
    slots: asyncio.Semaphore
    page_max_bytes: int

    async def robots_refusal(self, url: str) -> str | None: ...

    async def delay_for(self, url: str) -> float: ...


def loaded(page: PageResult) -> bool:
    """True if the visit cost a page load (refusals before loading do not count)."""
    return not (page.error or "").startswith(("blocked:", "robots_disallowed"))


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (Playwright adds call logs below it)."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _with_base(body: bytes, url: str) -> bytes:
    """Insert ``<base href>`` so a page served after redirects resolves links against its real URL."""
    if re.search(rb"<base[\s>]", body[:4096], re.IGNORECASE):
        return body
    tag = f'<base href="{html.escape(url, quote=True)}">'.encode()
    match = re.search(rb"<head[^>]*>", body[:4096], re.IGNORECASE)
    return body[: match.end()] + tag + body[match.end() :] if match else tag + body


class SiteSession:
    """One browser context and what its route handler saw."""

    def __init__(self, owner: SessionOwner, *, timeout_s: float) -> None:
        self.owner = owner
        self.timeout_s = timeout_s
        self.blocked: list[BlockedRequest] = []
        self.nav_errors: dict[str, str] = {}
        self.final_urls: dict[str, str] = {}
        self.context: BrowserContext | None = None
        self._page: Page | None = None

    def _record(self, request: Request, url: str, reason: str) -> None:
        try:
            page_url = request.url if self._is_main_navigation(request) else request.frame.page.url
        except PlaywrightError:
            page_url = ""
        self.blocked.append(BlockedRequest(url, reason, request.resource_type, page_url))

    @staticmethod
    def _is_main_navigation(request: Request) -> bool:
        try:
            return request.is_navigation_request() and request.frame.parent_frame is None
        except PlaywrightError:
            return False

    async def handle_ws(self, ws: WebSocketRoute) -> None:
        """WebSockets are never needed for research: refuse them."""
        self.blocked.append(BlockedRequest(ws.url, "websocket", "websocket", ""))
        with suppress(PlaywrightError):
            await ws.close(code=1008, reason="blocked by research browser")

    async def handle(self, route: Route) -> None:
        """Guard, then fetch hop by hop and fulfil; every refusal is recorded."""
        request = route.request
        if request.resource_type in BLOCKED_TYPES:
            with suppress(PlaywrightError):
                await route.abort("blockedbyclient")
            return
        main = self._is_main_navigation(request)
        decision = await self.owner.guard.check(request.url)
        if not decision.allowed:
            self._record(request, request.url, decision.reason)
            if main:
                self.nav_errors[request.url] = f"blocked: {decision.reason}"
            with suppress(PlaywrightError):
                await route.abort("blockedbyclient")
            return
        await self._fetch_and_fulfil(route, request, main)

    async def _fail(self, route: Route, request: Request, main: bool, error: str, code: str) -> None:
        if main:
            self.nav_errors[request.url] = error
        with suppress(PlaywrightError):
            await route.abort(code)

    async def _fetch(self, route: Route, request: Request, main: bool, url: str, method: str) -> Fetched | None:
        """One hop through the guarded fetcher; failures are recorded and answered here (None)."""
        try:
            headers = await request.all_headers()
        except PlaywrightError:
            headers = request.headers
        body = request.post_data_buffer if method == request.method else None
        try:
            return await self.owner.fetcher.fetch(
                url, method=method, headers=headers, body=body, max_bytes=self.owner.page_max_bytes,
                timeout_s=self.timeout_s,
            )
        except BlockedURL as exc:  # refused when connecting: the name resolved to another address
            self._record(request, url, f"connect: {exc.reason}")
            await self._fail(route, request, main, f"blocked: {exc.reason}", "blockedbyclient")
        except ResponseTooLarge as exc:
            await self._fail(route, request, main, f"too_large: {exc.detail}", "failed")
        except (TimeoutError, httpx.TimeoutException):
            await self._fail(route, request, main, f"timeout after {self.timeout_s:.1f}s", "timedout")
        except httpx.HTTPError as exc:
            await self._fail(route, request, main, f"network: {type(exc).__name__}: {exc}"[:200], "failed")
        return None

    async def _fetch_and_fulfil(self, route: Route, request: Request, main: bool) -> None:
        current, method = request.url, request.method
        for _hop in range(MAX_REDIRECTS + 1):
            fetched = await self._fetch(route, request, main, current, method)
            if fetched is None:
                return
            location = fetched.header("location")
            if fetched.status in REDIRECTS and location:
                target = absolute_url(location, current)
                decision = await self.owner.guard.check(target or location)
                if target is None or not decision.allowed:
                    reason = decision.reason if target else "scheme"
                    self._record(request, target or location, f"redirect: {reason}")
                    await self._fail(route, request, main, f"blocked_redirect: {reason}", "blockedbyclient")
                    return
                refusal = await self.owner.robots_refusal(target) if main else None
                if refusal:
                    await self._fail(route, request, main, refusal, "blockedbyclient")
                    return
                if fetched.status == 303 or (fetched.status in {301, 302} and method == "POST"):
                    method = "GET"
                current = target
                continue
            await self._deliver(route, request, fetched, main)
            return
        await self._fail(route, request, main, "too_many_redirects", "failed")

    async def _deliver(self, route: Route, request: Request, fetched: Fetched, main: bool) -> None:
        body = fetched.body
        if request.resource_type == "document" and fetched.url != request.url:
            body = _with_base(body, fetched.url)
            if main:
                self.final_urls[request.url] = fetched.url
        with suppress(PlaywrightError):
            await route.fulfill(status=fetched.status, headers=fetched.browser_headers(), body=body)

    async def visit(self, url: str, *, timeout_s: float) -> PageResult:
        """Load one page in this session's context; never raises for page-level failures."""
        owner, started = self.owner, time.monotonic()
        result = PageResult(url=url, final_url=url)
        decision = await owner.guard.check(url)
        if not decision.allowed:
            self.blocked.append(BlockedRequest(url, decision.reason, "document", ""))
            result.error = f"blocked: {decision.reason}"
            return result
        refusal = await owner.robots_refusal(url)
        if refusal:
            if refusal.startswith("blocked:"):
                self.blocked.append(BlockedRequest(url, refusal.removeprefix("blocked: "), "document", ""))
            result.error = refusal
            return result
        await owner.throttle.wait(registrable_domain(url), await owner.delay_for(url))
        async with owner.slots:
            assert self.context is not None
            if self._page is None:
                self._page = await self.context.new_page()
            try:
                await self._load(self._page, result, timeout_s)
            finally:
                if result.error:  # a page left mid-load is not reused
                    with suppress(PlaywrightError):
                        await self._page.close()
                    self._page = None
        result.elapsed_s = time.monotonic() - started
        return result

    async def _load(self, page: Page, result: PageResult, timeout_s: float) -> None:
        url = result.url
        self.nav_errors.pop(url, None)
        self.final_urls.pop(url, None)
        result.fetched_at = utcnow()
        deadline = time.monotonic() + timeout_s
        try:
            response = await page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
        except PlaywrightTimeoutError:
            result.error = self.nav_errors.get(url) or f"timeout after {timeout_s:.1f}s"
            return
        except PlaywrightError as exc:
            result.error = self.nav_errors.get(url) or f"network: {first_line(exc)}"
            return
        if response is None:
            result.error = "no_response"
            return
        result.status = response.status
        if response.status >= 400:
            result.error = f"http_{response.status}"
            return
        content_type = (response.headers.get("content-type") or "text/html").lower()
        if not any(kind in content_type for kind in ("html", "xml", "text/plain")):
            result.error = f"not_html: {content_type.split(';')[0]}"
            return
        grace = min(LOAD_GRACE_S, deadline - time.monotonic())
        if grace > 0:
            with suppress(PlaywrightTimeoutError):
                await page.wait_for_load_state("load", timeout=grace * 1000)
        try:
            html = await page.content()
        except PlaywrightError as exc:
            result.error = f"unreadable: {first_line(exc)}"
            return
        if len(html) > self.owner.page_max_bytes:
            result.error = f"too_large: rendered page has {len(html)} characters (cap {self.owner.page_max_bytes})"
            return
        final = page.url if page.url not in {url, "about:blank"} else self.final_urls.get(url, url)
        result.final_url = final
        result.html = html
