"""Tables of the API's access layer: users, API keys, sessions, assignments, idempotency.

They live under ``tools/crm`` so Alembic sees them with every other table; the logic that
uses them (hashing, scopes, cookies) is in ``api/``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tools.crm.types import UTCDateTime, utcnow


def _ts(*, index: bool = False, nullable: bool = False) -> Any:
    return Field(
        default_factory=None if nullable else utcnow,
        sa_type=UTCDateTime,
        index=index,
        nullable=nullable,
    )


class UserRole(StrEnum):
    """What a person may do: admins everything, reps the campaigns they are assigned to."""

    admin = "admin"
    rep = "rep"


class User(SQLModel, table=True):
    """A person who logs into the web app or owns API keys."""

    __tablename__: ClassVar[str] = "app_user"  # "user" is reserved in PostgreSQL

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    role: UserRole = Field(default=UserRole.rep)
    password_hash: str | None = Field(default=None, max_length=500)
    active: bool = Field(default=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ApiKey(SQLModel, table=True):
    """A scoped, revocable bearer token; only its SHA-256 is stored."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100, index=True)
    prefix: str = Field(max_length=16, description="First characters of the token, for recognition.")
    key_hash: str = Field(unique=True, index=True, max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    created_by: str = Field(default="system", max_length=320)
    created_at: datetime = _ts()
    last_used_at: datetime | None = _ts(nullable=True)
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class WebSession(SQLModel, table=True):
    """A login session (web cookie or bearer token from /api/auth/login); token stored hashed."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)
    revoked_at: datetime | None = _ts(nullable=True)


class CampaignAssignment(SQLModel, table=True):
    """A rep works on a campaign: sees its leads, drafts, replies and tasks."""

    __table_args__ = (UniqueConstraint("user_id", "campaign_id", name="uq_assignment_user_campaign"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaign.id", index=True)
    created_at: datetime = _ts()


class IdempotencyRecord(SQLModel, table=True):
    """The first result of a POST sent with an ``Idempotency-Key``; shared by every worker."""

    __table_args__ = (UniqueConstraint("key", "principal", name="uq_idempotency_key_principal"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key: str = Field(max_length=255)
    principal: str = Field(max_length=64, description="Hash of the credential that sent the request.")
    method: str = Field(max_length=10)
    path: str = Field(max_length=1000)
    request_hash: str = Field(max_length=64)
    status_code: int | None = Field(default=None, description="Empty while the first request runs.")
    content_type: str | None = Field(default=None, max_length=200)
    response_body: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _ts(index=True)
    completed_at: datetime | None = _ts(nullable=True)
