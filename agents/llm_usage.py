"""How model clients tell listeners (accounting, the cache, ``outreach llm ping``) what a call cost.

A client calls :func:`report_usage` once per request it makes; anyone awaiting the call
inside :func:`collect_usage` receives it. The sinks live in a context variable, so
concurrent calls in different asyncio tasks never see each other's usage, and nested
listeners (accounting around the cache around a client) all receive every report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from agents.llm import Usage

_sinks: ContextVar[tuple[list[Usage], ...]] = ContextVar("llm_usage_sinks", default=())


def report_usage(usage: Usage) -> None:
    """Hand the usage of one model request to every active collector (no-op without one)."""
    for sink in _sinks.get():
        sink.append(usage)


@contextmanager
def collect_usage() -> Iterator[list[Usage]]:
    """Collect the usage of every model request made inside the ``with`` block."""
    sink: list[Usage] = []
    token = _sinks.set((*_sinks.get(), sink))
    try:
        yield sink
    finally:
        _sinks.reset(token)


def estimate_tokens(text: str) -> int:
    """A rough token count (~4 characters per token) for clients that report none."""
    return max(1, (len(text) + 3) // 4) if text else 0


def total_usage(usages: Iterable[Usage], *, model: str) -> Usage:
    """Sum several requests (e.g. a structured call and its re-asks) into one Usage."""
    items = list(usages)
    return Usage(
        model=items[0].model if items else model,
        input_tokens=sum(u.input_tokens for u in items),
        output_tokens=sum(u.output_tokens for u in items),
        latency_s=sum(u.latency_s for u in items),
        cached=bool(items) and all(u.cached for u in items),
        extra={"requests": len(items)},
    )
