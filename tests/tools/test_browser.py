"""The research browser in a real Chromium against local sites: guard, redirects, robots, limits."""

from __future__ import annotations

import asyncio
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.research_sites import SITES, SPECIAL_ROUTES, research_browser
from tools.browser import Browser
from tools.discovery import discover_from_listing
from tools.errors import BrowserUnavailable, DiscoveryError
from tools.local_sites import LocalSite, RouteHandler, serve_site
from tools.throttle import DomainThrottle
from tools.web_guard import WebGuard

pytestmark = pytest.mark.browser

SECRETS = ("/secret.js", "/secret-data", "/secret.html", "/secret-frame.html")


def redirect_to(location: str) -> RouteHandler:
    def route(handler: BaseHTTPRequestHandler, site: LocalSite) -> None:
        handler.send_response(301)
        handler.send_header("Location", location.replace("{port}", str(site.port)))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


async def test_a_site_is_crawled_within_the_page_budget_without_images_or_css() -> None:
    async with research_browser() as browser:
        with serve_site(SITES / "mueller-maschinenbau") as site:
            crawl = await browser.crawl_site(site.url("/"), max_pages=3)
    assert [p.ok for p in crawl.pages] == [True, True, True]
    assert crawl.budget_exhausted == "pages"
    assert crawl.pages[0].data is not None and crawl.pages[0].data.title.startswith("Müller Maschinenbau")
    assert ("budget" in {reason for _url, reason in crawl.skipped}) and crawl.blocked == []
    assert not any(path.endswith((".png", ".jpg", ".css")) for path in site.requests)
    assert site.requests.count("/robots.txt") == 1
    assert crawl.site == f"127.0.0.1:{site.port}"


async def test_page_requests_to_internal_addresses_are_refused_and_the_crawl_continues() -> None:
    # the site is served on 127.0.0.1 but only "localhost" is allowed: every other spelling of
    # the same server, and every redirect to it, must be refused
    async with research_browser(allowlist=("localhost",)) as browser:
        with serve_site(SITES / "injection") as site:
            crawl = await browser.crawl_site(f"http://localhost:{site.port}/")
    reasons = {blocked.url: blocked.reason for blocked in crawl.blocked}
    port = site.port
    assert reasons["http://169.254.169.254/latest/meta-data/iam/security-credentials/"].startswith("ip:link_local")
    assert reasons[f"http://127.0.0.1:{port}/secret.js"] == "ip:loopback 127.0.0.1"  # was http://0x7f000001/
    assert reasons[f"http://127.0.0.1:{port}/secret-data"] == "ip:loopback 127.0.0.1"  # was http://2130706433/
    assert reasons[f"http://[::ffff:7f00:1]:{port}/secret-frame.html"].startswith("ip:embedded_loopback")
    assert reasons[f"http://127.0.0.1:{port}/secret.html"] == "redirect: ip:loopback 127.0.0.1"
    redirected = next(p for p in crawl.pages if p.url.endswith("/weiterleitung"))
    assert redirected.error == "blocked_redirect: ip:loopback 127.0.0.1"
    assert not any(path.startswith(SECRETS) for path in site.requests)
    loaded = [p.url for p in crawl.pages if p.ok]
    assert f"http://localhost:{port}/impressum.html" in loaded and f"http://localhost:{port}/ueber-uns.html" in loaded


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "blocked: ip:link_local 169.254.169.254"),
        ("file:///etc/passwd", "blocked: scheme:file"),
        ("http://0x7f000001/", "blocked: ip:loopback 127.0.0.1"),
        ("http://[::1]:9/", "blocked: ip:loopback ::1"),
        ("http://10.0.0.1/", "blocked: ip:private 10.0.0.1"),
    ],
)
async def test_fetching_a_refused_url_is_an_error_result_not_an_exception(url: str, reason: str) -> None:
    async with research_browser(allowlist=()) as browser:
        page = await browser.fetch(url)
    assert page.error == reason and page.html == ""
    assert [b.url for b in page.blocked] == [url]


async def test_robots_txt_disallow_is_honoured() -> None:
    async with research_browser() as browser:
        with serve_site(SITES / "robots-shy") as site:
            crawl = await browser.crawl_site(site.url("/"))
    skipped = {url: reason for url, reason in crawl.skipped}
    assert skipped[site.url("/team/")] == "robots_disallowed"
    assert skipped[site.url("/impressum.html")] == "robots_disallowed"
    assert not site.requested("/team/") and not site.requested("/impressum.html")
    assert site.requested("/ueber-uns.html")


async def test_oversized_and_never_ending_pages_end_as_errors_and_the_site_stays_usable() -> None:
    async with research_browser(page_timeout_s=2.0, page_max_bytes=1_000_000) as browser:
        with serve_site(SITES / "mueller-maschinenbau", routes=SPECIAL_ROUTES) as site:
            huge = await browser.fetch(site.url("/huge.html"))
            chunked = await browser.fetch(site.url("/huge-chunked.html"))
            hang = await browser.fetch(site.url("/hang.html"))
            plan = [site.url("/hang.html"), site.url("/huge.html"), site.url("/impressum.html")]
            home = site.url("/")
            crawl = await browser.crawl_site(home, pick_links=lambda page: plan if page.url == home else [])
    assert huge.error == f"too_large: {10 * 1024 * 1024} bytes (cap 1000000)"
    assert chunked.error is not None and chunked.error.startswith("too_large:")
    assert hang.error == "timeout after 2.0s" and hang.elapsed_s < 10
    # within one site: the failures are recorded and the next page loads in a fresh tab
    assert [(p.url.rsplit("/", 1)[1], p.ok) for p in crawl.pages] == [
        ("", True), ("hang.html", False), ("huge.html", False), ("impressum.html", True)
    ]


async def test_the_time_budget_bounds_a_crawl() -> None:
    async with research_browser(page_timeout_s=30.0) as browser:
        with serve_site(SITES / "mueller-maschinenbau", routes=SPECIAL_ROUTES) as site:
            crawl = await browser.crawl_site(site.url("/hang.html"), max_seconds=2.0)
    assert crawl.pages[0].error is not None and crawl.pages[0].error.startswith("timeout after")
    assert crawl.elapsed_s < 20


async def test_redirects_within_the_site_are_followed_and_links_resolve_against_the_final_url() -> None:
    routes = {"/alt/": redirect_to("/ueber-uns.html"), "/away": redirect_to("http://127.0.0.1:{port}/team.html")}
    async with research_browser() as browser:
        with serve_site(SITES / "mueller-maschinenbau", routes=routes) as site:
            moved = await browser.fetch(site.url("/alt/"))
            away = await browser.fetch(site.url("/away"))
    assert moved.ok and moved.final_url == site.url("/ueber-uns.html")
    assert moved.data is not None
    assert site.url("/team.html") in [link.url for link in moved.data.links]  # not /alt/team.html
    assert away.ok and away.final_url == site.url("/team.html")


async def test_websockets_are_refused() -> None:
    page = (
        b"<html><body><p id=state>waiting</p><script>const ws = new WebSocket('ws://127.0.0.1:9/feed');"
        b"ws.onclose = () => { document.getElementById('state').textContent = 'closed'; };</script></body></html>"
    )

    def live(handler: BaseHTTPRequestHandler, _site: LocalSite) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)

    async with research_browser() as browser:
        with serve_site(None, routes={"/": live}) as site:
            result = await browser.fetch(site.url("/"))
    assert result.ok
    assert [(b.url, b.reason) for b in result.blocked] == [("ws://127.0.0.1:9/feed", "websocket")]


async def test_listing_discovery_through_the_browser() -> None:
    async with research_browser() as browser:
        with serve_site(SITES / "listing") as site:
            found = await discover_from_listing(site.url("/"), browser=browser)
            first_five = await discover_from_listing(site.url("/"), browser=browser, limit=5)
            with pytest.raises(DiscoveryError, match="http_404"):
                await discover_from_listing(site.url("/nope.html"), browser=browser)
            with pytest.raises(ValueError, match="limit"):
                await discover_from_listing(site.url("/"), browser=browser, limit=0)
    assert len(found) == 20 and [c.domain for c in first_five] == [c.domain for c in found[:5]]


async def test_sites_are_crawled_concurrently_in_separate_contexts() -> None:
    async with research_browser(concurrency=2) as browser:
        with serve_site(SITES / "mueller-maschinenbau") as one, serve_site(SITES / "acme-analytics") as two:
            crawls = await asyncio.gather(
                browser.crawl_site(one.url("/"), max_pages=2), browser.crawl_site(two.url("/"), max_pages=2)
            )
    assert [all(p.ok for p in c.pages) for c in crawls] == [True, True]
    assert browser.pages_loaded == 4


async def test_a_browser_that_is_not_started_or_cannot_start_says_so(tmp_path: Path) -> None:
    browser = Browser(guard=WebGuard())
    with pytest.raises(BrowserUnavailable, match="not started"):
        await browser.crawl_site("http://127.0.0.1:9/")
    missing = Browser(guard=WebGuard(), executable=tmp_path / "no-chromium")
    with pytest.raises(BrowserUnavailable, match="not found"):
        await missing.start()


async def test_politeness_delay_spaces_pages_of_one_domain_only() -> None:
    throttle = DomainThrottle()
    assert await throttle.wait("a.de", 0.2) == 0.0
    assert await throttle.wait("b.de", 0.2) == 0.0
    assert await throttle.wait("a.de", 0.2) > 0.0
    assert await throttle.wait("c.de", 0.0) == 0.0
