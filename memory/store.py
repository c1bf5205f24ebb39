"""The vector memory: interactions in chromadb, one collection per kind.

Embedded (``chromadb.PersistentClient`` on ``Settings.chroma_dir``) by default, or a chroma
server (``HttpClient``) when ``Settings.chroma_url`` is set. chromadb ``where`` filters
scan the collection (at 100k items a query filtered to a quarter of them is ~40x slower
than an unfiltered one), so the kind is a partition — ``interactions_reply``,
``interactions_sent_email``, … — and a similarity search names a kind whenever it can.
A search scoped to one company or contact fetches that scope's few items by metadata and
ranks them exactly instead of running a filtered vector query. Lookups by contact
(``for_contact``, ``delete_contact``) check every collection: there, correctness matters
more than speed.

Embeddings are computed by an ``Embedder`` and passed explicitly; each collection records
the embedder's name and refuses vectors from a different one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import httpx
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError, NotFoundError

from memory.embeddings import Embedder, EmbeddingError
from memory.types import Interaction, InteractionKind, MemoryHit, Outcome

KINDS: tuple[str, ...] = get_args(InteractionKind)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
MAX_K = 200
SCOPED_LIMIT = 2_000  # up to this many items of one company/contact are ranked exactly, without the index
_FILTER_FIELDS = ("company", "contact", "industry", "outcome", "campaign")


class MemoryStoreError(Exception):
    """The memory cannot do what was asked (bad input, unreachable server, wrong embedder)."""


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def persistent_client(path: Path) -> ClientAPI:
    """An embedded chroma client storing its files under ``path``."""
    import chromadb

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


def http_client(url: str) -> ClientAPI:
    """A client of the chroma server at ``url`` (e.g. ``http://127.0.0.1:8000``)."""
    import chromadb

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise MemoryStoreError(f"chroma_url {url!r} is not an http(s) URL")
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 80)
    try:
        return chromadb.HttpClient(host=parts.hostname, port=port, ssl=ssl, settings=_chroma_settings())
    except (ChromaError, ValueError, OSError) as exc:
        raise MemoryStoreError(f"cannot reach the chroma server at {url}: {exc}") from exc


def _metadata(item: Interaction) -> dict[str, str | int | float | bool]:
    meta: dict[str, str | int | float | bool] = {
        "kind": item.kind,
        "outcome": item.outcome,
        "at": item.at.isoformat(),
        "at_ts": item.at.timestamp(),
    }
    for name in ("company", "contact", "campaign", "industry", "language"):
        value = getattr(item, name)
        if value is not None:
            meta[name] = value
    if item.extra:
        meta["extra"] = json.dumps(item.extra, ensure_ascii=False, sort_keys=True)
    return meta


def _interaction(item_id: str, document: str | None, meta: dict[str, Any]) -> Interaction:
    return Interaction(
        id=item_id,
        kind=meta["kind"],
        text=document or "",
        company=meta.get("company"),
        contact=meta.get("contact"),
        campaign=meta.get("campaign"),
        industry=meta.get("industry"),
        outcome=meta.get("outcome", "unknown"),
        language=meta.get("language"),
        at=datetime.fromisoformat(meta["at"]),
        extra=json.loads(meta["extra"]) if meta.get("extra") else {},
    )


def _where(filters: dict[str, str | None]) -> dict[str, Any] | None:
    clauses = [{key: value} for key, value in filters.items() if value is not None]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class VectorMemory:
    """What the agents remember: implements ``memory.types.Memory`` on chromadb."""

    def __init__(self, client: ClientAPI, embedder: Embedder, *, prefix: str = "interactions") -> None:
        self.client = client
        self.embedder = embedder
        self.prefix = prefix
        self._collections: dict[str, Collection] = {}

    # --- collections ----------------------------------------------------------------

    def collection_name(self, kind: str) -> str:
        """The chroma collection holding interactions of ``kind``."""
        return f"{self.prefix}_{kind}"

    def _collection(self, kind: str, *, create: bool) -> Collection | None:
        if kind not in KINDS:
            raise MemoryStoreError(f"unknown interaction kind {kind!r}: use one of {', '.join(KINDS)}")
        if kind in self._collections:
            return self._collections[kind]
        name = self.collection_name(kind)
        try:
            collection = self.client.get_collection(name, embedding_function=None)
        except NotFoundError:
            if not create:
                return None
            collection = self.client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": self.embedder.name, "kind": kind},
            )
        recorded = (collection.metadata or {}).get("embedder")
        if recorded != self.embedder.name:
            raise MemoryStoreError(
                f"collection {name} holds vectors of {recorded!r}, not {self.embedder.name!r}: "
                "use the same embedding settings or rebuild the memory"
            )
        self._collections[kind] = collection
        return collection

    def _existing(self) -> Iterator[tuple[str, Collection]]:
        for kind in KINDS:
            collection = self._collection(kind, create=False)
            if collection is not None:
                yield kind, collection

    @contextmanager
    def _chroma(self, action: str) -> Iterator[None]:
        try:
            yield
        except ChromaError as exc:
            raise MemoryStoreError(f"chroma could not {action}: {exc}") from exc
        except httpx.HTTPError as exc:  # the chroma server went away
            raise MemoryStoreError(f"chroma server unreachable, could not {action}: {exc}") from exc

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        try:
            return self.embedder.embed(texts)
        except EmbeddingError as exc:
            raise MemoryStoreError(str(exc)) from exc

    # --- the Memory protocol -------------------------------------------------------

    def add(self, interactions: list[Interaction]) -> None:
        """Store (or replace, by id) interactions; all are checked before any is written."""
        seen: set[str] = set()
        for item in interactions:
            if not item.id.strip():
                raise MemoryStoreError("an interaction has an empty id")
            if item.id in seen:
                raise MemoryStoreError(f"interaction id {item.id!r} appears twice in one add()")
            if not item.text.strip():
                raise MemoryStoreError(f"interaction {item.id!r} has no text to remember")
            if item.at.tzinfo is None:
                raise MemoryStoreError(f"interaction {item.id!r} has a naive timestamp; use UTC")
            seen.add(item.id)
        if not interactions:
            return
        vectors = self._embed([item.text for item in interactions])
        by_kind: dict[str, list[int]] = {}
        for index, item in enumerate(interactions):
            by_kind.setdefault(item.kind, []).append(index)
        with self._chroma("store interactions"):
            batch = self.client.get_max_batch_size()
            for kind, indexes in by_kind.items():
                collection = self._collection(kind, create=True)
                assert collection is not None
                for start in range(0, len(indexes), batch):
                    chunk = indexes[start : start + batch]
                    embeddings: list[Sequence[float]] = [vectors[i] for i in chunk]
                    collection.upsert(
                        ids=[interactions[i].id for i in chunk],
                        embeddings=embeddings,
                        documents=[interactions[i].text for i in chunk],
                        metadatas=[_metadata(interactions[i]) for i in chunk],
                    )

    def similar(
        self,
        text: str,
        *,
        kind: InteractionKind | None = None,
        company: str | None = None,
        contact: str | None = None,
        industry: str | None = None,
        outcome: Outcome | None = None,
        campaign: str | None = None,
        k: int = 5,
    ) -> list[MemoryHit]:
        """The ``k`` interactions closest to ``text``, optionally of one kind and matching filters."""
        if not text.strip():
            raise MemoryStoreError("similar() needs a non-empty query text")
        if not 1 <= k <= MAX_K:
            raise MemoryStoreError(f"k must be between 1 and {MAX_K}, not {k}")
        if outcome is not None and outcome not in OUTCOMES:
            raise MemoryStoreError(f"unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}")
        where = _where(
            {"company": company, "contact": contact, "industry": industry, "outcome": outcome, "campaign": campaign}
        )
        hits: list[MemoryHit] = []
        with self._chroma("search the memory"):
            if kind is not None:
                collection = self._collection(kind, create=False)
                targets = [collection] if collection is not None else []
            else:
                targets = [collection for _, collection in self._existing()]
            if not targets:
                return []
            vector = self._embed([text])[0]
            scoped = company is not None or contact is not None
            for collection in targets:
                found = self._scoped_hits(collection, vector, where, k) if scoped else None
                hits.extend(found if found is not None else self._query_hits(collection, vector, where, k))
        hits.sort(key=lambda hit: hit.distance)
        return hits[:k]

    def _query_hits(
        self, collection: Collection, vector: list[float], where: dict[str, Any] | None, k: int
    ) -> list[MemoryHit]:
        """The index's nearest neighbours (a ``where`` filter makes chroma scan the collection)."""
        query: list[Sequence[float]] = [vector]
        result = collection.query(
            query_embeddings=query, n_results=k, where=where, include=["documents", "metadatas", "distances"]
        )
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [
            MemoryHit(interaction=_interaction(item_id, document, dict(meta)), distance=float(distance))
            for item_id, document, meta, distance in zip(result["ids"][0], documents, metadatas, distances, strict=True)
        ]

    def _scoped_hits(
        self, collection: Collection, vector: list[float], where: dict[str, Any] | None, k: int
    ) -> list[MemoryHit] | None:
        """Exact cosine ranking of one company's or contact's few items; None if the scope is large.

        A metadata lookup plus a dot product over a few dozen vectors is several times faster
        than a filtered vector query, which scans the whole collection.
        """
        import numpy as np

        result = collection.get(where=where, limit=SCOPED_LIMIT + 1, include=["documents", "metadatas", "embeddings"])
        ids = result["ids"]
        if len(ids) > SCOPED_LIMIT:
            return None
        if not ids:
            return []
        matrix = np.asarray(result["embeddings"], dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query))
        distances = 1.0 - (matrix @ query) / np.maximum(norms, 1e-12)
        documents = result["documents"] or [""] * len(ids)
        metadatas = result["metadatas"] or [{}] * len(ids)
        return [
            MemoryHit(interaction=_interaction(ids[i], documents[i], dict(metadatas[i])), distance=float(distances[i]))
            for i in np.argsort(distances, kind="stable")[:k]
        ]

    def for_contact(self, contact: str) -> list[Interaction]:
        """Everything remembered about one contact, oldest first."""
        if not contact.strip():
            raise MemoryStoreError("for_contact() needs a contact id")
        found: list[Interaction] = []
        with self._chroma("read the memory"):
            for _, collection in self._existing():
                result = collection.get(where={"contact": contact}, include=["documents", "metadatas"])
                documents = result["documents"] or []
                metadatas = result["metadatas"] or []
                for item_id, document, meta in zip(result["ids"], documents, metadatas, strict=True):
                    found.append(_interaction(item_id, document, dict(meta)))
        return sorted(found, key=lambda item: (item.at, item.id))

    def delete_contact(self, contact: str) -> int:
        """Erase everything of one contact from every collection (GDPR); returns how many items."""
        if not contact.strip():
            raise MemoryStoreError("delete_contact() needs a contact id")
        deleted = 0
        with self._chroma("delete from the memory"):
            for _, collection in self._existing():
                ids = collection.get(where={"contact": contact}, include=[])["ids"]
                if ids:
                    collection.delete(ids=ids)
                    deleted += len(ids)
        return deleted

    # --- housekeeping ---------------------------------------------------------------

    def count(self, kind: InteractionKind | None = None) -> int:
        """Number of remembered interactions (of one kind, or all)."""
        with self._chroma("count the memory"):
            if kind is not None:
                collection = self._collection(kind, create=False)
                return collection.count() if collection is not None else 0
            return sum(collection.count() for _, collection in self._existing())
