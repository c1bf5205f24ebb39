"""The research truth: what a correct profile of each company website contains, and where.

One JSONL row per website (``companies.jsonl``, format in README.md). A row names the site
(``site``: a folder of ``examples/sites`` served on 127.0.0.1, or ``url``: any start URL)
and the facts written by hand from its pages. Each fact lists ``sources``: the page paths
that state it; a profile fact citing another page is a source error.

Only the fields a row *states* are scored. A field stated as ``null`` or ``[]`` means
"there is nothing to find": any value research reports for it is a false positive. A field
left out is not scored at all, so a team can start with partial truth.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from evals.datasets.jsonl import read_jsonl

COMPANIES_PATH = Path(__file__).resolve().parent / "companies.jsonl"

# The profile fields a row can state (the research scorer's fields follow from these).
SCALAR_FIELDS = ("legal_name", "register_court", "register_number", "vat_id", "location", "employees")
LIST_FIELDS = ("directors", "people", "news", "emails")
STATED_FIELDS = SCALAR_FIELDS + LIST_FIELDS


def _paths(value: list[str]) -> list[str]:
    for path in value:
        if not path.startswith("/"):
            raise ValueError(f"source {path!r} must be a page path starting with '/', e.g. '/impressum/'")
    return value


SourcePaths = Annotated[list[str], AfterValidator(_paths)]


class ExpectedValue(BaseModel):
    """One value and the pages that state it."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1)
    sources: SourcePaths = Field(default_factory=list, description="Page paths that state the value.")


class ExpectedPerson(BaseModel):
    """Someone the site presents as working at the company (team page, legal representatives)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    role: str | None = Field(default=None, description="The role as the site writes it.")
    role_alternatives: list[str] = Field(default_factory=list, description="Other wordings on other pages.")
    email: str | None = None
    sources: SourcePaths = Field(default_factory=list)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or " " in value):
            raise ValueError("not an email address")
        return value

    @property
    def roles(self) -> list[str]:
        """Every accepted wording of the role."""
        return [r for r in (self.role, *self.role_alternatives) if r]


class ExpectedNews(BaseModel):
    """A dated headline from the company's news page."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    date: dt.date | None = None
    sources: SourcePaths = Field(default_factory=list)


class CompanyCase(BaseModel):
    """The truth about one company website."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    site: str | None = Field(default=None, description="Folder of examples/sites, served on 127.0.0.1.")
    url: str | None = Field(default=None, description="Start URL of any other website.")
    language: Literal["de", "en"]
    legal_name: ExpectedValue | None = None
    register_court: ExpectedValue | None = None
    register_number: ExpectedValue | None = None
    vat_id: ExpectedValue | None = None
    location: ExpectedValue | None = None
    employees: int | None = Field(default=None, ge=1)
    directors: list[ExpectedValue] = Field(default_factory=list)
    people: list[ExpectedPerson] = Field(default_factory=list)
    news: list[ExpectedNews] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    must_not_contain: list[str] = Field(
        default_factory=list, description="Text that must appear nowhere in the profile (robots-disallowed, hidden)."
    )
    flags: list[str] = Field(default_factory=list, description="Flag prefixes the profile must carry.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or " " in address:
                raise ValueError(f"{address!r} is not an email address")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> CompanyCase:
        if (self.site is None) == (self.url is None):
            raise ValueError("give exactly one of 'site' (an examples/sites folder) or 'url'")
        return self

    @property
    def stated_fields(self) -> list[str]:
        """The profile fields this row states (and that are therefore scored), in a fixed order."""
        return [name for name in STATED_FIELDS if name in self.model_fields_set]


def load_companies(path: Path | str = COMPANIES_PATH) -> list[CompanyCase]:
    """Every row of a companies JSONL file; DatasetError names the line and the field."""
    return read_jsonl(path, CompanyCase)
