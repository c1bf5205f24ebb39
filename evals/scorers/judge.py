"""LLM-as-judge for drafts: a 1-5 rubric per draft and order-randomised pairwise comparison.

The judge is whatever model the run uses (``--model``); with ``scripted`` it is the
deterministic judge of ``evals.scripted``. Pairwise comparison shows every pair of
variants' drafts for the same case in an order drawn from ``random.Random(seed)`` — the
plan is fixed before any model call, so a run is reproducible and a judge that always
prefers position A cannot favour one variant: its "A" wins are split by the coin.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal, cast

from pydantic import BaseModel, Field

from agents.llm import LLM, CallContext, Message
from prompts.loader import load_prompt

JUDGE_PROMPT = "eval_judge"
PAIRWISE_PROMPT = "eval_pairwise"
LANGUAGE_NAMES = {"de": "German", "en": "English"}
RUBRIC = ("groundedness", "personalisation", "clarity", "tone", "call_to_action", "overall")


class JudgeRubric(BaseModel):
    """The judge's scores of one draft, 1 (unacceptable) to 5 (excellent)."""

    groundedness: int = Field(ge=1, le=5)
    personalisation: int = Field(ge=1, le=5)
    clarity: int = Field(ge=1, le=5)
    tone: int = Field(ge=1, le=5)
    call_to_action: int = Field(ge=1, le=5)
    overall: int = Field(ge=1, le=5)
    reason: str = Field(default="", max_length=500)


class PairwiseVerdict(BaseModel):
    """Which of the two drafts, as presented, is better."""

    winner: Literal["A", "B", "tie"]
    reason: str = Field(default="", max_length=500)


@dataclass(frozen=True)
class JudgeInput:
    """What the judge sees of a case (the same for every variant)."""

    language: str
    company: str
    recipient: str
    product: str
    call_to_action: str
    facts: tuple[str, ...]

    def variables(self) -> dict[str, Any]:
        """Prompt variables shared by both judge prompts."""
        return {
            "language": self.language,
            "language_name": LANGUAGE_NAMES.get(self.language, self.language),
            "company": self.company,
            "recipient": self.recipient,
            "offer": {"product": self.product, "call_to_action": self.call_to_action},
            "facts": list(self.facts),
        }


@dataclass(frozen=True)
class DraftText:
    """A draft as the judge reads it."""

    subject: str
    body: str


def _messages(prompt_id: str, variables: dict[str, Any]) -> tuple[list[Message], CallContext, float, int | None]:
    template = load_prompt(prompt_id)
    rendered = template.render(variables)
    messages = [cast(Message, {"role": m.role, "content": m.content}) for m in rendered.messages]
    context = CallContext(prompt_id=rendered.id, prompt_version=rendered.version, agent="eval_judge")
    return messages, context, rendered.params.temperature, rendered.params.max_tokens


async def judge_draft(llm: LLM, case: JudgeInput, draft: DraftText) -> JudgeRubric:
    """The rubric scores of one draft (LLMError propagates: the caller records it)."""
    messages, context, temperature, max_tokens = _messages(
        JUDGE_PROMPT, {**case.variables(), "subject": draft.subject, "body": draft.body}
    )
    return await llm.structured(messages, JudgeRubric, temperature=temperature, max_tokens=max_tokens, context=context)


async def compare_drafts(llm: LLM, case: JudgeInput, first: DraftText, second: DraftText) -> PairwiseVerdict:
    """The judge's verdict on ``first`` (shown as A) versus ``second`` (shown as B)."""
    messages, context, temperature, max_tokens = _messages(
        PAIRWISE_PROMPT,
        {
            **case.variables(),
            "first": {"subject": first.subject, "body": first.body},
            "second": {"subject": second.subject, "body": second.body},
        },
    )
    return await llm.structured(
        messages, PairwiseVerdict, temperature=temperature, max_tokens=max_tokens, context=context
    )


@dataclass(frozen=True)
class PairTask:
    """One comparison: case, the two variants, and whether ``right`` is shown first."""

    case_id: str
    left: str
    right: str
    swapped: bool

    @property
    def shown(self) -> tuple[str, str]:
        """(variant shown as A, variant shown as B)."""
        return (self.right, self.left) if self.swapped else (self.left, self.right)

    def winner(self, verdict: PairwiseVerdict) -> str | None:
        """The winning variant's name (None for a tie)."""
        if verdict.winner == "tie":
            return None
        return self.shown[0] if verdict.winner == "A" else self.shown[1]


def pairwise_plan(case_ids: Sequence[str], variants: Sequence[str], *, seed: int) -> list[PairTask]:
    """Every pair of variants for every case, each shown in a seeded random order."""
    rng = random.Random(seed)
    return [
        PairTask(case_id=case_id, left=left, right=right, swapped=rng.random() < 0.5)
        for case_id in case_ids
        for left, right in combinations(variants, 2)
    ]


def tally(outcomes: Sequence[tuple[PairTask, str | None]], variants: Sequence[str]) -> dict[str, Any]:
    """Wins, losses and ties per pair and a win rate per variant (a tie counts half).

    ``outcomes``: each task with its winner (None: tie). Comparisons that failed are left out.
    """
    pairs: dict[str, dict[str, Any]] = {}
    wins = dict.fromkeys(variants, 0.0)
    played = dict.fromkeys(variants, 0)
    shown_first_won = 0
    decided = 0
    for task, winner in outcomes:
        key = f"{task.left} vs {task.right}"
        entry = pairs.setdefault(key, {"left": task.left, "right": task.right, "left_wins": 0, "right_wins": 0,
                                       "ties": 0})
        played[task.left] += 1
        played[task.right] += 1
        if winner is None:
            entry["ties"] += 1
            wins[task.left] += 0.5
            wins[task.right] += 0.5
            continue
        entry["left_wins" if winner == task.left else "right_wins"] += 1
        wins[winner] += 1
        decided += 1
        shown_first_won += winner == task.shown[0]
    return {
        "pairs": pairs,
        "win_rate": {v: (wins[v] / played[v] if played[v] else None) for v in variants},
        # a judge without position bias lets the first-shown draft win about half the time
        "first_shown_win_rate": shown_first_won / decided if decided else None,
        "comparisons": len(outcomes),
    }
