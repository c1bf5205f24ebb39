"""The models an evaluation runs: scripted, the embedded one or the configured endpoint, wrapped.

Every eval model is wrapped, outermost first, in

* ``CountingLLM`` — an in-memory counter of calls, cache hits, tokens and estimated cost
  (``Settings.llm_prices``) per variant; no database needed;
* ``ZeroTemperatureLLM`` — every call at temperature 0, so runs are reproducible and the
  cache can answer re-runs (prompt files may ask for 0.3; ``keep_temperature`` opts out);
* ``CachedLLM`` — the persistent response cache (on by default in evals).

``scripted`` is a ``ScriptedLLM`` whose ``respond`` function the suite supplies per case
(see ``evals.scripted``): it makes the runner testable end to end without a model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

from agents.accounting import estimate_cost
from agents.llm import LLM, CallContext, LLMError, LLMUnavailable, Message, ModelT
from agents.llm_cache import CachedLLM
from agents.llm_usage import collect_usage
from agents.testing import ScriptedCall, ScriptedLLM
from evals.results import UsageTotals
from tools.settings import Settings

ModelKind = Literal["scripted", "local", "openai"]
MODEL_KINDS: tuple[str, ...] = get_args(ModelKind)
SCRIPTED_MODEL_NAME = "scripted/eval-1"  # bump when evals.scripted changes its answers (cache key)
CACHE_FILE = "eval-llm-cache.sqlite3"
T = TypeVar("T")


class EvalModelError(ValueError):
    """The requested model cannot be used (e.g. ``openai`` without an endpoint)."""


@dataclass
class UsageCounter:
    """Running totals of one variant's model calls (a single event loop: no lock needed)."""

    prices: dict[str, tuple[float, float]] = field(default_factory=dict)
    totals: UsageTotals = field(default_factory=UsageTotals)

    def snapshot(self) -> UsageTotals:
        """A copy of the totals so far."""
        return self.totals.model_copy()


class CountingLLM:
    """Counts every call of ``inner`` into ``counter`` (cached answers count as cached, cost 0)."""

    def __init__(self, inner: LLM, counter: UsageCounter) -> None:
        self.inner = inner
        self.counter = counter

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    async def _counted(self, call: Callable[[], Awaitable[T]]) -> T:
        totals = self.counter.totals
        with collect_usage() as usages:
            try:
                result = await call()
            except LLMError:
                totals.failed_calls += 1
                raise
            finally:
                totals.calls += 1
                billable = [u for u in usages if not u.cached]
                if usages and not billable:
                    totals.cached_calls += 1
                totals.input_tokens += sum(u.input_tokens for u in usages)
                totals.output_tokens += sum(u.output_tokens for u in usages)
                totals.cost_usd += sum(
                    estimate_cost(self.counter.prices, u.model, u.input_tokens, u.output_tokens) for u in billable
                )
        return result

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        """The inner answer, counted."""
        return await self._counted(
            lambda: self.inner.complete(messages, temperature=temperature, max_tokens=max_tokens, context=context)
        )

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT:
        """The inner validated answer, counted."""
        return await self._counted(
            lambda: self.inner.structured(
                messages, schema, temperature=temperature, max_tokens=max_tokens, context=context
            )
        )


class ZeroTemperatureLLM:
    """Sends every call at temperature 0 (reproducible, cacheable evaluations)."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        """The inner answer at temperature 0."""
        return await self.inner.complete(messages, temperature=0.0, max_tokens=max_tokens, context=context)

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT:
        """The inner validated answer at temperature 0."""
        return await self.inner.structured(messages, schema, temperature=0.0, max_tokens=max_tokens, context=context)


Responder = Callable[[ScriptedCall], Any]


@dataclass
class ModelFactory:
    """Builds the (wrapped) model of one variant; scripted models are built per case.

    ``llm_for(respond)``: real models ignore ``respond`` and are built once; the scripted
    model answers with ``respond`` (the suite's deterministic answer for that case).
    """

    kind: ModelKind
    settings: Settings
    cache: bool = True
    keep_temperature: bool = False
    counter: UsageCounter = field(init=False)
    _shared: LLM | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.counter = UsageCounter(prices=dict(self.settings.llm_prices))
        if self.kind not in MODEL_KINDS:
            raise EvalModelError(f"unknown model {self.kind!r}: use one of {', '.join(MODEL_KINDS)}")
        if self.kind == "openai" and not self.settings.llm_base_url:
            raise EvalModelError("--model openai needs an endpoint: set OUTREACH_LLM_BASE_URL (and the key)")

    @property
    def label(self) -> str:
        """How variants name this model."""
        return self.kind

    def _base(self, respond: Responder | None) -> LLM:
        # built here, not at import: constructing LocalLLM checks the model file
        from agents.deps import build_llm

        if self.kind == "scripted":
            if respond is None:
                raise EvalModelError("the scripted model needs the suite's respond function")
            return ScriptedLLM(respond=respond, model_name=SCRIPTED_MODEL_NAME)
        settings = self.settings.model_copy(update={"llm_base_url": None}) if self.kind == "local" else self.settings
        try:
            return build_llm(settings, cache=False)
        except LLMUnavailable as exc:
            raise EvalModelError(f"--model {self.kind}: {exc}") from exc

    def _wrap(self, llm: LLM) -> LLM:
        if self.cache:
            llm = CachedLLM(llm, self.settings.cache_dir / CACHE_FILE)
        if not self.keep_temperature:
            llm = ZeroTemperatureLLM(llm)
        return CountingLLM(llm, self.counter)

    def llm_for(self, respond: Responder | None = None) -> LLM:
        """The model to use for one case."""
        if self.kind == "scripted":
            return self._wrap(self._base(respond))
        if self._shared is None:
            self._shared = self._wrap(self._base(None))
        return self._shared
