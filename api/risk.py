"""Risk and value of sending a draft: what the approval queue sorts by.

Flags, each with a weight: a failed blocking guardrail (40), a failed warning guardrail
(15), a claim whose fact is not among the lead's facts (30), a fit score missing or
below the campaign threshold plus a margin (20), the first mail to a big account (25).
No flag means low risk — the only drafts bulk approval takes by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from api.facts import FactIndex

BIG_ACCOUNT_EMPLOYEES = 1000
LOW_FIT_MARGIN = 15
HIGH_RISK_SCORE = 40

Level = Literal["low", "medium", "high"]
FlagCode = Literal["guardrail_failed", "guardrail_warning", "unsupported_claim", "low_fit",
                   "big_account_first_contact"]

_WEIGHTS: dict[str, int] = {
    "guardrail_failed": 40,
    "guardrail_warning": 15,
    "unsupported_claim": 30,
    "low_fit": 20,
    "big_account_first_contact": 25,
}
_SEVERITY: dict[str, Literal["high", "medium"]] = {
    "guardrail_failed": "high",
    "guardrail_warning": "medium",
    "unsupported_claim": "high",
    "low_fit": "medium",
    "big_account_first_contact": "medium",
}


@dataclass(frozen=True)
class Flag:
    """One reason to look closer."""

    code: FlagCode
    message: str

    @property
    def severity(self) -> Literal["high", "medium"]:
        """high or medium."""
        return _SEVERITY[self.code]


@dataclass(frozen=True)
class Assessment:
    """Risk score and level, value, and the flags behind them."""

    score: int
    level: Level
    value: int
    flags: list[Flag] = field(default_factory=list)


@dataclass(frozen=True)
class DraftFacts:
    """What the assessment needs to know about a draft and its lead."""

    step: int
    claims: list[dict[str, Any]]
    guardrails: list[dict[str, Any]]
    fit_score: int | None
    fit_threshold: int
    employees: int | None
    company_contacted_before: bool
    facts: FactIndex


def unsupported_claims(claims: list[dict[str, Any]], facts: FactIndex) -> list[dict[str, Any]]:
    """Claims whose ``fact_id`` names no fact of the lead."""
    return [claim for claim in claims if facts.get(str(claim.get("fact_id", ""))) is None]


def assess(data: DraftFacts) -> Assessment:
    """Flag a draft and score its risk and value."""
    flags: list[Flag] = []
    for check in data.guardrails:
        if check.get("passed", True):
            continue
        name = str(check.get("name", "check"))
        message = str(check.get("message") or name)
        code: FlagCode = "guardrail_warning" if check.get("severity") == "warning" else "guardrail_failed"
        flags.append(Flag(code, f"{name}: {message}"))
    for claim in unsupported_claims(data.claims, data.facts):
        flags.append(Flag("unsupported_claim", f"claim cites {claim.get('fact_id')!s}, which is not a fact of this "
                                               f"company: “{str(claim.get('text', ''))[:120]}”"))
    floor = data.fit_threshold + LOW_FIT_MARGIN
    if data.fit_score is None:
        flags.append(Flag("low_fit", "no fit score"))
    elif data.fit_score < floor:
        flags.append(Flag("low_fit", f"fit {data.fit_score} is below {floor} (threshold {data.fit_threshold} "
                                     f"+ {LOW_FIT_MARGIN})"))
    big = data.employees is not None and data.employees >= BIG_ACCOUNT_EMPLOYEES
    if big and data.step == 1 and not data.company_contacted_before:
        flags.append(Flag("big_account_first_contact",
                          f"first mail to a company with {data.employees} employees"))
    score = sum(_WEIGHTS[flag.code] for flag in flags)
    level: Level = "low" if score == 0 else "high" if score >= HIGH_RISK_SCORE else "medium"
    value = min(100, (data.fit_score or 0) + (20 if big else 0))
    return Assessment(score=score, level=level, value=value, flags=flags)
