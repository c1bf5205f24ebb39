"""OpenAICompatibleLLM: retries, structured output and re-asks against mocked HTTP (respx)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import format_datetime
from typing import Any, Literal

import httpx
import pytest
import respx
from pydantic import BaseModel

from agents.llm import LLMRequestRejected, LLMUnavailable, Message, RealModelCallForbidden, StructuredOutputError
from agents.llm_openai import OpenAICompatibleLLM, parse_json_mode
from agents.llm_retry import RetryPolicy, backoff_delay, retry_after_seconds
from agents.llm_usage import collect_usage
from tools.crm.types import utcnow

BASE = "http://llm.test/v1"
MESSAGES = [Message(role="system", content="You sort replies."), Message(role="user", content="Danke, kein Bedarf.")]


class Label(BaseModel):
    label: Literal["interested", "not_interested", "out_of_office"]
    confidence: float


class WithDefault(BaseModel):
    label: str
    note: str | None = None


def chat_response(content: str, *, prompt_tokens: int = 11, completion_tokens: int = 3) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "test-model-2024",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
    )


def error_response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={"error": {"message": f"status {status}"}})


class Sleeps:
    """An injectable sleep that records instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def make_llm(sleeps: Sleeps, **kwargs: Any) -> OpenAICompatibleLLM:
    options: dict[str, Any] = {
        "model": "test-model",
        "base_url": BASE,
        "api_key": "sk-test",
        "max_retries": 3,
        "http_client": httpx.AsyncClient(),
        "sleep": sleeps,
        "rng": lambda: 1.0,
    }
    options.update(kwargs)
    return OpenAICompatibleLLM(**options)


def sent_json(route: respx.Route, index: int = -1) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(route.calls[index].request.content)
    return body


@pytest.mark.usefixtures("allow_real_models")
class TestComplete:
    async def test_returns_text_and_reports_usage(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(return_value=chat_response("pong", prompt_tokens=9))
        llm = make_llm(sleeps)
        with collect_usage() as usages:
            text = await llm.complete(MESSAGES, temperature=0.0, max_tokens=5)
        assert text == "pong"
        body = sent_json(route)
        assert body["model"] == "test-model"
        assert body["messages"] == [dict(m) for m in MESSAGES]
        assert body["max_tokens"] == 5 and body["temperature"] == 0.0
        assert "response_format" not in body
        assert route.calls[0].request.headers["authorization"] == "Bearer sk-test"
        assert [(u.model, u.input_tokens, u.output_tokens) for u in usages] == [("test-model", 9, 3)]

    async def test_429_waits_as_long_as_retry_after_says(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(
            side_effect=[error_response(429, {"Retry-After": "7"}), chat_response("ok")]
        )
        llm = make_llm(sleeps, rng=lambda: 0.0)
        assert await llm.complete(MESSAGES) == "ok"
        assert route.call_count == 2
        assert sleeps.calls == [7.0]

    async def test_5xx_and_timeouts_back_off_exponentially(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(
            side_effect=[error_response(500), httpx.ReadTimeout("slow"), error_response(503), chat_response("ok")]
        )
        llm = make_llm(sleeps)  # rng = 1.0: the full backoff window
        assert await llm.complete(MESSAGES) == "ok"
        assert route.call_count == 4
        assert sleeps.calls == [0.5, 1.0, 2.0]

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
    async def test_client_errors_are_never_retried(
        self, router: respx.MockRouter, sleeps: Sleeps, status: int
    ) -> None:
        route = router.post("/chat/completions").mock(return_value=error_response(status))
        with pytest.raises(LLMRequestRejected, match=f"HTTP {status}"):
            await make_llm(sleeps).complete(MESSAGES)
        assert route.call_count == 1
        assert sleeps.calls == []

    async def test_gives_up_after_max_retries(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(return_value=error_response(502))
        with pytest.raises(LLMUnavailable, match="gave up after 4 attempts"):
            await make_llm(sleeps, max_retries=3).complete(MESSAGES)
        assert route.call_count == 4
        assert len(sleeps.calls) == 3

    async def test_connection_errors_are_retried(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(side_effect=[httpx.ConnectError("refused"), chat_response("ok")])
        assert await make_llm(sleeps).complete(MESSAGES) == "ok"
        assert route.call_count == 2

    async def test_too_long_retry_after_fails_instead_of_hanging(
        self, router: respx.MockRouter, sleeps: Sleeps
    ) -> None:
        route = router.post("/chat/completions").mock(return_value=error_response(429, {"Retry-After": "3600"}))
        with pytest.raises(LLMUnavailable, match="retry after 3600 s"):
            await make_llm(sleeps).complete(MESSAGES)
        assert route.call_count == 1
        assert sleeps.calls == []

    async def test_sdk_retries_are_off(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(return_value=error_response(500))
        with pytest.raises(LLMUnavailable):
            await make_llm(sleeps, max_retries=0).complete(MESSAGES)
        assert route.call_count == 1  # one attempt: no hidden second retry layer

    async def test_empty_content_is_an_error(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        response = chat_response("x")
        payload = json.loads(response.content)
        payload["choices"][0]["message"]["content"] = None
        payload["choices"][0]["finish_reason"] = "content_filter"
        router.post("/chat/completions").mock(return_value=httpx.Response(200, json=payload))
        with pytest.raises(Exception, match="finish_reason=content_filter"):
            await make_llm(sleeps).complete(MESSAGES)


@pytest.mark.usefixtures("allow_real_models")
class TestStructured:
    async def test_json_schema_mode_sends_a_strict_schema(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(
            return_value=chat_response('{"label": "not_interested", "confidence": 0.9}')
        )
        result = await make_llm(sleeps).structured(MESSAGES, Label)
        assert result == Label(label="not_interested", confidence=0.9)
        body = sent_json(route)
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["name"] == "Label"
        assert fmt["json_schema"]["strict"] is True
        assert fmt["json_schema"]["schema"]["additionalProperties"] is False
        assert body["messages"] == [dict(m) for m in MESSAGES]  # no schema prose needed

    async def test_optional_fields_are_sent_non_strict(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(return_value=chat_response('{"label": "x"}'))
        assert await make_llm(sleeps).structured(MESSAGES, WithDefault) == WithDefault(label="x")
        assert sent_json(route)["response_format"]["json_schema"]["strict"] is False

    async def test_json_object_mode_for_llama_cpp(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(
            return_value=chat_response('```json\n{"label": "interested", "confidence": 1}\n```')
        )
        result = await make_llm(sleeps, json_mode="json_object").structured(MESSAGES, Label)
        assert result.label == "interested"
        body = sent_json(route)
        assert body["response_format"]["type"] == "json_object"
        assert body["response_format"]["schema"] == Label.model_json_schema()
        assert body["messages"][0]["role"] == "system"
        assert body["messages"][0]["content"].startswith("You sort replies.")
        assert '"not_interested"' in body["messages"][0]["content"]

    async def test_prompt_mode_sends_no_response_format(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(
            return_value=chat_response('{"label": "interested", "confidence": 0.5}')
        )
        await make_llm(sleeps, json_mode="prompt").structured(MESSAGES[1:], Label)
        body = sent_json(route)
        assert "response_format" not in body
        assert body["messages"][0]["role"] == "system" and "JSON schema" in body["messages"][0]["content"]

    async def test_invalid_answer_is_reasked_with_the_error(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(
            side_effect=[
                chat_response("Sure! The label is not_interested."),
                chat_response('{"label": "maybe", "confidence": 0.2}'),
                chat_response('{"label": "not_interested", "confidence": 0.8}'),
            ]
        )
        with collect_usage() as usages:
            result = await make_llm(sleeps).structured(MESSAGES, Label)
        assert result.label == "not_interested"
        assert route.call_count == 3
        second = sent_json(route, 1)["messages"]
        assert second[: len(MESSAGES)] == [dict(m) for m in MESSAGES]
        assert second[-2] == {"role": "assistant", "content": "Sure! The label is not_interested."}
        assert second[-1]["role"] == "user" and "invalid" in second[-1]["content"]
        third = sent_json(route, 2)["messages"]
        assert third[-2]["content"] == '{"label": "maybe", "confidence": 0.2}'
        assert "label" in third[-1]["content"]
        assert len(usages) == 3  # every request is accounted, re-asks included

    async def test_fails_after_two_reasks(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(return_value=chat_response('{"label": "unsure"}'))
        with pytest.raises(StructuredOutputError) as caught:
            await make_llm(sleeps).structured(MESSAGES, Label)
        assert caught.value.attempts == 3
        assert caught.value.last_output == '{"label": "unsure"}'
        assert route.call_count == 3
        assert sleeps.calls == []  # invalid output is re-asked, not retried

    async def test_llama_cpp_json_schema_500_is_not_retried(self, router: respx.MockRouter, sleeps: Sleeps) -> None:
        route = router.post("/chat/completions").mock(
            return_value=httpx.Response(
                500,
                text="1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
                "'msg': \"Input should be 'text' or 'json_object'\"}",
            )
        )
        with pytest.raises(LLMRequestRejected, match="use json_mode 'json_object'"):
            await make_llm(sleeps).structured(MESSAGES, Label)
        assert route.call_count == 1


async def test_forbidden_without_opt_in(router: respx.MockRouter, sleeps: Sleeps) -> None:
    route = router.post("/chat/completions").mock(return_value=chat_response("pong"))
    llm = make_llm(sleeps)
    with pytest.raises(RealModelCallForbidden, match="allow_real_models"):
        await llm.complete(MESSAGES)
    with pytest.raises(RealModelCallForbidden):
        await llm.structured(MESSAGES, Label)
    assert route.call_count == 0


def test_unknown_json_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown json_mode 'xml'"):
        parse_json_mode("xml")


class TestRetryAfter:
    def test_seconds_milliseconds_and_dates(self) -> None:
        assert retry_after_seconds({"retry-after": "12"}) == 12.0
        assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
        assert retry_after_seconds({}) is None
        assert retry_after_seconds({"retry-after": "soon"}) is None
        from datetime import timedelta

        later = format_datetime(utcnow() + timedelta(seconds=30), usegmt=True)
        seconds = retry_after_seconds({"retry-after": later})
        assert seconds is not None and 25 <= seconds <= 30

    def test_backoff_is_capped_and_jittered(self) -> None:
        policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0)
        assert backoff_delay(policy, 0, None, lambda: 1.0) == 1.0
        assert backoff_delay(policy, 10, None, lambda: 1.0) == 5.0
        assert backoff_delay(policy, 10, None, lambda: 0.25) == 1.25
        assert backoff_delay(policy, 3, 4.0, lambda: 0.0) == 4.0
