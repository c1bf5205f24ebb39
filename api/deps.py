"""FastAPI dependencies: settings, engine, one session per request, the caller and its scopes.

DB work runs on worker threads. A request that touches the database first takes a *DB slot*
(an async semaphore sized below the connection pool, ``create_app``) and keeps it until its
session is closed; waiting for a slot holds neither a thread nor a connection. Every request
uses at most one connection at a time (the caller is resolved in a short session of its own),
so connections in use never exceed the slots and the pool cannot run dry — the QueuePool
timeouts of ARCHITECTURE.md came from requests holding a connection while queueing for a
thread (response serialisation) and threads holding a token while queueing for a connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth import AuthError, Principal, Scope, authenticate_token
from api.errors import ApiProblem
from api.services import Services
from tools.settings import Settings

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API key (`oak_…`) or a session token from POST /api/auth/login (`oas_…`).",
)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def get_services(request: Request) -> Services:
    """The orchestration services."""
    services: Services = request.app.state.services
    return services


async def db_slot(request: Request) -> AsyncIterator[None]:
    """Hold one of the app's DB slots for the rest of the request (shared by its dependencies)."""
    gate: anyio.Semaphore = request.app.state.db_gate
    async with gate:
        yield


DbSlot = Annotated[None, Depends(db_slot)]


def get_session(engine: Annotated[Engine, Depends(get_engine)], _slot: DbSlot) -> Iterator[Session]:
    """A session for this request; routes commit what they change, anything else is rolled back."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[Session, Depends(get_session)]


def unauthorized(detail: str) -> ApiProblem:
    """A 401 problem asking for a bearer token."""
    return ApiProblem(401, detail, kind="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="outreach"'})


def get_principal(
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    _slot: DbSlot,
) -> Principal:
    """The caller of an API request (``Authorization: Bearer``), or 401."""
    if credentials is None or not credentials.credentials:
        raise unauthorized("send an API key or session token as 'Authorization: Bearer <token>'")
    with Session(engine, expire_on_commit=False) as session:
        try:
            return authenticate_token(session, credentials.credentials)
        except AuthError as exc:
            raise unauthorized(str(exc)) from exc


CurrentUser = Annotated[Principal, Depends(get_principal)]


def require(scope: Scope) -> Callable[[Principal], Principal]:
    """A dependency that admits callers holding ``scope`` (403 otherwise)."""

    def check(principal: CurrentUser) -> Principal:
        if not principal.has(scope):
            raise ApiProblem(403, f"this needs the '{scope.value}' scope", kind="insufficient-scope")
        return principal

    check.__name__ = f"require_{scope.value.replace(':', '_')}"
    return check


Reader = Annotated[Principal, Depends(require(Scope.read))]
CampaignWriter = Annotated[Principal, Depends(require(Scope.campaigns_write))]
Approver = Annotated[Principal, Depends(require(Scope.drafts_approve))]
TaskWriter = Annotated[Principal, Depends(require(Scope.tasks_write))]
SuppressionWriter = Annotated[Principal, Depends(require(Scope.suppressions_write))]
InboundSender = Annotated[Principal, Depends(require(Scope.webhooks_inbound))]
Admin = Annotated[Principal, Depends(require(Scope.admin))]


def require_admin(principal: CurrentUser) -> Principal:
    """Admins only (for routers of other modules, e.g. GDPR export/erase)."""
    if not principal.is_admin:
        raise ApiProblem(403, "admins only", kind="insufficient-scope")
    return principal


def client_key(request: Request) -> str:
    """The client address used for rate limits (behind a proxy run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else "unknown"


MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]
