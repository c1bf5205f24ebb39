"""`outreach serve`, `outreach user …`, `outreach apikey …`: run the API and manage access."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import typer
from rich.table import Table

from api.auth import Scope
from api.cli.common import JsonOption, console, fail, get_settings, open_store, print_json, store_session
from api.users import (
    AccountError,
    assign_campaign,
    create_api_key,
    create_user,
    find_api_keys,
    get_user_by_email,
    list_api_keys,
    list_users,
    revoke_api_key,
    set_password,
)
from tools.crm.auth_models import ApiKey, User, UserRole
from tools.crm.repository import get_campaign_by_name
from tools.crm.types import utcnow

user_app = typer.Typer(help="Users of the web app and the API.", no_args_is_help=True)
apikey_app = typer.Typer(help="Scoped API keys (stored hashed; shown once).", no_args_is_help=True)
CLI_ACTOR = "cli"


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: Settings.api_host)."),
    port: int | None = typer.Option(None, help="Port (default: Settings.api_port)."),
    workers: int = typer.Option(1, min=1, help="Worker processes (rate limits are per process)."),
    proxy_headers: bool = typer.Option(False, help="Trust X-Forwarded-* from the proxy in front."),
) -> None:
    """Run the API and the reps' web app with uvicorn."""
    import uvicorn

    settings = get_settings()
    open_store(settings).dispose()  # fail with one line now rather than in every worker
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        proxy_headers=proxy_headers,
        log_level=settings.log_level.lower(),
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _user_dict(user: User) -> dict[str, Any]:
    return {"id": str(user.id), "email": user.email, "name": user.name, "role": user.role.value,
            "active": user.active, "has_password": user.password_hash is not None,
            "created_at": user.created_at.isoformat()}


@user_app.command("add")
def user_add(
    email: str = typer.Argument(..., help="The user's email (login name)."),
    role: UserRole = typer.Option(UserRole.rep, "--role", help="admin: everything; rep: assigned campaigns."),
    name: str | None = typer.Option(None, help="Display name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    no_password: bool = typer.Option(False, "--no-password", help="API keys only, no web login."),
    json_output: bool = JsonOption,
) -> None:
    """Create a user (asks for the password unless --password-stdin or --no-password)."""
    password = None if no_password else _read_password(password_stdin)
    with store_session() as (_settings, session):
        try:
            user = create_user(session, email=email, role=role, password=password, name=name, actor=CLI_ACTOR)
        except AccountError as exc:
            fail(str(exc))
        data = _user_dict(user)
    if json_output:
        print_json(data)
    else:
        console.print(f"created {data['role']} {data['email']}")


@user_app.command("passwd")
def user_passwd(
    email: str = typer.Argument(..., help="The user's email."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
) -> None:
    """Set a user's password."""
    password = _read_password(password_stdin)
    with store_session() as (_settings, session):
        user = get_user_by_email(session, email=email)
        if user is None:
            fail(f"no user {email}")
        try:
            set_password(session, user=user, password=password, actor=CLI_ACTOR)
        except AccountError as exc:
            fail(str(exc))
    console.print(f"password of {email} changed")


@user_app.command("assign")
def user_assign(
    email: str = typer.Argument(..., help="The user's email."),
    campaign: str = typer.Argument(..., help="Campaign name."),
) -> None:
    """Let a rep work on a campaign."""
    with store_session() as (_settings, session):
        user = get_user_by_email(session, email=email)
        if user is None:
            fail(f"no user {email}")
        row = get_campaign_by_name(session, name=campaign)
        if row is None:
            fail(f"no campaign {campaign}")
        assign_campaign(session, user=user, campaign_id=row.id, actor=CLI_ACTOR)
    console.print(f"{email} works on {campaign}")


@user_app.command("list")
def user_list(json_output: bool = JsonOption) -> None:
    """List users."""
    with store_session() as (_settings, session):
        rows = [_user_dict(u) for u in list_users(session)]
    if json_output:
        print_json(rows)
        return
    table = Table("email", "role", "name", "password", "active")
    for row in rows:
        table.add_row(row["email"], row["role"], row["name"] or "", "yes" if row["has_password"] else "no",
                      "yes" if row["active"] else "no")
    console.print(table)


def _key_dict(key: ApiKey) -> dict[str, Any]:
    return {"id": str(key.id), "name": key.name, "prefix": key.prefix, "scopes": key.scopes,
            "user_id": str(key.user_id) if key.user_id else None, "created_at": key.created_at.isoformat(),
            "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
            "expires_at": key.expires_at.isoformat() if key.expires_at else None,
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Argument(..., help="What the key is for."),
    scope: list[str] = typer.Option(..., "--scope", help=f"Repeatable: {', '.join(s.value for s in Scope)}."),
    user: str | None = typer.Option(None, "--user", help="Act as this user (never beyond their role)."),
    expires_days: int | None = typer.Option(None, "--expires-days", min=1, help="Expire after N days."),
    json_output: bool = JsonOption,
) -> None:
    """Create a key; the token is printed once and only its hash is stored."""
    with store_session() as (_settings, session):
        owner = None
        if user is not None:
            owner = get_user_by_email(session, email=user)
            if owner is None:
                fail(f"no user {user}")
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        try:
            token, key = create_api_key(session, name=name, scopes=scope, user=owner, expires_at=expires,
                                        actor=CLI_ACTOR)
        except AccountError as exc:
            fail(str(exc))
        data = {**_key_dict(key), "token": token}
    if json_output:
        print_json(data)
    else:
        console.print(f"API key {data['name']} ({', '.join(data['scopes'])}) — store it now, it is not shown again:")
        console.print(token, highlight=False, soft_wrap=True)


@apikey_app.command("revoke")
def apikey_revoke(
    key: str = typer.Argument(..., help="Key id, name or prefix."),
    json_output: bool = JsonOption,
) -> None:
    """Revoke a key; it stops working at once."""
    with store_session() as (_settings, session):
        matches = find_api_keys(session, key=key)
        if not matches:
            fail(f"no API key {key}")
        if len(matches) > 1:
            fail(f"{len(matches)} keys match {key!r}; use the id")
        revoked = revoke_api_key(session, key=matches[0], actor=CLI_ACTOR)
        data = _key_dict(revoked)
    if json_output:
        print_json(data)
    else:
        console.print(f"revoked {data['name']} ({data['prefix']}…)")


@apikey_app.command("list")
def apikey_list(
    all_keys: bool = typer.Option(False, "--all", help="Include revoked keys."),
    json_output: bool = JsonOption,
) -> None:
    """List keys (never their secrets)."""
    with store_session() as (_settings, session):
        rows = [_key_dict(k) for k in list_api_keys(session, include_revoked=all_keys)]
    if json_output:
        print_json(rows)
        return
    table = Table("name", "prefix", "scopes", "last used", "revoked")
    for row in rows:
        table.add_row(row["name"], row["prefix"], ", ".join(row["scopes"]), row["last_used_at"] or "–",
                      row["revoked_at"] or "")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add serve, user and apikey commands."""
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
    app.add_typer(apikey_app, name="apikey")
