"""The app factory: ``create_app(settings, *, engine=None, services=None)``.

One FastAPI app serves the JSON API (``/api``, ``/webhooks``, bearer auth, problem+json
errors, OpenAPI at ``/openapi.json``) and the reps' server-rendered pages (cookie sessions,
CSRF-protected forms, strict Content-Security-Policy). Nothing is built at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool, StaticPool

from api.errors import install_error_handlers
from api.idempotency import IdempotencyMiddleware
from api.openapi_doc import finish_document
from api.ratelimit import RateLimits, TokenBucketLimiter
from api.routes import (
    auth,
    campaigns,
    drafts,
    health,
    leads,
    replies,
    suppressions,
    tasks,
    usage,
    web_auth,
    web_campaigns,
    web_drafts,
    web_inbox,
    webhooks,
)
from api.security_headers import SecurityHeadersMiddleware
from api.services import Services, store_services
from api.web import STATIC_DIR, build_templates, error_page
from api.web_session import LoginRequired, login_redirect
from tools.crm.db import make_engine, upgrade_schema
from tools.settings import Settings, load_settings

API_VERSION = "1.0.0"
# Routers other areas contribute; included when their module exists.
OPTIONAL_ROUTERS = ("api.routes.unsubscribe", "api.routes.gdpr")


def db_slots(engine: Engine, settings: Settings) -> int:
    """Requests that may use the database at once: the pool size, and fewer than the pool can hand out.

    The connections the pool has beyond the slots serve work outside requests' slots
    (idempotency records, readiness probes).
    """
    pool = engine.pool
    if isinstance(pool, StaticPool):
        return 1
    if isinstance(pool, QueuePool):
        capacity = pool.size() + max(pool._max_overflow, 0)
        return max(1, min(settings.db_pool_size, capacity - 2))
    return settings.db_pool_size


def _optional_routers(names: Sequence[str]) -> list[Any]:
    routers = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        routers.append(module.router)
    return routers


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    app.openapi_schema = finish_document(schema)
    return app.openapi_schema


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    services: Services | None = None,
    limits: RateLimits | None = None,
    migrate: bool = True,
    extra_routers: Sequence[str] = OPTIONAL_ROUTERS,
    slots: int | None = None,
    orchestrated: bool = False,
) -> FastAPI:
    """Build the app. Without ``engine`` one is made from settings (and disposed on shutdown).

    ``extra_routers`` names router modules of other areas (unsubscribe, GDPR) to include when
    they exist; ``limits`` sets the login and webhook rate limits; ``slots`` overrides how many
    requests may use the database at once (normally derived from the pool; see
    benchmarks/api_load.py). ``orchestrated`` decides drafts through the lead graph
    (``api.graph_services``), as ``outreach serve`` does.
    """
    settings = settings or load_settings()
    own_engine = engine is None
    if engine is None:
        if not settings.is_postgres:
            settings.ensure_data_dir()
        engine = make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
    if migrate:
        upgrade_schema(engine)
    db_engine = engine
    graph_drafts = None
    if services is None and orchestrated:
        from api.graph_services import graph_services

        services, graph_drafts = graph_services(engine, settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if graph_drafts is not None:
                await graph_drafts.aclose()
            if own_engine:
                db_engine.dispose()

    app = FastAPI(
        title="outreach-agents API",
        version=API_VERSION,
        description="Campaigns, leads, drafts and approvals, replies, tasks, suppressions and usage. "
        "Authenticate with `Authorization: Bearer <API key or session token>`. Errors are "
        "`application/problem+json`. POSTs that start work honour `Idempotency-Key`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.services = services or store_services(engine, settings)
    app.state.templates = build_templates()
    rates = limits or RateLimits()
    app.state.limiters = {"login": TokenBucketLimiter(rates.login), "webhook": TokenBucketLimiter(rates.webhook)}
    app.state.db_slots = slots or db_slots(engine, settings)
    app.state.db_gate = anyio.Semaphore(app.state.db_slots)

    install_error_handlers(app, html_renderer=error_page)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(login_redirect(exc.next_path), status_code=303)

    app.add_exception_handler(LoginRequired, on_login_required)

    for module in (health, auth, campaigns, leads, drafts, replies, tasks, suppressions, usage, webhooks):
        app.include_router(module.router)
    for router in _optional_routers(extra_routers):
        app.include_router(router)
    for module in (web_auth, web_drafts, web_inbox, web_campaigns):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(IdempotencyMiddleware, engine=engine)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            allow_credentials=False,
        )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory api.app:app_from_env`` (used by ``outreach serve``)."""
    return create_app(load_settings(), orchestrated=True)
