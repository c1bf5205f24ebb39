"""Strict reading of JSONL dataset files: one Pydantic model per line, errors name line and field.

Every dataset of the harness (companies, drafts; the replies loader follows the same rules)
is read through :func:`read_jsonl`, so a team's own file in the documented format works
without touching code, and a malformed line fails with ``file:line: field 'x': reason``
before anything is evaluated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

RowT = TypeVar("RowT", bound=BaseModel)

__all__ = ["DatasetError", "RowError", "describe_validation_error", "file_digest", "read_jsonl"]


class DatasetError(ValueError):
    """A dataset file cannot be used; the message names the line and the field."""


class RowError(ValueError):
    """A row that validates on its own but does not work (e.g. its campaign file is missing)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def describe_validation_error(error: ValidationError) -> str:
    """``field 'a.b': message`` of the first problem pydantic found."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(row)"
    return f"field '{where}': {first['msg']}"


def read_jsonl(
    path: Path | str, model: type[RowT], *, check: Callable[[RowT], None] | None = None
) -> list[RowT]:
    """All rows of ``path`` validated as ``model``; blank lines are skipped, ids must be unique.

    ``check(row)`` may raise RowError for what the model alone cannot see (files it names).
    Raises DatasetError naming the file, the line number and the field.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read dataset: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    rows: list[RowT] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not valid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(data, dict):
            raise DatasetError(f"{path}:{number}: a row must be a JSON object")
        try:
            row = model.model_validate(data)
        except ValidationError as exc:
            raise DatasetError(f"{path}:{number}: {describe_validation_error(exc)}") from exc
        if check is not None:
            try:
                check(row)
            except RowError as exc:
                raise DatasetError(f"{path}:{number}: field '{exc.field}': {exc}") from exc
        row_id = str(getattr(row, "id", number))
        if row_id in seen:
            raise DatasetError(f"{path}:{number}: field 'id': {row_id!r} already used on line {seen[row_id]}")
        seen[row_id] = number
        rows.append(row)
    if not rows:
        raise DatasetError(f"{path}: no rows")
    return rows


def file_digest(path: Path | str) -> str:
    """The first 16 hex digits of the file's sha256 (reports say which data they measured)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
