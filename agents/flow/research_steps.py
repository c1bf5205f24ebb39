"""Graph nodes ``research`` and ``score``."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.compliance.policy import check_lawful_basis, propose_other_channel
from agents.flow.context import FlowContext
from agents.flow.store import lead_rows
from agents.flow.tracing import NodeTrace, traced
from agents.nodes.research import research_company
from agents.research_store import load_fresh_profile, save_profile
from agents.routing import AfterScore, route_after_score
from agents.scoring import score_fit
from agents.state import LeadState
from tools.crm.db import session_scope
from tools.crm.models import LeadStatus
from tools.crm.repository import set_lead_status


@traced("research")
async def research(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> Command[str]:
    """Research the lead's company once (per-domain lock + TTL cache), then score."""
    ctx = runtime.context
    with lead_rows(ctx.engine, state) as (_session, rows):
        company = rows.company
        target = (company.website or company.domain) if company else None
    if company is None or target is None:
        trace.detail["skipped"] = "contact has no company"
        return Command(goto="score", update={"company_domain": None})
    domain = company.domain
    async with ctx.research_locks(domain):
        with session_scope(ctx.engine) as session:
            cached = load_fresh_profile(session, domain=domain, ttl_days=ctx.settings.research_ttl_days, now=ctx.now())
        if cached is not None:
            trace.detail["cache"] = "hit"
        else:
            trace.detail["cache"] = "miss"
            trace.tool("browser")
            browser = await ctx.browser.get()
            profile = await research_company(
                target, browser=browser, llm=trace.llm, settings=ctx.settings, now=ctx.now()
            )
            with session_scope(ctx.engine) as session:
                save_profile(session, profile)
    with lead_rows(ctx.engine, state) as (session, rows):
        if rows.lead.status == LeadStatus.new:
            set_lead_status(session, lead=rows.lead, status=LeadStatus.researched)
    return Command(goto="score", update={"company_domain": domain})


@traced("score")
async def score(state: LeadState, runtime: Runtime[FlowContext], trace: NodeTrace) -> Command[AfterScore]:
    """ICP fit and lawful basis decide whether the lead is drafted."""
    ctx = runtime.context
    with lead_rows(ctx.engine, state) as (session, rows):
        profile = None
        if rows.company is not None:
            profile = load_fresh_profile(session, domain=rows.company.domain, ttl_days=10_000, now=ctx.now())
        fit = score_fit(profile, rows.spec.icp, contact_role=rows.contact.role) if profile is not None else None
        fit_score = fit.score if fit is not None else 0
        rows.lead.fit_score = fit_score
        rows.lead.fit_reasons = fit.reasons if fit is not None else ["no company research available"]
        is_fit = fit is not None and fit.is_fit(rows.spec.icp.threshold)
        verdict = check_lawful_basis(rows.contact)
        trace.detail.update({"fit_score": fit_score, "lawful": verdict.allowed})
        route = route_after_score(fit=is_fit, allowed=verdict.allowed)
        if not is_fit:
            set_lead_status(session, lead=rows.lead, status=LeadStatus.skipped, reason=f"fit {fit_score}")
            return Command(goto=route, update={"fit_score": fit_score, "status": "skipped", "reason": "low fit"})
        if not verdict.allowed:
            set_lead_status(session, lead=rows.lead, status=LeadStatus.blocked, reason=verdict.reason_code)
            propose_other_channel(session, lead=rows.lead, contact=rows.contact, spec=rows.spec, profile=profile)
            return Command(
                goto=route, update={"fit_score": fit_score, "status": "blocked", "reason": verdict.reason_code}
            )
    return Command(goto=route, update={"fit_score": fit_score, "step": state.get("step") or 1})
