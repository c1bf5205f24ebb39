"""The campaign: one Pydantic model shared by the YAML file, the API and the agents.

``load_campaign`` reads YAML and reports validation errors with the field path and the
line in the file, so ``outreach campaign run`` can say exactly what to fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class CampaignError(ValueError):
    """A campaign file or payload is invalid; the message names field and line."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LegalIdentity(_Model):
    """The sender company's legal details (German Impressum / §35a GmbHG / §37a HGB)."""

    company_name: str = Field(examples=["Muster Software GmbH"])
    legal_form: str | None = Field(default=None, examples=["GmbH"])
    street: str | None = Field(default=None, examples=["Beispielstraße 1"])
    postal_code: str | None = Field(default=None, examples=["10115"])
    city: str | None = Field(default=None, examples=["Berlin"])
    country: str = Field(default="DE", examples=["DE"])
    register_court: str | None = Field(default=None, examples=["Amtsgericht Charlottenburg"])
    register_number: str | None = Field(default=None, examples=["HRB 123456 B"])
    managing_directors: list[str] = Field(default_factory=list, examples=[["Erika Mustermann"]])
    vat_id: str | None = Field(default=None, examples=["DE123456789"])
    privacy_url: str | None = Field(
        default=None,
        description="Page with the DSGVO Art. 14 information on where contact data came from.",
        examples=["https://muster.example/datenschutz"],
    )
    website: str | None = Field(default=None, examples=["https://muster.example"])

    def missing_for_sending(self) -> list[str]:
        """Names of the legal fields a mail footer needs but that are empty."""
        required = {
            "legal_form": self.legal_form,
            "street": self.street,
            "postal_code": self.postal_code,
            "city": self.city,
            "register_court": self.register_court,
            "register_number": self.register_number,
            "privacy_url": self.privacy_url,
        }
        missing = [f"sender.legal.{name}" for name, value in required.items() if not value]
        if not self.managing_directors:
            missing.append("sender.legal.managing_directors")
        return missing


class Sender(_Model):
    """Who signs the mail."""

    name: str = Field(examples=["Erika Mustermann"])
    email: str = Field(examples=["erika@muster.example"])
    title: str | None = Field(default=None, examples=["Vertriebsleiterin"])
    phone: str | None = Field(default=None, examples=["+49 30 1234567"])
    legal: LegalIdentity

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("not an email address")
        return value.lower()


class Offer(_Model):
    """What we sell and why it matters."""

    product: str = Field(examples=["Cloud-CRM für den Mittelstand"])
    value_proposition: str = Field(examples=["Weniger Zeit für Listen, mehr Zeit für Kunden."])
    proof_points: list[str] = Field(default_factory=list)
    call_to_action: str = Field(examples=["Hätten Sie nächste Woche 15 Minuten für ein Gespräch?"])


class ICP(_Model):
    """Ideal customer profile; drives the fit score (0-100)."""

    industries: list[str] = Field(default_factory=list, examples=[["Maschinenbau"]])
    roles: list[str] = Field(default_factory=list, examples=[["Geschäftsführer", "Head of Sales"]])
    countries: list[str] = Field(default_factory=list, examples=[["DE", "AT", "CH"]])
    min_employees: int | None = Field(default=None, ge=0)
    max_employees: int | None = Field(default=None, ge=0)
    keywords: list[str] = Field(default_factory=list, examples=[["Industrie 4.0"]])
    exclusions: list[str] = Field(default_factory=list, description="Domains or keywords that rule a company out.")
    threshold: int = Field(default=40, ge=0, le=100, description="Leads below are not drafted.")


class StepTemplate(_Model):
    """Subject and body for the template writer; ``{placeholders}`` are filled from facts."""

    subject: str
    body: str


class SequenceStep(_Model):
    """One mail of the sequence: the initial mail (step 1) or a follow-up."""

    step: int = Field(ge=1)
    delay_business_days: int = Field(default=0, ge=0)
    instruction: str | None = Field(default=None, description="What this mail should do (LLM writer).")
    templates: dict[Literal["de", "en"], StepTemplate] = Field(default_factory=dict)


class WriterSettings(_Model):
    """How drafts are written and checked."""

    strategy: Literal["auto", "llm", "template"] = Field(
        default="auto", description="auto: llm with a capable endpoint, template on the embedded model."
    )
    min_words: int = Field(default=40, ge=1)
    max_words: int = Field(default=180, ge=1)
    max_subject_chars: int = Field(default=70, ge=5)
    salutation: Literal["formal", "first_name"] = "formal"
    footer: str | None = Field(default=None, description="Extra footer text (legal block is added).")


class LeadSource(_Model):
    """Where leads come from."""

    kind: Literal["listing", "search", "csv", "urls"]
    url: str | None = None
    query: str | None = None
    path: str | None = None
    urls: list[str] = Field(default_factory=list)
    limit: int = Field(default=50, ge=1)

    @model_validator(mode="after")
    def _needs_target(self) -> LeadSource:
        need = {"listing": self.url, "search": self.query, "csv": self.path, "urls": self.urls}[self.kind]
        if not need:
            field = {"listing": "url", "search": "query", "csv": "path", "urls": "urls"}[self.kind]
            raise ValueError(f"a '{self.kind}' source needs '{field}'")
        return self


class Limits(_Model):
    """Throughput limits of the campaign."""

    daily_sends: int = Field(default=30, ge=0)
    per_domain_daily: int = Field(default=3, ge=1)
    concurrency: int = Field(default=4, ge=1, le=64)


class SendingWindow(_Model):
    """When mail may go out, in the recipient's time zone."""

    start_hour: int = Field(default=8, ge=0, le=23)
    end_hour: int = Field(default=18, ge=1, le=24)
    business_days_only: bool = True
    default_timezone: str = "Europe/Berlin"


class CampaignSpec(_Model):
    """A whole campaign as written in YAML or posted to the API."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,62}$", examples=["maschinenbau-q1"])
    description: str | None = None
    language: Literal["de", "en", "auto"] = Field(
        default="auto", description="auto: per lead from country and site language."
    )
    tone: Literal["formal", "friendly"] = "formal"
    owner: str | None = Field(default=None, description="Rep who owns escalations (email).")
    sender: Sender
    offer: Offer
    icp: ICP = Field(default_factory=ICP)
    sequence: list[SequenceStep] = Field(min_length=1)
    sources: list[LeadSource] = Field(default_factory=list)
    writer: WriterSettings = Field(default_factory=WriterSettings)
    limits: Limits = Field(default_factory=Limits)
    sending_window: SendingWindow = Field(default_factory=SendingWindow)

    @model_validator(mode="after")
    def _steps_in_order(self) -> CampaignSpec:
        numbers = [s.step for s in self.sequence]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"sequence steps must be numbered 1..n in order, got {numbers}")
        return self

    def step(self, number: int) -> SequenceStep:
        """The sequence step with this number."""
        for candidate in self.sequence:
            if candidate.step == number:
                return candidate
        raise CampaignError(f"campaign {self.name!r} has no sequence step {number}")


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each field path in a composed YAML document to its 1-based line."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines.update(_line_index(value, (*path, key.value)))
            lines[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_index(item, (*path, index)))
    return lines


def parse_campaign(text: str, *, source: str = "<campaign>") -> CampaignSpec:
    """Parse campaign YAML text; errors name the field path and the line."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise CampaignError(f"{source}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise CampaignError(f"{source}: a campaign must be a YAML mapping")
    lines = _line_index(node) if node is not None else {}
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = None
            for cut in range(len(loc), -1, -1):
                if loc[:cut] in lines:
                    line = lines[loc[:cut]]
                    break
            field = ".".join(str(part) for part in loc) or "(top level)"
            at = f" (line {line})" if line else ""
            problems.append(f"{field}{at}: {error['msg']}")
        raise CampaignError(f"{source}: " + "; ".join(problems)) from exc


def load_campaign(path: Path | str) -> CampaignSpec:
    """Read and validate a campaign YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CampaignError(f"{path}: cannot read campaign file: {exc.strerror}") from exc
    return parse_campaign(text, source=str(path))
