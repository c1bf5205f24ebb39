"""The one retry layer for OpenAI-compatible endpoints: backoff with jitter, ``Retry-After`` honoured.

The SDK's own retries are switched off (``max_retries=0``) so that a request is retried
here and nowhere else. Retried: 408, 409, 429, 5xx, timeouts and connection errors.
Never retried: other 4xx (bad request, bad key, unknown model) — they raise
``LLMRequestRejected`` at once. When the retries are spent: ``LLMUnavailable``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import openai

from agents.llm import LLMRequestRejected, LLMUnavailable
from tools.crm.types import utcnow

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait. Delays: full jitter over ``base * 2**attempt``, capped."""

    max_retries: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After``: seconds or a date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # '-0000' means UTC without a claim about local time
        when = when.replace(tzinfo=UTC)
    return max(0.0, float((when - utcnow()).total_seconds()))


def backoff_delay(policy: RetryPolicy, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
    """Delay before retry number ``attempt`` (0-based); never shorter than ``retry_after``."""
    jittered = rng() * min(policy.max_delay_s, policy.base_delay_s * 2.0**attempt)
    if retry_after is not None:
        # a little jitter on top so that many clients told the same time do not return together
        return retry_after + rng() * policy.base_delay_s
    return jittered


def _is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


def _unsupported_response_format(exc: openai.APIStatusError) -> bool:
    # llama.cpp's Python server answers json_schema with HTTP 500 and a validation error body
    if exc.status_code != 500:
        return False
    try:
        text = f"{exc} {exc.response.text}"
    except (UnicodeDecodeError, RuntimeError):  # a streamed body that was never read
        text = str(exc)
    return "response_format" in text and "json_object" in text


async def call_with_retries(
    op: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    what: str,
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> T:
    """Await ``op()``, retrying transient failures according to ``policy``."""
    last: Exception | None = None
    for attempt in range(policy.max_retries + 1):
        retry_after: float | None = None
        try:
            return await op()
        except openai.APIStatusError as exc:
            if _unsupported_response_format(exc):
                raise LLMRequestRejected(
                    f"{what}: the endpoint does not support response_format json_schema "
                    "(llama.cpp's Python server): use json_mode 'json_object'"
                ) from exc
            if not _is_retryable_status(exc.status_code):
                raise LLMRequestRejected(f"{what}: HTTP {exc.status_code}: {exc.message}") from exc
            last = exc
            retry_after = retry_after_seconds(exc.response.headers)
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            last = exc
        if attempt == policy.max_retries:
            break
        if retry_after is not None and retry_after > policy.max_retry_after_s:
            raise LLMUnavailable(
                f"{what}: the endpoint asks to retry after {retry_after:.0f} s "
                f"(more than {policy.max_retry_after_s:.0f} s): {last}"
            ) from last
        await sleep(backoff_delay(policy, attempt, retry_after, rng))
    raise LLMUnavailable(f"{what}: gave up after {policy.max_retries + 1} attempts: {last}") from last
