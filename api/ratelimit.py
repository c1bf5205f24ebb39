"""In-process token buckets for login and the inbound webhook.

Each worker process keeps its own buckets, so with N workers a client gets up to N times
the configured rate. A multi-worker deployment that needs a hard limit should put a
shared limiter in front (a reverse proxy, or Redis later) — see docs/api.md.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``burst`` requests at once, refilled at ``per_minute`` per minute."""

    burst: int
    per_minute: float

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_minute <= 0:
            raise ValueError("a rate needs burst >= 1 and per_minute > 0")


@dataclass(frozen=True)
class RateLimits:
    """The limits of one app."""

    login: Rate = Rate(burst=10, per_minute=10)
    webhook: Rate = Rate(burst=60, per_minute=120)


class TokenBucketLimiter:
    """Buckets keyed by client (IP, user); thread-safe; forgets the least recently used keys."""

    def __init__(self, rate: Rate, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one token for ``key``; 0.0 when allowed, else seconds until a token is free."""
        refill_per_s = self.rate.per_minute / 60.0
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.pop(key, (float(self.rate.burst), now))
            tokens = min(float(self.rate.burst), tokens + (now - last) * refill_per_s)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / refill_per_s
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait

    def retry_after(self, key: str) -> int | None:
        """None when allowed; else whole seconds for a ``Retry-After`` header."""
        wait = self.take(key)
        return None if wait == 0.0 else max(1, math.ceil(wait))
