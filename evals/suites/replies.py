"""The replies suite: the classifier cascade and each of its stages on a labelled reply dataset.

Configurations (``--stages`` picks the stages; each chosen stage runs alone, and the
cascades run when their stages are chosen):

* ``rules`` — ``agents.classifier_rules`` alone; mail it has no verdict on is an abstention;
* ``model`` — the trained classifier alone (its best label, whatever the confidence);
* ``llm`` — the LLM alone with ``prompts/reply_classifier`` (per prompt variant and model);
* ``cascade_no_llm`` — ``classify_reply`` without an LLM: rules → trained model → the best
  guess when unsure (a human would confirm it);
* ``cascade`` — ``classify_reply`` with the LLM stage forced on (``llm_policy="always"``) so
  the LLM's contribution is measured even for the embedded model.

The trained model is fitted on the dataset's ``train`` rows and scored on ``split`` (default
``test``); a team's own dataset is therefore trained and scored on its own data. The
``rules`` and ``model`` parameters exist to inject a degraded variant (the regression
gate's tests do); ``classify_reply`` always applies the production rules.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

from agents.classifier_model import ModelError, ModelPrediction, ReplyModel
from agents.classifier_rules import RuleVerdict, apply_rules
from agents.llm import LLM, CallContext, LLMError, Message
from agents.nodes.reply_classifier import PROMPT_ID, CascadeConfig, LLMReplyVerdict, classify_reply
from agents.reply_types import ReplyClassificationResult, ReplyInput, ReplyLabel
from evals.context import EvalConfigError, EvalContext
from evals.datasets.schema import REPLIES_PATH, ReplyExample, load_replies
from evals.llms import ModelFactory, ModelKind
from evals.results import CaseRecord, UsageTotals, VariantResult
from evals.scorers.classification import score_classification
from evals.scripted import keyword_verdict, responder
from evals.suites.common import (
    SuiteOutput,
    clip,
    dataset_info,
    keep_inputs_of_failures,
    prompt_variants,
    stopwatch,
    variant_name,
)
from prompts.loader import PromptTemplate, load_prompt

STAGES = ("rules", "model", "llm")
Rules = Callable[[ReplyInput], RuleVerdict | None]


@dataclass
class ReplySuiteOptions:
    """What the replies suite evaluates."""

    stages: tuple[str, ...] = STAGES
    split: str = "test"
    rules: Rules = apply_rules
    model: ReplyModel | None = None
    cascade: CascadeConfig = field(default_factory=lambda: CascadeConfig(llm_policy="always"))

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown or not self.stages:
            raise EvalConfigError(f"unknown stage(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(STAGES)}")


@dataclass(frozen=True)
class Prediction:
    """One stage's answer on one reply."""

    label: str | None
    confidence: float | None = None
    stage: str | None = None
    reasons: tuple[str, ...] = ()
    error: str | None = None


def configurations(stages: Sequence[str]) -> list[str]:
    """The configurations run for the chosen stages, cheapest first."""
    chosen = set(stages)
    out = [s for s in STAGES if s in chosen]
    if {"rules", "model"} <= chosen:
        out.append("cascade_no_llm")
    if set(STAGES) <= chosen:
        out.append("cascade")
    return out


def shuffled_label_model(rows: Sequence[ReplyExample], *, seed: int = 0) -> ReplyModel:
    """A model trained on the rows with their labels shuffled: a deliberately broken variant."""
    labels = [row.label for row in rows]
    random.Random(seed).shuffle(labels)
    return ReplyModel.train([row.to_input() for row in rows], labels)


def _from_result(result: ReplyClassificationResult) -> Prediction:
    return Prediction(result.label.value, result.confidence, result.stage.value, tuple(result.reasons))


async def _ask_llm(llm: LLM, reply: ReplyInput, prompt: PromptTemplate) -> Prediction:
    rendered = prompt.render(subject=reply.subject, text=reply.text or reply.body, history=[], allowed=[])
    messages = [cast(Message, {"role": m.role, "content": m.content}) for m in rendered.messages]
    context = CallContext(prompt_id=rendered.id, prompt_version=rendered.version, agent="eval_reply_classifier")
    try:
        verdict = await llm.structured(
            messages, LLMReplyVerdict, temperature=rendered.params.temperature,
            max_tokens=rendered.params.max_tokens, context=context,
        )
    except LLMError as exc:
        return Prediction(None, error=f"{type(exc).__name__}: {exc}")
    return Prediction(verdict.label.value, verdict.confidence, "llm", (verdict.reason,))


def _record(row: ReplyExample, reply: ReplyInput, prediction: Prediction) -> CaseRecord:
    return CaseRecord(
        case_id=row.id,
        passed=prediction.label == row.label.value,
        input={"language": row.language, "from": reply.header("from"), "subject": row.subject,
               "text": clip(reply.text or reply.body)},
        expected={"label": row.label.value},
        output={"label": prediction.label, "confidence": prediction.confidence, "stage": prediction.stage,
                "reasons": list(prediction.reasons)},
        notes=[] if prediction.label == row.label.value else [
            f"expected {row.label.value}, got {prediction.label or 'no label (abstained)'}"
        ],
        error=prediction.error,
    )


def _variant(
    config: _Config, stages: _Stages, predictions: Sequence[Prediction], seconds: float
) -> VariantResult:
    rows = stages.rows
    score = score_classification(
        [row.label.value for row in rows], [p.label for p in predictions], labels=[label.value for label in ReplyLabel]
    )
    details = score.details()
    decided = Counter(p.stage or "abstained" for p in predictions)
    details["decided_by"] = dict(decided)
    details["human_share"] = decided.get("human", 0) / len(rows)
    details["errors"] = sum(1 for p in predictions if p.error)
    records = [
        _record(row, reply, p) for row, reply, p in zip(rows, stages.inputs, predictions, strict=True)
    ]
    return VariantResult(
        name=config.name,
        model=config.model,
        prompt=config.prompt,
        metrics=score.metrics(),
        details=details,
        usage=config.factory.counter.snapshot() if config.factory else UsageTotals(),
        cases=keep_inputs_of_failures(records),
        seconds=seconds,
    )


@dataclass
class _Config:
    """One configuration to run: its name, what it calls, and how it predicts case ``i``."""

    name: str
    model: str
    prompt: str | None
    factory: ModelFactory | None
    predict: Callable[[int], Awaitable[Prediction]]


class _Stages:
    """The prediction functions of every configuration over one list of rows."""

    def __init__(self, rows: Sequence[ReplyExample], options: ReplySuiteOptions, model: ReplyModel | None) -> None:
        self.rows = rows
        self.inputs = [row.to_input() for row in rows]
        self.options = options
        self.model = model
        self._batch: list[ModelPrediction] | None = None

    async def rules(self, i: int) -> Prediction:
        verdict = self.options.rules(self.inputs[i])
        if verdict is None or verdict.label is None:
            return Prediction(None, reasons=tuple(verdict.reasons) if verdict else ())
        return Prediction(verdict.label.value, verdict.confidence, "rules", tuple(verdict.reasons))

    async def trained(self, i: int) -> Prediction:
        if self._batch is None:
            assert self.model is not None
            self._batch = self.model.predict_many(self.inputs)
        found = self._batch[i]
        return Prediction(found.label.value, found.confidence, "model")

    async def cascade_no_llm(self, i: int) -> Prediction:
        result = await classify_reply(self.inputs[i], llm=None, model=self.model, config=self.options.cascade)
        return _from_result(result)

    def _llm(self, factory: ModelFactory, i: int) -> LLM:
        row, reply = self.rows[i], self.inputs[i]
        answer = responder({LLMReplyVerdict: lambda: keyword_verdict(row.subject, reply.text or reply.body)})
        return factory.llm_for(answer)

    def llm(self, factory: ModelFactory, prompt: PromptTemplate) -> Callable[[int], Awaitable[Prediction]]:
        async def predict(i: int) -> Prediction:
            return await _ask_llm(self._llm(factory, i), self.inputs[i], prompt)

        return predict

    def cascade(self, factory: ModelFactory) -> Callable[[int], Awaitable[Prediction]]:
        async def predict(i: int) -> Prediction:
            llm = self._llm(factory, i)
            result = await classify_reply(self.inputs[i], llm=llm, model=self.model, config=self.options.cascade)
            return _from_result(result)

        return predict


def _llm_variants(ctx: EvalContext, options: ReplySuiteOptions) -> tuple[list[ModelKind], list[str]]:
    """The models and prompt labels of the LLM configurations (checked before anything runs)."""
    if "llm" not in options.stages:
        if ctx.prompts:
            raise EvalConfigError("--variant needs the llm stage (--stages ...,llm)")
        return [], []
    return ctx.models or [ctx.default_model()], prompt_variants(ctx.prompts, PROMPT_ID, "replies")


def _configs(ctx: EvalContext, stages: _Stages, options: ReplySuiteOptions) -> list[_Config]:
    kinds, prompts = _llm_variants(ctx, options)
    configs: list[_Config] = []
    for config in configurations(options.stages):
        if config == "rules":
            configs.append(_Config("rules", "none", None, None, stages.rules))
        elif config == "model":
            configs.append(_Config("model", "none", None, None, stages.trained))
        elif config == "cascade_no_llm":
            configs.append(_Config("cascade_no_llm", "none", None, None, stages.cascade_no_llm))
        elif config == "llm":
            for kind in kinds:
                for label in prompts:
                    factory = ctx.factory(kind)
                    name = variant_name("llm", model=kind, prompt=label, models=len(kinds), prompts=len(prompts))
                    configs.append(_Config(name, kind, label, factory, stages.llm(factory, load_prompt(label))))
        elif config == "cascade":
            for kind in kinds:
                factory = ctx.factory(kind)
                name = variant_name("cascade", model=kind, prompt=None, models=len(kinds), prompts=1)
                configs.append(_Config(name, kind, f"{PROMPT_ID} (latest)", factory, stages.cascade(factory)))
    return configs


def _trained_model(path: Path, train: Sequence[ReplyExample], options: ReplySuiteOptions) -> ReplyModel | None:
    if options.model is not None or "model" not in options.stages:
        return options.model
    if not train:
        raise EvalConfigError(f"{path}: no 'train' rows to train the model stage on")
    try:
        return ReplyModel.train([r.to_input() for r in train], [r.label for r in train])
    except ModelError as exc:
        raise EvalConfigError(f"{path}: cannot train the model stage: {exc}") from exc


async def run_replies(
    ctx: EvalContext, path: Path | str | None = None, options: ReplySuiteOptions | None = None
) -> SuiteOutput:
    """Evaluate the chosen stages and cascades on the dataset's ``options.split`` rows."""
    options = options or ReplySuiteOptions()
    _llm_variants(ctx, options)
    path = Path(path or REPLIES_PATH)
    every = load_replies(path)
    rows = ctx.select([row for row in every if row.split == options.split])
    train = [row for row in every if row.split == "train"]
    stages = _Stages(rows, options, _trained_model(path, train, options))
    variants: list[VariantResult] = []
    for config in _configs(ctx, stages, options):
        with stopwatch() as elapsed:
            predictions = await ctx.run_cases(config.name, list(range(len(rows))), config.predict)
        variants.append(_variant(config, stages, predictions, elapsed[0]))
    return SuiteOutput(
        dataset=dataset_info(path, len(rows), options.split),
        variants=variants,
        options={"stages": list(options.stages), "split": options.split, "cascade": asdict(options.cascade),
                 "train_rows": len(train)},
    )
