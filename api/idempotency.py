"""``Idempotency-Key`` for POSTs that start work or send, stored in the database.

The first request with a key (per credential) records its status and body; a repeat with
the same request gets that response again (``Idempotent-Replayed: true``), a repeat with
a different body gets 409, and a repeat while the first is still running gets 409 with
``Retry-After``. Because the record lives in the database, this holds across workers.
Server errors (5xx) and auth/rate-limit answers are not kept, so those can be retried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from api.errors import problem_response
from tools.crm.auth_models import IdempotencyRecord
from tools.crm.types import utcnow

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)
PREFIXES = ("/api/", "/webhooks/")
_NOT_KEPT = {401, 403, 429}
_MAX_BODY = 1_000_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _header(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key.decode("latin-1").lower() == name:
            return str(value.decode("latin-1"))
    return None


def _fingerprint(scope: Scope) -> str:
    credential = _header(scope, "authorization") or ""
    return hashlib.sha256(credential.encode()).hexdigest()


def _request_hash(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"),
                 _header(scope, "content-type") or ""):
        digest.update(part.encode() + b"\x00")
    digest.update(body)
    return digest.hexdigest()


class _Store:
    """The DB side; every call runs on a worker thread with its own short session."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, key: str, principal: str, method: str, path: str, request_hash: str) -> IdempotencyRecord | None:
        """Insert an in-progress record; None when we own the key, else the existing record."""
        with Session(self.engine, expire_on_commit=False) as session:
            existing = session.exec(
                select(IdempotencyRecord).where(IdempotencyRecord.key == key, IdempotencyRecord.principal == principal)
            ).first()
            if existing is not None and existing.created_at < utcnow() - RETENTION:
                session.delete(existing)
                session.commit()
                existing = None
            if existing is not None:
                return existing
            session.add(IdempotencyRecord(key=key, principal=principal, method=method, path=path,
                                          request_hash=request_hash))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return session.exec(
                    select(IdempotencyRecord)
                    .where(IdempotencyRecord.key == key, IdempotencyRecord.principal == principal)
                ).one()
            return None

    def complete(self, key: str, principal: str, status: int, content_type: str | None, body: str) -> None:
        """Keep the response of the first request."""
        with Session(self.engine) as session:
            row = session.exec(
                select(IdempotencyRecord).where(IdempotencyRecord.key == key, IdempotencyRecord.principal == principal)
            ).one()
            row.status_code = status
            row.content_type = content_type
            row.response_body = body
            row.completed_at = utcnow()
            session.add(row)
            session.commit()

    def release(self, key: str, principal: str) -> None:
        """Forget the key so the request can be retried."""
        with Session(self.engine) as session:
            session.exec(delete(IdempotencyRecord).where(
                col(IdempotencyRecord.key) == key, col(IdempotencyRecord.principal) == principal))
            session.commit()


def purge_expired(engine: Engine) -> int:
    """Delete records older than the retention window; returns how many."""
    with Session(engine) as session:
        result = session.exec(delete(IdempotencyRecord).where(
            col(IdempotencyRecord.created_at) < utcnow() - RETENTION))
        session.commit()
        return int(result.rowcount or 0)


class IdempotencyMiddleware:
    """ASGI middleware applying ``Idempotency-Key`` to POSTs under /api/ and /webhooks/."""

    def __init__(self, app: ASGIApp, *, engine: Engine) -> None:
        self.app = app
        self.store = _Store(engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or not scope["path"].startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            response = problem_response(400, f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters",
                                        kind="bad-idempotency-key")
            await response(scope, receive, send)
            return
        body = await _read_body(receive)
        principal = _fingerprint(scope)
        request_hash = _request_hash(scope, body)
        existing = await anyio.to_thread.run_sync(
            self.store.claim, key, principal, scope["method"], scope["path"], request_hash
        )
        if existing is not None:
            await _answer_repeat(existing, request_hash, scope, receive, send)
            return
        await self._run_first(scope, body, receive, send, key, principal)

    async def _run_first(self, scope: Scope, body: bytes, receive: Receive, send: Send, key: str,
                         principal: str) -> None:
        status = 500
        content_type: str | None = None
        chunks: list[bytes] = []
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    if name.decode("latin-1").lower() == "content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self.store.release, key, principal)
            raise
        payload = b"".join(chunks)
        keep = status < 500 and status not in _NOT_KEPT and len(payload) <= _MAX_BODY
        text: str | None = None
        if keep:
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError:
                keep = False
        with anyio.CancelScope(shield=True):
            if keep and text is not None:
                await anyio.to_thread.run_sync(self.store.complete, key, principal, status, content_type, text)
            else:
                await anyio.to_thread.run_sync(self.store.release, key, principal)


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _answer_repeat(record: IdempotencyRecord, request_hash: str, scope: Scope, receive: Receive,
                         send: Send) -> None:
    if record.request_hash != request_hash:
        response = problem_response(
            409, "this Idempotency-Key was used for a different request; use a new key", kind="idempotency-mismatch"
        )
        await response(scope, receive, send)
        return
    if record.status_code is None:
        response = problem_response(409, "the first request with this Idempotency-Key is still running",
                                    kind="idempotency-in-progress", headers={"Retry-After": "1"})
        await response(scope, receive, send)
        return
    headers = [(b"content-type", (record.content_type or "application/json").encode("latin-1")),
               (b"idempotent-replayed", b"true")]
    payload = (record.response_body or "").encode("utf-8")
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})
