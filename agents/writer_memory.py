"""What the writer recalls from vector memory for one lead (optional: no memory, no recall).

* earlier interactions with this contact (exact, ``for_contact``) and this company
  (nearest to the lead's context);
* emails that got positive replies from similar leads (kind ``sent_email``, outcome positive);
* rep corrections of this campaign (``agents.rep_edits.style_examples``).

Only the llm strategy uses recall; the template strategy is deterministic by design.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.rep_edits import RepEditExample, message_core, style_examples
from agents.writer_types import DraftRequest
from memory.types import Interaction, Memory

ITEM_CHARS = 400


@dataclass
class WriterRecall:
    """Recalled context, already trimmed for a prompt."""

    interactions: list[str] = field(default_factory=list)
    best_emails: list[str] = field(default_factory=list)
    style_examples: list[RepEditExample] = field(default_factory=list)


def recall_query(request: DraftRequest) -> str:
    """The text memory is searched with: company, industry, description, offer and step goal."""
    profile = request.profile
    step = request.spec.step(request.step)
    parts = [
        request.company_name,
        profile.industry,
        profile.description,
        request.recipient.role,
        request.spec.offer.product,
        step.instruction,
    ]
    return " ".join(p for p in parts if p)


def _line(item: Interaction) -> str:
    text = " ".join(item.text.split())
    if len(text) > ITEM_CHARS:
        text = text[: ITEM_CHARS - 1] + "…"
    return f"[{item.at.date().isoformat()} {item.kind}] {text}"


def recall(memory: Memory | None, request: DraftRequest, *, k: int = 3) -> WriterRecall:
    """Everything the writer should know from memory about this lead."""
    if memory is None:
        return WriterRecall()
    query = recall_query(request)
    seen: dict[str, Interaction] = {}
    if request.recipient.id:
        for item in memory.for_contact(request.recipient.id):
            if item.kind != "rep_edit":
                seen[item.id] = item
    for hit in memory.similar(query, company=request.profile.domain, k=k):
        if hit.interaction.kind != "rep_edit":
            seen.setdefault(hit.interaction.id, hit.interaction)
    interactions = [_line(i) for i in sorted(seen.values(), key=lambda i: i.at)[-2 * k :]]
    best = [
        message_core(hit.interaction.text)[: 3 * ITEM_CHARS]
        for hit in memory.similar(query, kind="sent_email", outcome="positive", k=2)
        if hit.interaction.company != request.profile.domain
    ]
    examples = style_examples(memory, campaign=request.spec.name, query=query, k=k)
    return WriterRecall(interactions=interactions, best_emails=best, style_examples=examples)
