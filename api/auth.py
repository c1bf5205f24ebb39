"""Who is calling: passwords (argon2), API keys and session tokens (SHA-256 at rest), scopes.

A ``Principal`` is the resolved caller. Admins see every campaign; reps only those they are
assigned to (``campaign_ids``). API keys carry their own scopes; a key that belongs to a
user can never exceed that user's role.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, col, select

from tools.crm.auth_models import ApiKey, CampaignAssignment, User, UserRole, WebSession
from tools.crm.types import utcnow

API_KEY_PREFIX = "oak_"
SESSION_PREFIX = "oas_"
SESSION_TTL = timedelta(hours=12)
_LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(StrEnum):
    """What a credential may do."""

    read = "read"
    campaigns_write = "campaigns:write"
    drafts_approve = "drafts:approve"
    tasks_write = "tasks:write"
    suppressions_write = "suppressions:write"
    webhooks_inbound = "webhooks:inbound"
    admin = "admin"


ROLE_SCOPES: dict[UserRole, frozenset[Scope]] = {
    UserRole.admin: frozenset(Scope),
    UserRole.rep: frozenset({Scope.read, Scope.drafts_approve, Scope.tasks_write, Scope.suppressions_write}),
}


class AuthError(Exception):
    """Credentials are missing, wrong, expired or revoked."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    kind: str  # "user" (session) or "api_key"
    name: str  # email of the user, or name of the key
    scopes: frozenset[Scope]
    campaign_ids: frozenset[uuid.UUID] | None  # None: every campaign
    user_id: uuid.UUID | None = None
    role: UserRole | None = None
    session_id: uuid.UUID | None = None
    email: str | None = None  # the user behind a session or a user's key

    @property
    def actor(self) -> str:
        """How this caller appears in the audit log."""
        return f"user:{self.name}" if self.kind == "user" else f"apikey:{self.name}"

    @property
    def is_admin(self) -> bool:
        """True for callers with the admin scope."""
        return Scope.admin in self.scopes

    def has(self, scope: Scope) -> bool:
        """True when the caller holds ``scope`` (admin holds all)."""
        return scope in self.scopes or self.is_admin

    def can_see_campaign(self, campaign_id: uuid.UUID | None) -> bool:
        """True when the caller may see data of this campaign."""
        if self.campaign_ids is None:
            return True
        return campaign_id is not None and campaign_id in self.campaign_ids


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHash:
    """The argon2 password hasher (built on first use, not at import)."""
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return password_hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; a missing hash never matches (but costs the same time)."""
    hasher = password_hasher()
    if not password_hash:
        hasher.hash(password)  # keep timing similar for unknown users
        return False
    return hasher.verify(password, password_hash)


def token_hash(token: str) -> str:
    """SHA-256 of a high-entropy token; this is what the database stores."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    """A random token with a recognisable prefix."""
    return prefix + secrets.token_urlsafe(32)


def scopes_of_user(user: User) -> frozenset[Scope]:
    """The scopes a user's role grants."""
    return ROLE_SCOPES[user.role]


def assigned_campaigns(session: Session, *, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """Ids of the campaigns a user is assigned to."""
    rows = session.exec(select(CampaignAssignment.campaign_id).where(CampaignAssignment.user_id == user_id))
    return frozenset(rows)


def principal_for_user(session: Session, user: User, *, session_id: uuid.UUID | None = None) -> Principal:
    """The principal of a logged-in user."""
    campaigns = None if user.role is UserRole.admin else assigned_campaigns(session, user_id=user.id)
    return Principal(
        kind="user",
        name=user.email,
        scopes=scopes_of_user(user),
        campaign_ids=campaigns,
        user_id=user.id,
        role=user.role,
        session_id=session_id,
        email=user.email,
    )


def parse_scopes(values: list[str]) -> list[Scope]:
    """Validate scope names; raises ValueError naming the unknown ones."""
    known = {scope.value: scope for scope in Scope}
    unknown = [value for value in values if value not in known]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return sorted({known[value] for value in values}, key=lambda scope: scope.value)


def _principal_for_key(session: Session, key: ApiKey, now: datetime) -> Principal:
    scopes = frozenset(parse_scopes(key.scopes))
    campaigns: frozenset[uuid.UUID] | None = None
    user: User | None = None
    if key.user_id is not None:
        user = session.get(User, key.user_id)
        if user is None or not user.active:
            raise AuthError("the user of this API key is disabled")
        scopes = scopes & scopes_of_user(user)
        if user.role is not UserRole.admin:
            campaigns = assigned_campaigns(session, user_id=user.id)
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.add(key)
        session.commit()
    return Principal(
        kind="api_key",
        name=key.name,
        scopes=scopes,
        campaign_ids=campaigns,
        user_id=user.id if user else None,
        role=user.role if user else None,
        email=user.email if user else None,
    )


def authenticate_token(session: Session, token: str) -> Principal:
    """Resolve a bearer token (API key or session token); raises AuthError."""
    now = utcnow()
    digest = token_hash(token)
    if token.startswith(API_KEY_PREFIX):
        key = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
        if key is None:
            raise AuthError("unknown API key")
        if key.revoked_at is not None:
            raise AuthError("this API key was revoked")
        if key.expires_at is not None and key.expires_at <= now:
            raise AuthError("this API key has expired")
        return _principal_for_key(session, key, now)
    if token.startswith(SESSION_PREFIX):
        return principal_for_session(session, token)
    raise AuthError("not an outreach API key or session token")


def principal_for_session(session: Session, token: str) -> Principal:
    """Resolve a session token (cookie or bearer); raises AuthError."""
    row = session.exec(select(WebSession).where(WebSession.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise AuthError("session expired; log in again")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthError("this account is disabled")
    return principal_for_user(session, user, session_id=row.id)


def open_session(session: Session, *, user: User, ttl: timedelta = SESSION_TTL) -> tuple[str, WebSession]:
    """Start a login session; returns the token (shown once) and the stored row."""
    token = new_token(SESSION_PREFIX)
    row = WebSession(token_hash=token_hash(token), user_id=user.id, expires_at=utcnow() + ttl)
    session.add(row)
    session.flush()
    return token, row


def close_session(session: Session, *, session_id: uuid.UUID) -> None:
    """Revoke a login session (logout)."""
    row = session.get(WebSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()


def login(session: Session, *, email: str, password: str) -> User:
    """The active user with these credentials; raises AuthError (same message either way)."""
    user = session.exec(select(User).where(col(User.email) == email.strip().lower())).first()
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.active:
        raise AuthError("wrong email or password")
    return user
