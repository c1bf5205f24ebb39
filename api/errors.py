"""Every API error is an RFC 9457 problem: ``application/problem+json`` with type, title, status, detail.

Validation errors add ``errors``: one entry per offending field, named by its location
(``body.sender.email``, ``query.limit``), so a client can point at the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from agents.routing import ResumeError
from api.workflow import InvalidInput, WorkflowError
from tools.crm.repository import NotFound

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://outreach-agents.dev/problems/"


class FieldError(BaseModel):
    """One invalid input field."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"field": "body.sender.email", "message": "not an email address"}]}
    )

    field: str = Field(description="Location of the field: body./query./path./header. + dotted path.")
    message: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_TYPE_BASE + "forbidden",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "you are not assigned to campaign 5f0c…",
                }
            ]
        }
    )

    type: str = Field(description="URI naming the kind of problem.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(default="", description="What went wrong in this request.")
    errors: list[FieldError] | None = Field(default=None, description="Invalid fields (validation errors).")


class ApiProblem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _slug(status)
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


def _slug(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "error"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body = Problem(
        type=PROBLEM_TYPE_BASE + (kind or _slug(status)),
        title=_title(status),
        status=status,
        detail=detail,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def field_errors(raw: Sequence[Any]) -> list[FieldError]:
    """Pydantic/FastAPI error dicts as FieldErrors (``body.sender.email``)."""
    out: list[FieldError] = []
    for error in raw:
        loc = [str(part) for part in error.get("loc", ())]
        out.append(FieldError(field=".".join(loc) or "body", message=str(error.get("msg", "invalid"))))
    return out


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting these problem statuses."""
    return {
        status: {
            "description": _title(status),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/webhooks/")) and "text/html" in request.headers.get(
        "accept", ""
    )


def install_error_handlers(app: FastAPI, *, html_renderer: Any | None = None) -> None:
    """Map exceptions to problem documents (or an HTML error page for browser requests)."""

    def render(request: Request, status: int, detail: str, **kwargs: Any) -> Response:
        if html_renderer is not None and _wants_html(request):
            response: Response = html_renderer(request, status, detail)
            for name, value in (kwargs.get("headers") or {}).items():
                response.headers[name] = value
            return response
        return problem_response(status, detail, **kwargs)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return render(request, exc.status, exc.detail, kind=exc.kind, errors=exc.errors, headers=exc.headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors(exc.errors())
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return render(request, 422, detail or "invalid request", kind="validation-error", errors=errors)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return render(request, exc.status_code, str(exc.detail), headers=exc.headers)

    async def on_not_found(request: Request, exc: Exception) -> Response:
        return render(request, 404, str(exc), kind="not-found")

    async def on_workflow(request: Request, exc: Exception) -> Response:
        if isinstance(exc, InvalidInput):
            return render(request, 422, str(exc), kind="invalid-input")
        return render(request, 409, str(exc), kind="conflict")

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(WorkflowError, on_workflow)
    app.add_exception_handler(ResumeError, on_workflow)  # a graph-backed service: thread not waiting
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(NotFound, on_not_found)
