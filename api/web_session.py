"""Cookies and CSRF for the reps' web app.

The session cookie holds a random token (SHA-256 stored server-side), HttpOnly,
SameSite=Lax, Secure on https. Forms carry a CSRF token bound to the session
(HMAC of the session id with ``Settings.secret_key``); the login form, which has no
session yet, uses a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.auth import SESSION_TTL, AuthError, Principal, principal_for_session
from api.deps import DbSlot, get_engine, get_settings
from api.errors import ApiProblem
from tools.settings import Settings

SESSION_COOKIE = "outreach_session"
LOGIN_CSRF_COOKIE = "outreach_login_csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """A page needs a logged-in user; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Secure cookies when this request or the public URL is https."""
    return request.url.scheme == "https" or settings.public_base_url.startswith("https://")


def set_cookie(response: Response, request: Request, settings: Settings, name: str, value: str,
               max_age: int) -> None:
    """Set an HttpOnly, SameSite=Lax cookie (Secure on https)."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure_cookies(request, settings), path="/")


def set_session_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    """Set the session cookie."""
    set_cookie(response, request, settings, SESSION_COOKIE, token, int(SESSION_TTL.total_seconds()))


def csrf_token(settings: Settings, session_id: uuid.UUID) -> str:
    """The CSRF token of a session."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    """A random value for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request, submitted: str) -> None:
    """403 unless the login form's token matches its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise ApiProblem(403, "the login form expired; reload the page and try again", kind="csrf")


def get_web_principal(
    request: Request,
    engine: Annotated[Engine, Depends(get_engine)],
    _slot: DbSlot,
) -> Principal:
    """The logged-in user of a page; redirects to /login without a valid session."""
    token = request.cookies.get(SESSION_COOKIE)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise LoginRequired(target)
    with Session(engine, expire_on_commit=False) as session:
        try:
            return principal_for_session(session, token)
        except AuthError as exc:
            raise LoginRequired(target) from exc


WebUser = Annotated[Principal, Depends(get_web_principal)]


def check_csrf(principal: Principal, settings: Settings, submitted: str | None) -> None:
    """403 unless a form's token matches the session."""
    if principal.session_id is None:
        raise ApiProblem(403, "forms need a browser session", kind="csrf")
    expected = csrf_token(settings, principal.session_id)
    if not submitted or not hmac.compare_digest(expected, submitted):
        raise ApiProblem(403, "the form's security token is missing or stale; reload the page", kind="csrf")


def login_redirect(next_path: str) -> str:
    """The login URL that returns to ``next_path``."""
    return "/login?next=" + quote(next_path, safe="/")


def safe_next(value: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/queue"
    return value


SettingsDep = Annotated[Settings, Depends(get_settings)]
