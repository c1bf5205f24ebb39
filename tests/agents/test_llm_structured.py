"""The shared structured-output helpers: strict schemas, the format prompt, bounded re-asks."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from agents.llm import Message, StructuredOutputError
from agents.llm_structured import (
    extract_json,
    generate_structured,
    schema_name,
    strict_schema,
    with_format_instruction,
)


class Inner(BaseModel):
    name: str


class Outer(BaseModel):
    label: Literal["a", "b"]
    items: list[Inner]


class Loose(BaseModel):
    label: str
    score: int = Field(default=0, ge=0)


def test_strict_schema_closes_every_object() -> None:
    schema, strict = strict_schema(Outer.model_json_schema())
    assert strict
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["Inner"]["additionalProperties"] is False
    assert "additionalProperties" not in Outer.model_json_schema()  # the original is untouched


def test_defaults_make_a_schema_non_strict() -> None:
    assert strict_schema(Loose.model_json_schema())[1] is False


def test_schema_names_are_safe_for_openai() -> None:
    class Weird(BaseModel):
        x: int

    Weird.__name__ = "Reply Label (v2)"
    assert schema_name(Weird) == "Reply_Label__v2_"


def test_format_instruction_joins_the_system_message() -> None:
    messages = [Message(role="system", content="Be exact."), Message(role="user", content="Hi")]
    out = with_format_instruction(messages, {"type": "object"})
    assert out[0]["content"].startswith("Be exact.\n\n") and '{"type": "object"}' in out[0]["content"]
    assert messages[0]["content"] == "Be exact."  # not mutated
    only_user = with_format_instruction(messages[1:], {"type": "object"})
    assert [m["role"] for m in only_user] == ["system", "user"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [('  {"a": 1}\n', '{"a": 1}'), ('```json\n{"a": 1}\n```', '{"a": 1}'), ('```\n{"a": 1}```', '{"a": 1}')],
)
def test_extract_json(raw: str, expected: str) -> None:
    assert extract_json(raw) == expected


async def test_reasks_stop_at_the_limit() -> None:
    answers = iter(["nope", '{"label": 5}', '{"label": "ok", "score": -1}', '{"label": "ok"}'])
    seen: list[list[Message]] = []

    async def generate(conversation: list[Message]) -> str:
        seen.append(conversation)
        return next(answers)

    with pytest.raises(StructuredOutputError) as caught:
        await generate_structured([Message(role="user", content="go")], Loose, generate)
    assert caught.value.attempts == 3 and len(seen) == 3
    assert "score" in str(caught.value)  # the last error is named
    assert [len(c) for c in seen] == [1, 3, 5]

    answers = iter(["nope", '{"label": "ok"}'])
    assert await generate_structured([Message(role="user", content="go")], Loose, generate, max_reasks=1) == Loose(
        label="ok"
    )
