"""The model's part of research: a small form of values copied from the pages, then checked.

One ``llm.structured`` call per company with the ``research`` prompt. Page text goes in
only as ``<untrusted_page>`` blocks, with instruction-like sentences already removed. The
model has no tools: it can only fill ``ResearchSummary``. Every value it returns must
appear in the page text (after folding case, umlauts and spaces); a value that does not
is rejected and reported, so a small model cannot invent facts. An accepted value becomes
a ``Fact`` citing the page where it was found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from pydantic import BaseModel, Field

from agents.industries import INDUSTRIES, contains_term, fold, label_for
from agents.injection import untrusted_block
from agents.llm import LLM, CallContext, LLMError, Message
from prompts.loader import load_prompt

PROMPT_ID = "research"
MAX_CHARS_PER_PAGE = 2000
MAX_CHARS_TOTAL = 6000


class ResearchSummary(BaseModel):
    """The form the model fills in; every value is a verbatim copy from the pages (or empty)."""

    description: str | None = Field(default=None, max_length=400, description="One sentence copied from the pages.")
    industry: str | None = Field(default=None, max_length=80, description="Short industry label.")
    industry_evidence: str | None = Field(default=None, max_length=200, description="Words copied from the pages.")
    products: list[str] = Field(default_factory=list, max_length=5, description="Product/service names copied.")
    location: str | None = Field(default=None, max_length=80, description="Head office city as written.")
    employees_text: str | None = Field(default=None, max_length=80, description="Employee count phrase copied.")


@dataclass(frozen=True)
class PageText:
    """Cleaned text of one visited page, as the model and the grounding check see it."""

    url: str
    kind: str
    text: str


@dataclass
class Grounded:
    """A value the model returned that was found on a page."""

    value: str
    source_url: str


@dataclass
class LLMFindings:
    """What survived the grounding check, what did not, and whether the call failed."""

    description: Grounded | None = None
    industry: Grounded | None = None
    products: list[Grounded] = field(default_factory=list)
    location: Grounded | None = None
    employees_text: Grounded | None = None
    rejected: list[str] = field(default_factory=list)
    error: str | None = None
    calls: int = 0
    prompt_chars: int = 0


def _norm(text: str) -> str:
    return re.sub(r"[\s\"'„“”‚‘’«»]+", " ", fold(text)).strip(" .,;:!?-–")


def find_source(value: str, pages: Sequence[PageText]) -> str | None:
    """URL of the first page whose text contains ``value`` (folded), or None."""
    wanted = _norm(value)
    if len(wanted) < 2:
        return None
    for page in pages:
        if wanted in _norm(page.text):
            return page.url
    return None


def page_blocks(pages: Sequence[PageText]) -> str:
    """The pages as untrusted blocks, within the character budget."""
    blocks: list[str] = []
    used = 0
    for page in pages:
        room = min(MAX_CHARS_PER_PAGE, MAX_CHARS_TOTAL - used)
        if room < 200:
            break
        text = page.text[:room]
        used += len(text)
        blocks.append(untrusted_block(page.url, text))
    return "\n\n".join(blocks)


def _ground_value(name: str, value: str | None, pages: Sequence[PageText], findings: LLMFindings) -> Grounded | None:
    if value is None or not value.strip():
        return None
    source = find_source(value, pages)
    if source is None:
        findings.rejected.append(f"{name}: {value[:80]!r} is not on the pages")
        return None
    return Grounded(value.strip(), source)


def ground(summary: ResearchSummary, pages: Sequence[PageText]) -> LLMFindings:
    """Keep only values that appear on the pages; note each rejected one."""
    findings = LLMFindings()
    findings.description = _ground_value("description", summary.description, pages, findings)
    findings.location = _ground_value("location", summary.location, pages, findings)
    findings.employees_text = _ground_value("employees_text", summary.employees_text, pages, findings)
    for product in summary.products:
        grounded = _ground_value("product", product, pages, findings)
        if grounded and all(fold(grounded.value) != fold(p.value) for p in findings.products):
            findings.products.append(grounded)
    if summary.industry and summary.industry.strip():
        evidence = _ground_value("industry_evidence", summary.industry_evidence, pages, findings)
        label = label_for(summary.industry) or summary.industry.strip()
        on_page = find_source(summary.industry, pages)
        if evidence is None and on_page is None:
            findings.rejected.append(f"industry: {summary.industry[:80]!r} has no evidence on the pages")
        elif label not in INDUSTRIES and on_page is None:
            findings.rejected.append(f"industry: {summary.industry[:80]!r} is neither a known label nor on the pages")
        elif evidence is not None and not _supports(label, evidence.value):
            findings.rejected.append(f"industry: evidence {evidence.value[:60]!r} does not mention {label!r}")
        else:
            findings.industry = Grounded(label, evidence.source_url if evidence else cast(str, on_page))
    return findings


def _supports(label: str, evidence: str) -> bool:
    """True if the evidence names the industry (its label or a synonym) or the label is free text."""
    if label not in INDUSTRIES:
        return True
    return any(contains_term(evidence, word) for word in (label, *INDUSTRIES[label]))


async def summarise(llm: LLM, *, domain: str, pages: Sequence[PageText]) -> LLMFindings:
    """Ask the model once; model failures become ``LLMFindings.error``, never an exception."""
    template = load_prompt(PROMPT_ID)
    rendered = template.render(domain=domain, labels=list(INDUSTRIES), pages=page_blocks(pages))
    messages = [cast(Message, {"role": m.role, "content": m.content}) for m in rendered.messages]
    context = CallContext(prompt_id=rendered.id, prompt_version=rendered.version, agent="research")
    prompt_chars = sum(len(m["content"]) for m in messages)
    try:
        summary = await llm.structured(
            messages,
            ResearchSummary,
            temperature=rendered.params.temperature,
            max_tokens=rendered.params.max_tokens,
            context=context,
        )
    except LLMError as exc:
        return LLMFindings(error=f"{type(exc).__name__}: {exc}", calls=1, prompt_chars=prompt_chars)
    findings = ground(summary, pages)
    findings.calls, findings.prompt_chars = 1, prompt_chars
    return findings
