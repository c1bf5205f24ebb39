"""LLM usage and cost, aggregated from the LLMCall table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.access import require_campaign
from api.deps import Reader, SessionDep
from api.errors import ApiProblem, problem_responses
from api.metrics import GroupBy, usage
from api.schemas import UsageReport

router = APIRouter(prefix="/api/usage", tags=["usage"], responses=problem_responses(400, 401, 403, 422))


@router.get("", response_model=UsageReport, summary="LLM usage and cost")
def usage_route(
    principal: Reader,
    session: SessionDep,
    group_by: GroupBy = "model",
    since: datetime | None = None,
    until: datetime | None = None,
    campaign_id: Annotated[uuid.UUID | None, Query()] = None,
) -> UsageReport:
    """Calls, tokens, cost, latency and errors by model, agent, campaign or UTC day; reps see their campaigns."""
    for name, stamp in (("since", since), ("until", until)):
        if stamp is not None and stamp.tzinfo is None:
            raise ApiProblem(422, f"{name} needs a time zone, e.g. 2026-11-01T00:00:00Z", kind="validation-error")
    if campaign_id is not None:
        require_campaign(principal, campaign_id)
    rows, total = usage(session, group_by=group_by, since=since, until=until, campaign_ids=principal.campaign_ids,
                        campaign_id=campaign_id)
    return UsageReport(group_by=group_by, since=since, until=until, rows=rows, total=total)
