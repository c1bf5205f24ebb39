"""The one place where model clients and the memory are built from settings.

Nothing here runs at import time, and the heavy libraries (openai, llama.cpp, chromadb)
are imported only when something is built, so importing this module stays cheap for
CLI commands that never touch a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from agents.llm import LLM
    from memory.embeddings import Embedder
    from memory.store import VectorMemory

CACHE_FILE = "llm-cache.sqlite3"


def build_llm(settings: Settings, *, engine: Engine | None = None, cache: bool | None = None) -> LLM:
    """The configured model: OpenAI-compatible if ``llm_base_url`` is set, else the embedded one.

    Wrapped in the response cache when ``cache`` (default: ``settings.llm_cache``; evals pass
    True) and, given an ``engine``, in accounting — outermost, so cache hits are recorded.
    """
    llm: LLM
    if settings.llm_base_url:
        from agents.llm_openai import OpenAICompatibleLLM

        llm = OpenAICompatibleLLM(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            concurrency=settings.llm_concurrency,
            json_mode=settings.llm_json_mode,
        )
    else:
        from agents.llm_local import LocalLLM

        llm = LocalLLM(settings.local_model_path, n_threads=settings.local_model_threads)
    if settings.llm_cache if cache is None else cache:
        from agents.llm_cache import CachedLLM

        llm = CachedLLM(llm, settings.cache_dir / CACHE_FILE)
    if engine is not None:
        from agents.accounting import AccountedLLM

        llm = AccountedLLM(llm, engine, prices=settings.llm_prices)
    return llm


def build_embedder(settings: Settings) -> Embedder:
    """Embeddings from ``embedding_base_url`` if set, else the offline lexical hashing embedder."""
    from memory.embeddings import HashingEmbedder, OpenAIEmbedder

    if settings.embedding_base_url:
        return OpenAIEmbedder(
            base_url=settings.embedding_base_url,
            model=settings.embedding_model,
            api_key=settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )
    return HashingEmbedder()


def build_memory(settings: Settings, *, embedder: Embedder | None = None) -> VectorMemory:
    """The vector memory: a chroma server if ``chroma_url`` is set, else files in ``chroma_dir``."""
    from memory.store import VectorMemory, http_client, persistent_client

    client = http_client(settings.chroma_url) if settings.chroma_url else persistent_client(settings.chroma_dir)
    return VectorMemory(client, embedder or build_embedder(settings))
