"""The send-time check: every compliance rule, right before a mail leaves, with reason codes.

``check_send`` answers *send*, *defer* ("not now": outside the window, too soon after the
last mail, a cap reached — the row stays pending with a later ``scheduled_at``) or
*refuse* (never: suppressed, legal details incomplete, no lawful basis, …). Every answer
but *send* is written to the audit log with its code; refusals also update the lead (and,
for a missing lawful basis, give the rep a task for another channel).

``make_precheck`` adapts it to ``tools.email.outbox.dispatch(precheck=…)``; each check runs
in its own short transaction, so the quota counters it takes are committed at once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agents.campaign import CampaignSpec
from agents.compliance.channels import lead_language
from agents.compliance.config import ComplianceSettings, load_compliance_settings
from agents.compliance.legal import missing_legal_details
from agents.compliance.limits import NotNow, SendLimits, WarmupRamp, reserve_send
from agents.compliance.policy import evaluate_basis, propose_other_channel, recipient_country
from agents.compliance.window import WindowError, WindowRule
from tools.crm.db import session_scope
from tools.crm.models import Campaign, Company, Contact, Draft, EmailStatus, Lead, LeadStatus, OutboxMessage
from tools.crm.repository import record_audit, set_lead_status
from tools.crm.suppression import is_suppressed
from tools.crm.types import utcnow
from tools.domains import registrable_domain
from tools.email.outbox import Deferral, PrecheckResult
from tools.settings import Settings

DEFAULT_SECRET = "change-me-in-production"  # the shipped placeholder; SMTP sending refuses it

REFUSAL_CODES: dict[str, str] = {
    "contact_missing": "the contact no longer exists (erased?)",
    "suppressed": "the address or its domain is in the suppression ledger",
    "email_invalid": "the address hard-bounced before",
    "lead_inactive": "the lead is suppressed, blocked, rejected or closed",
    "campaign_inactive": "the campaign is missing, stopped or its spec is invalid",
    "legal_incomplete": "the sender's legal details (Impressum, privacy page) are incomplete",
    "footer_missing": "the mail body lacks the sender's legal footer",
    "unsubscribe_not_https": "SMTP sending needs an https public_base_url for one-click unsubscribe",
    "secret_key_default": "SMTP sending needs a secret_key other than the shipped placeholder",
    "lawful_basis_missing": "no lawful basis for promotional email in the recipient's country",
}
DEFERRAL_CODES: dict[str, str] = {
    "campaign_paused": "the campaign is paused",
    "outside_window": "outside the sending window or not a business day in the recipient's time zone",
    "daily_cap": "the sender mailbox reached its daily cap (or warm-up ramp)",
    "domain_cap": "the recipient's domain got its daily number of mails",
    "spacing": "too soon after the mailbox's last send",
}
INACTIVE_LEADS = frozenset({LeadStatus.suppressed, LeadStatus.blocked, LeadStatus.rejected, LeadStatus.closed})
# Campaign states that end sending for good ("paused" defers; created/active/running send).
STOPPED_CAMPAIGNS = frozenset({"stopped", "archived", "closed", "cancelled", "canceled", "completed", "deleted"})
PAUSE_RETRY = timedelta(hours=1)


class Verdict(StrEnum):
    """What the check decided."""

    send = "send"
    defer = "defer"
    refuse = "refuse"


@dataclass(frozen=True)
class SendDecision:
    """The answer for one outbox row; ``until`` is set for deferrals."""

    verdict: Verdict
    code: str | None = None
    detail: str = ""
    until: datetime | None = None

    @classmethod
    def refuse(cls, code: str, detail: str) -> SendDecision:
        """A hard refusal with a code from ``REFUSAL_CODES``."""
        assert code in REFUSAL_CODES, code
        return cls(Verdict.refuse, code, detail)

    @classmethod
    def defer(cls, code: str, until: datetime, detail: str) -> SendDecision:
        """A "not now" with a code from ``DEFERRAL_CODES``."""
        assert code in DEFERRAL_CODES, code
        return cls(Verdict.defer, code, detail, until)


@dataclass
class _Context:
    row: OutboxMessage
    contact: Contact | None
    lead: Lead | None
    campaign: Campaign | None
    company: Company | None


def mailbox_of(from_email: str) -> str:
    """The bare sender address of a From value (``Name <a@b>`` → ``a@b``)."""
    return parseaddr(from_email)[1].strip().lower() or from_email.strip().lower()


def send_limits(settings: Settings, spec: CampaignSpec, config: ComplianceSettings) -> SendLimits:
    """The limits for one campaign's mails: the lower daily cap of settings and campaign."""
    ramp = (
        WarmupRamp(config.warmup_start_per_day, config.warmup_step_per_day)
        if config.warmup_start_per_day
        else None
    )
    return SendLimits(
        mailbox_daily=min(settings.daily_send_cap, spec.limits.daily_sends),
        domain_daily=spec.limits.per_domain_daily,
        min_spacing_s=settings.send_min_spacing_s,
        jitter_s=settings.send_min_spacing_s * config.send_jitter_ratio,
        warmup=ramp,
    )


def _load(session: Session, row: OutboxMessage) -> _Context:
    contact = session.get(Contact, row.contact_id)
    company = session.get(Company, contact.company_id) if contact is not None and contact.company_id else None
    return _Context(row, contact, session.get(Lead, row.lead_id), session.get(Campaign, row.campaign_id), company)


def _transport_rules(settings: Settings) -> SendDecision | None:
    if settings.email_transport != "smtp":
        return None  # the file transport delivers to nobody: local demos may use http and the placeholder
    if urlsplit(settings.public_base_url).scheme != "https":
        return SendDecision.refuse("unsubscribe_not_https", f"public_base_url is {settings.public_base_url}")
    if settings.secret_key.get_secret_value() in {"", DEFAULT_SECRET}:
        return SendDecision.refuse("secret_key_default", "set OUTREACH_SECRET_KEY to a long random value")
    return None


def _hard_rules(
    session: Session, ctx: _Context, *, settings: Settings, config: ComplianceSettings
) -> tuple[SendDecision | None, CampaignSpec | None]:
    row, contact, lead, campaign = ctx.row, ctx.contact, ctx.lead, ctx.campaign
    if contact is None:
        return SendDecision.refuse("contact_missing", f"contact {row.contact_id} not found"), None
    secret = settings.secret_key.get_secret_value()
    for address in dict.fromkeys([row.to_email, contact.email]):
        reason = is_suppressed(session, email=address, secret=secret)
        if reason is not None:
            return SendDecision.refuse("suppressed", f"suppressed ({reason})"), None
    if contact.email_status is EmailStatus.invalid:
        return SendDecision.refuse("email_invalid", "the address is marked invalid"), None
    if lead is None or lead.status in INACTIVE_LEADS:
        state = lead.status.value if lead is not None else "missing"
        return SendDecision.refuse("lead_inactive", f"lead is {state}"), None
    if campaign is None:
        return SendDecision.refuse("campaign_inactive", "campaign not found"), None
    try:
        spec = CampaignSpec.model_validate(campaign.spec)
    except ValidationError as exc:
        detail = f"stored campaign spec is invalid: {exc.error_count()} errors"
        return SendDecision.refuse("campaign_inactive", detail), None
    if campaign.status in STOPPED_CAMPAIGNS:
        return SendDecision.refuse("campaign_inactive", f"campaign is {campaign.status}"), spec
    missing = missing_legal_details(spec)
    if missing:
        return SendDecision.refuse("legal_incomplete", "missing: " + ", ".join(missing)), spec
    transport = _transport_rules(settings)
    if transport is not None:
        return transport, spec
    if spec.sender.legal.company_name.strip().lower() not in row.body.lower():
        return SendDecision.refuse("footer_missing", "the body does not name the sender company"), spec
    basis = evaluate_basis(contact, ctx.company, config)
    if not basis.allowed:
        return SendDecision.refuse("lawful_basis_missing", basis.reason), spec
    return None, spec


def _timing(
    session: Session, ctx: _Context, spec: CampaignSpec, *, settings: Settings, config: ComplianceSettings,
    now: datetime, rng: random.Random | None,
) -> SendDecision:
    assert ctx.contact is not None and ctx.campaign is not None
    if ctx.campaign.status == "paused":
        return SendDecision.defer("campaign_paused", now + PAUSE_RETRY, "campaign is paused")
    try:
        rule = WindowRule.for_recipient(
            spec.sending_window, contact_tz=ctx.contact.timezone,
            country=recipient_country(ctx.contact, ctx.company), skip_german_holidays=config.skip_german_holidays,
        )
        opens = rule.next_open(now)
    except WindowError as exc:
        return SendDecision.defer("outside_window", now + PAUSE_RETRY, str(exc))
    if opens is not None:
        return SendDecision.defer("outside_window", opens, f"window opens {opens.astimezone(rule.zone).isoformat()}")
    answer = reserve_send(
        session, mailbox=mailbox_of(ctx.row.from_email), domain=registrable_domain(ctx.row.to_email),
        limits=send_limits(settings, spec, config), now=now, rng=rng,
    )
    if isinstance(answer, NotNow):
        return SendDecision.defer(answer.code, rule.first_open_at_or_after(answer.until), answer.detail)
    return SendDecision(Verdict.send)


def _record(session: Session, ctx: _Context, decision: SendDecision, spec: CampaignSpec | None) -> None:
    row = ctx.row
    data: dict[str, object] = {"code": decision.code, "detail": decision.detail, "lead_id": str(row.lead_id)}
    if decision.until is not None:
        data["until"] = decision.until.isoformat()
    action = "compliance.deferred" if decision.verdict is Verdict.defer else "compliance.refused"
    record_audit(session, action=action, actor="compliance", entity_type="outbox", entity_id=row.id, data=data)
    if decision.verdict is not Verdict.refuse or ctx.lead is None:
        return
    lead = ctx.lead
    if decision.code == "suppressed" and lead.status is not LeadStatus.suppressed:
        set_lead_status(session, lead=lead, status=LeadStatus.suppressed, actor="compliance", reason="suppressed")
    elif decision.code == "lawful_basis_missing" and ctx.contact is not None and spec is not None:
        if lead.status is not LeadStatus.blocked:
            set_lead_status(session, lead=lead, status=LeadStatus.blocked, actor="compliance",
                            reason="lawful_basis_missing")
        draft = session.get(Draft, row.draft_id) if row.draft_id else None
        language = lead_language(ctx.contact, draft.language if draft is not None else None)
        propose_other_channel(session, lead=lead, contact=ctx.contact, company=ctx.company, spec=spec,
                              reason=decision.detail, language=language)


def check_send(
    session: Session,
    row: OutboxMessage,
    *,
    settings: Settings,
    config: ComplianceSettings | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> SendDecision:
    """Decide whether ``row`` may go out now; takes a quota slot when it may (see module doc)."""
    config = config or load_compliance_settings()
    now = now or utcnow()
    ctx = _load(session, row)
    decision, spec = _hard_rules(session, ctx, settings=settings, config=config)
    if decision is None:
        assert spec is not None
        decision = _timing(session, ctx, spec, settings=settings, config=config, now=now, rng=rng)
    if decision.verdict is not Verdict.send:
        _record(session, ctx, decision, spec)
    session.flush()
    return decision


def as_precheck_result(decision: SendDecision) -> PrecheckResult:
    """The outbox's vocabulary: None (send), a refusal code, or a Deferral."""
    if decision.verdict is Verdict.send:
        return None
    if decision.verdict is Verdict.defer:
        assert decision.until is not None and decision.code is not None
        return Deferral(until=decision.until, reason=decision.code)
    assert decision.code is not None
    return decision.code


def make_precheck(
    engine: Engine,
    settings: Settings,
    *,
    config: ComplianceSettings | None = None,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
) -> Callable[[OutboxMessage], Awaitable[PrecheckResult]]:
    """``dispatch(precheck=make_precheck(engine, settings))``: the full check, off the event loop."""
    resolved = config or load_compliance_settings()

    def run(row: OutboxMessage) -> PrecheckResult:
        with session_scope(engine) as session:
            decision = check_send(session, row, settings=settings, config=resolved, now=clock(), rng=rng)
        return as_precheck_result(decision)

    async def precheck(row: OutboxMessage) -> PrecheckResult:
        return await asyncio.to_thread(run, row)

    return precheck
