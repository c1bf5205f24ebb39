"""Text embeddings for the vector memory.

Two implementations behind one small protocol:

``HashingEmbedder`` (default, offline)
    scikit-learn's ``HashingVectorizer`` over word 1–2-grams and character 3–5-grams,
    L2-normalised. Needs no download and no model, and is deterministic — but it is
    **lexical, not semantic**: it finds texts that share words and word pieces
    ("Logistik", "Logistiker"), not texts that mean the same in other words.
``OpenAIEmbedder``
    any OpenAI-compatible ``/v1/embeddings`` endpoint (``OUTREACH_EMBEDDING_BASE_URL``):
    OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp's server started with embeddings on.

Embeddings are always computed here and handed to chromadb explicitly; chromadb's default
embedding function (which downloads a model at run time) is never used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import httpx

FORBID_REAL_MODELS_ENV = "OUTREACH_FORBID_REAL_MODELS"  # the switch agents.llm_guard reads, too


class EmbeddingError(Exception):
    """Texts could not be embedded (bad input, unreachable or refusing endpoint)."""


class EmbeddingCallForbidden(EmbeddingError):
    """A remote embedding model was called inside the test suite without opting in."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of a fixed size; ``name`` identifies the vector space."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def _check_texts(texts: Sequence[str]) -> None:
    if isinstance(texts, str):
        raise EmbeddingError("embed() takes a list of texts, not one string")
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise EmbeddingError(f"text #{index} is empty; there is nothing to embed")


class HashingEmbedder:
    """Offline lexical embeddings: hashed word and character n-grams, L2-normalised."""

    def __init__(self, n_features: int = 512) -> None:
        if n_features < 16:
            raise ValueError("n_features must be at least 16")
        self.n_features = n_features
        self._vectorizers: tuple[Any, Any] | None = None

    @property
    def name(self) -> str:
        return f"hashing-v1-{self.n_features}"

    def _build(self) -> tuple[Any, Any]:
        from sklearn.feature_extraction.text import HashingVectorizer

        common: dict[str, Any] = {
            "n_features": self.n_features,
            "lowercase": True,
            "strip_accents": "unicode",
            "norm": "l2",
        }
        words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), **common)
        chars = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common)
        return words, chars

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector per text (words and characters weighted equally)."""
        _check_texts(texts)
        if not texts:
            return []
        import numpy as np
        from sklearn.preprocessing import normalize

        if self._vectorizers is None:
            self._vectorizers = self._build()
        words, chars = self._vectorizers
        matrix = words.transform(texts) + chars.transform(texts)
        dense = normalize(matrix, norm="l2").toarray().astype(np.float32)
        return [row.tolist() for row in dense]


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint (the SDK's retries are the one retry layer)."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        batch_size: int = 128,
        http_client: httpx.Client | None = None,
    ) -> None:
        import openai

        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model = model
        self.base_url = base_url
        self._batch_size = batch_size
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "no-key",
            timeout=timeout_s,
            max_retries=max_retries,
            http_client=http_client,  # type: ignore[arg-type]  # the SDK accepts legacy httpx
        )

    @property
    def name(self) -> str:
        return f"openai-{self.model}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order; batched requests."""
        import openai

        _check_texts(texts)
        if os.environ.get(FORBID_REAL_MODELS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
            raise EmbeddingCallForbidden(
                f"embedding endpoint {self.base_url} called while {FORBID_REAL_MODELS_ENV} is set"
            )
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            try:
                response = self._client.embeddings.create(model=self.model, input=batch)
            except openai.APIStatusError as exc:
                raise EmbeddingError(
                    f"embedding endpoint {self.base_url} answered HTTP {exc.status_code}: {exc.message}"
                ) from exc
            except openai.APIConnectionError as exc:
                raise EmbeddingError(f"embedding endpoint {self.base_url} unreachable: {exc}") from exc
            items = sorted(response.data, key=lambda item: item.index)
            if len(items) != len(batch):
                raise EmbeddingError(f"asked for {len(batch)} embeddings, got {len(items)}")
            vectors.extend([float(x) for x in item.embedding] for item in items)
        if vectors and len({len(v) for v in vectors}) != 1:
            raise EmbeddingError("the endpoint returned vectors of different sizes")
        return vectors
