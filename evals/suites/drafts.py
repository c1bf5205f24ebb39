"""The drafts suite: run the writer per case and variant, score the drafts, optionally judge them.

Variants are writer prompt versions (``--variant writer@1 --variant writer@2``; default:
every version on disk) times models (``--model``; default: the configured one). The writer
chooses its strategy as in production (``writer.strategy`` of the case's campaign, or
``DraftSuiteOptions.strategy``): the embedded model drafts by template, so prompt variants
only differ with a capable model.

With ``judge`` the run's first model scores every draft on a 1-5 rubric and, when there
are several variants, compares each pair of variants' drafts per case in a seeded random
order (``evals.scorers.judge``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.llm import LLMError
from agents.nodes.writer import WRITER_PROMPT, draft_email
from agents.writer_llm import LLMDraft
from agents.writer_types import DraftResult, WriterError
from evals.context import EvalContext
from evals.datasets.drafts_schema import DRAFTS_PATH, DraftCase, load_drafts
from evals.llms import ModelFactory
from evals.results import CaseRecord, VariantResult
from evals.scorers.drafts import LOWER_IS_BETTER, DraftScore, aggregate, score_draft
from evals.scorers.judge import (
    RUBRIC,
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
from evals.scripted import pairwise_for, responder, rubric_for, scripted_draft
from evals.suites.common import SuiteOutput, clip, dataset_info, prompt_variants, stopwatch, variant_name


@dataclass
class DraftSuiteOptions:
    """Override of the campaigns' writer strategy (``auto``, ``llm``, ``template``)."""

    strategy: str | None = None


@dataclass
class _Drafted:
    """One case of one variant: the writer's result and its score (None when it failed)."""

    case: DraftCase
    result: DraftResult | None
    score: DraftScore | None
    error: str | None = None
    rubric: JudgeRubric | None = None
    judge_error: str | None = None


@dataclass
class _Variant:
    name: str
    kind: str
    prompt: str
    factory: ModelFactory
    drafted: list[_Drafted] = field(default_factory=list)
    seconds: float = 0.0


def judge_input(case: DraftCase) -> JudgeInput:
    """What the judge sees of a case."""
    request = case.request()
    recipient = request.recipient
    who = ", ".join(p for p in (recipient.full_name, recipient.role) if p)
    return JudgeInput(
        language=case.expect.language,
        company=request.company_name,
        recipient=who,
        product=case.spec.offer.product,
        call_to_action=case.spec.offer.call_to_action,
        facts=tuple(f"{fact.text} ({fact.source_url})" for fact in case.facts),
    )


async def _draft(case: DraftCase, variant: _Variant, options: DraftSuiteOptions) -> _Drafted:
    request = case.request()
    llm = variant.factory.llm_for(responder({LLMDraft: lambda: scripted_draft(request)}))
    try:
        result = await draft_email(request, llm=llm, strategy=options.strategy, prompt_variant=variant.prompt)
    except (WriterError, LLMError) as exc:
        return _Drafted(case, None, None, error=f"{type(exc).__name__}: {exc}")
    return _Drafted(case, result, score_draft(case, result))


def _drafter(variant: _Variant, options: DraftSuiteOptions) -> Callable[[DraftCase], Awaitable[_Drafted]]:
    async def draft(case: DraftCase) -> _Drafted:
        return await _draft(case, variant, options)

    return draft


def _judger(judge: ModelFactory) -> Callable[[_Drafted], Awaitable[None]]:
    async def run(item: _Drafted) -> None:
        await _judge(item, judge)

    return run


async def _judge(item: _Drafted, judge: ModelFactory) -> None:
    if item.result is None or item.score is None:
        return
    share = item.score.share_passed
    llm = judge.llm_for(responder({JudgeRubric: lambda: rubric_for(share)}))
    try:
        item.rubric = await judge_draft(llm, judge_input(item.case), DraftText(item.result.subject, item.result.body))
    except LLMError as exc:
        item.judge_error = f"{type(exc).__name__}: {exc}"


def _record(item: _Drafted) -> CaseRecord:
    case, result, score = item.case, item.result, item.score
    expected: dict[str, Any] = {"language": case.expect.language, "words": list(case.word_range),
                                "grounded_facts": case.expect.grounded_facts,
                                "must_mention": case.expect.must_mention,
                                "must_not_mention": case.expect.must_not_mention}
    if case.accepted is not None:
        expected["accepted"] = {"subject": case.accepted.subject, "body": clip(case.accepted.body)}
    output: dict[str, Any] = {}
    if result is not None and score is not None:
        output = {"subject": result.subject, "body": clip(result.body), "strategy": result.strategy,
                  "prompt": f"{result.prompt_id}@{result.prompt_version}", "language": score.detected_language,
                  "words": score.words, "claims": [c.model_dump() for c in result.claims],
                  "flagged_reasons": result.flagged_reasons, "checks": score.checks,
                  "edit_distance": score.edit_distance}
    if item.rubric is not None:
        output["judge"] = item.rubric.model_dump()
    notes = list(score.notes) if score else []
    if item.judge_error:
        notes.append(f"judge failed: {item.judge_error}")
    return CaseRecord(
        case_id=case.id,
        passed=score is not None and score.passed,
        input={"campaign": case.spec.name, "step": case.step, "recipient": case.recipient.model_dump(),
               "company": case.company.name or case.company.domain, "facts": [f.text for f in case.facts],
               "note": case.note},
        expected=expected,
        output=output,
        notes=notes,
        error=item.error,
    )


def _result(variant: _Variant) -> VariantResult:
    metrics, details = aggregate([(d.case, d.score) for d in variant.drafted])
    made = [d.result for d in variant.drafted if d.result is not None]
    details["strategies"] = dict(Counter(r.strategy for r in made))
    details["flagged"] = sum(r.flagged for r in made) / len(made) if made else None
    details["repair_rounds"] = sum(r.repair_rounds for r in made) / len(made) if made else None
    rubrics = [d.rubric for d in variant.drafted if d.rubric is not None]
    if rubrics:
        for criterion in RUBRIC:
            metrics[f"judge_{criterion}"] = sum(getattr(r, criterion) for r in rubrics) / len(rubrics)
        details["judged"] = len(rubrics)
    return VariantResult(
        name=variant.name,
        model=variant.kind,
        prompt=variant.prompt,
        metrics=metrics,
        lower_is_better=sorted(LOWER_IS_BETTER),
        details=details,
        usage=variant.factory.counter.snapshot(),
        cases=[_record(d) for d in variant.drafted],
        seconds=variant.seconds,
    )


async def _pairwise(ctx: EvalContext, variants: list[_Variant], judge: ModelFactory) -> dict[str, Any]:
    by_name = {v.name: {d.case.id: d for d in v.drafted} for v in variants}
    cases = [d.case for d in variants[0].drafted]
    plan = pairwise_plan([c.id for c in cases], [v.name for v in variants], seed=ctx.seed)

    async def compare(task: PairTask) -> tuple[PairTask, str | None] | None:
        first, second = (by_name[name][task.case_id] for name in task.shown)
        if first.result is None or second.result is None or first.score is None or second.score is None:
            return None
        shares = (first.score.share_passed, second.score.share_passed)
        llm = judge.llm_for(responder({PairwiseVerdict: lambda: pairwise_for(*shares)}))
        try:
            verdict = await compare_drafts(
                llm,
                judge_input(first.case),
                DraftText(first.result.subject, first.result.body),
                DraftText(second.result.subject, second.result.body),
            )
        except LLMError:
            return None
        return task, task.winner(verdict)

    done = await ctx.run_cases("pairwise judge", plan, compare)
    outcomes = [item for item in done if item is not None]
    result = tally(outcomes, [v.name for v in variants])
    result["failed"] = len(plan) - len(outcomes)
    result["seed"] = ctx.seed
    return result


async def run_drafts(
    ctx: EvalContext, path: Path | str | None = None, options: DraftSuiteOptions | None = None
) -> SuiteOutput:
    """Draft every selected case with every variant; score, and judge when asked."""
    options = options or DraftSuiteOptions()
    path = Path(path or DRAFTS_PATH)
    cases = ctx.select(load_drafts(path))
    kinds = ctx.models or [ctx.default_model()]
    prompts = prompt_variants(ctx.prompts, WRITER_PROMPT, "drafts")
    variants = [
        _Variant(variant_name(prompt, model=kind, prompt=None, models=len(kinds), prompts=1), kind, prompt,
                 ctx.factory(kind))
        for kind in kinds
        for prompt in prompts
    ]
    judge = ctx.factory(kinds[0]) if ctx.judge else None
    for variant in variants:
        with stopwatch() as elapsed:
            variant.drafted = await ctx.run_cases(f"drafts {variant.name}", cases, _drafter(variant, options))
            if judge is not None:
                await ctx.run_cases(f"judge {variant.name}", variant.drafted, _judger(judge))
        variant.seconds = elapsed[0]
    comparisons: dict[str, Any] = {}
    if judge is not None:
        if len(variants) > 1:
            comparisons["pairwise"] = await _pairwise(ctx, variants, judge)
        comparisons["judge"] = {"model": judge.kind, "usage": judge.counter.snapshot().model_dump()}
    return SuiteOutput(
        dataset=dataset_info(path, len(cases)),
        variants=[_result(v) for v in variants],
        comparisons=comparisons,
        options={"strategy": options.strategy, "judge": ctx.judge, "seed": ctx.seed},
    )
