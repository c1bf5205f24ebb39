"""Login sessions, users and API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlmodel import Session

from api.auth import AuthError, Principal, assigned_campaigns, close_session, login, open_session
from api.deps import Admin, CurrentUser, SessionDep, unauthorized
from api.errors import ApiProblem, problem_responses
from api.ratelimit_deps import enforce, limit_login
from api.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    LoginRequest,
    LoginResponse,
    PrincipalPublic,
    UserCreate,
    UserPublic,
)
from api.users import (
    AccountError,
    create_api_key,
    create_user,
    get_user_by_email,
    list_api_keys,
    list_users,
    revoke_api_key,
)
from tools.crm.auth_models import ApiKey, User, UserRole
from tools.crm.repository import NotFound

router = APIRouter(prefix="/api", tags=["auth"], responses=problem_responses(400, 401, 403, 422))


def user_public(session: Session, user: User) -> UserPublic:
    """A user with their campaigns (null for admins)."""
    campaigns = None if user.role is UserRole.admin else sorted(assigned_campaigns(session, user_id=user.id))
    return UserPublic(id=user.id, email=user.email, name=user.name, role=user.role, active=user.active,
                      created_at=user.created_at, campaign_ids=campaigns)


@router.post("/auth/login", response_model=LoginResponse, responses=problem_responses(429),
             dependencies=[Depends(limit_login)], summary="Log in (session token)")
def login_route(body: LoginRequest, request: Request, session: SessionDep) -> LoginResponse:
    """Exchange email and password for a session token (rate-limited per address and account)."""
    enforce(request, "login", "user:" + body.email.strip().lower())
    try:
        user = login(session, email=body.email, password=body.password)
    except AuthError as exc:
        raise unauthorized(str(exc)) from exc
    token, row = open_session(session, user=user)
    session.commit()
    return LoginResponse(token=token, expires_at=row.expires_at, user=user_public(session, user))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the session")
def logout_route(principal: CurrentUser, session: SessionDep) -> Response:
    """Revoke the session token used for this request (API keys are revoked with DELETE /api/api-keys)."""
    if principal.session_id is None:
        raise ApiProblem(422, "this credential is an API key, not a session", kind="not-a-session")
    close_session(session, session_id=principal.session_id)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", response_model=PrincipalPublic, summary="Who am I")
def me_route(principal: CurrentUser) -> PrincipalPublic:
    """The caller, its scopes and campaigns."""
    return principal_public(principal)


def principal_public(principal: Principal) -> PrincipalPublic:
    """The API form of a principal."""
    campaigns = sorted(principal.campaign_ids) if principal.campaign_ids is not None else None
    return PrincipalPublic(kind=principal.kind, name=principal.name, role=principal.role,
                           scopes=sorted(principal.scopes, key=lambda s: s.value), campaign_ids=campaigns)


@router.get("/users", response_model=list[UserPublic], responses=problem_responses(403), summary="List users")
def users_route(_admin: Admin, session: SessionDep) -> list[UserPublic]:
    """Every user (admins only)."""
    return [user_public(session, user) for user in list_users(session)]


@router.post("/users", response_model=UserPublic, status_code=201, responses=problem_responses(403, 409),
             summary="Create a user")
def create_user_route(body: UserCreate, admin: Admin, session: SessionDep) -> UserPublic:
    """Create a user (admins only); 409 when the email is taken."""
    if get_user_by_email(session, email=body.email) is not None:
        raise ApiProblem(409, f"a user with email {body.email.strip().lower()} already exists", kind="conflict")
    try:
        user = create_user(session, email=body.email, role=body.role, password=body.password, name=body.name,
                           actor=admin.actor)
    except AccountError as exc:
        raise ApiProblem(422, str(exc), kind="validation-error") from exc
    session.commit()
    return user_public(session, user)


def key_public(key: ApiKey) -> ApiKeyPublic:
    """An API key without its secret."""
    return ApiKeyPublic.model_validate(key, from_attributes=True)


@router.get("/api-keys", response_model=list[ApiKeyPublic], responses=problem_responses(403),
            summary="List API keys")
def keys_route(_admin: Admin, session: SessionDep) -> list[ApiKeyPublic]:
    """Every key, newest first (admins only; secrets are never shown again)."""
    return [key_public(key) for key in list_api_keys(session)]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, responses=problem_responses(403, 404),
             summary="Create an API key")
def create_key_route(body: ApiKeyCreate, admin: Admin, session: SessionDep) -> ApiKeyCreated:
    """Create a scoped key; the token is in this response only."""
    owner = None
    if body.user_email:
        owner = get_user_by_email(session, email=body.user_email)
        if owner is None:
            raise NotFound(f"no user {body.user_email}")
    try:
        token, key = create_api_key(session, name=body.name, scopes=[s.value for s in body.scopes], user=owner,
                                    expires_at=body.expires_at, actor=admin.actor)
    except AccountError as exc:
        raise ApiProblem(422, str(exc), kind="validation-error") from exc
    session.commit()
    return ApiKeyCreated(**key_public(key).model_dump(), token=token)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyPublic, responses=problem_responses(403, 404),
               summary="Revoke an API key")
def revoke_key_route(key_id: Annotated[uuid.UUID, "key id"], admin: Admin, session: SessionDep) -> ApiKeyPublic:
    """Revoke a key; it stops working immediately (idempotent)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    revoke_api_key(session, key=key, actor=admin.actor)
    session.commit()
    return key_public(key)
