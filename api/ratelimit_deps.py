"""Rate-limit checks as FastAPI dependencies (429 problem with ``Retry-After``)."""

from __future__ import annotations

from fastapi import Request

from api.deps import client_key
from api.errors import ApiProblem
from api.ratelimit import TokenBucketLimiter


def limiter(request: Request, name: str) -> TokenBucketLimiter:
    """The app's limiter called ``name``."""
    limiters: dict[str, TokenBucketLimiter] = request.app.state.limiters
    return limiters[name]


def enforce(request: Request, name: str, key: str) -> None:
    """Spend a token of ``name`` for ``key``; 429 when the bucket is empty."""
    wait = limiter(request, name).retry_after(key)
    if wait is not None:
        raise ApiProblem(429, f"too many requests; retry in {wait} s", kind="rate-limited",
                         headers={"Retry-After": str(wait)})


def limit_login(request: Request) -> None:
    """Login attempts per client address."""
    enforce(request, "login", "ip:" + client_key(request))


def limit_webhook(request: Request) -> None:
    """Inbound-mail posts per client address."""
    enforce(request, "webhook", "ip:" + client_key(request))
