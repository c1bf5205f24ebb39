"""What every node of a run may use: clients, limits and locks, passed as LangGraph context.

Built by ``agents.runner`` (once per process); never a global, never built at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from agents.llm import LLM
from memory.types import Memory
from tools.crm.types import utcnow
from tools.settings import Settings


class KeyedLocks:
    """One asyncio lock per key (e.g. per company domain), created on demand."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())


class LazyResource:
    """Starts an async resource (the browser) on first use and closes it at the end of the run."""

    def __init__(self, factory: Callable[[], Awaitable[Any]]) -> None:
        self._factory = factory
        self._value: Any = None
        self._lock = asyncio.Lock()
        self.started = False

    async def get(self) -> Any:
        async with self._lock:
            if self._value is None:
                self._value = await self._factory()
                self.started = True
            return self._value

    async def aclose(self) -> None:
        if self._value is not None:
            closer = getattr(self._value, "__aexit__", None)
            if closer is not None:
                await closer(None, None, None)
            self._value = None


@dataclass
class FlowContext:
    """Run-scoped dependencies of the lead graph."""

    settings: Settings
    engine: Engine
    llm: LLM
    memory: Memory | None
    browser: LazyResource
    research_locks: KeyedLocks = field(default_factory=KeyedLocks)
    llm_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        """The current time (injectable for tests and the worker)."""
        return self.clock()
