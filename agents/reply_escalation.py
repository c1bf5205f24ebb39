"""What a rep needs to answer an interested prospect: the thread, the research, a draft answer.

The draft comes from a capable LLM (``prompts/reply_answer``) when one is configured, else
from a deterministic template in the lead's language. The embedded model is not asked: it
writes broken German (ARCHITECTURE.md), and a rep would have to rewrite it anyway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlmodel import Session, col, select

from agents.campaign import CampaignSpec
from agents.language import closing_line, detect_language, salutation_line
from agents.llm import LLM, CallContext, LLMError, Message
from agents.reply_types import ReplyClassificationResult, ReplyLabel
from agents.writer_types import Recipient
from prompts.loader import load_prompt
from tools.crm.models import Campaign, Company, Contact, Lead, OutboxMessage
from tools.crm.repository import facts_of_company

ANSWER_PROMPT_ID = "reply_answer"
EMBEDDED_MODEL_PREFIX = "local/"
MAX_FACTS = 8
MAX_THREAD_BODY = 1500
Language = Literal["de", "en"]


@dataclass
class EscalationContext:
    """Everything the escalation task carries besides the reply itself."""

    owner: str | None
    language: Language
    thread: list[dict[str, Any]] = field(default_factory=list)
    research: dict[str, Any] = field(default_factory=dict)
    suggested_answer: str = ""
    suggested_answer_source: Literal["llm", "template"] = "template"
    answer_error: str | None = None

    def payload(self) -> dict[str, Any]:
        """The parts the escalation task stores."""
        return {
            "thread": self.thread,
            "research": self.research,
            "suggested_answer": self.suggested_answer,
            "suggested_answer_source": self.suggested_answer_source,
            "answer_error": self.answer_error,
        }


def campaign_spec(campaign: Campaign | None) -> CampaignSpec | None:
    """The validated spec of a campaign row, or None if it does not validate."""
    if campaign is None or not campaign.spec:
        return None
    try:
        return CampaignSpec.model_validate(campaign.spec)
    except ValueError:
        return None


def lead_owner(lead: Lead, campaign: Campaign | None) -> str | None:
    """The lead's owner, else the campaign owner, else the campaign's sender."""
    if lead.owner:
        return lead.owner
    spec = campaign.spec if campaign is not None else {}
    owner = spec.get("owner") if isinstance(spec, dict) else None
    if isinstance(owner, str) and owner:
        return owner
    sender = spec.get("sender") if isinstance(spec, dict) else None
    email = sender.get("email") if isinstance(sender, dict) else None
    return email if isinstance(email, str) and email else None


def reply_language(contact: Contact, reply_text: str, spec: CampaignSpec | None) -> Language:
    """The language to answer in: the contact's, else the reply's, else the campaign's, else English."""
    if contact.language == "de":
        return "de"
    if contact.language == "en":
        return "en"
    detected = detect_language(reply_text, min_hits=2).language
    if detected is not None:
        return detected
    if spec is not None and spec.language != "auto":
        return spec.language
    return "en"


def thread_of(session: Session, lead: Lead) -> list[dict[str, Any]]:
    """The mails we sent this lead, oldest first."""
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == lead.id).order_by(col(OutboxMessage.step)))
    return [
        {
            "step": row.step,
            "status": row.status.value,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            "subject": row.subject,
            "body": row.body[:MAX_THREAD_BODY],
        }
        for row in rows
    ]


def research_of(session: Session, contact: Contact) -> dict[str, Any]:
    """The company's description and its first sourced facts."""
    company = session.get(Company, contact.company_id) if contact.company_id else None
    if company is None:
        return {}
    profile = company.profile or {}
    facts = [
        {"text": str(item.get("text", "")), "source_url": str(item.get("source_url", ""))}
        for item in profile.get("facts", [])
        if isinstance(item, dict) and item.get("text")
    ][:MAX_FACTS]
    if not facts:
        facts = [{"text": f.text, "source_url": f.source_url} for f in facts_of_company(session, company_id=company.id)]
        facts = facts[:MAX_FACTS]
    return {
        "company": company.name or company.domain,
        "domain": company.domain,
        "description": profile.get("description") or company.description,
        "industry": profile.get("industry") or company.industry,
        "facts": facts,
    }


def _format_meeting(value: str, language: Language) -> str:
    moment = datetime.fromisoformat(value)
    if language == "de":
        day = moment.strftime("%d.%m.%Y")
        return f"am {day} um {moment:%H:%M} Uhr" if "T" in value else f"am {day}"
    day = f"{moment.day} {moment:%B %Y}"
    return f"on {day} at {moment:%H:%M}" if "T" in value else f"on {day}"


def template_answer(
    result: ReplyClassificationResult, *, contact: Contact, language: Language, rep_name: str | None
) -> str:
    """A short, grammatical answer the rep can edit; states nothing the reply did not."""
    recipient = Recipient(first_name=contact.first_name, last_name=contact.last_name, salutation=contact.salutation)
    greeting = salutation_line(language, recipient)
    meeting = result.fields.meeting_time
    if language == "de":
        if result.label is ReplyLabel.question:
            middle = (
                "vielen Dank für Ihre Frage. Ich kläre die Einzelheiten und melde mich kurzfristig mit einer "
                "Antwort. Gern besprechen wir das auch in einem kurzen Telefonat."
            )
        elif meeting:
            middle = (
                f"vielen Dank für Ihre Rückmeldung. Gern bestätige ich den Termin {_format_meeting(meeting, 'de')}"
                " und sende Ihnen gleich eine Einladung."
            )
        else:
            middle = (
                "vielen Dank für Ihre Rückmeldung, das freut mich. Wann passt Ihnen in den nächsten Tagen ein "
                "kurzes Gespräch? Ich richte mich gern nach Ihrem Kalender."
            )
    elif result.label is ReplyLabel.question:
        middle = (
            "thank you for your question. I will check the details and come back to you shortly. "
            "Happy to go through it on a short call as well."
        )
    elif meeting:
        middle = (
            f"thank you for your reply. Happy to confirm {_format_meeting(meeting, 'en')}; I will send an invitation."
        )
    else:
        middle = (
            "thank you for your reply, glad to hear it. When would a short call suit you in the next few days? "
            "I am happy to fit in with your calendar."
        )
    closing = closing_line(language)
    return f"{greeting}\n\n{middle}\n\n{closing}\n{rep_name or ''}".rstrip() + "\n"


def llm_writes_answers(llm: LLM | None) -> bool:
    """True for a configured capable model; the embedded one drafts by template."""
    return llm is not None and not llm.model_name.startswith(EMBEDDED_MODEL_PREFIX)


async def llm_answer(
    llm: LLM,
    *,
    result: ReplyClassificationResult,
    reply_text: str,
    contact: Contact,
    language: Language,
    spec: CampaignSpec | None,
    research: dict[str, Any],
    lead_id: uuid.UUID,
) -> str:
    """An answer drafted by the LLM; raises LLMError (the caller falls back to the template)."""
    recipient = Recipient(first_name=contact.first_name, last_name=contact.last_name, salutation=contact.salutation)
    rendered = load_prompt(ANSWER_PROMPT_ID).render(
        rep_name=spec.sender.name if spec else "the sales team",
        language=language,
        language_name="German" if language == "de" else "English",
        salutation=salutation_line(language, recipient),
        closing=closing_line(language),
        offer=f"{spec.offer.product}: {spec.offer.value_proposition}" if spec else "our product",
        facts=[fact["text"] for fact in research.get("facts", [])],
        reply=reply_text,
    )
    messages = [cast(Message, {"role": m.role, "content": m.content}) for m in rendered.messages]
    context = CallContext(
        prompt_id=rendered.id, prompt_version=rendered.version, agent="reply_answer", lead_id=str(lead_id)
    )
    text = await llm.complete(
        messages, temperature=rendered.params.temperature, max_tokens=rendered.params.max_tokens, context=context
    )
    text = text.strip()
    if not text:
        raise LLMError("the model returned an empty answer")
    return text[:3000]


async def build_escalation(
    session: Session,
    *,
    lead: Lead,
    contact: Contact,
    campaign: Campaign | None,
    result: ReplyClassificationResult,
    reply_text: str,
    llm: LLM | None,
) -> EscalationContext:
    """Read everything the escalation needs and draft the answer (no writes)."""
    spec = campaign_spec(campaign)
    language = reply_language(contact, reply_text, spec)
    context = EscalationContext(
        owner=lead_owner(lead, campaign),
        language=language,
        thread=thread_of(session, lead),
        research=research_of(session, contact),
    )
    if llm is not None and llm_writes_answers(llm):
        try:
            context.suggested_answer = await llm_answer(
                llm,
                result=result,
                reply_text=reply_text,
                contact=contact,
                language=language,
                spec=spec,
                research=context.research,
                lead_id=lead.id,
            )
            context.suggested_answer_source = "llm"
            return context
        except LLMError as exc:  # the template below is the documented fallback
            context.answer_error = f"{type(exc).__name__}: {exc}"
    context.suggested_answer = template_answer(
        result, contact=contact, language=language, rep_name=spec.sender.name if spec else None
    )
    return context
