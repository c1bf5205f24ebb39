"""The ``llm`` strategy: a capable model drafts subject, message and claims in one structured call.

The prompt (``prompts/writer``) gets the campaign, the lead's facts with their ids, earlier
mails of the thread and what memory recalls. A repair round sends the last answer back with
the guardrail messages (``prompts/writer_repair``). A model that cannot produce the schema
yields a ``Candidate`` with ``error`` set instead of raising: that is an expected failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from agents.llm import LLM, CallContext, Message, StructuredOutputError
from agents.writer_memory import WriterRecall
from agents.writer_types import Candidate, Claim, DraftRequest, Language
from prompts.loader import PromptTemplate, RenderedPrompt

LANGUAGE_NAMES: dict[Language, str] = {"de": "German", "en": "English"}


MAX_CLAIMS = 5


class LLMClaim(BaseModel):
    """A personal statement and the id of the fact behind it."""

    text: str = Field(max_length=200, description="The statement as written in the body.")
    fact_id: str = Field(max_length=40, description="Id of the fact from the FACTS list.")


class LLMDraft(BaseModel):
    """What the model must answer.

    Bounds on everything but the body keep a schema-constrained small model from looping
    in a field until ``max_tokens`` (observed: SmolLM2 repeating one claim forever). The
    body has none: llama-cpp-python expands ``maxLength`` into a grammar llama.cpp refuses
    for a mail-sized limit; the length guardrail judges the body instead.
    """

    subject: str = Field(max_length=150, description="Subject line.")
    body: str = Field(description="Message text only: no greeting, sign-off, signature or footer.")
    claims: list[LLMClaim] = Field(
        default_factory=list, max_length=MAX_CLAIMS, description="Personal statements and their facts."
    )


class _UnclaimedDraft(LLMDraft):
    claims: list[LLMClaim] = Field(default_factory=list, max_length=0, description="Always empty: no facts.")


def draft_schema(fact_ids: Sequence[str]) -> type[LLMDraft]:
    """``LLMDraft`` whose claims can only cite these fact ids.

    The ids become an enum, so a constrained decoder cannot invent one and any other model
    is re-asked by the structured-output layer; without facts there can be no claims.
    """
    ids = tuple(dict.fromkeys(fact_ids))
    if not ids:
        return _UnclaimedDraft
    cited: Any = Literal.__getitem__(ids)  # the ids are data, so the Literal is built at run time
    claim = create_model(
        "LLMClaim", __base__=LLMClaim, fact_id=(cited, Field(description="Id of the fact from the FACTS list."))
    )
    return create_model(
        "LLMDraft",
        __base__=LLMDraft,
        claims=(list[claim], Field(default_factory=list, max_length=MAX_CLAIMS)),
    )


def prompt_variables(
    request: DraftRequest,
    *,
    language: Language,
    salutation: str,
    recall: WriterRecall,
    message_of: dict[int, str],
    instruction: str | None = None,
) -> dict[str, Any]:
    """The variables the writer prompt files use (every version gets the same set)."""
    spec = request.spec
    step = spec.step(request.step)
    profile = request.profile
    return {
        "language": language,
        "language_name": LANGUAGE_NAMES[language],
        "tone": spec.tone,
        "salutation": salutation,
        "sender": {"name": spec.sender.name, "title": spec.sender.title, "company": spec.sender.legal.company_name},
        "offer": spec.offer.model_dump(),
        "recipient": {"name": request.recipient.full_name, "role": request.recipient.role},
        "company": {
            "name": request.company_name,
            "domain": profile.domain,
            "industry": profile.industry,
            "description": profile.description,
            "location": profile.location,
        },
        "step": request.step,
        "instruction": step.instruction,
        "rep_instruction": instruction,
        "is_follow_up": request.step > 1 and bool(request.previous),
        "previous": [
            {"step": p.step, "subject": p.subject, "text": message_of.get(p.step, p.body)} for p in request.previous
        ],
        "facts": [
            {"id": f.id, "kind": f.kind, "text": f.text, "source_url": f.source_url} for f in profile.facts
        ],
        "interactions": recall.interactions,
        "best_emails": recall.best_emails,
        "style_examples": [e.model_dump() for e in recall.style_examples],
        "min_words": spec.writer.min_words,
        "max_words": spec.writer.max_words,
        "max_subject_chars": spec.writer.max_subject_chars,
    }


def token_budget(prompt_max: int | None, max_words: int) -> int:
    """Output tokens an answer may use: the prompt's limit, capped by what the word limit needs.

    A mail of ``max_words`` words fits in about 3 tokens a word (German, small-vocabulary
    tokenizers) plus 200 for subject, claims and JSON; a model that rambles past that is cut
    off instead of burning time and money on text the length guardrail would reject.
    """
    needed = 200 + 3 * max_words
    return min(prompt_max, needed) if prompt_max is not None else needed


def _messages(rendered: RenderedPrompt) -> list[Message]:
    return [{"role": m.role, "content": m.content} for m in rendered.messages]


class LLMStrategy:
    """Drafts with a model; ``draft(previous, failures)`` re-asks with the failure reasons."""

    name = "llm"

    def __init__(
        self,
        llm: LLM,
        *,
        prompt: PromptTemplate,
        repair_prompt: PromptTemplate,
        variables: dict[str, Any],
        context: CallContext,
    ) -> None:
        self.llm = llm
        self.prompt = prompt
        self.repair_prompt = repair_prompt
        self.variables = variables
        self.context = context
        self._base = _messages(prompt.render(variables))
        self.schema = draft_schema([fact["id"] for fact in variables["facts"]])
        self._last_answer = ""

    @property
    def prompt_id(self) -> str:
        return self.prompt.id

    @property
    def prompt_version(self) -> str:
        return self.prompt.version

    async def draft(self, previous: Candidate | None = None, failures: list[str] | None = None) -> Candidate:
        """First draft, or (given the previous candidate and its failures) a repaired one."""
        messages = list(self._base)
        params = self.prompt.params
        if previous is not None:
            repair = self.repair_prompt.render(
                {"failures": failures or [], "language_name": self.variables["language_name"]}
            )
            messages.append({"role": "assistant", "content": self._last_answer or "(no usable answer)"})
            messages.extend(_messages(repair))
            params = self.repair_prompt.params
        try:
            answer = await self.llm.structured(
                messages,
                self.schema,
                temperature=params.temperature,
                max_tokens=token_budget(params.max_tokens, self.variables["max_words"]),
                context=self.context,
            )
        except StructuredOutputError as exc:
            self._last_answer = exc.last_output[:4000]
            return Candidate(
                subject="",
                text="",
                error=f"the answer was not JSON of the form subject/body/claims ({exc})",
                note="model output did not fit the schema",
            )
        self._last_answer = answer.model_dump_json()
        return Candidate(
            subject=answer.subject.strip(),
            text=answer.body,
            claims=[Claim(text=c.text.strip(), fact_id=c.fact_id.strip()) for c in answer.claims],
            note="first draft" if previous is None else "repaired with the failure reasons",
        )
