"""A scripted model for tests: replays answers, records every call, fails if the flow ended early.

Usage::

    llm = ScriptedLLM(["plain text", MyModel(label="x")])
    ... run the flow with llm ...
    llm.assert_complete()

An answer may be a string (for ``complete``, or JSON for ``structured``), a Pydantic
instance (for ``structured``), an exception instance (raised), or a callable
``(ScriptedCall) -> answer`` computing it from the request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agents.llm import CallContext, Message, ModelT, StructuredOutputError, Usage
from agents.llm_usage import estimate_tokens, report_usage

Answer = str | BaseModel | BaseException | Callable[["ScriptedCall"], Any]


class ScriptExhausted(AssertionError):
    """The flow asked the scripted model more often than the script allows."""


class ScriptNotFinished(AssertionError):
    """The flow ended before consuming every scripted answer."""


@dataclass
class ScriptedCall:
    """One recorded request."""

    kind: str  # "complete" | "structured"
    messages: list[Message]
    schema: type[BaseModel] | None
    temperature: float
    context: CallContext | None

    @property
    def prompt_text(self) -> str:
        """All message contents joined, for easy assertions."""
        return "\n".join(m["content"] for m in self.messages)


class ScriptedLLM:
    """Replays queued answers (or computes them with ``respond``) and records every call."""

    def __init__(
        self,
        answers: Iterable[Answer] = (),
        *,
        respond: Callable[[ScriptedCall], Any] | None = None,
        model_name: str = "scripted",
    ) -> None:
        self._queue: list[Answer] = list(answers)
        self._respond = respond
        self._model_name = model_name
        self.calls: list[ScriptedCall] = []

    @property
    def model_name(self) -> str:
        return self._model_name

    def add(self, *answers: Answer) -> None:
        """Queue more answers."""
        self._queue.extend(answers)

    @property
    def remaining(self) -> int:
        return len(self._queue)

    def assert_complete(self) -> None:
        """Fail if queued answers were never asked for."""
        if self._queue:
            raise ScriptNotFinished(f"{len(self._queue)} scripted answer(s) never used after {len(self.calls)} call(s)")

    def _report(self, call: ScriptedCall, output: str) -> None:
        """Report estimated token usage (~4 characters a token), as a real client reports real usage."""
        report_usage(
            Usage(
                model=self._model_name,
                input_tokens=estimate_tokens(call.prompt_text),
                output_tokens=estimate_tokens(output),
            )
        )

    def _next(self, call: ScriptedCall) -> Any:
        self.calls.append(call)
        if self._queue:
            answer: Any = self._queue.pop(0)
        elif self._respond is not None:
            answer = self._respond
        else:
            raise ScriptExhausted(f"unexpected model call #{len(self.calls)} ({call.kind}); the script is empty")
        if callable(answer) and not isinstance(answer, (BaseModel, BaseException)):
            answer = answer(call)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        call = ScriptedCall("complete", list(messages), None, temperature, context)
        answer = self._next(call)
        text = answer.model_dump_json() if isinstance(answer, BaseModel) else str(answer)
        self._report(call, text)
        return text

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT:
        call = ScriptedCall("structured", list(messages), schema, temperature, context)
        answer = self._next(call)
        if isinstance(answer, schema):
            self._report(call, answer.model_dump_json())
            return answer
        raw = answer.model_dump_json() if isinstance(answer, BaseModel) else answer
        if isinstance(raw, dict):
            raw = json.dumps(raw)
        self._report(call, str(raw))
        try:
            return schema.model_validate_json(str(raw))
        except ValidationError as exc:
            raise StructuredOutputError(
                f"scripted answer does not fit {schema.__name__}: {exc.errors()[0]['msg']}",
                attempts=1,
                last_output=str(raw),
            ) from exc
