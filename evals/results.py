"""What an evaluation run produces: one ``EvalReport`` with a ``VariantResult`` per variant.

The JSON report is this model dumped; the regression gate reads a baseline back with
``EvalReport.load``. Metrics are flat ``name → number`` maps (``None`` where undefined) so
that the gate can compare any two reports of a suite without knowing the suite.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from tools.crm.types import utcnow

REPORT_FORMAT: Literal["outreach-eval/1"] = "outreach-eval/1"
SuiteName = Literal["replies", "research", "drafts"]


class ReportError(ValueError):
    """A report file cannot be read (missing, not JSON, not an eval report)."""


class UsageTotals(BaseModel):
    """Model calls of one variant: how many, how many the cache answered, tokens and cost."""

    calls: int = 0
    cached_calls: int = 0
    failed_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class CaseRecord(BaseModel):
    """One case of one variant: what went in, what was expected, what came out."""

    case_id: str
    passed: bool
    input: dict[str, Any] = Field(default_factory=dict, description="Kept for failing cases only.")
    expected: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list, description="Why the case failed.")
    error: str | None = Field(default=None, description="The run of this case failed (e.g. a model error).")


class VariantResult(BaseModel):
    """Metrics, details, usage and cases of one variant (a stage, a prompt version, a model)."""

    name: str
    model: str = Field(description="Model name, or 'none' when the variant calls no model.")
    prompt: str | None = Field(default=None, description="Prompt variant (id@version) if the variant has one.")
    metrics: dict[str, float | None]
    lower_is_better: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    usage: UsageTotals = Field(default_factory=UsageTotals)
    cases: list[CaseRecord] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def failures(self) -> list[CaseRecord]:
        """The cases that did not pass."""
        return [case for case in self.cases if not case.passed]


class DatasetInfo(BaseModel):
    """Which data a report measured."""

    path: str
    digest: str = Field(description="sha256 prefix of the file.")
    rows: int
    split: str | None = None


class EvalReport(BaseModel):
    """The whole run."""

    format: Literal["outreach-eval/1"] = REPORT_FORMAT
    suite: SuiteName
    dataset: DatasetInfo
    created_at: datetime = Field(default_factory=utcnow)
    options: dict[str, Any] = Field(default_factory=dict)
    variants: list[VariantResult]
    comparisons: dict[str, Any] = Field(default_factory=dict, description="Pairwise judge results.")
    seconds: float = 0.0

    def variant(self, name: str) -> VariantResult | None:
        """The variant called ``name``, if any."""
        return next((v for v in self.variants if v.name == name), None)

    @classmethod
    def load(cls, path: Path | str) -> EvalReport:
        """Read a JSON report written by ``evals.reports.json_report``."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ReportError(f"{path}: cannot read report: {exc.strerror}") from exc
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(report)"
            raise ReportError(f"{path}: not an eval report ({where}: {first['msg']})") from exc
