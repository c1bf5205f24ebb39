"""LLM-as-judge: rubric and pairwise calls through ScriptedLLM, seeded order, tallies by hand."""

from __future__ import annotations

import pytest

from agents.testing import ScriptedCall, ScriptedLLM
from evals.scorers.judge import (
    DraftText,
    JudgeInput,
    JudgeRubric,
    PairTask,
    PairwiseVerdict,
    compare_drafts,
    judge_draft,
    pairwise_plan,
    tally,
)
from evals.scripted import pairwise_for, rubric_for

CASE = JudgeInput(
    language="de", company="Falkenried Maschinenbau", recipient="Markus Brandl, Vertriebsleiter DACH",
    product="Nordlicht LeadDesk", call_to_action="Hätten Sie 20 Minuten?",
    facts=("2026-11-12: Neue Fertigungshalle in Augsburg eröffnet (https://falkenried.example/presse/)",),
)
GOOD = DraftText("Angebotsprozess bei Falkenried", "Sehr geehrter Herr Brandl,\n\nGOOD draft.")
BAD = DraftText("Angebot", "Hallo Markus,\n\nBAD draft.")


async def test_judge_draft_sends_facts_and_draft_and_returns_the_rubric() -> None:
    llm = ScriptedLLM([JudgeRubric(groundedness=5, personalisation=4, clarity=4, tone=5, call_to_action=3,
                                   overall=4, reason="solid")])

    rubric = await judge_draft(llm, CASE, GOOD)

    llm.assert_complete()
    assert rubric.overall == 4
    call = llm.calls[0]
    assert call.schema is JudgeRubric and call.temperature == 0.0
    assert "Neue Fertigungshalle in Augsburg eröffnet" in call.prompt_text
    assert "GOOD draft." in call.prompt_text and 'formal "Sie"' in call.prompt_text
    assert call.context is not None and call.context.prompt_id == "eval_judge"


async def test_compare_drafts_shows_first_as_a() -> None:
    llm = ScriptedLLM([PairwiseVerdict(winner="B", reason="second is better")])

    verdict = await compare_drafts(llm, CASE, BAD, GOOD)

    llm.assert_complete()
    assert verdict.winner == "B"
    text = llm.calls[0].prompt_text
    assert text.index("BAD draft.") < text.index("GOOD draft.")


def test_pairwise_plan_is_seeded() -> None:
    plan = pairwise_plan([f"c{i}" for i in range(40)], ["v1", "v2", "v3"], seed=7)

    assert len(plan) == 40 * 3  # three pairs per case
    assert plan == pairwise_plan([f"c{i}" for i in range(40)], ["v1", "v2", "v3"], seed=7)
    assert [t.swapped for t in plan] != [t.swapped for t in pairwise_plan([f"c{i}" for i in range(40)],
                                                                           ["v1", "v2", "v3"], seed=8)]
    assert 0 < sum(t.swapped for t in plan) < len(plan)
    assert {(t.left, t.right) for t in plan} == {("v1", "v2"), ("v1", "v3"), ("v2", "v3")}


def test_tally_by_hand() -> None:
    first = PairTask("c1", "v1", "v2", swapped=False)
    second = PairTask("c2", "v1", "v2", swapped=True)
    third = PairTask("c3", "v1", "v2", swapped=False)

    result = tally([(first, "v1"), (second, "v1"), (third, None)], ["v1", "v2"])

    assert result["pairs"]["v1 vs v2"] == {"left": "v1", "right": "v2", "left_wins": 2, "right_wins": 0, "ties": 1}
    assert result["win_rate"] == pytest.approx({"v1": 2.5 / 3, "v2": 0.5 / 3})
    # c1: v1 was shown first and won; c2: v2 was shown first and lost
    assert result["first_shown_win_rate"] == pytest.approx(0.5)
    assert result["comparisons"] == 3


async def _judge_all(plan: list[PairTask], llm: ScriptedLLM) -> list[tuple[PairTask, str | None]]:
    drafts = {"good": GOOD, "bad": BAD}
    outcomes = []
    for task in plan:
        shown = [drafts[name] for name in task.shown]
        verdict = await compare_drafts(llm, CASE, shown[0], shown[1])
        outcomes.append((task, task.winner(verdict)))
    return outcomes


async def test_random_order_splits_a_position_biased_judges_votes() -> None:
    plan = pairwise_plan([f"c{i}" for i in range(20)], ["good", "bad"], seed=0)
    always_a = ScriptedLLM(respond=lambda call: PairwiseVerdict(winner="A"))

    result = tally(await _judge_all(plan, always_a), ["good", "bad"])

    swapped = sum(t.swapped for t in plan)
    assert result["pairs"]["good vs bad"]["left_wins"] == 20 - swapped
    assert result["pairs"]["good vs bad"]["right_wins"] == swapped
    assert result["first_shown_win_rate"] == 1.0
    assert len(always_a.calls) == 20


async def test_a_content_judge_wins_whatever_the_order() -> None:
    plan = pairwise_plan([f"c{i}" for i in range(20)], ["good", "bad"], seed=0)

    def prefers_good(call: ScriptedCall) -> PairwiseVerdict:
        text = call.prompt_text
        return PairwiseVerdict(winner="A" if text.index("EMAIL A") < text.index("GOOD") < text.index("EMAIL B")
                               else "B")

    result = tally(await _judge_all(plan, ScriptedLLM(respond=prefers_good)), ["good", "bad"])

    assert result["win_rate"] == {"good": 1.0, "bad": 0.0}
    assert result["first_shown_win_rate"] == pytest.approx(sum(not t.swapped for t in plan) / 20)


def test_scripted_judge_numbers() -> None:
    assert rubric_for(1.0).overall == 5
    assert rubric_for(0.5).overall == 3
    assert rubric_for(3 / 7).clarity == 3  # 1 + round(1.71)
    assert rubric_for(0.0).tone == 1
    assert pairwise_for(0.5, 0.5).winner == "tie"
    assert pairwise_for(0.6, 0.5).winner == "A"
    assert pairwise_for(0.4, 0.5).winner == "B"
