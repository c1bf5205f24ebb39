"""Embedders: the offline hashing default and the OpenAI-compatible endpoint (respx-mocked)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import httpx
import pytest
import respx

from memory.embeddings import EmbeddingCallForbidden, EmbeddingError, HashingEmbedder, OpenAIEmbedder

BASE = "http://embed.test/v1"


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


class TestHashing:
    def test_unit_length_fixed_size_and_deterministic(self) -> None:
        embedder = HashingEmbedder(n_features=256)
        first = embedder.embed(["Spedition in Hamburg", "Bäckerei in München"])
        again = HashingEmbedder(n_features=256).embed(["Spedition in Hamburg", "Bäckerei in München"])
        assert first == again
        assert all(len(v) == 256 and math.isclose(math.sqrt(cosine(v, v)), 1.0, rel_tol=1e-5) for v in first)
        assert embedder.name == "hashing-v1-256"

    def test_shared_words_and_word_pieces_are_close(self) -> None:
        query, related, unrelated = HashingEmbedder().embed(
            [
                "Logistikpartner für Lager in Hamburg",
                "Logistik und Lagerhaltung in Hamburg",
                "Kaffeemaschinen fürs Büro",
            ]
        )
        assert cosine(query, related) > cosine(query, unrelated) + 0.2

    def test_accents_do_not_matter(self) -> None:
        a, b = HashingEmbedder().embed(["Müller Straße", "Muller Strasse"])
        assert cosine(a, b) > 0.5

    def test_bad_input(self) -> None:
        with pytest.raises(EmbeddingError, match="#1 is empty"):
            HashingEmbedder().embed(["ok", "  "])
        with pytest.raises(EmbeddingError, match="not one string"):
            HashingEmbedder().embed("a single string")
        with pytest.raises(ValueError, match="n_features"):
            HashingEmbedder(n_features=4)
        assert HashingEmbedder().embed([]) == []


def embeddings_response(request: httpx.Request) -> httpx.Response:
    texts = json.loads(request.content)["input"]
    data = [
        {"object": "embedding", "index": i, "embedding": [float(len(t)), float(i), 1.0]} for i, t in enumerate(texts)
    ]
    data.reverse()  # the order in the response must not matter
    return httpx.Response(
        200,
        json={"object": "list", "model": "nomic", "data": data, "usage": {"prompt_tokens": 3, "total_tokens": 3}},
    )


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


def make_embedder(**kwargs: object) -> OpenAIEmbedder:
    return OpenAIEmbedder(base_url=BASE, model="nomic", http_client=httpx.Client(), max_retries=0, **kwargs)  # type: ignore[arg-type]


class TestOpenAIEmbedder:
    def test_batches_and_keeps_order(self, router: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("OUTREACH_FORBID_REAL_MODELS")
        route = router.post("/embeddings").mock(side_effect=embeddings_response)
        vectors = make_embedder(batch_size=2).embed(["a", "bb", "ccc"])
        assert vectors == [[1.0, 0.0, 1.0], [2.0, 1.0, 1.0], [3.0, 0.0, 1.0]]
        assert route.call_count == 2
        assert json.loads(route.calls[0].request.content)["model"] == "nomic"

    def test_http_errors_become_embedding_errors(
        self, router: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("OUTREACH_FORBID_REAL_MODELS")
        router.post("/embeddings").mock(return_value=httpx.Response(401, json={"error": {"message": "bad key"}}))
        with pytest.raises(EmbeddingError, match="HTTP 401"):
            make_embedder().embed(["a"])

    def test_forbidden_in_tests_without_opt_in(self, router: respx.MockRouter) -> None:
        route = router.post("/embeddings").mock(side_effect=embeddings_response)
        with pytest.raises(EmbeddingCallForbidden):
            make_embedder().embed(["a"])
        assert route.call_count == 0
