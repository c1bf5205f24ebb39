"""Learning from reps: edits stored in memory, retrieved as style examples; the edit distance."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from agents.nodes.writer import draft_email
from agents.profile import Fact
from agents.rep_edits import message_core, normalized_edit_distance, remember_rep_edit, style_examples
from agents.testing import ScriptedLLM
from agents.writer_llm import LLMClaim, LLMDraft
from agents.writer_types import DraftRequest
from tools.crm.models import Draft

AGENT_BODY = (
    "Sehr geehrte Frau Schmidt,\n\nin Ihren Neuigkeiten las ich von Ihrer neuen Halle. Wir bieten ein "
    "umfassendes, innovatives und marktführendes Cloud-CRM.\n\nMit freundlichen Grüßen\nErika Mustermann\n\n"
    "-- \nMuster Software GmbH\n"
)
REP_BODY = (
    "Sehr geehrte Frau Schmidt,\n\nzur neuen Halle: Unser CRM zeigt Ihrem Vertrieb alle Wartungsverträge "
    "an einem Ort.\n\nMit freundlichen Grüßen\nErika Mustermann\n\n-- \nMuster Software GmbH\n"
)


def drafts() -> tuple[Draft, Draft]:
    lead = uuid.uuid4()
    before = Draft(lead_id=lead, step=1, version=1, subject="Cloud-CRM für Sie", body=AGENT_BODY, language="de")
    after = Draft(
        lead_id=lead, step=1, version=2, subject="Ihre neue Halle", body=REP_BODY, language="de",
        created_by="rep@muster-software.example", edited_from_id=before.id,
    )
    return before, after


def test_remember_rep_edit_stores_before_and_after(list_memory: Any) -> None:
    before, after = drafts()
    stored = remember_rep_edit(list_memory, before=before, after=after, campaign="writer-de", company="m.example")
    assert stored is not None and list_memory.items == [stored]
    assert stored.kind == "rep_edit" and stored.id == f"rep_edit:{after.id}"
    assert stored.text.startswith("Ihre neue Halle\n\nzur neuen Halle") and "-- " not in stored.text
    assert stored.extra["before"].startswith("Cloud-CRM für Sie\n\nin Ihren Neuigkeiten")
    assert "Muster Software GmbH" not in stored.extra["before"]  # footer and signature are not the edit
    assert stored.extra["draft_id"] == str(before.id) and stored.extra["editor"] == "rep@muster-software.example"
    assert 0 < float(stored.extra["edit_distance"]) <= 1
    unchanged = after.model_copy(update={"id": uuid.uuid4(), "body": AGENT_BODY, "subject": before.subject})
    assert remember_rep_edit(list_memory, before=before, after=unchanged, campaign="writer-de") is None
    assert len(list_memory.items) == 1


def test_style_examples_are_this_campaigns_closest_edits(list_memory: Any) -> None:
    before, after = drafts()
    remember_rep_edit(list_memory, before=before, after=after, campaign="writer-de")
    other_before, other_after = drafts()
    remember_rep_edit(list_memory, before=other_before, after=other_after, campaign="other")
    examples = style_examples(list_memory, campaign="writer-de", query="neue Halle Wartungsverträge")
    assert len(examples) == 1 and examples[0].draft_id == str(before.id)
    assert style_examples(list_memory, campaign="writer-de", query="   ") == []


async def test_real_vector_memory_feeds_rep_edits_into_the_llm_prompt(
    tmp_path: Path, request_de: DraftRequest, news_fact: Fact
) -> None:
    from memory.embeddings import HashingEmbedder
    from memory.store import VectorMemory, persistent_client

    memory = VectorMemory(persistent_client(tmp_path / "chroma"), HashingEmbedder())
    before, after = drafts()
    remember_rep_edit(memory, before=before, after=after, campaign=request_de.spec.name, industry="Maschinenbau")
    llm = ScriptedLLM(
        [
            LLMDraft(
                subject="Ihre neue Montagehalle in Stuttgart",
                body="In Ihren Neuigkeiten habe ich von der neuen Montagehalle in Stuttgart gelesen. Unser "
                "Cloud-CRM für den Mittelstand zeigt Ihrem Vertrieb alle Kundenkontakte, Angebote und "
                "Wartungsverträge an einem Ort. Hätten Sie in der kommenden Woche 15 Minuten für ein kurzes "
                "Gespräch?",
                claims=[LLMClaim(text="neue Montagehalle in Stuttgart", fact_id=news_fact.id)],
            )
        ]
    )
    result = await draft_email(request_de, llm=llm, memory=memory)
    llm.assert_complete()
    prompt = llm.calls[0].prompt_text
    assert "Rep corrections to learn from" in prompt
    assert "BEFORE: Cloud-CRM für Sie" in prompt and "zur neuen Halle: Unser CRM zeigt" in prompt
    assert not result.flagged


def test_message_core() -> None:
    assert message_core(AGENT_BODY).startswith("in Ihren Neuigkeiten") and "Erika" not in message_core(AGENT_BODY)


@pytest.mark.parametrize(
    ("a", "b", "unit", "expected"),
    [
        ("", "", "word", 0.0),
        ("a b c", "a b c", "word", 0.0),
        ("a b c d", "a x c d", "word", 0.25),
        ("a b", "", "word", 1.0),
        ("kitten", "sitting", "char", 3 / 7),
        ("Guten Tag", "Guten  Tag", "word", 0.0),
    ],
)
def test_normalized_edit_distance(a: str, b: str, unit: str, expected: float) -> None:
    assert normalized_edit_distance(a, b, unit=unit) == pytest.approx(expected)  # type: ignore[arg-type]
    assert normalized_edit_distance(b, a, unit=unit) == pytest.approx(expected)  # type: ignore[arg-type]


def _reference_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, left in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, right in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (left != right))
    return row[-1]


def test_bit_parallel_distance_matches_the_textbook_dynamic_program() -> None:
    import random

    rng = random.Random(7)
    for _ in range(150):
        a = "".join(rng.choice("abcä ") for _ in range(rng.randint(0, 60)))
        b = "".join(rng.choice("abcä ") for _ in range(rng.randint(0, 60)))
        longest = max(len(a), len(b)) or 1
        expected = _reference_distance(list(a), list(b)) / longest
        assert normalized_edit_distance(a, b, unit="char") == pytest.approx(expected), (a, b)
