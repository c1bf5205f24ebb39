"""Learning from reps: remember how they corrected drafts, show the closest corrections later.

When a rep edits a draft, the approval flow writes a new ``Draft`` row (``edited_from_id``
points at the agent's version) and calls ``remember_rep_edit``; later drafts of the same
campaign get the most relevant before/after pairs as style examples in the llm prompt.
``normalized_edit_distance`` measures how far a new draft is from the reps' accepted
version (the eval harness reports it).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

from pydantic import BaseModel

from agents.writer_compose import strip_greeting_and_closing
from memory.types import Interaction, Memory
from tools.crm.models import Draft

EXAMPLE_CHARS = 700


class RepEditExample(BaseModel):
    """One remembered correction, as shown to the writer."""

    before: str
    after: str
    distance: float
    draft_id: str | None = None


def message_core(body: str) -> str:
    """The message of a mail without greeting, sign-off and the footer after the ``-- `` line."""
    head, _sep, _footer = body.replace("\r\n", "\n").partition("\n-- \n")
    return strip_greeting_and_closing(head)


def _clip(text: str, limit: int = EXAMPLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def remember_rep_edit(
    memory: Memory,
    *,
    before: Draft,
    after: Draft,
    campaign: str,
    company: str | None = None,
    contact: str | None = None,
    industry: str | None = None,
) -> Interaction | None:
    """Store a rep's correction (memory kind ``rep_edit``); None when nothing really changed."""
    old = f"{before.subject}\n\n{message_core(before.body)}"
    new = f"{after.subject}\n\n{message_core(after.body)}"
    if " ".join(old.split()) == " ".join(new.split()):
        return None
    interaction = Interaction(
        id=f"rep_edit:{after.id}",
        kind="rep_edit",
        text=new,
        company=company,
        contact=contact,
        campaign=campaign,
        industry=industry,
        language=after.language,
        outcome="unknown",
        extra={
            "before": old,
            "draft_id": str(before.id),
            "edited_id": str(after.id),
            "step": str(after.step),
            "editor": after.created_by,
            "edit_distance": f"{normalized_edit_distance(old, new):.3f}",
        },
    )
    memory.add([interaction])
    return interaction


def style_examples(memory: Memory, *, campaign: str, query: str, k: int = 3) -> list[RepEditExample]:
    """The ``k`` corrections of this campaign closest to ``query`` (the lead's context)."""
    if not query.strip():
        return []
    hits = memory.similar(query, kind="rep_edit", campaign=campaign, k=k)
    examples = []
    for hit in hits:
        item = hit.interaction
        if item.kind != "rep_edit" or item.campaign != campaign or "before" not in item.extra:
            continue
        examples.append(
            RepEditExample(
                before=_clip(item.extra["before"]),
                after=_clip(item.text),
                distance=hit.distance,
                draft_id=item.extra.get("draft_id"),
            )
        )
    return examples


def _levenshtein(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Edit distance by Myers/Hyyrö's bit-parallel algorithm: one pass over ``b``, ``a`` as bits.

    Python's big integers make every column a handful of C-level operations, so whole
    mails compare in milliseconds even character by character.
    """
    if not a or not b:
        return len(a) or len(b)
    full = (1 << len(a)) - 1
    top = 1 << (len(a) - 1)
    positions: dict[Hashable, int] = {}
    for index, item in enumerate(a):
        positions[item] = positions.get(item, 0) | (1 << index)
    plus, minus, score = full, 0, len(a)
    for item in b:
        eq = positions.get(item, 0)
        xv = eq | minus
        xh = (((eq & plus) + plus) ^ plus) | eq
        h_plus = minus | (~(xh | plus) & full)
        h_minus = plus & xh
        if h_plus & top:
            score += 1
        elif h_minus & top:
            score -= 1
        h_plus = ((h_plus << 1) | 1) & full
        h_minus = (h_minus << 1) & full
        plus = h_minus | (~(xv | h_plus) & full)
        minus = h_plus & xv
    return score


def normalized_edit_distance(a: str, b: str, *, unit: Literal["word", "char"] = "word") -> float:
    """Levenshtein distance of ``a`` and ``b`` divided by the longer length: 0 same, 1 nothing shared.

    ``unit="word"`` (default) compares whitespace-separated words, which is what a rep's
    edit changes and is fast on whole mails; ``"char"`` compares characters.
    """
    left = a.split() if unit == "word" else list(a)
    right = b.split() if unit == "word" else list(b)
    longest = max(len(left), len(right))
    if longest == 0:
        return 0.0
    return _levenshtein(left, right) / longest
