"""What every suite gets from the runner: settings, requested models and prompts, limits.

``EvalContext.run_cases`` runs one coroutine per case under the concurrency limit and
advances the progress bar; ``select`` applies ``--case``/``--limit`` to a dataset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from evals.llms import ModelFactory, ModelKind
from evals.progress import NullProgress, ProgressSink
from tools.settings import Settings

T = TypeVar("T")
R = TypeVar("R")


class EvalConfigError(ValueError):
    """The run is asked for something the suite cannot do (unknown case, stage, variant)."""


class HasId(Protocol):
    """A dataset row."""

    @property
    def id(self) -> str: ...


RowT = TypeVar("RowT", bound=HasId)


@dataclass
class EvalContext:
    """Options of one run, shared by all suites."""

    settings: Settings
    models: list[ModelKind] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    cache: bool = True
    keep_temperature: bool = False
    concurrency: int = 4
    seed: int = 0
    limit: int | None = None
    case_ids: list[str] = field(default_factory=list)
    judge: bool = False
    progress: ProgressSink = field(default_factory=NullProgress)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise EvalConfigError("concurrency must be at least 1")
        if self.limit is not None and self.limit < 1:
            raise EvalConfigError("limit must be at least 1")

    def factory(self, kind: ModelKind) -> ModelFactory:
        """A model factory for ``kind`` with this run's cache and temperature options."""
        return ModelFactory(kind, self.settings, cache=self.cache, keep_temperature=self.keep_temperature)

    def default_model(self) -> ModelKind:
        """The configured model: the endpoint if one is set, else the embedded one."""
        return "openai" if self.settings.llm_base_url else "local"

    def select(self, rows: Sequence[RowT]) -> list[RowT]:
        """The rows named by ``case_ids`` (all if none), at most ``limit`` of them."""
        chosen = list(rows)
        if self.case_ids:
            known = {row.id for row in rows}
            unknown = [case for case in self.case_ids if case not in known]
            if unknown:
                raise EvalConfigError(f"no case {', '.join(repr(u) for u in unknown)} in the dataset")
            wanted = set(self.case_ids)
            chosen = [row for row in rows if row.id in wanted]
        if self.limit is not None:
            chosen = chosen[: self.limit]
        if not chosen:
            raise EvalConfigError("no cases to evaluate")
        return chosen

    async def run_cases(self, description: str, items: Sequence[T], work: Callable[[T], Awaitable[R]]) -> list[R]:
        """``work(item)`` for every item, at most ``concurrency`` at once, results in input order."""
        advance = self.progress.task(description, len(items))
        slots = asyncio.Semaphore(self.concurrency)

        async def one(item: T) -> R:
            async with slots:
                result = await work(item)
            advance()
            return result

        return list(await asyncio.gather(*(one(item) for item in items)))
