"""Shared pieces of the API's request/response models: pages, examples, health."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

EXAMPLE_ID = "3f2b8c1e-6a4d-4e0f-9b1a-2c3d4e5f6a7b"
EXAMPLE_CAMPAIGN_ID = "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
EXAMPLE_LEAD_ID = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
EXAMPLE_TIME = "2026-11-12T09:30:00Z"


def examples(*items: dict[str, Any]) -> ConfigDict:
    """A model config carrying OpenAPI examples (and reading ORM objects by attribute)."""
    return ConfigDict(from_attributes=True, json_schema_extra={"examples": list(items)})


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` plus the total and the window asked for."""

    model_config = examples({"items": [], "total": 0, "limit": 50, "offset": 0})

    items: list[T]
    total: int = Field(ge=0, description="Items matching the filter, over all pages.")
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class Health(BaseModel):
    """Liveness: the process answers."""

    model_config = examples({"status": "ok"})

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Readiness: the process and its database answer."""

    model_config = examples({"status": "ok", "database": "ok", "detail": ""})

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "error"]
    detail: str = ""
