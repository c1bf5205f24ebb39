"""robots.txt, fetched through the SSRF guard and parsed with the standard library.

Follows RFC 9309: a missing file (4xx) allows everything; a server error, a network
failure or a refused address means "assume complete disallow". Redirects are followed
by hand (at most five) so every hop passes the guard, and the fetch itself goes through
the browser's ``GuardedFetcher`` (checked again at connect time). One fetch per origin.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from tools.errors import BlockedURL
from tools.safe_http import GuardedFetcher
from tools.web_guard import WebGuard

ROBOTS_MAX_BYTES = 512_000
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY_S = 10.0


@dataclass
class RobotsPolicy:
    """The rules of one origin; ``status`` says how they were obtained."""

    origin: str
    status: str  # "ok" | "missing" | "unreachable" | "blocked"
    detail: str = ""  # for "blocked": the guard's reason
    _parser: RobotFileParser | None = field(default=None, repr=False)

    def allows(self, url: str, user_agent: str) -> bool:
        """True if ``user_agent`` may fetch ``url`` under this policy."""
        if self.status == "missing":
            return True
        if self.status in {"unreachable", "blocked"} or self._parser is None:
            return False
        return self._parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float | None:
        """The Crawl-delay for ``user_agent`` (capped at 10 s), if the file sets one."""
        if self._parser is None:
            return None
        delay = self._parser.crawl_delay(user_agent)
        return min(float(delay), MAX_CRAWL_DELAY_S) if delay is not None else None


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower().rpartition('@')[2]}"


class RobotsCache:
    """Fetches and caches robots.txt per origin."""

    def __init__(
        self, *, guard: WebGuard, fetcher: GuardedFetcher, product_token: str, timeout_s: float = 10.0
    ) -> None:
        self._guard = guard
        self._fetcher = fetcher
        self.product_token = product_token
        self._timeout_s = timeout_s
        self._policies: dict[str, RobotsPolicy] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def policy(self, url: str) -> RobotsPolicy:
        """The robots policy of ``url``'s origin (fetched once, then cached)."""
        origin = origin_of(url)
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._policies:
                self._policies[origin] = await self._fetch(origin)
            return self._policies[origin]

    async def allowed(self, url: str) -> bool:
        """True if our product token may fetch ``url``."""
        return (await self.policy(url)).allows(url, self.product_token)

    async def _fetch(self, origin: str) -> RobotsPolicy:
        url = f"{origin}/robots.txt"
        for _hop in range(MAX_REDIRECTS + 1):
            decision = await self._guard.check(url)
            if not decision.allowed:
                return RobotsPolicy(origin, "blocked", decision.reason)
            try:
                fetched = await self._fetcher.fetch(
                    url, max_bytes=ROBOTS_MAX_BYTES, timeout_s=self._timeout_s, truncate=True
                )
            except BlockedURL as exc:
                return RobotsPolicy(origin, "blocked", exc.reason)
            except (httpx.HTTPError, TimeoutError) as exc:
                return RobotsPolicy(origin, "unreachable", f"{type(exc).__name__}: {exc}")
            location = fetched.header("location")
            if fetched.status in {301, 302, 303, 307, 308} and location:
                url = urljoin(url, location)
                continue
            if 200 <= fetched.status < 300:
                parser = RobotFileParser(url)
                parser.parse(fetched.body.decode("utf-8", errors="replace").splitlines())
                return RobotsPolicy(origin, "ok", _parser=parser)
            if 400 <= fetched.status < 500:
                return RobotsPolicy(origin, "missing", f"HTTP {fetched.status}")
            return RobotsPolicy(origin, "unreachable", f"HTTP {fetched.status}")
        return RobotsPolicy(origin, "missing", "too many redirects")
