"""Search adapters against recorded SearXNG and Brave answers (respx; nothing leaves the process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from tools.errors import SearchError
from tools.search import BRAVE_ENDPOINT, BraveSearch, SearchProvider, SearxngSearch, build_search_provider
from tools.settings import Settings

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "search"
SEARXNG = "https://searx.example.org"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


@respx.mock
async def test_searxng_reads_results_and_follows_pages_until_the_limit() -> None:
    route = respx.get(f"{SEARXNG}/search").mock(
        side_effect=[
            httpx.Response(200, json=recorded("searxng_page1.json")),
            httpx.Response(200, json=recorded("searxng_page2.json")),
        ]
    )
    results = await SearxngSearch(SEARXNG + "/").search("  Sondermaschinenbau   Stuttgart ", limit=4)
    assert [r.url for r in results] == [
        "https://www.mueller-maschinenbau.de/",
        "https://www.linkedin.com/company/mueller-maschinenbau",
        "https://schmitt-sondermaschinen.de/unternehmen",
        "https://www.kraft-automation.de/",
    ]
    assert results[0].snippet.startswith("Seit 1987")
    first, second = (call.request for call in route.calls)
    assert first.url.params["q"] == "Sondermaschinenbau Stuttgart"
    assert first.url.params["format"] == "json"
    assert (first.url.params["pageno"], second.url.params["pageno"]) == ("1", "2")


@respx.mock
async def test_searxng_stops_when_a_page_brings_nothing_new() -> None:
    route = respx.get(f"{SEARXNG}/search").mock(
        side_effect=[
            httpx.Response(200, json=recorded("searxng_page1.json")),
            httpx.Response(200, json=recorded("searxng_empty.json")),
        ]
    )
    results = await SearxngSearch(SEARXNG).search("Sondermaschinenbau Stuttgart", limit=10)
    assert len(results) == 3 and route.call_count == 2


@respx.mock
async def test_brave_sends_the_key_and_reads_web_results() -> None:
    route = respx.get(BRAVE_ENDPOINT).mock(return_value=httpx.Response(200, json=recorded("brave_web.json")))
    results = await BraveSearch("brave-key", country="de").search("Kontraktlogistik Leipzig", limit=30)
    assert [(r.title, r.url) for r in results] == [
        ("Kessler Logistik – Kontraktlogistik aus Leipzig", "https://www.kessler-logistik.de/"),
        ("Lagerlogistik Sachsen GmbH | Fulfillment", "https://lagerlogistik-sachsen.de/fulfillment"),
    ]
    request = route.calls.last.request
    assert request.headers["X-Subscription-Token"] == "brave-key"
    assert request.url.params["count"] == "20"  # the API's maximum page size
    assert request.url.params["country"] == "de"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(429, json={"error": "rate"}), "rate limited"),
        (httpx.Response(401, json={"error": "key"}), "access denied"),
        (httpx.Response(503, text="down"), "HTTP 503"),
        (httpx.Response(200, text="<html>format not allowed</html>"), "not JSON"),
        (httpx.Response(200, json=[1, 2]), "unexpected answer"),
        (httpx.Response(200, json={"web": "nope"}), "unexpected 'web'"),
        (httpx.Response(200, json={"web": {"results": {"a": 1}}}), "no result list"),
    ],
)
@respx.mock
async def test_brave_failures_are_search_errors_with_a_reason(response: httpx.Response, message: str) -> None:
    respx.get(BRAVE_ENDPOINT).mock(return_value=response)
    with pytest.raises(SearchError, match=message):
        await BraveSearch("k").search("x")


@respx.mock
async def test_network_failure_and_missing_results_are_search_errors() -> None:
    respx.get(f"{SEARXNG}/search").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(SearchError, match="searxng: request failed: ConnectError"):
        await SearxngSearch(SEARXNG).search("x")
    respx.get(f"{SEARXNG}/search").mock(return_value=httpx.Response(200, json={"query": "x"}))
    with pytest.raises(SearchError, match="no result list"):
        await SearxngSearch(SEARXNG).search("x")


async def test_bad_input_is_refused_before_any_request() -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.get(f"{SEARXNG}/search")
        with pytest.raises(ValueError, match="empty"):
            await SearxngSearch(SEARXNG).search("   ")
        with pytest.raises(ValueError, match="at least 1"):
            await SearxngSearch(SEARXNG).search("x", limit=0)
        assert not route.called
    with pytest.raises(ValueError, match="http"):
        SearxngSearch("searx.example.org")
    with pytest.raises(ValueError, match="API key"):
        BraveSearch("")


def test_providers_are_built_from_settings(tmp_path: Path) -> None:
    searx = build_search_provider(Settings(data_dir=tmp_path, search_provider="searxng", searxng_url=SEARXNG))
    assert isinstance(searx, SearxngSearch) and isinstance(searx, SearchProvider)
    brave = build_search_provider(
        Settings(data_dir=tmp_path, search_provider="brave", brave_api_key=SecretStr("k"))
    )
    assert brave.name == "brave"
    for broken in (
        Settings(data_dir=tmp_path),
        Settings(data_dir=tmp_path, search_provider="searxng"),
        Settings(data_dir=tmp_path, search_provider="brave"),
    ):
        with pytest.raises(SearchError):
            build_search_provider(broken)
