"""build_llm / build_embedder / build_memory choose and wrap clients from settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from agents.accounting import AccountedLLM
from agents.deps import build_embedder, build_llm, build_memory
from agents.llm import LLM
from agents.llm_cache import CachedLLM
from agents.llm_local import LocalLLM
from agents.llm_openai import OpenAICompatibleLLM
from memory.embeddings import HashingEmbedder, OpenAIEmbedder
from memory.types import Interaction
from tools.settings import Settings, load_settings


def test_endpoint_configured_gives_the_openai_client(settings: Settings) -> None:
    configured = settings.model_copy(
        update={"llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "qwen2.5", "llm_api_key": SecretStr("k")}
    )
    llm = build_llm(configured)
    assert isinstance(llm, OpenAICompatibleLLM)
    assert isinstance(llm, LLM)
    assert llm.model_name == "qwen2.5" and llm.base_url == "http://127.0.0.1:9/v1"
    assert llm.json_mode == "json_schema"


def test_json_mode_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OUTREACH_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OUTREACH_LLM_JSON_MODE", "json_object")
    llm = build_llm(load_settings())
    assert isinstance(llm, OpenAICompatibleLLM) and llm.json_mode == "json_object"
    monkeypatch.setenv("OUTREACH_LLM_JSON_MODE", "yaml")
    with pytest.raises(ValueError, match="llm_json_mode"):
        load_settings()


def test_no_endpoint_gives_the_embedded_model(settings: Settings) -> None:
    llm = build_llm(settings)
    assert isinstance(llm, LocalLLM)
    assert llm.model_name.startswith("local/")


def test_wrappers_cache_inside_accounting(settings: Settings, engine: Engine) -> None:
    llm = build_llm(settings, engine=engine, cache=True)
    assert isinstance(llm, AccountedLLM)
    assert isinstance(llm.inner, CachedLLM)
    assert isinstance(llm.inner.inner, LocalLLM)
    assert llm.inner.store.path == settings.cache_dir / "llm-cache.sqlite3"
    assert llm.model_name == llm.inner.inner.model_name


def test_cache_follows_the_setting_unless_overridden(settings: Settings) -> None:
    assert isinstance(build_llm(settings), LocalLLM)
    cached = settings.model_copy(update={"llm_cache": True})
    assert isinstance(build_llm(cached), CachedLLM)
    assert isinstance(build_llm(cached, cache=False), LocalLLM)


def test_embedder_choice(settings: Settings) -> None:
    assert isinstance(build_embedder(settings), HashingEmbedder)
    remote = settings.model_copy(update={"embedding_base_url": "http://127.0.0.1:9/v1"})
    embedder = build_embedder(remote)
    assert isinstance(embedder, OpenAIEmbedder) and embedder.name == "openai-text-embedding-3-small"


def test_memory_defaults_to_files_in_the_data_dir(settings: Settings) -> None:
    memory = build_memory(settings)
    memory.add([Interaction(id="n1", kind="research_note", text="Spedition in Bremen", contact="c1")])
    assert Path(settings.chroma_dir).is_dir()
    assert [item.id for item in build_memory(settings).for_contact("c1")] == ["n1"]
