"""robots.txt through the guard: RFC 9309 outcomes, redirects checked hop by hop, one fetch per origin."""

from __future__ import annotations

from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tools.local_sites import LocalSite, serve_site
from tools.robots import RobotsCache, origin_of
from tools.safe_http import GuardedFetcher
from tools.web_guard import WebGuard

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Callable[..., None]:
    def route(handler: BaseHTTPRequestHandler, _site: LocalSite) -> None:
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def cache(allowlist: tuple[str, ...] = ("127.0.0.1",)) -> RobotsCache:
    guard = WebGuard(allowlist=allowlist)
    fetcher = GuardedFetcher(guard, user_agent="test-agent")
    return RobotsCache(guard=guard, fetcher=fetcher, product_token="outreach-agents")


async def test_rules_for_our_product_token_are_honoured() -> None:
    robots = cache()
    with serve_site(SITES / "robots-shy") as site:
        assert await robots.allowed(site.url("/"))
        assert await robots.allowed(site.url("/ueber-uns.html"))
        assert not await robots.allowed(site.url("/team/"))
        assert not await robots.allowed(site.url("/impressum.html"))
        assert (await robots.policy(site.url("/"))).status == "ok"
        assert site.requests.count("/robots.txt") == 1  # one fetch per origin


async def test_missing_file_allows_everything_and_server_errors_disallow_everything() -> None:
    robots = cache()
    with serve_site(None) as missing, serve_site(None, routes={"/robots.txt": answer(503, b"busy")}) as broken:
        assert await robots.allowed(missing.url("/anything"))
        assert (await robots.policy(missing.url("/"))).status == "missing"
        assert not await robots.allowed(broken.url("/"))
        assert (await robots.policy(broken.url("/"))).status == "unreachable"


async def test_redirects_are_followed_through_the_guard() -> None:
    robots = cache()
    rules = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 120\n"
    with serve_site(None, routes={"/rules.txt": answer(200, rules)}) as target:
        redirect = answer(301, headers={"Location": target.url("/rules.txt")})
        evil = answer(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        with serve_site(None, routes={"/robots.txt": redirect}) as moved, serve_site(
            None, routes={"/robots.txt": evil}
        ) as rebound:
            assert await robots.allowed(moved.url("/public"))
            assert not await robots.allowed(moved.url("/private/x"))
            assert (await robots.policy(moved.url("/"))).crawl_delay("outreach-agents") == 10.0  # capped
            policy = await robots.policy(rebound.url("/"))
            assert (policy.status, policy.detail) == ("blocked", "ip:link_local 169.254.169.254")
            assert not await robots.allowed(rebound.url("/"))


async def test_an_origin_the_guard_refuses_is_never_contacted() -> None:
    robots = cache(allowlist=())
    with serve_site(None) as site:
        policy = await robots.policy(site.url("/"))
        assert policy.status == "blocked"
        assert site.requests == []


async def test_oversized_robots_file_is_cut_at_the_limit() -> None:
    body = b"User-agent: *\nDisallow: /x/\n" + b"# filler\n" * 200_000
    robots = cache()
    with serve_site(None, routes={"/robots.txt": answer(200, body)}) as site:
        assert not await robots.allowed(site.url("/x/y"))
        assert await robots.allowed(site.url("/y"))


def test_origin_of_drops_path_and_credentials() -> None:
    assert origin_of("HTTPS://user:pw@Example.com:8443/a/b?c") == "https://example.com:8443"
