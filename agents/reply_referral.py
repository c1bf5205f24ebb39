"""A referral's new lead: the referred person joins the same campaign, once, if not suppressed.

The contact records where it came from (``source`` "referral from <contact id>" and the
reply in ``basis_source``); its ``lawful_basis`` stays ``none`` until a rep records one,
so the send-time compliance check holds the first mail until then.
"""

from __future__ import annotations

import re
import uuid

from sqlmodel import Session

from tools.crm.models import Company, Contact, Lead
from tools.crm.repository import add_lead, record_audit, upsert_company, upsert_contact
from tools.crm.suppression import is_suppressed
from tools.domains import is_freemail, registrable_domain

_SALUTATIONS = {"herr": "Herr", "herrn": "Herr", "frau": "Frau", "mr": "Mr", "mrs": "Ms", "ms": "Ms"}


def person_parts(name: str | None, text: str) -> dict[str, str | None]:
    """First name, last name and salutation of a referred name as the reply writes it.

    "Herrn Peter Krämer" → Peter / Krämer / Herr; "Frau Sommer" → last name Sommer, Frau;
    a lone "Ben" is a first name.
    """
    if not name:
        return {"first_name": None, "last_name": None, "salutation": None}
    marker = re.search(rf"\b(herrn?|frau|mr|mrs|ms)\.?\s+(?:(?:dr|prof)\.?\s+)*{re.escape(name)}", text, re.I)
    salutation = _SALUTATIONS[marker.group(1).lower()] if marker else None
    first, _, last = name.partition(" ")
    if last:
        return {"first_name": first, "last_name": last, "salutation": salutation}
    if marker:
        return {"first_name": None, "last_name": first, "salutation": salutation}
    return {"first_name": first, "last_name": None, "salutation": None}


def add_referred_lead(
    session: Session,
    *,
    lead: Lead,
    referrer: Contact,
    email: str,
    name: str | None,
    reply_text: str,
    inbound_id: uuid.UUID,
    secret: str,
) -> Lead | None:
    """The referred person's lead in ``lead``'s campaign (existing or new); None if suppressed."""
    if is_suppressed(session, email=email, secret=secret):
        return None
    domain = registrable_domain(email.partition("@")[2])
    company_id = referrer.company_id
    current = session.get(Company, company_id) if company_id else None
    if not is_freemail(email) and domain and (current is None or current.domain != domain):
        company_id = upsert_company(session, domain=domain).id
    source = f"referral from {referrer.id}"
    referred = upsert_contact(
        session,
        email=email,
        company_id=company_id,
        source=source,
        language=referrer.language,
        country=referrer.country,
        basis_source=f"referred by contact {referrer.id} in reply {inbound_id}",
        **person_parts(name, reply_text),
    )
    new_lead, created = add_lead(
        session, campaign_id=lead.campaign_id, contact_id=referred.id, source=source, owner=lead.owner
    )
    record_audit(
        session,
        action="lead.referral",
        actor="reply_classifier",
        entity_type="lead",
        entity_id=new_lead.id,
        data={"referred_by": str(referrer.id), "created": created, "inbound_id": str(inbound_id)},
    )
    return new_lead
