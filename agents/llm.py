"""The one interface every agent uses to talk to a language model.

Implementations: ``agents.llm_openai.OpenAICompatibleLLM`` (any OpenAI-compatible
endpoint), ``agents.llm_local.LocalLLM`` (embedded llama.cpp) and
``agents.testing.ScriptedLLM`` (tests). ``agents.deps`` picks one from settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, TypedDict, TypeVar, runtime_checkable

from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)


class Message(TypedDict):
    """One chat message, in the OpenAI chat format."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class CallContext:
    """Who is asking: recorded with every call for accounting and traces."""

    prompt_id: str | None = None
    prompt_version: str | None = None
    agent: str | None = None
    campaign_id: str | None = None
    lead_id: str | None = None


@dataclass
class Usage:
    """Token counts and timing of one model call."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False
    extra: dict[str, object] = field(default_factory=dict)


class LLMError(Exception):
    """Base class of model-layer failures."""


class LLMUnavailable(LLMError):
    """The model cannot be reached or loaded (after retries)."""


class LLMRequestRejected(LLMError):
    """The endpoint refused the request (400/401/403/404); retrying would not help."""


class StructuredOutputError(LLMError):
    """The model did not produce valid output for the schema after the allowed re-asks."""

    def __init__(self, message: str, *, attempts: int, last_output: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_output = last_output


class RealModelCallForbidden(LLMError):
    """A real model was called inside the test suite without opting in."""


@runtime_checkable
class LLM(Protocol):
    """An async chat model. ``structured`` returns a validated instance of ``schema``."""

    @property
    def model_name(self) -> str: ...

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str: ...

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT: ...
