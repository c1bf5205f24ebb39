"""The reps' web app over HTTP: login, cookies, CSRF, scoping, escaping, CSP, dashboard."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from tests.api.routes.conftest import GENEROUS, PASSWORD, World
from tools.crm.models import Draft, DraftStatus, OutboxMessage, Task
from tools.settings import Settings


def _login(client: TestClient, email: str, password: str = PASSWORD, next_path: str = "/queue") -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token,
                                           "next": next_path}, follow_redirects=False)
    assert response.status_code == 303, response.text


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_pages_need_a_login(client: TestClient) -> None:
    response = client.get("/queue?campaign_id=x", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/queue%3Fcampaign_id%3Dx"


def test_login_sets_a_safe_session_cookie(client: TestClient, world: World) -> None:
    page = client.get("/login")
    token = _csrf(page.text)
    response = client.post("/login", data={"email": "rep-a@muster.example", "password": PASSWORD,
                                           "csrf_token": token, "next": "https://evil.example/"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("outreach_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_when_public_url_is_https(settings: Settings, engine: Engine, world: World) -> None:
    https = settings.model_copy(update={"public_base_url": "https://outreach.example"})
    with TestClient(create_app(https, engine=engine, limits=GENEROUS)) as client:
        page = client.get("/login")
        token = _csrf(page.text)
        login_cookie = page.headers["set-cookie"]
        assert "Secure" in login_cookie  # so the client does not send it back over plain http:
        response = client.post("/login", data={"email": "rep-a@muster.example", "password": PASSWORD,
                                               "csrf_token": token}, headers={"Cookie": f"outreach_login_csrf={token}"},
                               follow_redirects=False)
        cookie = next(v for k, v in response.headers.multi_items()
                      if k == "set-cookie" and v.startswith("outreach_session="))
        assert "Secure" in cookie


def test_login_form_needs_its_csrf_token(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": "rep-a@muster.example", "password": PASSWORD,
                                           "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 403 and "outreach_session" not in response.headers.get("set-cookie", "")


def test_wrong_password_shows_the_form_again(client: TestClient, world: World) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"email": "rep-a@muster.example", "password": "falsch",
                                           "csrf_token": _csrf(page.text)})
    assert response.status_code == 401 and "Wrong email or password." in response.text


def test_queue_shows_only_the_reps_campaigns(client: TestClient, world: World) -> None:
    _login(client, "rep-a@muster.example")
    page = client.get("/queue").text
    assert str(world.draft_a) in page and str(world.draft_a2) in page and str(world.draft_b) not in page
    rows = re.findall(r'data-draft-id="([^"]+)"', page)
    assert rows == [str(world.draft_a), str(world.draft_a2)]  # riskiest first
    bulk = re.findall(r'name="draft_id" value="([^"]+)"', page)
    assert bulk == [str(world.draft_a2)]  # only the low-risk draft is offered for bulk approval
    assert client.get(f"/drafts/{world.draft_b}").status_code == 403
    assert client.get(f"/campaigns/{world.campaign_b}").status_code == 403


def test_forms_without_csrf_change_nothing(client: TestClient, world: World, engine: Engine) -> None:
    _login(client, "rep-a@muster.example")
    response = client.post(f"/drafts/{world.draft_a2}/approve", data={}, follow_redirects=False)
    assert response.status_code == 403
    forged = client.post(f"/drafts/{world.draft_a2}/approve", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a2).status is DraftStatus.pending
        assert session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == world.lead_a2)).first() is None


def test_approve_reject_regenerate_forms(client: TestClient, world: World, engine: Engine) -> None:
    _login(client, "rep-a@muster.example")
    token = _csrf(client.get(f"/drafts/{world.draft_a}").text)
    regenerate = client.post(f"/drafts/{world.draft_a}/regenerate", data={"csrf_token": token,
                                                                          "instruction": "kürzer"},
                             follow_redirects=False)
    assert regenerate.status_code == 303
    reject = client.post(f"/drafts/{world.draft_a}/reject", data={"csrf_token": token, "reason": "zu forsch"},
                         follow_redirects=False)
    assert reject.headers["location"] == "/queue?notice=rejected"
    approve = client.post(f"/drafts/{world.draft_a2}/approve", data={"csrf_token": token}, follow_redirects=False)
    assert approve.status_code == 303
    page = client.get(approve.headers["location"]).text
    assert "Draft approved and queued for sending." in page
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a).status is DraftStatus.rejected
        assert session.get(Draft, world.draft_a2).status is DraftStatus.approved
        assert session.exec(select(Task).where(Task.kind == "regenerate")).one().payload["instruction"] == "kürzer"
    again = client.post(f"/drafts/{world.draft_a2}/approve", data={"csrf_token": token})
    assert again.status_code == 409 and "not pending" in again.text


def test_textarea_line_breaks_do_not_count_as_an_edit(client: TestClient, world: World, engine: Engine) -> None:
    _login(client, "rep-a@muster.example")
    with Session(engine) as session:
        draft = session.get(Draft, world.draft_a2)
        subject, body = draft.subject, draft.body
    token = _csrf(client.get(f"/drafts/{world.draft_a2}").text)
    client.post(f"/drafts/{world.draft_a2}/approve", data={"csrf_token": token, "subject": subject,
                                                          "body": body.replace("\n", "\r\n")})
    with Session(engine) as session:
        assert session.get(Draft, world.draft_a2).status is DraftStatus.approved  # no new version


def test_untrusted_text_is_escaped(client: TestClient, world: World, engine: Engine) -> None:
    _login(client, "rep-b@muster.example")
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.lead_id == world.lead_b)).one()
    inbox = client.get("/inbox").text
    assert "Bert &lt;script&gt;alert(1)&lt;/script&gt; antwortet" in inbox
    page = client.get(f"/inbox/{task.id}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Gerne!" in page
    assert "&lt;b&gt;Danke&lt;/b&gt;" in page
    assert "<script>alert" not in page and "<b>Danke" not in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script src="/static/app.js" defer>']


def test_pages_carry_a_strict_csp(client: TestClient, world: World) -> None:
    _login(client, "rep-a@muster.example")
    response = client.get(f"/drafts/{world.draft_a}")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "style=" not in response.text and "onclick" not in response.text
    assert re.findall(r'(?:src|href)="(https?:)?//', response.text) == []  # nothing external loads


def test_draft_page_puts_claims_beside_their_facts(client: TestClient, world: World) -> None:
    _login(client, "rep-a@muster.example")
    page = client.get(f"/drafts/{world.draft_a}").text
    assert f'data-fact-id="{world.fact_a}">Sie haben eine neue Fertigungshalle in Augsburg eröffnet</mark>' in page
    assert 'class="claim unsupported"' in page
    assert f'id="fact-{world.fact_a}" class="fact cited"' in page
    assert 'data-source="https://kunde-a.example/presse"' in page


def test_dashboard_draws_the_funnel(client: TestClient, world: World) -> None:
    _login(client, "rep-b@muster.example")
    page = client.get(f"/campaigns/{world.campaign_b}").text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'data-stage="sent">1 (100 %)</text>' in page and 'data-stage="interested">0 (0 %)</text>' in page
    listing = client.get("/campaigns").text
    assert "kampagne-b" in listing and "kampagne-a" not in listing


def test_inbox_task_can_be_taken_and_closed(client: TestClient, world: World, engine: Engine) -> None:
    _login(client, "rep-a@muster.example")
    page = client.get(f"/inbox/{world.task_a}").text
    assert "Sehr geehrte Frau Schmidt, gerne rufe ich an." in page and "Rufen Sie mich an." in page
    token = _csrf(page)
    client.post(f"/inbox/{world.task_a}/assign", data={"csrf_token": token})
    done = client.post(f"/inbox/{world.task_a}/complete", data={"csrf_token": token, "note": "erledigt"},
                       follow_redirects=False)
    assert done.headers["location"] == "/inbox?notice=task_done"
    with Session(engine) as session:
        task = session.get(Task, world.task_a)
        assert task.status.value == "done" and task.assignee == "rep-a@muster.example"


def test_logout_ends_the_session(client: TestClient, world: World) -> None:
    _login(client, "rep-a@muster.example")
    token = _csrf(client.get("/queue").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    assert client.get("/queue", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/static/app.js", "/static/app.css"])
def test_static_assets_are_served(app: FastAPI, path: str) -> None:
    with TestClient(app) as client:
        assert client.get(path).status_code == 200
