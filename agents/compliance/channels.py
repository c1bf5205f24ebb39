"""Another channel for a lead we may not email: a task for the rep with a phone number and a
LinkedIn message draft in the lead's language.

B2B phone calls need only presumed consent (UWG §7 Abs. 2 Nr. 1), so the phone is the
lawful first choice in Germany where unsolicited promotional email is not. The LinkedIn
text is deterministic (template, formal "Sie") and short enough for a connection note.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from agents.campaign import CampaignSpec
from agents.language import closing_line, salutation_line
from agents.profile import CompanyProfile
from agents.writer_types import Language, Recipient
from tools.crm.models import Company, Contact, Lead, Task
from tools.crm.repository import create_task

OTHER_CHANNEL_TASK = "other_channel"
LINKEDIN_NOTE_LIMIT = 300

_TEXT: dict[Language, dict[str, str]] = {
    "de": {
        "title": "Anderen Kanal nutzen: {who} ({company})",
        "why": "Keine E-Mail: {reason}.",
        "phone": "Telefon: {phone} (im B2B bei mutmaßlicher Einwilligung zulässig, UWG §7 Abs. 2 Nr. 1)",
        "no_phone": "Telefon: keine Nummer bekannt – bitte auf der Website/im Impressum nachsehen.",
        "linkedin": "LinkedIn-Nachricht (Entwurf):",
        "intro": "ich bin {sender} von {company}.",
        "offer": "Wir helfen mit {product}: {value}",
        "ask": "Hätten Sie Interesse an einem kurzen Austausch?",
    },
    "en": {
        "title": "Use another channel: {who} ({company})",
        "why": "No email: {reason}.",
        "phone": "Phone: {phone}",
        "no_phone": "Phone: no number known – please check the website / legal notice.",
        "linkedin": "LinkedIn message (draft):",
        "intro": "I am {sender} from {company}.",
        "offer": "We help with {product}: {value}",
        "ask": "Would you be open to a short conversation?",
    },
}


def lead_language(contact: Contact, draft_language: str | None = None) -> Language:
    """The language of the lead's mails: the draft's, else the contact's, else by country."""
    for value in (draft_language, contact.language):
        if value and value.lower()[:2] in {"de", "en"}:
            return "de" if value.lower().startswith("de") else "en"
    return "de" if (contact.country or "").upper() in {"DE", "AT", "CH", "LI"} else "en"


def company_phone(company: Company | None, contact: Contact, profile: CompanyProfile | None = None) -> str | None:
    """The company phone found by research (profile, else stored profile), else the contact's own."""
    candidates: list[object] = list(profile.phones) if profile is not None else []
    if company is not None and isinstance(company.profile, dict):
        stored = company.profile.get("phones")
        candidates += stored if isinstance(stored, list) else []
    candidates.append(contact.phone)
    for phone in candidates:
        if isinstance(phone, str) and phone.strip():
            return phone.strip()
    return None


def linkedin_message(spec: CampaignSpec, contact: Contact, language: Language) -> str:
    """A connection note in ``language``, at most ``LINKEDIN_NOTE_LIMIT`` characters."""
    text = _TEXT[language]
    greeting = salutation_line(language, Recipient.from_contact(contact), tone="friendly")
    intro = text["intro"].format(sender=spec.sender.name, company=spec.sender.legal.company_name)
    offer = text["offer"].format(product=spec.offer.product, value=spec.offer.value_proposition.strip())
    closing = f"{closing_line(language, tone='friendly')}\n{spec.sender.name}"
    parts = [greeting, f"{intro} {offer}", text["ask"], closing]
    note = "\n".join(parts)
    if len(note) > LINKEDIN_NOTE_LIMIT:
        note = "\n".join([greeting, intro, text["ask"], closing])
    return note[:LINKEDIN_NOTE_LIMIT]


def create_channel_task(
    session: Session,
    *,
    lead: Lead,
    contact: Contact,
    company: Company | None,
    spec: CampaignSpec,
    reason: str,
    language: Language,
    profile: CompanyProfile | None = None,
) -> tuple[Task, bool]:
    """The rep's task to reach this lead another way; one per lead (returns it and whether new)."""
    existing = session.exec(select(Task).where(Task.lead_id == lead.id, Task.kind == OTHER_CHANNEL_TASK)).first()
    if existing is not None:
        return existing, False
    text = _TEXT[language]
    who = " ".join(p for p in (contact.first_name, contact.last_name) if p) or (contact.role or "contact")
    company_name = (company.name or company.domain) if company is not None else (profile.domain if profile else "?")
    phone = company_phone(company, contact, profile)
    note = linkedin_message(spec, contact, language)
    body_lines = [
        text["why"].format(reason=reason),
        text["phone"].format(phone=phone) if phone else text["no_phone"],
    ]
    if contact.linkedin_url:
        body_lines.append(f"LinkedIn: {contact.linkedin_url}")
    body_lines += ["", text["linkedin"], note]
    payload: dict[str, Any] = {
        "reason": reason,
        "language": language,
        "channels": [
            {"channel": "phone", "number": phone},
            {"channel": "linkedin", "url": contact.linkedin_url, "message": note},
        ],
    }
    task = create_task(
        session,
        kind=OTHER_CHANNEL_TASK,
        title=text["title"].format(who=who, company=company_name)[:500],
        lead_id=lead.id,
        body="\n".join(body_lines),
        assignee=lead.owner or spec.owner,
        payload=payload,
    )
    return task, True
