"""Structured output shared by the real clients: JSON schemas, the format prompt, bounded re-asks.

A client supplies one coroutine that sends a conversation and returns the raw text; this
module validates the text against the Pydantic model and, when it does not fit, appends
the bad answer and the validation error and asks again — at most ``MAX_REASKS`` times —
before raising ``StructuredOutputError``. Nothing but the model is called on the way, so
a failure has no side effect.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from agents.llm import Message, ModelT, StructuredOutputError

MAX_REASKS = 2

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)
_NAME_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a Pydantic model, as sent to the model."""
    return model.model_json_schema()


def schema_name(model: type[BaseModel]) -> str:
    """A name acceptable to OpenAI's ``json_schema.name`` (``^[a-zA-Z0-9_-]{1,64}$``)."""
    return _NAME_UNSAFE.sub("_", model.__name__)[:64] or "output"


def strict_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A copy with ``additionalProperties: false`` on every object, and whether strict mode fits.

    OpenAI's strict mode needs every property required and no defaults; a schema with an
    optional field is sent non-strict (still schema-guided) and validated here instead.
    """
    result = copy.deepcopy(schema)
    strict = True

    def visit(node: Any) -> None:
        nonlocal strict
        if isinstance(node, dict):
            if "default" in node:
                strict = False
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
                if set(node["properties"]) != set(node.get("required", [])):
                    strict = False
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(result)
    return result, strict


def format_instruction(schema: dict[str, Any]) -> str:
    """The instruction that asks for JSON matching ``schema`` (for endpoints without strict mode)."""
    return (
        "Answer with one JSON object only, no prose and no code fence. "
        f"It must match this JSON schema:\n{json.dumps(schema, ensure_ascii=False)}"
    )


def with_format_instruction(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """The messages with the JSON instruction appended to the system message (or one added)."""
    instruction = format_instruction(schema)
    out = [Message(role=m["role"], content=m["content"]) for m in messages]
    if out and out[0]["role"] == "system":
        out[0] = Message(role="system", content=f"{out[0]['content']}\n\n{instruction}")
    else:
        out.insert(0, Message(role="system", content=instruction))
    return out


def extract_json(raw: str) -> str:
    """The JSON text of an answer, without surrounding whitespace or a Markdown code fence."""
    text = raw.strip()
    fenced = _FENCE.match(text)
    return fenced.group(1) if fenced else text


def describe_errors(exc: ValidationError, limit: int = 3) -> str:
    """A short, model-readable summary of what did not validate."""
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def reask_messages(bad_output: str, error: str) -> list[Message]:
    """What is appended to the conversation after an invalid answer."""
    return [
        Message(role="assistant", content=bad_output),
        Message(
            role="user",
            content=f"That answer is invalid: {error}. Reply again with one JSON object that matches "
            "the schema exactly, and nothing else.",
        ),
    ]


async def generate_structured(
    messages: list[Message],
    schema: type[ModelT],
    generate: Callable[[list[Message]], Awaitable[str]],
    *,
    max_reasks: int = MAX_REASKS,
) -> ModelT:
    """Ask with ``generate`` until the answer validates as ``schema``; re-ask at most ``max_reasks`` times."""
    conversation = list(messages)
    attempts = 0
    while True:
        attempts += 1
        raw = await generate(conversation)
        try:
            return schema.model_validate_json(extract_json(raw))
        except ValidationError as exc:
            error = describe_errors(exc)
            if attempts > max_reasks:
                raise StructuredOutputError(
                    f"no valid {schema.__name__} after {attempts} attempts: {error}",
                    attempts=attempts,
                    last_output=raw,
                ) from exc
            conversation = [*conversation, *reask_messages(raw, error)]
