"""Web search for lead discovery: one small protocol, adapters for SearXNG and Brave Search.

Both speak JSON over httpx. Failures (HTTP errors, quota, unreadable answers) raise
``SearchError`` with the provider and the reason; an empty result list is not an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel

from tools.errors import SearchError
from tools.settings import Settings

BRAVE_ENDPOINT = "https://api.search.brave.com/res/v1/web/search"


class SearchResult(BaseModel):
    """One hit: title, URL and the snippet the engine showed."""

    title: str
    url: str
    snippet: str = ""


@runtime_checkable
class SearchProvider(Protocol):
    """A web search engine."""

    @property
    def name(self) -> str: ...

    async def search(self, query: str, *, limit: int = 10) -> list[SearchResult]: ...


def _check_query(query: str, limit: int) -> str:
    cleaned = " ".join(query.split())
    if not cleaned:
        raise ValueError("the search query is empty")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return cleaned


async def _get_json(
    client: httpx.AsyncClient, provider: str, url: str, *, params: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    try:
        response = await client.get(url, params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise SearchError(f"{provider}: request failed: {type(exc).__name__}: {exc}") from exc
    if response.status_code == 429:
        raise SearchError(f"{provider}: rate limited (HTTP 429); try again later")
    if response.status_code in {401, 403}:
        raise SearchError(f"{provider}: access denied (HTTP {response.status_code}); check the API key / instance")
    if response.status_code >= 400:
        raise SearchError(f"{provider}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise SearchError(f"{provider}: the answer is not JSON (is the JSON format enabled?)") from exc
    if not isinstance(data, dict):
        raise SearchError(f"{provider}: unexpected answer of type {type(data).__name__}")
    return data


def _results(items: Any, provider: str, *, snippet_key: str, limit: int) -> list[SearchResult]:
    if not isinstance(items, list):
        raise SearchError(f"{provider}: the answer has no result list")
    results: list[SearchResult] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("url"):
            continue
        url = str(item["url"])
        if not url.startswith(("http://", "https://")):
            continue
        results.append(
            SearchResult(title=str(item.get("title") or ""), url=url, snippet=str(item.get(snippet_key) or ""))
        )
        if len(results) >= limit:
            break
    return results


class SearxngSearch:
    """A SearXNG instance (``/search?format=json``; JSON output must be enabled in its settings)."""

    def __init__(self, base_url: str, *, client: httpx.AsyncClient | None = None, timeout_s: float = 15.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"SearXNG URL must start with http:// or https://, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._client = client
        self._timeout_s = timeout_s

    @property
    def name(self) -> str:
        return "searxng"

    async def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        """Up to ``limit`` results, following result pages when the first has fewer."""
        cleaned = _check_query(query, limit)
        results: list[SearchResult] = []
        async with _client_scope(self._client, self._timeout_s) as client:
            for page in range(1, 4):
                data = await _get_json(
                    client,
                    self.name,
                    f"{self.base_url}/search",
                    params={"q": cleaned, "format": "json", "pageno": page},
                    headers={"Accept": "application/json"},
                )
                batch = _results(data.get("results"), self.name, snippet_key="content", limit=limit)
                new = [r for r in batch if r.url not in {seen.url for seen in results}]
                results.extend(new)
                if not new or len(results) >= limit:
                    break
        return results[:limit]


class BraveSearch:
    """Brave Search API (``X-Subscription-Token``)."""

    def __init__(
        self,
        api_key: str,
        *,
        client: httpx.AsyncClient | None = None,
        endpoint: str = BRAVE_ENDPOINT,
        timeout_s: float = 15.0,
        country: str | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("Brave Search needs an API key (OUTREACH_BRAVE_API_KEY)")
        self._api_key = api_key
        self._client = client
        self._endpoint = endpoint
        self._timeout_s = timeout_s
        self._country = country

    @property
    def name(self) -> str:
        return "brave"

    async def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        """Up to ``limit`` (at most 20, the API's page size) results."""
        cleaned = _check_query(query, limit)
        params: dict[str, Any] = {"q": cleaned, "count": min(limit, 20)}
        if self._country:
            params["country"] = self._country
        async with _client_scope(self._client, self._timeout_s) as client:
            data = await _get_json(
                client,
                self.name,
                self._endpoint,
                params=params,
                headers={"Accept": "application/json", "X-Subscription-Token": self._api_key},
            )
        web = data.get("web") or {}
        if not isinstance(web, dict):
            raise SearchError(f"{self.name}: unexpected 'web' section")
        return _results(web.get("results", []), self.name, snippet_key="description", limit=limit)


@asynccontextmanager
async def _client_scope(client: httpx.AsyncClient | None, timeout_s: float) -> AsyncIterator[httpx.AsyncClient]:
    """Use the given client, or a short-lived one closed afterwards."""
    if client is not None:
        yield client
        return
    async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as owned:
        yield owned


def build_search_provider(settings: Settings) -> SearchProvider:
    """The provider ``Settings.search_provider`` names; SearchError when none is configured."""
    if settings.search_provider == "searxng":
        if not settings.searxng_url:
            raise SearchError("search_provider is 'searxng' but OUTREACH_SEARXNG_URL is not set")
        return SearxngSearch(settings.searxng_url)
    if settings.search_provider == "brave":
        if settings.brave_api_key is None or not settings.brave_api_key.get_secret_value():
            raise SearchError("search_provider is 'brave' but OUTREACH_BRAVE_API_KEY is not set")
        return BraveSearch(settings.brave_api_key.get_secret_value())
    raise SearchError("no search provider configured: set OUTREACH_SEARCH_PROVIDER to searxng or brave")
