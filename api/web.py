"""Rendering the reps' pages: one Jinja2 environment (autoescaped), shared page context.

Drafts and replies are untrusted text: templates never mark them safe; claims are
highlighted by splitting the text into segments that Jinja escapes one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.auth import Principal
from api.web_session import csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

NOTICES = {
    "approved": "Draft approved and queued for sending.",
    "rejected": "Draft rejected.",
    "regenerate": "A new version was requested.",
    "bulk": "Low-risk drafts approved.",
    "task_done": "Task closed.",
    "task_assigned": "Task assigned to you.",
    "logged_out": "You are logged out.",
}


def build_templates() -> Jinja2Templates:
    """The template environment (HTML autoescaped, undefined names are errors in tests)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the user, its CSRF token and an optional notice."""
    templates: Jinja2Templates = request.app.state.templates
    settings = request.app.state.settings
    notice = NOTICES.get(request.query_params.get("notice", ""))
    base = {
        "user": principal,
        "csrf_token": csrf_token(settings, principal.session_id) if principal and principal.session_id else "",
        "notice": notice,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


@dataclass(frozen=True)
class Segment:
    """A run of draft text; ``claim`` is the index of the claim it shows, if any."""

    text: str
    claim: int | None = None


def claim_segments(body: str, claims: list[str]) -> tuple[list[Segment], list[int]]:
    """Split ``body`` so every claim found verbatim is its own segment; also the claims not found."""
    spans: list[tuple[int, int, int]] = []
    missing: list[int] = []
    for index, text in enumerate(claims):
        start = body.find(text) if text else -1
        while start != -1 and any(s < start + len(text) and start < e for s, e, _ in spans):
            start = body.find(text, start + 1)
        if start == -1:
            missing.append(index)
        else:
            spans.append((start, start + len(text), index))
    segments: list[Segment] = []
    cursor = 0
    for start, end, index in sorted(spans):
        if start > cursor:
            segments.append(Segment(body[cursor:start]))
        segments.append(Segment(body[start:end], index))
        cursor = end
    if cursor < len(body):
        segments.append(Segment(body[cursor:]))
    return segments, missing


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """The HTML error page for browser requests."""
    return render(request, "error.html", {"status": status, "detail": detail}, status_code=status)
