"""VectorMemory round trips on embedded chroma and a chroma server; GDPR erasure leaves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memory.embeddings import HashingEmbedder
from memory.store import KINDS, MemoryStoreError, VectorMemory, http_client, persistent_client
from memory.types import Interaction, Memory

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def history() -> list[Interaction]:
    return [
        Interaction(id="n1", kind="research_note", text="Spedition Nord GmbH betreibt Lager in Hamburg und Bremen.",
                    company="spedition-nord.de", industry="logistics", at=T0),
        Interaction(id="m1", kind="sent_email", text="Guten Tag Frau Weber, Ihre Lager in Hamburg und Bremen ...",
                    company="spedition-nord.de", contact="c-weber", campaign="q1-dach", language="de",
                    at=T0 + timedelta(days=1)),
        Interaction(id="r1", kind="reply", text="Klingt interessant, rufen Sie mich gerne nächste Woche an.",
                    company="spedition-nord.de", contact="c-weber", campaign="q1-dach", industry="logistics",
                    outcome="positive", language="de", at=T0 + timedelta(days=3), extra={"label": "interested"}),
        Interaction(id="r2", kind="reply", text="Kein Bedarf, bitte streichen Sie mich aus dem Verteiler.",
                    company="kuehl-logistik.de", contact="c-brandt", campaign="q1-dach", industry="logistics",
                    outcome="negative", language="de", at=T0 + timedelta(days=4)),
        Interaction(id="r3", kind="reply", text="Sounds interesting, please call me next week about the pilot.",
                    company="bakery.co.uk", contact="c-smith", campaign="uk", industry="food",
                    outcome="positive", language="en", at=T0 + timedelta(days=5)),
        Interaction(id="e1", kind="rep_edit", text="Rep shortened the opening and removed the second question.",
                    contact="c-weber", campaign="q1-dach", at=T0 + timedelta(days=2)),
    ]


def test_similar_finds_the_lexically_closest(memory: VectorMemory) -> None:
    memory.add(history())
    hits = memory.similar("rufen Sie mich an, klingt interessant", kind="reply", k=2)
    assert hits[0].interaction.id == "r1"
    assert hits[0].distance < hits[1].distance
    restored = hits[0].interaction
    assert restored == history()[2]  # every field survives the round trip


def test_similar_across_kinds_and_with_filters(memory: VectorMemory) -> None:
    memory.add(history())
    assert {h.interaction.kind for h in memory.similar("Hamburg Bremen Lager", k=3)} >= {"research_note", "sent_email"}
    by_company = memory.similar("Lager", company="kuehl-logistik.de", k=5)
    assert [h.interaction.id for h in by_company] == ["r2"]
    for_contact = memory.similar("Lager Hamburg", contact="c-weber", k=10)
    assert {h.interaction.id for h in for_contact} == {"m1", "r1", "e1"}
    positive_logistics = memory.similar("interessant", kind="reply", industry="logistics", outcome="positive", k=5)
    assert [h.interaction.id for h in positive_logistics] == ["r1"]
    assert memory.similar("anything", kind="outcome") == []


def test_for_contact_returns_everything_oldest_first(memory: VectorMemory) -> None:
    memory.add(history())
    assert [i.id for i in memory.for_contact("c-weber")] == ["m1", "e1", "r1"]
    assert memory.for_contact("nobody") == []


def test_delete_contact_leaves_nothing_in_any_collection(memory: VectorMemory) -> None:
    memory.add(history())
    assert memory.delete_contact("c-weber") == 3
    assert memory.for_contact("c-weber") == []
    assert memory.similar("Frau Weber Lager Hamburg", contact="c-weber", k=10) == []
    for kind in KINDS:
        collection = memory._collection(kind, create=False)
        if collection is not None:
            assert collection.get(where={"contact": "c-weber"})["ids"] == []
            assert "c-weber" not in str(collection.get(include=["metadatas"])["metadatas"])
    assert memory.count() == 3  # the others are untouched
    assert memory.delete_contact("c-weber") == 0


def test_add_replaces_by_id(memory: VectorMemory) -> None:
    memory.add(history())
    changed = history()[2].model_copy(update={"text": "Doch kein Interesse.", "outcome": "negative"})
    memory.add([changed])
    assert memory.count("reply") == 3
    (r1,) = [i for i in memory.for_contact("c-weber") if i.id == "r1"]
    assert (r1.text, r1.outcome) == ("Doch kein Interesse.", "negative")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Interaction(id="x", kind="reply", text="   "), "no text"),
        (Interaction(id=" ", kind="reply", text="ok"), "empty id"),
        (Interaction(id="n1", kind="reply", text="duplicate id"), "appears twice"),
        (Interaction(id="y", kind="reply", text="naive", at=datetime(2026, 1, 1)), "naive timestamp"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(memory: VectorMemory, bad: Interaction, message: str) -> None:
    with pytest.raises(MemoryStoreError, match=message):
        memory.add([*history(), bad])
    assert memory.count() == 0


def test_bad_queries_are_refused(memory: VectorMemory) -> None:
    with pytest.raises(MemoryStoreError, match="non-empty"):
        memory.similar("  ")
    with pytest.raises(MemoryStoreError, match="k must be"):
        memory.similar("x", k=0)
    with pytest.raises(MemoryStoreError, match="unknown interaction kind"):
        memory.similar("x", kind="letter")  # type: ignore[arg-type]
    with pytest.raises(MemoryStoreError, match="contact id"):
        memory.delete_contact("")


def test_embedded_memory_persists_and_checks_the_embedder(tmp_path: Path) -> None:
    VectorMemory(persistent_client(tmp_path / "c"), HashingEmbedder()).add(history())
    reopened = VectorMemory(persistent_client(tmp_path / "c"), HashingEmbedder())
    assert reopened.count() == len(history())
    other = VectorMemory(persistent_client(tmp_path / "c"), HashingEmbedder(n_features=256))
    with pytest.raises(MemoryStoreError, match="holds vectors of 'hashing-v1-512'"):
        other.similar("Lager")


def test_unreachable_or_invalid_server_url() -> None:
    with pytest.raises(MemoryStoreError, match="not an http"):
        http_client("chroma.local:8000")
    with pytest.raises(MemoryStoreError, match="cannot reach"):
        http_client("http://127.0.0.1:9")


def test_satisfies_the_memory_protocol(memory: VectorMemory) -> None:
    protocol_view: Memory = memory  # checked by mypy: the agents depend on the protocol only
    protocol_view.add(history()[:1])
    assert [hit.interaction.id for hit in protocol_view.similar("Spedition Lager", k=1)] == ["n1"]


def test_scoped_ranking_matches_the_vector_index(memory: VectorMemory, monkeypatch: pytest.MonkeyPatch) -> None:
    memory.add(history())
    exact = memory.similar("Lager Hamburg anrufen", contact="c-weber", k=10)
    by_company = memory.similar("Lager", company="spedition-nord.de", kind="reply", k=10)
    monkeypatch.setattr("memory.store.SCOPED_LIMIT", 0)  # every scope is "large": chroma's filtered query
    indexed = memory.similar("Lager Hamburg anrufen", contact="c-weber", k=10)
    assert [h.interaction.id for h in exact] == [h.interaction.id for h in indexed]
    assert [h.distance for h in exact] == pytest.approx([h.distance for h in indexed], abs=1e-4)
    assert [h.interaction for h in exact] == [h.interaction for h in indexed]
    assert [h.interaction.id for h in by_company] == ["r1"]
