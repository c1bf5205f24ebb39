"""Managing accounts: users, campaign assignments and API keys (used by the API and the CLI)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from api.auth import API_KEY_PREFIX, Scope, hash_password, new_token, parse_scopes, token_hash
from tools.crm.auth_models import ApiKey, CampaignAssignment, User, UserRole
from tools.crm.models import Campaign
from tools.crm.repository import NotFound, record_audit
from tools.crm.types import utcnow

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AccountError(ValueError):
    """An account operation cannot be done (duplicate email, weak password, unknown scope)."""


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")


def get_user_by_email(session: Session, *, email: str) -> User | None:
    """The user with this email (case-insensitive)."""
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def get_user(session: Session, *, user_id: uuid.UUID) -> User:
    """The user with this id, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def create_user(
    session: Session,
    *,
    email: str,
    role: UserRole,
    password: str | None,
    name: str | None = None,
    actor: str = "system",
) -> User:
    """Create a user; raises AccountError for a taken email, a bad address or a short password."""
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address):
        raise AccountError(f"not an email address: {email!r}")
    if get_user_by_email(session, email=address) is not None:
        raise AccountError(f"a user with email {address} already exists")
    if password is not None:
        _check_password(password)
    user = User(
        email=address,
        role=role,
        name=name,
        password_hash=hash_password(password) if password is not None else None,
    )
    session.add(user)
    record_audit(session, action="user.created", actor=actor, entity_type="user", entity_id=user.id,
                 data={"role": role.value})
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str, actor: str = "system") -> None:
    """Replace a user's password."""
    _check_password(password)
    user.password_hash = hash_password(password)
    user.updated_at = utcnow()
    session.add(user)
    record_audit(session, action="user.password", actor=actor, entity_type="user", entity_id=user.id)
    session.flush()


def list_users(session: Session) -> list[User]:
    """Every user, by email."""
    return list(session.exec(select(User).order_by(col(User.email))))


def assign_campaign(
    session: Session, *, user: User, campaign_id: uuid.UUID, actor: str = "system"
) -> CampaignAssignment:
    """Let a user work on a campaign (idempotent)."""
    if session.get(Campaign, campaign_id) is None:
        raise NotFound(f"no campaign {campaign_id}")
    existing = session.exec(
        select(CampaignAssignment).where(
            CampaignAssignment.user_id == user.id, CampaignAssignment.campaign_id == campaign_id
        )
    ).first()
    if existing is not None:
        return existing
    row = CampaignAssignment(user_id=user.id, campaign_id=campaign_id)
    session.add(row)
    record_audit(session, action="campaign.assigned", actor=actor, entity_type="campaign",
                 entity_id=campaign_id, data={"user": user.email})
    session.flush()
    return row


def unassign_campaign(session: Session, *, user: User, campaign_id: uuid.UUID, actor: str = "system") -> bool:
    """Remove a user from a campaign; True when an assignment was removed."""
    row = session.exec(
        select(CampaignAssignment).where(
            CampaignAssignment.user_id == user.id, CampaignAssignment.campaign_id == campaign_id
        )
    ).first()
    if row is None:
        return False
    session.delete(row)
    record_audit(session, action="campaign.unassigned", actor=actor, entity_type="campaign",
                 entity_id=campaign_id, data={"user": user.email})
    session.flush()
    return True


def assignees_of_campaign(session: Session, *, campaign_id: uuid.UUID) -> list[User]:
    """Users assigned to a campaign."""
    statement = (
        select(User)
        .join(CampaignAssignment, col(CampaignAssignment.user_id) == col(User.id))
        .where(CampaignAssignment.campaign_id == campaign_id)
        .order_by(col(User.email))
    )
    return list(session.exec(statement))


def create_api_key(
    session: Session,
    *,
    name: str,
    scopes: list[str],
    user: User | None = None,
    expires_at: datetime | None = None,
    actor: str = "system",
) -> tuple[str, ApiKey]:
    """Create a key; returns the token (shown once, never stored) and the row."""
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise AccountError("an API key needs a name of 1-100 characters")
    if not scopes:
        raise AccountError(f"an API key needs at least one scope: {', '.join(s.value for s in Scope)}")
    try:
        parsed = parse_scopes(scopes)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    if expires_at is not None and expires_at <= utcnow():
        raise AccountError("expires_at lies in the past")
    token = new_token(API_KEY_PREFIX)
    key = ApiKey(
        name=clean,
        prefix=token[: len(API_KEY_PREFIX) + 6],
        key_hash=token_hash(token),
        scopes=[scope.value for scope in parsed],
        user_id=user.id if user else None,
        created_by=actor,
        expires_at=expires_at,
    )
    session.add(key)
    record_audit(session, action="apikey.created", actor=actor, entity_type="apikey", entity_id=key.id,
                 data={"name": clean, "scopes": key.scopes})
    session.flush()
    return token, key


def find_api_keys(session: Session, *, key: str) -> list[ApiKey]:
    """Keys matching an id, a name or a token prefix."""
    try:
        row = session.get(ApiKey, uuid.UUID(key))
    except ValueError:
        row = None
    if row is not None:
        return [row]
    statement = select(ApiKey).where((col(ApiKey.name) == key) | (col(ApiKey.prefix) == key))
    return list(session.exec(statement))


def revoke_api_key(session: Session, *, key: ApiKey, actor: str = "system") -> ApiKey:
    """Revoke a key (idempotent): it stops working immediately."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        record_audit(session, action="apikey.revoked", actor=actor, entity_type="apikey", entity_id=key.id,
                     data={"name": key.name})
        session.flush()
    return key


def list_api_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    """Keys, newest first."""
    statement = select(ApiKey)
    if not include_revoked:
        statement = statement.where(col(ApiKey.revoked_at).is_(None))
    return list(session.exec(statement.order_by(col(ApiKey.created_at).desc())))
