"""Per-domain politeness: pages of one domain are spaced by at least a given delay."""

from __future__ import annotations

import asyncio
import time


class DomainThrottle:
    """``await throttle.wait(domain, delay)`` returns once ``delay`` has passed since the last start."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, domain: str, delay_s: float) -> float:
        """Wait our turn for ``domain``; returns the seconds waited."""
        lock = self._locks.setdefault(domain, asyncio.Lock())
        async with lock:
            waited = 0.0
            last = self._last.get(domain)
            if last is not None and delay_s > 0:
                waited = max(0.0, last + delay_s - time.monotonic())
                if waited:
                    await asyncio.sleep(waited)
            self._last[domain] = time.monotonic()
            return waited
