"""Token buckets: burst, refill, per key, bounded memory."""

from __future__ import annotations

import pytest

from api.ratelimit import Rate, TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(Rate(burst=3, per_minute=60), clock=clock)
    assert [limiter.retry_after("ip:1") for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("ip:1") == 1
    clock.now += 1.0
    assert limiter.retry_after("ip:1") is None
    assert limiter.retry_after("ip:1") == 1


def test_keys_are_independent() -> None:
    limiter = TokenBucketLimiter(Rate(burst=1, per_minute=1), clock=Clock())
    assert limiter.retry_after("ip:1") is None
    assert limiter.retry_after("ip:1") == 60
    assert limiter.retry_after("ip:2") is None


def test_memory_is_bounded() -> None:
    limiter = TokenBucketLimiter(Rate(burst=1, per_minute=1), max_keys=2, clock=Clock())
    for key in ("a", "b", "c"):
        limiter.take(key)
    assert limiter.retry_after("a") is None  # "a" was forgotten, so it starts with a full bucket


def test_bad_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="burst"):
        Rate(burst=0, per_minute=10)
