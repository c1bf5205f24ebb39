"""The labelled reply dataset: one Pydantic model per JSONL row and a strict loader.

``load_replies(path)`` reads ``replies.jsonl`` (see README.md in this folder) and fails
on the first malformed line with its line number and the offending field, so a broken
edit to the data is caught before any evaluation or training uses it.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.reply_types import ReplyInput, ReplyLabel
from evals.datasets.jsonl import DatasetError, read_jsonl

__all__ = ["REPLIES_PATH", "DatasetError", "ReplyExample", "load_replies", "summary"]

DATASET_VERSION = "1.0"
REPLIES_PATH = Path(__file__).resolve().parent / "replies.jsonl"
Split = Literal["train", "test"]


class ExpectedFields(BaseModel):
    """The fields a correct extraction finds in this reply (absent: nothing to find)."""

    model_config = ConfigDict(extra="forbid")

    return_date: date | None = None
    referred_email: str | None = None
    referred_name: str | None = None
    meeting_time: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$")
    later_date: date | None = None
    bounce_kind: Literal["hard", "soft"] | None = None

    @field_validator("referred_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or " " in value):
            raise ValueError("not an email address")
        return value


class ReplyExample(BaseModel):
    """One labelled reply."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z_]+-(en|de)-\d{3}$")
    split: Split
    language: Literal["en", "de"]
    label: ReplyLabel
    subject: str
    body: str = Field(min_length=1)
    headers: dict[str, str]
    raw: str | None = Field(default=None, description="The whole RFC 5322 message, where structure matters.")
    fields: ExpectedFields = Field(default_factory=ExpectedFields)

    @model_validator(mode="after")
    def _consistent(self) -> ReplyExample:
        if not self.id.startswith(f"{self.label.value}-{self.language}-"):
            raise ValueError(f"id {self.id!r} must start with '{self.label.value}-{self.language}-'")
        if not any(name.lower() == "from" for name in self.headers):
            raise ValueError("headers need a From header")
        if self.raw is not None and "\n\n" not in self.raw.replace("\r\n", "\n"):
            raise ValueError("raw must be an RFC 5322 message: headers, a blank line, a body")
        return self

    def to_input(self) -> ReplyInput:
        """The row as the classifier cascade reads a mail."""
        return ReplyInput.build(subject=self.subject, body=self.body, headers=self.headers, raw=self.raw)


def load_replies(path: Path | str = REPLIES_PATH, *, split: Split | None = None) -> list[ReplyExample]:
    """All rows of a replies JSONL file (optionally one split); DatasetError names line and field."""
    rows = read_jsonl(path, ReplyExample)
    return [row for row in rows if split is None or row.split == split]


def summary(rows: list[ReplyExample]) -> dict[str, dict[str, int]]:
    """Row counts by label, language and split."""
    return {
        "label": dict(Counter(row.label.value for row in rows)),
        "language": dict(Counter(row.language for row in rows)),
        "split": dict(Counter(row.split for row in rows)),
    }
