"""The guarded fetcher: the address is checked again when connecting (DNS rebinding), bodies are capped."""

from __future__ import annotations

import asyncio
from http.server import BaseHTTPRequestHandler

import pytest

from tests.research_sites import SPECIAL_ROUTES, research_browser
from tools.errors import BlockedURL
from tools.local_sites import LocalSite, serve_site
from tools.safe_http import Fetched, GuardedFetcher, ResponseTooLarge
from tools.web_guard import WebGuard


class FlippingDNS:
    """Answers a public address first and loopback afterwards, like a rebinding attacker."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, host: str) -> list[str]:
        self.calls += 1
        return ["93.184.215.14"] if self.calls == 1 else ["127.0.0.1"]


def echo(handler: BaseHTTPRequestHandler, _site: LocalSite) -> None:
    body = f"host={handler.headers.get('Host')};cookie={handler.headers.get('Cookie')}".encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Set-Cookie", "a=1; Path=/")
    handler.send_header("Set-Cookie", "b=2; Path=/")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def moved(handler: BaseHTTPRequestHandler, _site: LocalSite) -> None:
    handler.send_response(301)
    handler.send_header("Location", "http://169.254.169.254/")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


ROUTES = {**SPECIAL_ROUTES, "/echo": echo, "/moved": moved}


async def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect() -> None:
    dns = FlippingDNS()
    guard = WebGuard(resolver=dns)
    fetcher = GuardedFetcher(guard, user_agent="test")
    with serve_site(None, routes=ROUTES) as site:
        url = f"http://rebind.example:{site.port}/echo"
        assert (await guard.check(url)).allowed  # the first answer was public
        with pytest.raises(BlockedURL, match=r"resolves_to:loopback 127\.0\.0\.1"):
            await fetcher.fetch(url, max_bytes=10_000, timeout_s=5)
        assert site.requests == []
    await fetcher.aclose()


async def test_connections_go_to_the_checked_address_and_keep_the_host_name() -> None:
    async def local(host: str) -> list[str]:
        return ["::1", "127.0.0.1"] if host == "shop.test" else []

    fetcher = GuardedFetcher(WebGuard(resolver=local, allowlist=["shop.test"]), user_agent="test")
    with serve_site(None, routes=ROUTES) as site:
        first = await fetcher.fetch(f"http://shop.test:{site.port}/echo", max_bytes=10_000, timeout_s=5)
        second = await fetcher.fetch(
            f"http://shop.test:{site.port}/echo", headers={"Cookie": "from=browser", "Host": "evil"},
            max_bytes=10_000, timeout_s=5,
        )
    await fetcher.aclose()
    # ::1 is tried first and refused by the server (it listens on 127.0.0.1 only); then 127.0.0.1
    assert first.body == f"host=shop.test:{site.port};cookie=None".encode()
    # cookies are never kept between requests: only what the page itself sends goes out
    assert second.body == f"host=shop.test:{site.port};cookie=from=browser".encode()
    assert first.browser_headers()["set-cookie"] == "a=1; Path=/\nb=2; Path=/"
    assert "content-length" not in first.browser_headers()


async def test_redirects_are_returned_not_followed() -> None:
    fetcher = GuardedFetcher(WebGuard(allowlist=["127.0.0.1"]), user_agent="test")
    with serve_site(None, routes=ROUTES) as site:
        fetched = await fetcher.fetch(site.url("/moved"), max_bytes=10_000, timeout_s=5)
    await fetcher.aclose()
    assert (fetched.status, fetched.header("LOCATION")) == (301, "http://169.254.169.254/")


async def test_bodies_are_capped_and_slow_answers_time_out() -> None:
    fetcher = GuardedFetcher(WebGuard(allowlist=["127.0.0.1"]), user_agent="test")
    with serve_site(None, routes=ROUTES) as site:
        with pytest.raises(ResponseTooLarge) as declared:
            await fetcher.fetch(site.url("/huge.html"), max_bytes=100_000, timeout_s=10)
        assert declared.value.detail == f"{10 * 1024 * 1024} bytes (cap 100000)"
        with pytest.raises(ResponseTooLarge) as streamed:
            await fetcher.fetch(site.url("/huge-chunked.html"), max_bytes=100_000, timeout_s=10)
        assert streamed.value.detail == "more than 100000 bytes (cap 100000)"
        cut = await fetcher.fetch(site.url("/huge-chunked.html"), max_bytes=50_000, timeout_s=10, truncate=True)
        assert cut.truncated and len(cut.body) == 50_000
        with pytest.raises((TimeoutError, asyncio.TimeoutError)):
            await fetcher.fetch(site.url("/hang.html"), max_bytes=100_000, timeout_s=1.0)
    await fetcher.aclose()


async def test_literal_addresses_are_checked_at_connect_too() -> None:
    fetcher = GuardedFetcher(WebGuard(), user_agent="test")
    for url in ("http://127.0.0.1:9/", "http://[::1]:9/", "http://169.254.169.254/"):
        with pytest.raises(BlockedURL):
            await fetcher.fetch(url, max_bytes=1000, timeout_s=5)
    await fetcher.aclose()


def test_fetched_headers() -> None:
    fetched = Fetched("http://x/", 200, [("Content-Encoding", "gzip"), ("X-A", "1"), ("x-a", "2")], b"")
    assert fetched.browser_headers() == {"x-a": "1, 2"}
    assert fetched.header("x-A") == "1" and fetched.header("missing") is None


@pytest.mark.browser
async def test_the_browser_refuses_a_page_whose_name_rebinds() -> None:
    async with research_browser(guard=WebGuard(resolver=FlippingDNS())) as browser:
        with serve_site(None, routes=ROUTES) as site:
            page = await browser.fetch(f"http://rebind.example:{site.port}/echo")
    assert page.error == "blocked: resolves_to:loopback 127.0.0.1"
    assert site.requests == []
