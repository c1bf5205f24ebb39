"""The runner end to end on the scripted model: replies and drafts suites, reports, cache, bad requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.reply_types import ReplyLabel
from evals.context import EvalConfigError, EvalContext
from evals.datasets.schema import load_replies
from evals.llms import EvalModelError
from evals.reports.html_report import render_html
from evals.results import CaseRecord, DatasetInfo, EvalReport, VariantResult
from evals.runner import SuiteOptions, run_eval, write_reports
from evals.scripted import keyword_verdict
from evals.suites.replies import ReplySuiteOptions
from tools.settings import Settings


def two_per_label() -> list[str]:
    """Two test-split replies of every label (a small, balanced selection)."""
    chosen: dict[str, list[str]] = {}
    for row in load_replies(split="test"):
        chosen.setdefault(row.label.value, [])
        if len(chosen[row.label.value]) < 2:
            chosen[row.label.value].append(row.id)
    return [case for ids in chosen.values() for case in ids]


async def test_replies_suite_end_to_end(scripted_ctx: EvalContext, tmp_path: Path) -> None:
    cases = two_per_label()
    scripted_ctx.case_ids = cases

    report = await run_eval("replies", scripted_ctx)

    assert [v.name for v in report.variants] == ["rules", "model", "llm", "cascade_no_llm", "cascade"]
    assert report.dataset.rows == len(cases) == 2 * len(ReplyLabel)
    for variant in report.variants:
        assert set(variant.metrics) == {"accuracy", "macro_f1", "unsubscribe_recall", "bounce_recall", "coverage"}
        assert len(variant.details["confusion"]["matrix"]) == len(ReplyLabel)
        assert len(variant.cases) == len(cases)
    rows = {row.id: row for row in load_replies(split="test")}
    llm = report.variant("llm")
    assert llm is not None and llm.model == "scripted" and llm.prompt == "reply_classifier@1"
    assert llm.usage.calls == len(cases) and llm.usage.input_tokens > 0
    for case in llm.cases:  # the scripted model answers the keyword heuristic's label
        row = rows[case.case_id]
        reply = row.to_input()
        assert case.output["label"] == keyword_verdict(row.subject, reply.text or reply.body).label.value
    cascade = report.variant("cascade")
    assert cascade is not None
    assert cascade.usage.calls == sum(1 for c in cascade.cases if c.output["stage"] in {"llm", "human"})
    rules = report.variant("rules")
    assert rules is not None and rules.metrics["coverage"] is not None and rules.metrics["coverage"] < 1.0

    paths = write_reports(report, tmp_path / "out")
    assert EvalReport.load(paths["json"]).variant("cascade") == cascade
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert "| accuracy |" in markdown and "## Failing cases" in markdown
    page = paths["html"].read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 1 + len(report.variants)  # headline chart + heat maps
    assert 'alt="confusion matrix of cascade"' in page


async def test_the_second_run_is_answered_from_the_cache(settings: Settings) -> None:
    cases = two_per_label()[:6]
    options = SuiteOptions(replies=ReplySuiteOptions(stages=("llm",)))

    first = await run_eval("replies", EvalContext(settings=settings, models=["scripted"], case_ids=cases),
                           options=options)
    again = await run_eval("replies", EvalContext(settings=settings, models=["scripted"], case_ids=cases),
                           options=options)

    assert first.variants[0].usage.calls == 6 and first.variants[0].usage.cached_calls == 0
    assert again.variants[0].usage.calls == 6 and again.variants[0].usage.cached_calls == 6
    assert again.variants[0].metrics == first.variants[0].metrics


async def test_drafts_suite_with_two_prompt_variants_and_the_judge(scripted_ctx: EvalContext) -> None:
    scripted_ctx.case_ids = ["de-falkenried-news", "de-falkenried-followup", "en-fenmoor-news", "en-bluefield-us"]
    scripted_ctx.prompts = ["writer@1", "writer@2"]
    scripted_ctx.judge = True

    report = await run_eval("drafts", scripted_ctx)

    assert [(v.name, v.prompt) for v in report.variants] == [("writer@1", "writer@1"), ("writer@2", "writer@2")]
    for variant in report.variants:
        assert variant.details["strategies"] == {"llm": 4}
        assert variant.metrics["language"] == 1.0 and variant.metrics["errors"] == 0.0
        assert variant.metrics["judge_overall"] is not None and 1.0 <= variant.metrics["judge_overall"] <= 5.0
        assert {c.output["prompt"] for c in variant.cases} == {variant.prompt}
        assert variant.usage.calls >= 4
    pairwise = report.comparisons["pairwise"]
    # the scripted writer ignores the prompt, so both variants write the same mails: all ties
    assert pairwise["pairs"]["writer@1 vs writer@2"] == {
        "left": "writer@1", "right": "writer@2", "left_wins": 0, "right_wins": 0, "ties": 4
    }
    assert report.comparisons["judge"]["usage"]["calls"] == 2 * 4 + 4  # rubric per draft + one per pair


async def test_drafts_on_the_embedded_model_use_the_template(settings: Settings) -> None:
    # the local model is never called: the writer does not trust it with whole mails
    ctx = EvalContext(settings=settings, models=["local"], case_ids=["de-almtal-at", "en-calderbrook-news"])

    try:
        report = await run_eval("drafts", ctx, options=SuiteOptions())
    except EvalModelError as exc:  # pragma: no cover - machines without the local extra
        pytest.skip(str(exc))

    for variant in report.variants:
        assert variant.details["strategies"] == {"template": 2}
        assert variant.usage.calls == 0
        assert variant.metrics["grounded"] == 1.0


@pytest.mark.parametrize(
    ("suite", "change", "message"),
    [
        ("replies", {"prompts": ["reply_classifier@9"]}, "prompt 'reply_classifier' has no version '9'"),
        ("replies", {"prompts": ["writer@1"]}, "takes reply_classifier@<version> variants"),
        ("drafts", {"case_ids": ["no-such-case"]}, "no case 'no-such-case' in the dataset"),
        ("research", {"prompts": ["research@1"]}, "no prompt variants"),
        ("nonsense", {}, "unknown suite 'nonsense'"),
    ],
)
async def test_impossible_requests_fail_before_any_model_call(
    scripted_ctx: EvalContext, suite: str, change: dict[str, list[str]], message: str
) -> None:
    for name, value in change.items():
        setattr(scripted_ctx, name, value)

    with pytest.raises(EvalConfigError, match=message):
        await run_eval(suite, scripted_ctx)


def test_unknown_stages_and_limits_are_rejected(settings: Settings) -> None:
    with pytest.raises(EvalConfigError, match="unknown stage"):
        ReplySuiteOptions(stages=("rules", "magic"))
    with pytest.raises(EvalConfigError, match="concurrency"):
        EvalContext(settings=settings, concurrency=0)


def test_html_report_escapes_everything_from_the_data() -> None:
    evil = "<script>alert('x')</script>"
    report = EvalReport(
        suite="drafts",
        dataset=DatasetInfo(path=f"/tmp/{evil}.jsonl", digest="0", rows=1),
        variants=[VariantResult(
            name=f"v{evil}", model="scripted", metrics={"pass_rate": 0.0},
            cases=[CaseRecord(case_id=evil, passed=False, input={"text": evil}, expected={"x": evil},
                              output={"body": evil}, notes=[evil])],
        )],
    )

    page = render_html(report)

    assert "<script>" not in page
    assert page.count("&lt;script&gt;") >= 5
    assert json.dumps(evil)[1:-1] not in page
