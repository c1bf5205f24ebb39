"""Models of campaigns: the spec (same model as the YAML file), status, counts and metrics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.campaign import CampaignSpec
from api.errors import FieldError
from api.schemas.common import EXAMPLE_CAMPAIGN_ID, EXAMPLE_TIME, examples

CAMPAIGN_EXAMPLE: dict[str, Any] = {
    "name": "maschinenbau-q1",
    "description": "Vertriebsleiter im DACH-Maschinenbau",
    "language": "auto",
    "tone": "formal",
    "owner": "rep@muster.example",
    "sender": {
        "name": "Erika Mustermann",
        "email": "erika@muster.example",
        "title": "Vertriebsleiterin",
        "phone": "+49 30 1234567",
        "legal": {
            "company_name": "Muster Software",
            "legal_form": "GmbH",
            "street": "Beispielstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "register_court": "Amtsgericht Charlottenburg",
            "register_number": "HRB 123456 B",
            "managing_directors": ["Erika Mustermann"],
            "vat_id": "DE123456789",
            "privacy_url": "https://muster.example/datenschutz",
            "website": "https://muster.example",
        },
    },
    "offer": {
        "product": "Cloud-CRM für den Mittelstand",
        "value_proposition": "Weniger Zeit für Listen, mehr Zeit für Kunden.",
        "proof_points": ["120 Kunden im Maschinenbau"],
        "call_to_action": "Hätten Sie nächste Woche 15 Minuten für ein Gespräch?",
    },
    "icp": {
        "industries": ["Maschinenbau"],
        "roles": ["Vertriebsleiter", "Head of Sales"],
        "countries": ["DE", "AT", "CH"],
        "min_employees": 50,
        "max_employees": 5000,
        "keywords": ["Industrie 4.0"],
        "exclusions": ["konkurrenz.example"],
        "threshold": 40,
    },
    "sequence": [
        {
            "step": 1,
            "delay_business_days": 0,
            "instruction": "Erstkontakt mit einem Bezug auf eine aktuelle Meldung.",
            "templates": {
                "de": {"subject": "Frage zu {company_name}", "body": "{salutation_line}\n\n{personal_line}"},
                "en": {"subject": "Question about {company_name}", "body": "{salutation_line}\n\n{personal_line}"},
            },
        },
        {"step": 2, "delay_business_days": 3, "instruction": "Kurze Nachfrage.", "templates": {}},
    ],
    "sources": [{"kind": "urls", "urls": ["https://kunde.example"], "limit": 50}],
    "writer": {"strategy": "auto", "min_words": 40, "max_words": 180, "max_subject_chars": 70,
               "salutation": "formal", "footer": None},
    "limits": {"daily_sends": 30, "per_domain_daily": 3, "concurrency": 4},
    "sending_window": {"start_hour": 8, "end_hour": 18, "business_days_only": True,
                       "default_timezone": "Europe/Berlin"},
}


class CampaignCreate(CampaignSpec):
    """A campaign exactly as in the YAML file (``agents.campaign.CampaignSpec``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CAMPAIGN_EXAMPLE]})


class CampaignPublic(BaseModel):
    """A campaign in lists."""

    model_config = examples({"id": EXAMPLE_CAMPAIGN_ID, "name": "maschinenbau-q1", "status": "running",
                             "description": "Vertriebsleiter im DACH-Maschinenbau", "created_at": EXAMPLE_TIME,
                             "updated_at": EXAMPLE_TIME, "leads": 120})

    id: uuid.UUID
    name: str
    status: str = Field(description="created | running | paused (legacy: active = running)")
    description: str | None = None
    created_at: datetime
    updated_at: datetime
    leads: int = Field(default=0, ge=0)


class CampaignDetail(CampaignPublic):
    """A campaign with its spec."""

    model_config = examples({"id": EXAMPLE_CAMPAIGN_ID, "name": "maschinenbau-q1", "status": "running",
                             "description": None, "created_at": EXAMPLE_TIME, "updated_at": EXAMPLE_TIME,
                             "leads": 120, "spec": CAMPAIGN_EXAMPLE})

    spec: dict[str, Any]


class CampaignValidation(BaseModel):
    """The verdict on a campaign spec; ``missing_for_sending`` lists empty legal fields."""

    model_config = examples({"valid": False, "errors": [{"field": "body.sender.email",
                                                          "message": "not an email address"}],
                             "missing_for_sending": []})

    valid: bool
    errors: list[FieldError] = Field(default_factory=list)
    missing_for_sending: list[str] = Field(default_factory=list)


class CampaignAction(BaseModel):
    """The result of start, pause or resume."""

    model_config = examples({"id": EXAMPLE_CAMPAIGN_ID, "name": "maschinenbau-q1", "status": "paused",
                             "previous_status": "running"})

    id: uuid.UUID
    name: str
    status: str
    previous_status: str


class Funnel(BaseModel):
    """How many leads reached each stage."""

    model_config = examples({"found": 120, "researched": 110, "drafted": 90, "approved": 70, "sent": 65,
                             "replied": 12, "interested": 4})

    found: int = 0
    researched: int = 0
    drafted: int = 0
    approved: int = 0
    sent: int = 0
    replied: int = 0
    interested: int = 0


class PromptReplyRate(BaseModel):
    """Replies to mails written with one prompt version (auto-replies and bounces excluded)."""

    model_config = examples({"prompt_id": "writer", "prompt_version": "2", "sent": 40, "replied": 8,
                             "interested": 3, "reply_rate": 0.2})

    prompt_id: str
    prompt_version: str
    sent: int
    replied: int
    interested: int
    reply_rate: float = Field(ge=0, le=1)


class CampaignStatus(BaseModel):
    """Counts of a campaign: leads, drafts and outbox rows by state, open tasks, funnel."""

    model_config = examples({"id": EXAMPLE_CAMPAIGN_ID, "name": "maschinenbau-q1", "status": "running",
                             "leads": {"new": 10, "awaiting_approval": 5}, "drafts": {"pending": 5},
                             "outbox": {"sent": 65}, "open_tasks": 3,
                             "funnel": {"found": 120, "researched": 110, "drafted": 90, "approved": 70,
                                        "sent": 65, "replied": 12, "interested": 4}})

    id: uuid.UUID
    name: str
    status: str
    leads: dict[str, int]
    drafts: dict[str, int]
    outbox: dict[str, int]
    open_tasks: int
    funnel: Funnel


class CampaignMetrics(BaseModel):
    """Funnel and reply rate by prompt version."""

    model_config = examples({"campaign_id": EXAMPLE_CAMPAIGN_ID,
                             "funnel": {"found": 120, "researched": 110, "drafted": 90, "approved": 70,
                                        "sent": 65, "replied": 12, "interested": 4},
                             "reply_rates": [{"prompt_id": "writer", "prompt_version": "2", "sent": 40,
                                              "replied": 8, "interested": 3, "reply_rate": 0.2}]})

    campaign_id: uuid.UUID
    funnel: Funnel
    reply_rates: list[PromptReplyRate]
