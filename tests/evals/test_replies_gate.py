"""CI's regression gate: the deterministic replies stages must not fall below the committed baseline.

``evals/baselines/replies.json`` was written by the runner (``outreach eval run replies --stages
rules,model --save-baseline evals/baselines/replies.json``). When the rules, the trained
classifier or the dataset change on purpose, regenerate it with that command and commit it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.context import EvalContext
from evals.datasets.schema import load_replies
from evals.gate import check_regressions
from evals.results import EvalReport
from evals.runner import SuiteOptions, run_eval
from evals.suites.replies import ReplySuiteOptions, shuffled_label_model
from tools.settings import Settings

BASELINE = Path(__file__).resolve().parents[2] / "evals" / "baselines" / "replies.json"
MAX_DROP = 0.02


async def deterministic_run(settings: Settings, **changes: object) -> EvalReport:
    """The replies suite on the test split with the rules and the trained model only (no LLM)."""
    options = ReplySuiteOptions(stages=("rules", "model"), **changes)  # type: ignore[arg-type]
    return await run_eval("replies", EvalContext(settings=settings), options=SuiteOptions(replies=options))


async def test_rules_and_trained_model_hold_the_committed_baseline(settings: Settings) -> None:
    baseline = EvalReport.load(BASELINE)

    report = await deterministic_run(settings)
    result = check_regressions(report, baseline, max_drop=MAX_DROP)

    assert [v.name for v in report.variants] == ["rules", "model", "cascade_no_llm"]
    assert result.checked >= 15
    assert result.passed, "regressions against the committed baseline:\n" + "\n".join(result.lines())


async def test_a_model_trained_on_shuffled_labels_fails_the_gate(settings: Settings) -> None:
    broken = shuffled_label_model(load_replies(split="train"), seed=1)

    report = await deterministic_run(settings, model=broken)
    result = check_regressions(report, EvalReport.load(BASELINE), max_drop=MAX_DROP)

    assert not result.passed
    failed = {f"{r.variant}.{r.metric}" for r in result.regressions}
    assert {"model.accuracy", "model.macro_f1", "cascade_no_llm.macro_f1"} <= failed
    assert "rules.accuracy" not in failed  # the rules were not touched
    line = next(line for line in result.lines() if line.startswith("model.macro_f1 dropped from "))
    assert "more than the allowed 0.0200" in line


async def test_a_broken_rule_set_fails_the_gate(settings: Settings) -> None:
    report = await deterministic_run(settings, rules=lambda reply: None)
    result = check_regressions(report, EvalReport.load(BASELINE), max_drop=MAX_DROP)

    failed = {f"{r.variant}.{r.metric}" for r in result.regressions}
    assert {"rules.accuracy", "rules.bounce_recall", "rules.coverage"} <= failed
    assert not any(name.startswith("model.") for name in failed)


def test_the_baseline_is_a_compact_runner_report() -> None:
    baseline = EvalReport.load(BASELINE)

    assert baseline.suite == "replies" and baseline.dataset.split == "test"
    assert baseline.dataset.path == "evals/datasets/replies.jsonl"
    assert all(not v.cases for v in baseline.variants)
    assert baseline.variant("cascade_no_llm") is not None


@pytest.mark.parametrize("metric", ["accuracy", "macro_f1", "unsubscribe_recall", "bounce_recall"])
def test_the_baseline_keeps_the_headline_metrics(metric: str) -> None:
    variant = EvalReport.load(BASELINE).variant("cascade_no_llm")
    assert variant is not None and variant.metrics[metric] is not None
