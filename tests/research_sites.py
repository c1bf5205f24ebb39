"""Shared by the research tests: the fixture websites, special pages, and a real Chromium.

Import it as ``tests.research_sites`` (the repository root is on ``pythonpath``; ``tests`` is a
namespace package).
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tools.browser import Browser, find_system_chromium
from tools.errors import BrowserUnavailable
from tools.local_sites import LocalSite
from tools.web_guard import WebGuard

SITES = Path(__file__).resolve().parent / "fixtures" / "sites"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEN_MB = 10 * 1024 * 1024


def huge_page(handler: BaseHTTPRequestHandler, _site: LocalSite) -> None:
    """A 10 MB HTML page (declared length, sent in chunks)."""
    chunk = b"<p>" + b"x" * 1020 + b"</p>\n"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", str(TEN_MB))
    handler.end_headers()
    sent = 0
    try:
        while sent < TEN_MB:
            piece = chunk[: TEN_MB - sent]
            handler.wfile.write(piece)
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        return


def huge_page_undeclared(handler: BaseHTTPRequestHandler, site: LocalSite) -> None:
    """A 10 MB page without Content-Length (the body has to be counted)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    try:
        for _ in range(TEN_MB // 8192):
            handler.wfile.write(b"<i>" + b"y" * 8185 + b"</i>")
    except (BrokenPipeError, ConnectionResetError):
        return


def never_finishes(handler: BaseHTTPRequestHandler, site: LocalSite) -> None:
    """Headers and a first chunk, then silence until the server stops (at most 60 s)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html; charset=utf-8")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        handler.wfile.write(b"<html><head><title>loading")
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        return
    deadline = time.monotonic() + 60
    while not site.stopping.is_set() and time.monotonic() < deadline:
        site.stopping.wait(0.1)


SPECIAL_ROUTES: dict[str, Callable[[BaseHTTPRequestHandler, LocalSite], None]] = {
    "/huge.html": huge_page,
    "/huge-chunked.html": huge_page_undeclared,
    "/hang.html": never_finishes,
}


@asynccontextmanager
async def research_browser(
    *,
    allowlist: tuple[str, ...] = ("127.0.0.1",),
    guard: WebGuard | None = None,
    page_timeout_s: float = 10.0,
    **options: float | int | bool,
) -> AsyncIterator[Browser]:
    """A started Browser for tests (no politeness delay); skips when no Chromium can start."""
    browser = Browser(
        guard=guard or WebGuard(allowlist=allowlist),
        executable=find_system_chromium(),
        politeness_delay_s=0.0,
        page_timeout_s=page_timeout_s,
        **options,  # type: ignore[arg-type]
    )
    try:
        await browser.start()
    except BrowserUnavailable as exc:
        if IN_CI:
            pytest.fail(f"Chromium is required under CI=true: {exc}")
        pytest.skip(f"no Chromium: {exc}")
    try:
        yield browser
    finally:
        await browser.close()
