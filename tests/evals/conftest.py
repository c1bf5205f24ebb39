"""Fixtures of the eval-harness tests: a drafts dataset file and an eval context on the scripted model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.context import EvalContext
from tools.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EN_CAMPAIGN = ROOT / "evals" / "datasets" / "campaigns" / "leaddesk-en.yaml"


def draft_row(**overrides: Any) -> dict[str, Any]:
    """A valid drafts-dataset row (English, one news fact); keys in ``overrides`` replace its own."""
    row: dict[str, Any] = {
        "id": "en-fenmoor",
        "campaign": str(EN_CAMPAIGN),
        "recipient": {"first_name": "Helen", "last_name": "Marsh", "salutation": "Ms", "language": "en"},
        "company": {"domain": "fenmoor.example", "name": "Fenmoor", "country": "GB", "language": "en"},
        "facts": [
            {"id": "news-hub", "kind": "news",
             "text": "2026-10-21: Fenmoor opens 30,000-pallet chilled hub in Peterborough",
             "source_url": "https://fenmoor.example/news/"}
        ],
        "expect": {"language": "en", "grounded_facts": ["news-hub"]},
    }
    row.update(overrides)
    return row


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write rows as JSON lines."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def scripted_ctx(settings: Settings) -> EvalContext:
    """An eval context whose model is the scripted one (response cache in the test's data dir)."""
    return EvalContext(settings=settings, models=["scripted"], concurrency=2)
