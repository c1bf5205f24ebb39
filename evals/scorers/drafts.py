"""Drafts scorer: the writer's guardrails, groundedness, language, length, mentions, edit distance.

Each draft is judged against its case's rubric (``DraftExpectations``):

* ``guardrails`` — no blocking guardrail of ``agents.guardrails`` failed (as the writer ran them);
* ``grounded`` — every claim cites a fact of the case, says no number or name the fact
  does not, is visible in the mail, and the ``unsupported_specifics`` guardrail passed;
* ``personalised`` — a claim rests on one of ``grounded_facts`` (not scored without them);
* ``language`` — the detected language of subject + message is the expected one;
* ``length`` — the message's word count is within the case's (else the campaign's) range;
* ``must_mention`` / ``must_not_mention`` — phrases on word boundaries, ``a|b`` = either;
* ``edit_distance`` — word-level normalised Levenshtein distance of subject + message to
  the rep-accepted version, when the case has one (lower is better).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.language import detect_language
from agents.rep_edits import message_core, normalized_edit_distance
from agents.text_signals import claim_specifics, digit_runs, squash, words
from agents.writer_types import Claim, DraftResult
from evals.datasets.drafts_schema import DraftCase, DraftFact
from evals.scorers.text import contains_phrase

LOWER_IS_BETTER = frozenset({"edit_distance", "errors"})


@dataclass
class DraftScore:
    """The deterministic verdicts on one draft."""

    guardrails: bool
    failed_guardrails: list[str]
    claims: int
    claims_traceable: int
    untraceable: list[str]
    grounded: bool
    personalised: bool | None
    language: bool
    detected_language: str | None
    words: int
    length: bool
    mentions_found: int
    mentions_total: int
    missing_mentions: list[str]
    forbidden_found: list[str]
    edit_distance: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def checks(self) -> dict[str, bool]:
        """Every pass/fail check that applies to this draft."""
        out = {
            "guardrails": self.guardrails,
            "grounded": self.grounded,
            "language": self.language,
            "length": self.length,
            "must_mention": self.mentions_found == self.mentions_total,
            "must_not_mention": not self.forbidden_found,
        }
        if self.personalised is not None:
            out["personalised"] = self.personalised
        return out

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(self.checks.values())

    @property
    def share_passed(self) -> float:
        """Share of the checks that passed (the scripted judge's basis)."""
        checks = self.checks
        return sum(checks.values()) / len(checks)


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTHS = (
    ("January", "Januar"), ("February", "Februar"), ("March", "März"), ("April", "April"), ("May", "Mai"),
    ("June", "Juni"), ("July", "Juli"), ("August", "August"), ("September", "September"),
    ("October", "Oktober"), ("November", "November"), ("December", "Dezember"),
)


def _date_shown(iso: re.Match[str], message: str) -> bool:
    """True when the message writes the ISO date of a claim in any usual English or German form."""
    year, month, day = iso.group(1), int(iso.group(2)), int(iso.group(3))
    forms = [iso.group(0), f"{day}.{month}.{year}", f"{day:02d}.{month:02d}.{year}", f"{day}. {month}. {year}"]
    for name in _MONTHS[month - 1] if 1 <= month <= 12 else ():
        forms += [f"{day} {name} {year}", f"{day}. {name} {year}", f"{name} {day}, {year}"]
    lowered = message.lower()
    return any(form.lower() in lowered for form in forms)


def _visible_keys(claim_text: str, numbers: set[str], names: list[str], message: str) -> list[str]:
    """The specifics that must appear in the mail; a date written another way counts as shown."""
    for iso in _ISO_DATE.finditer(claim_text):
        if _date_shown(iso, message):
            parts = iso.groups()
            numbers = numbers - {*parts, *(str(int(p)) for p in parts)}
    return [*numbers, *(n.lower() for n in names)]


def _traceable(claim: Claim, facts: dict[str, DraftFact], message: str) -> str | None:
    """None if the claim is backed and visible, else why not."""
    fact = facts.get(claim.fact_id)
    if fact is None:
        return f"'{claim.text}' cites unknown fact '{claim.fact_id}'"
    numbers, names = claim_specifics(claim.text)
    fact_text = fact.text.lower()
    extra = sorted(numbers - digit_runs(fact.text)) + [n for n in names if n.lower() not in fact_text]
    if extra:
        return f"'{claim.text}' says {', '.join(extra)}, which fact {fact.id} does not"
    keys = _visible_keys(claim.text, numbers, names, message)
    lowered = message.lower()
    bare = re.sub(r"\(?" + _ISO_DATE.pattern + r"\)?", " ", claim.text)
    visible = all(k in lowered for k in keys) if keys else squash(bare) in squash(message)
    return None if visible else f"'{claim.text}' does not appear in the mail"


def score_draft(case: DraftCase, result: DraftResult) -> DraftScore:
    """Judge one writer result against its case."""
    message = message_core(result.body)
    text = f"{result.subject}\n{message}"
    failed = [g.name for g in result.guardrails if g.failed_error]
    facts = {fact.id: fact for fact in case.facts}
    problems = [p for claim in result.claims if (p := _traceable(claim, facts, message)) is not None]
    specifics_ok = not any(g.name == "unsupported_specifics" and not g.passed for g in result.guardrails)
    wanted = set(case.expect.grounded_facts)
    backed = {c.fact_id for c in result.claims if _traceable(c, facts, message) is None}
    detected = detect_language(text).language
    count = len(words(message))
    low, high = case.word_range
    missing = [p for p in case.expect.must_mention if not contains_phrase(text, p)]
    forbidden = [p for p in case.expect.must_not_mention if contains_phrase(text, p)]
    distance = None
    if case.accepted is not None:
        accepted = f"{case.accepted.subject}\n\n{message_core(case.accepted.body)}"
        distance = normalized_edit_distance(f"{result.subject}\n\n{message}", accepted)
    score = DraftScore(
        guardrails=not failed,
        failed_guardrails=failed,
        claims=len(result.claims),
        claims_traceable=len(result.claims) - len(problems),
        untraceable=problems,
        grounded=not problems and specifics_ok,
        personalised=bool(wanted & backed) if wanted else None,
        language=detected == case.expect.language,
        detected_language=detected,
        words=count,
        length=low <= count <= high,
        mentions_found=len(case.expect.must_mention) - len(missing),
        mentions_total=len(case.expect.must_mention),
        missing_mentions=missing,
        forbidden_found=forbidden,
        edit_distance=distance,
    )
    score.notes = _notes(score, specifics_ok, low, high, case.expect.language)
    return score


def _notes(score: DraftScore, specifics_ok: bool, low: int, high: int, language: str) -> list[str]:
    notes = [f"guardrail failed: {name}" for name in score.failed_guardrails]
    notes += [f"untraceable claim: {problem}" for problem in score.untraceable]
    if not specifics_ok:
        notes.append("unsupported specifics in the mail")
    if score.personalised is False:
        notes.append("no claim rests on an expected fact")
    if not score.language:
        notes.append(f"language {score.detected_language or 'unclear'}, expected {language}")
    if not score.length:
        notes.append(f"{score.words} words, expected {low}-{high}")
    notes += [f"missing mention: {p}" for p in score.missing_mentions]
    notes += [f"forbidden mention: {p}" for p in score.forbidden_found]
    return notes


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def aggregate(
    results: Sequence[tuple[DraftCase, DraftScore | None]],
) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Flat metrics over one variant's drafts; a draft that could not be made (``None``) fails every check."""
    made = [s for _, s in results if s is not None]
    total = len(results)

    def share(flags: Sequence[bool]) -> float | None:
        return sum(flags) / total if total else None

    personal_cases = sum(1 for case, _ in results if case.expect.grounded_facts)
    mentions = sum(len(case.expect.must_mention) for case, _ in results)
    claims = sum(s.claims for s in made)
    distances = [s.edit_distance for s in made if s.edit_distance is not None]
    metrics: dict[str, float | None] = {
        "pass_rate": share([s.passed for s in made]),
        "guardrails": share([s.guardrails for s in made]),
        "grounded": share([s.grounded for s in made]),
        "claims_traceable": sum(s.claims_traceable for s in made) / claims if claims else None,
        "personalised": sum(1 for s in made if s.personalised) / personal_cases if personal_cases else None,
        "language": share([s.language for s in made]),
        "length": share([s.length for s in made]),
        "must_mention": sum(s.mentions_found for s in made) / mentions if mentions else None,
        "must_not_mention": share([not s.forbidden_found for s in made]),
        "edit_distance": _mean(distances),
        "errors": float(total - len(made)),
    }
    details: dict[str, Any] = {
        "failed_guardrails": dict(Counter(name for s in made for name in s.failed_guardrails).most_common()),
        "mean_words": _mean([float(s.words) for s in made]),
        "drafts": total,
        "with_accepted_version": len(distances),
    }
    return metrics, details
