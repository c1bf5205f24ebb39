"""The campaign dashboard: funnel and reply rate by prompt version as server-side SVG."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from api.access import campaign_filter, require_campaign
from api.charts import funnel_chart, reply_rate_chart
from api.deps import SessionDep
from api.metrics import funnel, reply_rates, status_counts
from api.web import render
from api.web_session import WebUser
from tools.crm.models import Campaign
from tools.crm.repository import get_campaign

router = APIRouter(include_in_schema=False)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, principal: WebUser, session: SessionDep) -> HTMLResponse:
    """The campaigns the user works on, each with its funnel."""
    statement = select(Campaign)
    scope = campaign_filter(principal, Campaign.id)
    if scope is not None:
        statement = statement.where(scope)
    campaigns = list(session.exec(statement.order_by(col(Campaign.name))))
    rows = [{"campaign": c, "funnel": funnel(session, campaign_id=c.id)} for c in campaigns]
    return render(request, "campaigns.html", {"rows": rows}, principal=principal)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def dashboard_page(request: Request, campaign_id: uuid.UUID, principal: WebUser, session: SessionDep) -> HTMLResponse:
    """Funnel, reply rate by prompt version, and counts of one campaign."""
    require_campaign(principal, campaign_id)
    campaign = get_campaign(session, campaign_id=campaign_id)
    stages = funnel(session, campaign_id=campaign_id)
    rates = reply_rates(session, campaign_id=campaign_id)
    return render(request, "dashboard.html", {
        "campaign": campaign, "funnel": stages, "rates": rates,
        "counts": status_counts(session, campaign_id=campaign_id),
        "funnel_svg": funnel_chart(stages), "rates_svg": reply_rate_chart(rates),
    }, principal=principal)
