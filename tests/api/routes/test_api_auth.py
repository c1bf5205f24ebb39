"""Auth: login sessions, users, API keys (hashed, scoped, revocable), rate limits, CORS."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from api.auth import token_hash
from api.ratelimit import Rate, RateLimits
from tests.api.routes.conftest import PASSWORD, World
from tools.crm.auth_models import ApiKey, User
from tools.settings import Settings


def test_login_gives_a_bearer_session(client: TestClient, world: World) -> None:
    response = client.post("/api/auth/login", json={"email": "Rep-A@muster.example", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["user"]["campaign_ids"] == [str(world.campaign_a)]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["kind"] == "user" and me["role"] == "rep" and "drafts:approve" in me["scopes"]
    assert me["campaign_ids"] == [str(world.campaign_a)]
    assert client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    after = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401 and after.headers["www-authenticate"].startswith("Bearer")


def test_wrong_password_is_401_with_the_same_message(client: TestClient, world: World) -> None:
    wrong = client.post("/api/auth/login", json={"email": "rep-a@muster.example", "password": "nope"})
    unknown = client.post("/api/auth/login", json={"email": "ghost@muster.example", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong email or password"


def test_bad_tokens_are_401(client: TestClient, world: World) -> None:
    for header in ("Bearer oak_not-a-key", "Bearer something", "Basic dXNlcjpwdw==", "Bearer oas_expired"):
        response = client.get("/api/campaigns", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["content-type"] == "application/problem+json"


def test_api_keys_are_stored_hashed(client: TestClient, world: World, engine: Engine) -> None:
    with Session(engine) as session:
        stored = session.exec(select(ApiKey).where(ApiKey.name == "reader")).one()
        assert stored.key_hash == token_hash(world.keys["reader"])
        assert world.keys["reader"] not in {stored.key_hash, stored.prefix}
        assert world.keys["reader"].startswith(stored.prefix)


def test_admin_creates_and_revokes_keys(client: TestClient, world: World) -> None:
    created = client.post("/api/api-keys", headers=world.auth("admin"),
                          json={"name": "crm-sync", "scopes": ["read"]})
    assert created.status_code == 201
    token, key_id = created.json()["token"], created.json()["id"]
    listed = client.get("/api/api-keys", headers=world.auth("admin")).json()
    assert "token" not in next(k for k in listed if k["id"] == key_id)
    assert client.get("/api/leads", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/api/suppressions", headers={"Authorization": f"Bearer {token}"},
                       json={"value": "x@y.example"}).status_code == 403
    revoked = client.delete(f"/api/api-keys/{key_id}", headers=world.auth("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    response = client.get("/api/leads", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_key_creation_rejects_unknown_scope_and_reps(client: TestClient, world: World) -> None:
    bad = client.post("/api/api-keys", headers=world.auth("admin"), json={"name": "x", "scopes": ["root"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("body.scopes")
    assert client.post("/api/api-keys", headers=world.auth("rep_a"),
                       json={"name": "x", "scopes": ["read"]}).status_code == 403


def test_a_users_key_never_exceeds_the_users_role(client: TestClient, world: World) -> None:
    created = client.post("/api/api-keys", headers=world.auth("admin"),
                          json={"name": "rep-admin", "scopes": ["admin", "read"], "user_email": "rep-a@muster.example"})
    token = created.json()["token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["scopes"] == ["read"] and me["campaign_ids"] == [str(world.campaign_a)]
    assert client.get("/api/users", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_users_admin_only_and_validated(client: TestClient, world: World, engine: Engine) -> None:
    body = {"email": "neu@muster.example", "role": "rep", "password": "ein langes passwort"}
    assert client.post("/api/users", headers=world.auth("rep_a"), json=body).status_code == 403
    assert client.post("/api/users", headers=world.auth("admin"), json=body).status_code == 201
    assert client.post("/api/users", headers=world.auth("admin"), json=body).status_code == 409
    short = client.post("/api/users", headers=world.auth("admin"), json={**body, "email": "b@muster.example",
                                                                         "password": "kurz"})
    assert short.status_code == 422
    with Session(engine) as session:
        assert session.exec(select(User).where(User.email == "b@muster.example")).first() is None
        stored = session.exec(select(User).where(User.email == "neu@muster.example")).one()
        assert stored.password_hash and stored.password_hash.startswith("$argon2")
    emails = [u["email"] for u in client.get("/api/users", headers=world.auth("admin")).json()]
    assert "neu@muster.example" in emails


def test_login_is_rate_limited(settings: Settings, engine: Engine, world: World) -> None:
    limits = RateLimits(login=Rate(burst=2, per_minute=1), webhook=Rate(burst=10, per_minute=10))
    with TestClient(create_app(settings, engine=engine, limits=limits)) as client:
        codes = [client.post("/api/auth/login", json={"email": "rep-a@muster.example", "password": "x"}).status_code
                 for _ in range(3)]
        assert codes == [401, 401, 429]
        limited = client.post("/api/auth/login", json={"email": "rep-a@muster.example", "password": PASSWORD})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_cors_is_off_unless_configured(settings: Settings, engine: Engine, world: World) -> None:
    preflight = {"Origin": "https://crm.example", "Access-Control-Request-Method": "GET"}
    with TestClient(create_app(settings, engine=engine)) as client:
        assert "access-control-allow-origin" not in client.options("/api/leads", headers=preflight).headers
    configured = settings.model_copy(update={"cors_origins": ["https://crm.example"]})
    with TestClient(create_app(configured, engine=engine)) as client:
        response = client.options("/api/leads", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://crm.example"
