"""OpenAICompatibleLLM against a real OpenAI-compatible server: llama.cpp's, with the bundled model."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from agents.llm import LLMRequestRejected, Message
from agents.llm_openai import OpenAICompatibleLLM
from agents.llm_usage import collect_usage

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("allow_real_models")]


class Sentiment(BaseModel):
    label: Literal["positive", "negative"]


async def test_complete_over_http(llama_server: str) -> None:
    llm = OpenAICompatibleLLM(model="smollm2", base_url=llama_server, max_retries=0)
    with collect_usage() as usages:
        text = await llm.complete([Message(role="user", content="Say hello.")], max_tokens=12)
    await llm.aclose()
    assert text.strip()
    assert usages[0].input_tokens > 0 and 0 < usages[0].output_tokens <= 12
    assert usages[0].latency_s > 0


async def test_structured_over_http_in_json_object_mode(llama_server: str) -> None:
    llm = OpenAICompatibleLLM(model="smollm2", base_url=llama_server, json_mode="json_object", max_retries=0)
    result = await llm.structured(
        [
            Message(role="system", content="Classify the sentiment of the customer's message."),
            Message(role="user", content="I love this product, thank you so much!"),
        ],
        Sentiment,
    )
    await llm.aclose()
    assert isinstance(result, Sentiment)  # the grammar guarantees the shape; the label is the model's call


async def test_json_schema_mode_is_refused_by_llama_cpp_with_a_hint(llama_server: str) -> None:
    llm = OpenAICompatibleLLM(model="smollm2", base_url=llama_server, json_mode="json_schema", max_retries=2)
    with pytest.raises(LLMRequestRejected, match="json_object"):
        await llm.structured([Message(role="user", content="positive or negative: great")], Sentiment)
    await llm.aclose()
