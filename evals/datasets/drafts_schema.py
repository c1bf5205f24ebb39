"""The drafts dataset: a lead (campaign, recipient, company, sourced facts) and what a good mail does.

One JSONL row per case (``drafts.jsonl``, format in README.md). ``campaign`` is a campaign
YAML path relative to the dataset file; it is loaded (and the step checked) while the
dataset is read, so a broken reference fails with its line number like any other field.
``expect`` is the rubric: the language, the length, the facts a personal opening should
rest on (``grounded_facts``), phrases the mail must and must not contain (``a|b`` means
either). ``accepted`` is the version a rep approved, for the edit-distance metric.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from agents.campaign import CampaignError, CampaignSpec, load_campaign
from agents.profile import CompanyProfile, Fact, NewsItem
from agents.writer_types import DraftRequest, PreviousMail, Recipient
from evals.datasets.jsonl import RowError, read_jsonl

DRAFTS_PATH = Path(__file__).resolve().parent / "drafts.jsonl"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftFact(_Row):
    """A sourced fact the writer may cite; ``id`` is what claims and ``grounded_facts`` name."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    kind: str = "fact"
    text: str = Field(min_length=1)
    source_url: str = Field(pattern=r"^https?://")


class DraftNews(_Row):
    """A dated headline of the company (the template strategy quotes these)."""

    title: str = Field(min_length=1)
    date: str | None = None
    source_url: str = Field(pattern=r"^https?://")


class DraftCompany(_Row):
    """The researched company, without its facts."""

    domain: str = Field(min_length=3)
    name: str | None = None
    legal_name: str | None = None
    industry: str | None = None
    location: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    language: Literal["de", "en"] | None = None
    description: str | None = None
    news: list[DraftNews] = Field(default_factory=list)


class DraftRecipient(_Row):
    """The person the mail is for."""

    first_name: str | None = None
    last_name: str | None = None
    salutation: str | None = None
    role: str | None = None
    email: str | None = None
    language: str | None = None
    country: str | None = None


class DraftExpectations(_Row):
    """The rubric a good draft of this case meets."""

    language: Literal["de", "en"]
    min_words: int | None = Field(default=None, ge=1, description="Default: the campaign's writer.min_words.")
    max_words: int | None = Field(default=None, ge=1, description="Default: the campaign's writer.max_words.")
    grounded_facts: list[str] = Field(default_factory=list, description="Fact ids a personal opening may use.")
    must_mention: list[str] = Field(default_factory=list)
    must_not_mention: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _range(self) -> DraftExpectations:
        if self.min_words and self.max_words and self.min_words > self.max_words:
            raise ValueError(f"min_words {self.min_words} is above max_words {self.max_words}")
        return self


class AcceptedDraft(_Row):
    """The version a sales rep approved."""

    subject: str = Field(min_length=1)
    body: str = Field(min_length=1)


class DraftCase(_Row):
    """One lead to draft for, and the rubric."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    note: str = Field(default="", description="What this case tests.")
    campaign: str = Field(min_length=1, description="Campaign YAML, relative to the dataset file.")
    step: int = Field(default=1, ge=1)
    recipient: DraftRecipient
    company: DraftCompany
    facts: list[DraftFact] = Field(default_factory=list)
    previous: list[PreviousMail] = Field(default_factory=list)
    expect: DraftExpectations
    accepted: AcceptedDraft | None = None
    _spec: CampaignSpec | None = PrivateAttr(default=None)

    @field_validator("facts")
    @classmethod
    def _unique_facts(cls, value: list[DraftFact]) -> list[DraftFact]:
        ids = [fact.id for fact in value]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise ValueError(f"fact id {duplicate!r} used twice")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DraftCase:
        ids = {fact.id for fact in self.facts}
        unknown = [f for f in self.expect.grounded_facts if f not in ids]
        if unknown:
            raise ValueError(f"expect.grounded_facts names unknown fact(s) {', '.join(unknown)}")
        if self.step > 1 and not self.previous:
            raise ValueError(f"step {self.step} is a follow-up: give the earlier mail in 'previous'")
        return self

    @property
    def spec(self) -> CampaignSpec:
        """The loaded campaign (set by ``load_drafts``)."""
        if self._spec is None:
            raise RuntimeError(f"case {self.id}: campaign not loaded; read the dataset with load_drafts")
        return self._spec

    def profile(self) -> CompanyProfile:
        """The company as research would have produced it."""
        company = self.company.model_dump(exclude={"news"})
        return CompanyProfile(
            **company,
            news=[NewsItem(**item.model_dump()) for item in self.company.news],
            facts=[Fact(**fact.model_dump()) for fact in self.facts],
        )

    def request(self) -> DraftRequest:
        """The writer's input for this case."""
        return DraftRequest(
            spec=self.spec,
            step=self.step,
            recipient=Recipient(**self.recipient.model_dump()),
            profile=self.profile(),
            previous=list(self.previous),
            lead_id=None,
            campaign_id=self.spec.name,
        )

    @property
    def word_range(self) -> tuple[int, int]:
        """(min, max) words of the message: the case's, else the campaign's."""
        writer = self.spec.writer
        return self.expect.min_words or writer.min_words, self.expect.max_words or writer.max_words


def load_drafts(path: Path | str = DRAFTS_PATH) -> list[DraftCase]:
    """Every case of a drafts JSONL file with its campaign loaded; DatasetError names line and field."""
    base = Path(path).resolve().parent
    specs: dict[Path, CampaignSpec] = {}

    def check(case: DraftCase) -> None:
        campaign = (base / case.campaign).resolve()
        if campaign not in specs:
            try:
                specs[campaign] = load_campaign(campaign)
            except CampaignError as exc:
                raise RowError("campaign", str(exc)) from exc
        spec = specs[campaign]
        if case.step not in {s.step for s in spec.sequence}:
            raise RowError("step", f"campaign {spec.name!r} has no step {case.step}")
        case._spec = spec

    return read_jsonl(path, DraftCase, check=check)
