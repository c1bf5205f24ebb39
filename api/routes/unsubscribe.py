"""One-click unsubscribe (RFC 8058): ``GET`` shows a confirmation page, ``POST`` unsubscribes.

No cookies, no authentication: the signed token in the path is the capability. ``POST``
(what mail clients send with ``List-Unsubscribe=One-Click``) takes effect at once, is
idempotent and answers 200 without a redirect. ``GET`` never changes anything — link
scanners and prefetchers open links — it shows a form that POSTs. A tampered or foreign
token gets 400 and changes nothing. Pages are German and English.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine

from agents.compliance.unsubscribe import InvalidToken, unsubscribe_by_token, verify_token
from tools.crm.db import session_scope
from tools.settings import Settings

router = APIRouter(tags=["unsubscribe"])

_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}

_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<link rel="stylesheet" href="/static/unsubscribe.css"></head>
<body><main>{body}</main></body></html>"""


def get_engine(request: Request) -> Engine:
    """The app's engine (``app.state.engine``); override in tests or other apps."""
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    """The app's settings (``app.state.settings``)."""
    settings: Settings = request.app.state.settings
    return settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status, headers=_HEADERS)


def _invalid(reason: str) -> HTMLResponse:
    body = (
        "<h1>Ungültiger Abmeldelink</h1>"
        f"<p>Dieser Link ist nicht gültig ({escape(reason)}). Es wurde nichts geändert. "
        "Antworten Sie einfach auf unsere E-Mail mit „Abmelden“, dann tragen wir Sie aus.</p>"
        '<h2 class="en" lang="en">Invalid unsubscribe link</h2>'
        f'<p class="en" lang="en">This link is not valid ({escape(reason)}). Nothing was changed. '
        "Simply reply to our email with \"unsubscribe\" and we will remove you.</p>"
    )
    return _page("Ungültiger Link / Invalid link", body, status=400)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, summary="Unsubscribe: confirmation page")
def confirm_page(token: str, settings: SettingsDep) -> HTMLResponse:
    """Ask for confirmation; changes nothing (a link scanner must not unsubscribe anyone)."""
    try:
        verify_token(token, secret=settings.secret_key.get_secret_value())
    except InvalidToken as exc:
        return _invalid(str(exc).removeprefix("the unsubscribe link is "))
    body = (
        "<h1>Von weiteren E-Mails abmelden</h1>"
        "<p>Möchten Sie keine weiteren E-Mails von uns erhalten? Ein Klick genügt.</p>"
        '<form method="post"><button type="submit">Abmelden / Unsubscribe</button></form>'
        '<h2 class="en" lang="en">Unsubscribe from further emails</h2>'
        '<p class="en" lang="en">Don\'t want to hear from us again? One click is enough.</p>'
    )
    return _page("Abmelden / Unsubscribe", body)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, summary="Unsubscribe (RFC 8058 one-click)")
def one_click(token: str, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    """Unsubscribe at once: suppression, every lead suppressed, pending mail refused. Idempotent."""
    secret = settings.secret_key.get_secret_value()
    try:
        verify_token(token, secret=secret)
    except InvalidToken as exc:
        return _invalid(str(exc).removeprefix("the unsubscribe link is "))
    with session_scope(engine) as session:
        unsubscribe_by_token(session, token=token, secret=secret, source="one-click")
    body = (
        "<h1>Sie sind abgemeldet</h1>"
        "<p>Sie erhalten von uns keine weiteren E-Mails. Die Abmeldung gilt ab sofort.</p>"
        '<h2 class="en" lang="en">You are unsubscribed</h2>'
        '<p class="en" lang="en">You will not receive further emails from us. This takes effect immediately.</p>'
    )
    return _page("Abgemeldet / Unsubscribed", body)
