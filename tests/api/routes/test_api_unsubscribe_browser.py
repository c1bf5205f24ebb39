"""The unsubscribe pages in a real Chromium: opening the link changes nothing, the button unsubscribes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.compliance.unsubscribe import unsubscribe_url
from tools.crm.models import Lead, LeadStatus, Suppression
from tools.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


def _suppressed(engine: Engine, world: Any) -> tuple[int, LeadStatus]:
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_a)
        assert lead is not None
        return len(session.exec(select(Suppression)).all()), lead.status


def test_recipient_confirms_in_the_browser(browser: Browser, live_url: str, settings: Settings, engine: Engine,
                                           world: Any) -> None:
    with Session(engine) as session:
        lead = session.get(Lead, world.lead_a)
        assert lead is not None
        path = unsubscribe_url(settings, lead.contact_id, lead.campaign_id).removeprefix(settings.public_base_url)
    page = browser.new_context().new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(live_url + path)
    expect(page.locator("h1")).to_have_text("Von weiteren E-Mails abmelden")
    assert _suppressed(engine, world) == (0, LeadStatus.new)  # opening the link changed nothing
    color = page.locator("p.en").first.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(85, 85, 85)"  # the stylesheet loads under the strict CSP
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Sie sind abgemeldet")
    assert page.url == live_url + path  # no redirect
    assert _suppressed(engine, world) == (1, LeadStatus.suppressed)
    page.goto(live_url + path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    expect(page.locator("h1")).to_have_text("Ungültiger Abmeldelink")
    assert all("Content Security Policy" not in text for text in problems), problems
