"""``draft_email``: pick a strategy, draft, judge with the guardrails, repair at most twice, flag.

Strategy rule (``writer.strategy``):

* ``template`` — always the template strategy (no model call);
* ``llm`` — always the model (an error without one);
* ``auto`` (default) — the model if it is *capable*, else the template. A model is capable
  unless it says otherwise: a boolean ``capable`` attribute wins; without one, the embedded
  model (``model_name`` ``"local"`` or ``"local/…"``, also behind cache/accounting wrappers)
  is not capable — it produced meta-commentary and broken German in our tests.

Both strategies hand back only the message; the writer adds greeting, sign-off and legal
footer, then runs every guardrail. Errors trigger a repair round (llm: re-ask with the
messages; template: the neutral variant). After two rounds, or when the strategy cannot
change anything, the draft goes to the rep flagged with the remaining reasons. A model
answer that does not fit the schema (after the model layer's own re-asks) ends the llm
rounds: the template strategy drafts instead, and the draft is flagged saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from agents.footer import legal_footer, sign_off
from agents.guardrails import GuardrailContext, check_draft, failures
from agents.language import choose_language, salutation_line
from agents.llm import LLM, CallContext
from agents.writer_compose import compose_body, plain_to_html
from agents.writer_llm import LLMStrategy, prompt_variables
from agents.writer_memory import recall
from agents.writer_template import TemplateStrategy
from agents.writer_types import (
    Attempt,
    Candidate,
    DraftRequest,
    DraftResult,
    GuardrailResult,
    Language,
    StrategyName,
    WriterConfigError,
    WriterError,
)
from memory.types import Memory
from prompts.loader import load_prompt, parse_variant

MAX_REPAIR_ROUNDS = 2
WRITER_PROMPT = "writer"
REPAIR_PROMPT = "writer_repair"


class DraftStrategy(Protocol):
    """What both strategies offer the orchestration."""

    @property
    def name(self) -> str: ...

    @property
    def prompt_id(self) -> str: ...

    @property
    def prompt_version(self) -> str: ...

    async def draft(self, previous: Candidate | None = None, failures: list[str] | None = None) -> Candidate | None:
        """A first candidate (``previous`` None) or a repair; None when nothing can be changed."""
        ...


def is_capable(llm: LLM | None) -> bool:
    """Whether ``llm`` may write whole mails (see the module docstring for the rule)."""
    if llm is None:
        return False
    flag = getattr(llm, "capable", None)
    if isinstance(flag, bool):
        return flag
    name = llm.model_name.strip().lower()
    return not (name == "local" or name.startswith("local/"))


def choose_strategy(setting: str, llm: LLM | None) -> tuple[StrategyName, str]:
    """The strategy to use for ``writer.strategy`` = ``setting`` with this model, and why."""
    if setting == "template":
        return "template", "campaign sets writer.strategy: template"
    if setting == "llm":
        if llm is None:
            raise WriterConfigError("writer.strategy is 'llm' but no model is configured")
        return "llm", f"campaign sets writer.strategy: llm ({llm.model_name})"
    if setting != "auto":
        raise WriterConfigError(f"unknown writer strategy {setting!r}: use auto, llm or template")
    if llm is None:
        return "template", "auto: no model configured, so the template strategy drafts"
    if is_capable(llm):
        return "llm", f"auto: {llm.model_name} is a capable model"
    return "template", f"auto: {llm.model_name} is the embedded model, which is no writer; template strategy"


@dataclass
class _Parts:
    language: Language
    salutation: str
    sign_off: str
    footer: str


@dataclass
class _Run:
    candidate: Candidate
    body: str
    results: list[GuardrailResult]
    rounds: int = 0
    attempts: list[Attempt] = field(default_factory=list)


def _judge(candidate: Candidate, parts: _Parts, ctx: GuardrailContext) -> tuple[str, list[GuardrailResult]]:
    if candidate.error:
        return "", [GuardrailResult(name="output_format", passed=False, message=candidate.error)]
    body = compose_body(
        candidate.text,
        salutation=parts.salutation,
        sign_off=parts.sign_off,
        footer=parts.footer,
        language=parts.language,
    )
    return body, check_draft(candidate.subject, body, candidate.claims, ctx)


async def _run(strategy: DraftStrategy, parts: _Parts, ctx: GuardrailContext) -> _Run:
    first = await strategy.draft()
    if first is None:
        raise WriterError(f"the {strategy.name} strategy produced no first draft")
    body, results = _judge(first, parts, ctx)
    run = _Run(candidate=first, body=body, results=results)
    kind: StrategyName = "llm" if strategy.name == "llm" else "template"
    run.attempts.append(
        Attempt(round=0, strategy=kind, subject=first.subject, body=body, failures=failures(results), note=first.note)
    )
    # an unusable answer ends the rounds: the model layer has already re-asked for the schema
    while failures(run.results) and run.rounds < MAX_REPAIR_ROUNDS and not run.candidate.error:
        repaired = await strategy.draft(run.candidate, failures(run.results))
        if repaired is None:
            break
        run.rounds += 1
        run.body, run.results = _judge(repaired, parts, ctx)
        run.candidate = repaired
        run.attempts.append(
            Attempt(
                round=run.rounds,
                strategy=kind,
                subject=repaired.subject,
                body=run.body,
                failures=failures(run.results),
                note=repaired.note,
            )
        )
    return run


def _llm_strategy(
    request: DraftRequest,
    llm: LLM,
    memory: Memory | None,
    parts: _Parts,
    ctx: GuardrailContext,
    *,
    prompt_variant: str | None,
    instruction: str | None,
) -> LLMStrategy:
    prompt_id, version = parse_variant(prompt_variant) if prompt_variant else (WRITER_PROMPT, None)
    prompt = load_prompt(prompt_id, version)
    message_of = {p.step: ctx.strip(p.body) for p in request.previous}
    variables = prompt_variables(
        request,
        language=parts.language,
        salutation=parts.salutation,
        recall=recall(memory, request),
        message_of=message_of,
        instruction=instruction,
    )
    context = CallContext(
        prompt_id=prompt.id,
        prompt_version=prompt.version,
        agent="writer",
        campaign_id=request.campaign_id,
        lead_id=request.lead_id,
    )
    return LLMStrategy(
        llm, prompt=prompt, repair_prompt=load_prompt(REPAIR_PROMPT), variables=variables, context=context
    )


async def draft_email(
    request: DraftRequest,
    *,
    llm: LLM | None = None,
    memory: Memory | None = None,
    strategy: str | None = None,
    prompt_variant: str | None = None,
    instruction: str | None = None,
) -> DraftResult:
    """Draft step ``request.step`` for one lead; never sends, never writes to the store.

    ``strategy`` overrides ``writer.strategy``; ``prompt_variant`` (``"writer@2"``) picks
    the llm prompt version (evals); ``instruction`` is a rep's regenerate request.
    """
    spec = request.spec
    spec.step(request.step)  # a step the campaign does not have is a clear error up front
    if request.step > 1 and not request.previous:
        raise WriterConfigError(f"step {request.step} is a follow-up but no earlier mail was given")
    choice = choose_language(spec, request.recipient, request.profile)
    language = choice.language
    parts = _Parts(
        language=language,
        salutation=salutation_line(language, request.recipient, style=spec.writer.salutation, tone=spec.tone),
        sign_off=sign_off(spec, language),
        footer=legal_footer(spec, language, unsubscribe_url=request.unsubscribe_url),
    )
    ctx = GuardrailContext(
        spec=spec,
        language=language,
        step=request.step,
        recipient=request.recipient,
        profile=request.profile,
        salutation=parts.salutation,
        sign_off=parts.sign_off,
        footer=parts.footer,
        previous=tuple(request.previous),
    )
    name, reason = choose_strategy(strategy or spec.writer.strategy, llm)
    extra_reasons: list[str] = []
    chosen: DraftStrategy
    if name == "llm" and llm is not None:
        chosen = _llm_strategy(request, llm, memory, parts, ctx, prompt_variant=prompt_variant, instruction=instruction)
    else:
        chosen = TemplateStrategy(request, language=language)
    run = await _run(chosen, parts, ctx)
    attempts = list(run.attempts)
    if run.candidate.error:
        fallback = "the model's answer did not fit the schema; the template strategy drafted instead"
        reason = f"{reason}; {fallback}"
        extra_reasons.append(f"writer: {fallback}")
        chosen = TemplateStrategy(request, language=language)
        run = await _run(chosen, parts, ctx)
        attempts.extend(run.attempts)
    results = list(run.results)
    if instruction and chosen.name == "template":
        results.append(
            GuardrailResult(
                name="rep_instruction",
                passed=False,
                severity="warning",
                message=f"the template strategy cannot follow the instruction {instruction!r}; edit by hand",
            )
        )
    flagged_reasons = extra_reasons + failures(results)
    return DraftResult(
        step=request.step,
        subject=run.candidate.subject,
        body=run.body,
        body_html=plain_to_html(run.body),
        language=language,
        claims=run.candidate.claims,
        guardrails=results,
        strategy="llm" if chosen.name == "llm" else "template",
        strategy_reason=f"{reason}; language: {choice.reason}",
        prompt_id=chosen.prompt_id,
        prompt_version=chosen.prompt_version,
        repair_rounds=run.rounds,
        flagged=bool(flagged_reasons),
        flagged_reasons=flagged_reasons,
        attempts=attempts,
    )
