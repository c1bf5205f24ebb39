"""Models of logins, users, assignments and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.auth import Scope
from api.schemas.common import EXAMPLE_CAMPAIGN_ID, EXAMPLE_ID, EXAMPLE_TIME, examples
from tools.crm.auth_models import UserRole

_USER = {
    "id": EXAMPLE_ID,
    "email": "rep@muster.example",
    "name": "Rita Rep",
    "role": "rep",
    "active": True,
    "created_at": EXAMPLE_TIME,
    "campaign_ids": [EXAMPLE_CAMPAIGN_ID],
}
_KEY = {
    "id": EXAMPLE_ID,
    "name": "crm-sync",
    "prefix": "oak_Xy12ab",
    "scopes": ["read", "webhooks:inbound"],
    "user_id": None,
    "created_by": "user:admin@muster.example",
    "created_at": EXAMPLE_TIME,
    "last_used_at": None,
    "expires_at": None,
    "revoked_at": None,
}


class LoginRequest(BaseModel):
    """Email and password of a user."""

    model_config = examples({"email": "rep@muster.example", "password": "correct horse battery"})

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class UserBase(BaseModel):
    """Fields shared by user models."""

    email: str = Field(max_length=320)
    name: str | None = Field(default=None, max_length=200)
    role: UserRole = UserRole.rep


class UserCreate(UserBase):
    """A new user (admins only). Without a password the user can only use API keys."""

    model_config = examples({"email": "rep@muster.example", "name": "Rita Rep", "role": "rep",
                             "password": "correct horse battery"})

    password: str | None = Field(default=None, min_length=10, max_length=1000)


class UserPublic(UserBase):
    """A user as the API shows it (never the password hash)."""

    model_config = examples(_USER)

    id: uuid.UUID
    active: bool
    created_at: datetime
    campaign_ids: list[uuid.UUID] | None = Field(
        default=None, description="Assigned campaigns; null for admins (they see all)."
    )


class LoginResponse(BaseModel):
    """A session token to send as ``Authorization: Bearer``."""

    model_config = examples({"token": "oas_…", "token_type": "bearer", "expires_at": EXAMPLE_TIME, "user": _USER})

    token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserPublic


class PrincipalPublic(BaseModel):
    """Who the caller is and what it may do."""

    model_config = examples({"kind": "user", "name": "rep@muster.example", "role": "rep",
                             "scopes": ["read", "drafts:approve"], "campaign_ids": [EXAMPLE_CAMPAIGN_ID]})

    kind: str
    name: str
    role: UserRole | None
    scopes: list[Scope]
    campaign_ids: list[uuid.UUID] | None


class AssignmentCreate(BaseModel):
    """Assign a user (by email) to a campaign."""

    model_config = examples({"email": "rep@muster.example"})

    email: str = Field(min_length=3, max_length=320)


class AssignmentPublic(BaseModel):
    """A user working on a campaign."""

    model_config = examples({"user_id": EXAMPLE_ID, "email": "rep@muster.example", "campaign_id": EXAMPLE_CAMPAIGN_ID})

    user_id: uuid.UUID
    email: str
    campaign_id: uuid.UUID


class ApiKeyCreate(BaseModel):
    """A new API key. With ``user_email`` it acts as that user (never beyond the user's role)."""

    model_config = examples({"name": "crm-sync", "scopes": ["read", "webhooks:inbound"], "user_email": None,
                             "expires_at": None})

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)
    user_email: str | None = Field(default=None, max_length=320)
    expires_at: datetime | None = None


class ApiKeyPublic(BaseModel):
    """An API key without its secret."""

    model_config = examples(_KEY)

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    user_id: uuid.UUID | None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    """A new key: ``token`` is shown this once and never stored."""

    model_config = examples({**_KEY, "token": "oak_Xy12ab…"})

    token: str
