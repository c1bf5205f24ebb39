"""``POST /webhooks/inbound-email``: raw RFC 5322 (message/rfc822, text/plain) or a JSON payload."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.deps import EngineDep, InboundSender, ServicesDep, SettingsDep
from api.errors import ApiProblem, field_errors, problem_responses
from api.ratelimit_deps import limit_webhook
from api.schemas import InboundAccepted
from tools.crm.types import utcnow
from tools.email.errors import ParseError
from tools.email.ingest import ingest_payload, store_raw_email
from tools.email.parsing import InboundEmailPayload
from tools.settings import Settings

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_BYTES = 10 * 1024 * 1024
RAW_TYPES = ("message/rfc822", "text/plain")
_RAW_EXAMPLE = (
    "From: Anna Schmidt <anna.schmidt@kunde.example>\r\nTo: erika@muster.example\r\n"
    "Subject: Re: Ihre neue Fertigungshalle\r\nMessage-ID: <abc@kunde.example>\r\n"
    "In-Reply-To: <outbox-0f8fad5b-d9cb-469f-a165-70867728950e@muster.example>\r\n\r\n"
    "Gerne, rufen Sie mich Donnerstag an.\r\n"
)
_OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "message/rfc822": {"schema": {"type": "string"}, "example": _RAW_EXAMPLE},
            "text/plain": {"schema": {"type": "string"}, "example": _RAW_EXAMPLE},
            "application/json": {
                "schema": InboundEmailPayload.model_json_schema(
                    by_alias=True, ref_template="#/components/schemas/{model}"
                ),
            },
        },
    }
}


def _store(engine: Engine, settings: Settings, content_type: str, raw: bytes) -> tuple[InboundAccepted, bool]:
    started = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        if content_type == "application/json":
            try:
                data = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ApiProblem(400, f"the body is not valid JSON: {exc}", kind="bad-request") from exc
            if not isinstance(data, dict):
                raise ApiProblem(422, "the JSON body must be an object", kind="validation-error")
            try:
                inbound = ingest_payload(session, data, settings=settings)
            except ValidationError as exc:
                errors = field_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
                raise ApiProblem(422, "; ".join(f"{e.field}: {e.message}" for e in errors), kind="validation-error",
                                 errors=errors) from exc
            new = inbound.received_at >= started
        else:
            inbound, new = store_raw_email(session, raw, settings=settings)
        session.commit()
    accepted = InboundAccepted(id=inbound.id, lead_id=inbound.lead_id, matched=inbound.lead_id is not None,
                               match_method=inbound.match_method, duplicate=not new)
    return accepted, new


@router.post(
    "/inbound-email",
    response_model=InboundAccepted,
    status_code=201,
    dependencies=[Depends(limit_webhook)],
    openapi_extra=_OPENAPI_BODY,
    responses={200: {"model": InboundAccepted, "description": "Already stored (same Message-ID)."},
               **problem_responses(400, 401, 403, 413, 415, 422, 429)},
    summary="Receive an inbound mail",
)
async def inbound_email(request: Request, principal: InboundSender, engine: EngineDep, settings: SettingsDep,
                        services: ServicesDep) -> JSONResponse:
    """Store a mail (raw RFC 5322 or JSON), match it to its thread, and hand it to reply processing.

    201 for a new mail, 200 when the Message-ID was stored before (nothing changes).
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (*RAW_TYPES, "application/json"):
        raise ApiProblem(415, "send message/rfc822, text/plain or application/json", kind="unsupported-media-type")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
        raise ApiProblem(413, f"mails over {MAX_BYTES} bytes are not accepted", kind="too-large")
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        raise ApiProblem(413, f"mails over {MAX_BYTES} bytes are not accepted", kind="too-large")
    if not raw.strip():
        raise ApiProblem(422, "the body is empty", kind="validation-error")
    try:
        accepted, new = await run_in_threadpool(_store, engine, settings, content_type, raw)
    except ParseError as exc:
        raise ApiProblem(422, f"not an email: {exc}", kind="not-an-email") from exc
    if new:
        await services.replies.inbound_received(accepted.id, actor=principal.actor)
    return JSONResponse(accepted.model_dump(mode="json"), status_code=201 if new else 200)
