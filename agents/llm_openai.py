"""A client for any OpenAI-compatible chat endpoint: OpenAI, Azure OpenAI (v1), Ollama, vLLM, llama.cpp.

Structured output is requested per endpoint with ``json_mode``:

``json_schema`` (default)
    ``response_format={"type": "json_schema", ...}``, strict when the schema allows it.
    OpenAI, Azure OpenAI, vLLM, Ollama and llama.cpp's C++ ``llama-server``.
``json_object``
    ``response_format={"type": "json_object", "schema": ...}`` plus the schema in the
    system prompt: llama.cpp's Python server (``python -m llama_cpp.server``), which
    answers ``json_schema`` with HTTP 500.
``prompt``
    no ``response_format``; the schema is only in the system prompt. For endpoints that
    support neither.

Whatever the mode, the answer is validated with Pydantic and re-asked at most twice.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable
from typing import Any, Literal, get_args

import httpx
import openai
from openai.types.chat import ChatCompletion

from agents.llm import CallContext, LLMError, Message, ModelT, Usage
from agents.llm_guard import ensure_real_models_allowed
from agents.llm_retry import RetryPolicy, Sleep, call_with_retries
from agents.llm_structured import (
    generate_structured,
    schema_name,
    schema_of,
    strict_schema,
    with_format_instruction,
)
from agents.llm_usage import report_usage

JsonMode = Literal["json_schema", "json_object", "prompt"]
JSON_MODES: tuple[str, ...] = get_args(JsonMode)


def parse_json_mode(value: str) -> JsonMode:
    """Validate a json_mode string (from settings or the environment)."""
    if value not in JSON_MODES:
        raise ValueError(f"unknown json_mode {value!r}: use one of {', '.join(JSON_MODES)}")
    return value  # type: ignore[return-value]


class OpenAICompatibleLLM:
    """Chat completions over HTTP with one retry layer, a concurrency cap and validated JSON.

    Its connection pool belongs to the event loop that first uses it: build one client per
    loop (``agents.deps.build_llm``) rather than sharing one across ``asyncio.run`` calls.
    """

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        concurrency: int = 4,
        json_mode: JsonMode = "json_schema",
        http_client: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._model = model
        self._json_mode = parse_json_mode(json_mode)
        self._policy = RetryPolicy(max_retries=max_retries)
        self._sleep = sleep
        self._rng = rng
        self._semaphore = asyncio.Semaphore(concurrency)
        self.base_url = base_url
        # max_retries=0: retries happen in agents.llm_retry only, never twice
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            # local servers (Ollama, vLLM, llama.cpp) need no key, but the SDK insists on one
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "no-key",
            timeout=timeout_s,
            max_retries=0,
            http_client=http_client,  # type: ignore[arg-type]  # the SDK accepts legacy httpx
        )

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def json_mode(self) -> JsonMode:
        return self._json_mode

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        """One chat completion; returns the assistant's text."""
        return await self._chat(messages, temperature=temperature, max_tokens=max_tokens)

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT:
        """A validated ``schema`` instance; invalid answers are re-asked at most twice."""
        json_schema = schema_of(schema)
        response_format: dict[str, Any] | None
        if self._json_mode == "json_schema":
            strict_variant, strict = strict_schema(json_schema)
            response_format = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_name(schema),
                    "schema": strict_variant if strict else json_schema,
                    "strict": strict,
                },
            }
            prompt = list(messages)
        elif self._json_mode == "json_object":
            response_format = {"type": "json_object", "schema": json_schema}
            prompt = with_format_instruction(messages, json_schema)
        else:
            response_format = None
            prompt = with_format_instruction(messages, json_schema)

        async def generate(conversation: list[Message]) -> str:
            return await self._chat(
                conversation,
                temperature=temperature,
                max_tokens=max_tokens,
                response_format=response_format,
            )

        return await generate_structured(prompt, schema, generate)

    async def _chat(
        self,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int | None,
        response_format: dict[str, Any] | None = None,
    ) -> str:
        ensure_real_models_allowed(f"OpenAICompatibleLLM({self._model} at {self.base_url})")
        kwargs: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "temperature": temperature,
        }
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if response_format is not None:
            kwargs["response_format"] = response_format
        async with self._semaphore:
            started = time.perf_counter()
            completion: ChatCompletion = await call_with_retries(
                lambda: self._client.chat.completions.create(**kwargs),
                policy=self._policy,
                what=f"{self._model} at {self.base_url}",
                sleep=self._sleep,
                rng=self._rng,
            )
            latency = time.perf_counter() - started
        usage = completion.usage
        report_usage(
            Usage(
                model=self._model,
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
                latency_s=latency,
                extra={"endpoint_model": completion.model},
            )
        )
        if not completion.choices:
            raise LLMError(f"{self._model} returned no choices")
        choice = completion.choices[0]
        content = choice.message.content
        if content is None:
            refusal = getattr(choice.message, "refusal", None)
            raise LLMError(
                f"{self._model} returned no text (finish_reason={choice.finish_reason}"
                + (f", refusal: {refusal}" if refusal else "")
                + ")"
            )
        return content
