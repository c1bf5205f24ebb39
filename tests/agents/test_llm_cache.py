"""CachedLLM: temperature-0 answers come back from the SQLite file; hits are accounted as cached."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from agents.accounting import AccountedLLM
from agents.llm import Message, StructuredOutputError
from agents.llm_cache import CachedLLM, cache_key
from agents.llm_usage import collect_usage
from agents.testing import ScriptedLLM
from tools.crm.models import LLMCall

PROMPT = [Message(role="system", content="Be brief."), Message(role="user", content="Hallo?")]


class Label(BaseModel):
    label: str


@pytest.fixture
def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "llm-cache.sqlite3"


async def test_second_identical_call_is_served_from_the_file(cache_file: Path) -> None:
    inner = ScriptedLLM(["Guten Tag."])
    llm = CachedLLM(inner, cache_file)
    assert await llm.complete(PROMPT, max_tokens=20) == "Guten Tag."
    with collect_usage() as usages:
        assert await llm.complete(PROMPT, max_tokens=20) == "Guten Tag."
    # and from a new process's view: a fresh wrapper on the same file
    assert await CachedLLM(ScriptedLLM([]), cache_file).complete(PROMPT, max_tokens=20) == "Guten Tag."
    inner.assert_complete()
    assert len(inner.calls) == 1
    assert len(usages) == 1 and usages[0].cached and usages[0].input_tokens > 0


async def test_anything_that_changes_the_answer_changes_the_key(cache_file: Path) -> None:
    inner = ScriptedLLM(["a", "b", "c", "d", "e"])
    llm = CachedLLM(inner, cache_file)
    await llm.complete(PROMPT)
    await llm.complete(PROMPT, max_tokens=5)
    await llm.complete([*PROMPT, Message(role="user", content="Noch da?")])
    await CachedLLM(ScriptedLLM(["x"], model_name="other-model"), cache_file).complete(PROMPT)
    await llm.complete(PROMPT, temperature=0.7)  # never cached
    assert await llm.complete(PROMPT, temperature=0.7) == "e"
    inner.assert_complete()
    assert llm.store.count() == 4


def test_key_covers_model_messages_schema_temperature_and_max_tokens() -> None:
    base = {"model": "m", "kind": "structured", "messages": PROMPT, "schema": {"a": 1}, "temperature": 0.0,
            "max_tokens": None}
    keys = {
        cache_key(**base),  # type: ignore[arg-type]
        cache_key(**{**base, "model": "n"}),  # type: ignore[arg-type]
        cache_key(**{**base, "schema": {"a": 2}}),  # type: ignore[arg-type]
        cache_key(**{**base, "max_tokens": 3}),  # type: ignore[arg-type]
        cache_key(**{**base, "messages": PROMPT[:1]}),  # type: ignore[arg-type]
    }
    assert len(keys) == 5
    assert cache_key(**base) == cache_key(**dict(base))  # type: ignore[arg-type]


async def test_structured_answers_are_cached_validated(cache_file: Path) -> None:
    inner = ScriptedLLM([Label(label="interested")])
    llm = CachedLLM(inner, cache_file)
    assert await llm.structured(PROMPT, Label) == Label(label="interested")
    assert await llm.structured(PROMPT, Label) == Label(label="interested")
    inner.assert_complete()
    assert len(inner.calls) == 1


async def test_failed_calls_leave_nothing_in_the_cache(cache_file: Path) -> None:
    inner = ScriptedLLM(["not json", Label(label="ok")])
    llm = CachedLLM(inner, cache_file)
    with pytest.raises(StructuredOutputError):
        await llm.structured(PROMPT, Label)
    assert llm.store.count() == 0
    assert await llm.structured(PROMPT, Label) == Label(label="ok")  # asked again, not a cached failure
    inner.assert_complete()


async def test_hits_are_accounted_as_cached_at_zero_cost(cache_file: Path, engine: Engine) -> None:
    inner = ScriptedLLM(["Guten Tag."], model_name="gpt-4o")
    llm = AccountedLLM(CachedLLM(inner, cache_file), engine, prices={"gpt-4o": (2.5, 10.0)})
    await llm.complete(PROMPT)
    await llm.complete(PROMPT)
    with Session(engine) as session:
        miss, hit = session.exec(select(LLMCall).order_by(col(LLMCall.at))).all()
    assert not miss.cached and miss.cost_usd > 0
    assert hit.cached and hit.cost_usd == 0.0
    assert (hit.input_tokens, hit.output_tokens) == (miss.input_tokens, miss.output_tokens)
