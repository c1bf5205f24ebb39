"""The reps' web app in a real Chromium: login, queue shortcuts, claim → source, edit + approve, scoping, escaping."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api.routes.conftest import PASSWORD, World
from tools.crm.models import Draft, DraftStatus, OutboxMessage, Task

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium at /usr/bin/chromium"),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """One headless Chromium for the test."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


def _open(browser: Browser, live_url: str, violations: list[str] | None = None) -> Page:
    page = browser.new_context(base_url=live_url).new_page()
    page.set_default_timeout(20_000)
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    if violations is not None:  # the browser reports every blocked inline script/style on the console
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
    return page


def _login(page: Page, email: str) -> None:
    page.goto("/queue")
    expect(page).to_have_url(re.compile(r"/login\?next=/queue$"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/queue$"))


def test_rep_reviews_edits_and_approves(browser: Browser, live_url: str, world: World, engine: Engine) -> None:
    violations: list[str] = []
    page = _open(browser, live_url, violations)
    _login(page, "rep-a@muster.example")
    rows = page.locator("tr.queue-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_attribute("data-draft-id", str(world.draft_a))
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()

    page.keyboard.press("o")  # open the selected (riskiest) draft
    expect(page).to_have_url(re.compile(f"/drafts/{world.draft_a}$"))
    claim = page.locator("mark.claim", has_text="neue Fertigungshalle in Augsburg")
    claim.click()
    expect(page.locator("#source-text")).to_have_text("12.11.2026 – Neue Fertigungshalle in Augsburg eröffnet")
    expect(page.locator("#source-link")).to_have_attribute("href", "https://kunde-a.example/presse")
    expect(page.locator(f"#fact-{world.fact_a}")).to_have_class(re.compile(r"\bhighlight\b"))
    page.locator("mark.claim.unsupported").click()
    expect(page.locator("#source-text")).to_contain_text("No source")
    expect(page.locator(f"#fact-{world.fact_a}")).not_to_have_class(re.compile(r"\bhighlight\b"))

    page.keyboard.press("e")
    expect(page.locator("#edit-form")).to_be_visible()
    expect(page.locator("#view")).to_be_hidden()
    edited = ("Sehr geehrte Frau Schmidt,\n\nSie haben eine neue Fertigungshalle in Augsburg eröffnet. "
              "Glückwunsch!\n\nMit freundlichen Grüßen\nErika Mustermann")
    page.fill("#edit-body", edited)
    page.fill("#edit-subject", "Glückwunsch zur neuen Halle")
    page.click("#save-approve")
    expect(page).to_have_url(re.compile(r"/queue\?notice=approved$"))
    expect(page.locator(".notice")).to_have_text("Draft approved and queued for sending.")

    with Session(engine) as session:
        original = session.get(Draft, world.draft_a)
        approved = session.exec(select(Draft).where(Draft.edited_from_id == world.draft_a)).one()
        outbox = session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == world.lead_a)).one()
        assert original.status is DraftStatus.superseded
        assert approved.status is DraftStatus.approved and approved.body == edited
        assert approved.created_by == "user:rep-a@muster.example"
        assert outbox.draft_id == approved.id and outbox.body == edited
        assert outbox.subject == "Glückwunsch zur neuen Halle" and outbox.status.value == "pending"

    expect(rows).to_have_count(1)  # the remaining low-risk draft, approved with a keystroke
    page.keyboard.press("a")
    expect(page).to_have_url(re.compile(r"/queue\?notice=approved$"))
    expect(page.locator(".empty")).to_have_text("Nothing to approve.")
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a2).status is DraftStatus.approved

    page.goto(f"/campaigns/{world.campaign_a}")
    expect(page.locator("#funnel-chart svg text[data-stage=approved]")).to_have_text("2 (100 %)")
    assert violations == []


def test_rep_of_another_campaign_cannot_see_it(browser: Browser, live_url: str, world: World) -> None:
    page = _open(browser, live_url)
    _login(page, "rep-b@muster.example")
    expect(page.locator("tr.queue-row")).to_have_count(1)
    expect(page.locator(f'tr[data-draft-id="{world.draft_a}"]')).to_have_count(0)
    response = page.goto(f"/drafts/{world.draft_a}")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("403")
    expect(page.locator("body")).not_to_contain_text("Fertigungshalle")


def test_reply_with_script_is_shown_as_text(browser: Browser, live_url: str, world: World, engine: Engine) -> None:
    with Session(engine) as session:
        task_id: uuid.UUID = session.exec(select(Task).where(Task.lead_id == world.lead_b)).one().id
    page = _open(browser, live_url)
    _login(page, "rep-b@muster.example")
    page.goto("/inbox")
    expect(page.locator("table.tasks a")).to_have_text("Bert <script>alert(1)</script> antwortet")
    page.click("table.tasks a")
    expect(page).to_have_url(re.compile(f"/inbox/{task_id}$"))
    expect(page.locator(".mail-in .mail-body")).to_have_text("<script>alert('x')</script> Gerne!")
    expect(page.locator("#suggestion")).to_have_text("<b>Danke</b>")
    expect(page.locator("#suggestion b")).to_have_count(0)
    expect(page.locator("script")).to_have_count(1)  # only /static/app.js
