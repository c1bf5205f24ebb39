"""Finishing the OpenAPI document so it says exactly what the app does.

- Every validation error is problem+json (one handler for all routers), so each 422 response
  points at ``Problem``, and operations with a body also document 400 (malformed body).
- The campaign models live in ``agents.campaign`` (shared with the YAML loader), so their
  component schemas get examples cut from the full campaign example; enums get their first value.
"""

from __future__ import annotations

import json
from typing import Any

from api.errors import FieldError, Problem, problem_responses
from api.schemas.campaigns import CAMPAIGN_EXAMPLE

_CAMPAIGN_PARTS: dict[str, tuple[str | int, ...]] = {
    "CampaignSpec": (),
    "Sender": ("sender",),
    "LegalIdentity": ("sender", "legal"),
    "Offer": ("offer",),
    "ICP": ("icp",),
    "SequenceStep": ("sequence", 0),
    "StepTemplate": ("sequence", 0, "templates", "de"),
    "LeadSource": ("sources", 0),
    "WriterSettings": ("writer",),
    "Limits": ("limits",),
    "SendingWindow": ("sending_window",),
}


def _part(path: tuple[str | int, ...]) -> Any:
    value: Any = CAMPAIGN_EXAMPLE
    for step in path:
        value = value[step]
    return value


def attach_examples(components: dict[str, Any]) -> None:
    """Give every component schema without examples one (campaign parts, enum values)."""
    for name, schema in components.items():
        if "examples" in schema or "example" in schema:
            continue
        base = name.split("-")[0]  # FastAPI may suffix -Input/-Output
        if base in _CAMPAIGN_PARTS:
            schema["examples"] = [_part(_CAMPAIGN_PARTS[base])]
        elif isinstance(schema.get("enum"), list) and schema["enum"]:
            schema["examples"] = [schema["enum"][0]]


def _problem_components(components: dict[str, Any]) -> None:
    for model in (Problem, FieldError):
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        definition.pop("$defs", None)
        components[model.__name__] = definition


def _uses(document: dict[str, Any], name: str) -> bool:
    return f'"#/components/schemas/{name}"' in json.dumps(document)


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """Problem responses for 400/422 everywhere they can happen, and examples on every component."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    _problem_components(components)
    problems = problem_responses(400, 422)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = problems[422]
            if "requestBody" in operation:
                responses.setdefault("400", problems[400])
    for name in ("HTTPValidationError", "ValidationError"):
        if name in components and not _uses({k: v for k, v in document.items()}, name):
            del components[name]
    attach_examples(components)
    return document
