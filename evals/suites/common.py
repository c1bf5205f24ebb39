"""Pieces every suite uses: its output, variant naming, timing and trimming of case records."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.context import EvalConfigError
from evals.datasets.jsonl import file_digest
from evals.results import CaseRecord, DatasetInfo, VariantResult
from prompts.loader import PromptError, available_versions, load_prompt, parse_variant

TEXT_LIMIT = 2000
REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass
class SuiteOutput:
    """What a suite hands back to the runner."""

    dataset: DatasetInfo
    variants: list[VariantResult]
    comparisons: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


def variant_name(base: str, *, model: str | None, prompt: str | None, models: int, prompts: int) -> str:
    """``base``, qualified by model and prompt only where the run has several of them."""
    parts = [p for p, many in ((model, models > 1), (prompt, prompts > 1)) if p and many]
    return f"{base}[{', '.join(parts)}]" if parts else base


def prompt_variants(requested: Sequence[str], prompt_id: str, suite: str) -> list[str]:
    """Validated ``id@version`` labels for ``prompt_id``; all versions on disk when none requested."""
    if not requested:
        return [f"{prompt_id}@{v}" for v in available_versions(prompt_id)] or [prompt_id]
    labels: list[str] = []
    for variant in requested:
        try:
            name, _version = parse_variant(variant)
            if name != prompt_id:
                raise EvalConfigError(f"the {suite} suite takes {prompt_id}@<version> variants, not {variant!r}")
            labels.append(load_prompt(variant).label)
        except PromptError as exc:
            raise EvalConfigError(f"--variant {variant}: {exc}") from exc
    if len(set(labels)) != len(labels):
        raise EvalConfigError(f"a prompt variant is given twice: {', '.join(labels)}")
    return labels


def dataset_info(path: Path, rows: int, split: str | None = None) -> DatasetInfo:
    """Which data a report measured; paths inside the repository are shown relative to it."""
    resolved = path.resolve()
    shown = resolved.relative_to(REPOSITORY) if resolved.is_relative_to(REPOSITORY) else resolved
    return DatasetInfo(path=str(shown), digest=file_digest(path), rows=rows, split=split)


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (reports stay readable)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def keep_inputs_of_failures(records: Sequence[CaseRecord]) -> list[CaseRecord]:
    """Drop the (large) inputs of passed cases; failing cases keep theirs for the report."""
    return [r if not r.passed else r.model_copy(update={"input": {}}) for r in records]


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Measures the block; the elapsed seconds are in the yielded list afterwards."""
    elapsed: list[float] = []
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - started)
