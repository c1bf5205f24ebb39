"""An end-to-end check of the configured model: one short request, timed and counted."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from agents.llm import LLM, CallContext, Message
from agents.llm_usage import collect_usage, total_usage

PING_PROMPT = "Reply with exactly one word: pong"
PING_CONTEXT = CallContext(prompt_id="llm.ping", prompt_version="1", agent="ping")


@dataclass(frozen=True)
class PingResult:
    """What one ping measured."""

    model: str
    reply: str
    latency_s: float
    input_tokens: int
    output_tokens: int
    tokens_per_s: float
    cached: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


async def ping_model(llm: LLM, *, max_tokens: int = 16) -> PingResult:
    """Send one tiny request to ``llm``; raises the model layer's LLMError on failure."""
    messages = [Message(role="user", content=PING_PROMPT)]
    started = time.perf_counter()
    with collect_usage() as usages:
        reply = await llm.complete(messages, temperature=0.0, max_tokens=max_tokens, context=PING_CONTEXT)
    latency = time.perf_counter() - started
    usage = total_usage(usages, model=llm.model_name)
    return PingResult(
        model=usage.model,
        reply=reply.strip(),
        latency_s=round(latency, 4),
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        tokens_per_s=round(usage.output_tokens / latency, 1) if latency > 0 else 0.0,
        cached=usage.cached,
    )
