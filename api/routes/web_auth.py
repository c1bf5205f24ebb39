"""Web login and logout (session cookie, CSRF-protected forms)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.auth import AuthError, close_session, login, open_session, principal_for_session
from api.deps import EngineDep, SessionDep, SettingsDep
from api.ratelimit_deps import enforce, limit_login
from api.web import render
from api.web_session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    WebUser,
    check_csrf,
    check_login_csrf,
    new_login_csrf,
    safe_next,
    set_cookie,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    """The queue is the start page."""
    return RedirectResponse("/queue", status_code=303)


def _login_page(request: Request, settings: SettingsDep, *, next_path: str, error: str | None = None,
                email: str = "", status_code: int = 200) -> HTMLResponse:
    token = new_login_csrf()
    response = render(request, "login.html", {"login_csrf": token, "next": next_path, "error": error,
                                              "email": email}, status_code=status_code)
    set_cookie(response, request, settings, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/login", response_model=None)
def login_form(request: Request, settings: SettingsDep, engine: EngineDep,
               next: str | None = None) -> Response:
    """The login page (or the queue when a session is active)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with Session(engine) as session:
            try:
                principal_for_session(session, token)
                return RedirectResponse(safe_next(next), status_code=303)
            except AuthError:
                pass
    return _login_page(request, settings, next_path=safe_next(next))


@router.post("/login", response_model=None)
def login_submit(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/queue",
) -> Response:
    """Check the password, start a session, set the cookie and go on."""
    check_login_csrf(request, csrf_token)
    limit_login(request)
    enforce(request, "login", "user:" + email.strip().lower())
    try:
        user = login(session, email=email, password=password)
    except AuthError:
        return _login_page(request, settings, next_path=safe_next(next), error="Wrong email or password.",
                           email=email, status_code=401)
    token, _row = open_session(session, user=user)
    session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, settings, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    principal: WebUser,
    settings: SettingsDep,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    """End the session."""
    check_csrf(principal, settings, csrf_token)
    if principal.session_id is not None:
        close_session(session, session_id=principal.session_id)
        session.commit()
    response = RedirectResponse("/login?notice=logged_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
