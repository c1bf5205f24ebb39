"""A persistent response cache for deterministic (temperature 0) model calls.

Keyed by (model, call kind, messages, JSON schema, temperature, max_tokens); stored in one
SQLite file (default ``<cache_dir>/llm-cache.sqlite3``). On by default in evals, off in
production unless ``OUTREACH_LLM_CACHE=true``. A hit is reported as cached usage, so
accounting records it with zero cost. Only answers that passed validation are stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agents.llm import LLM, CallContext, Message, ModelT, Usage
from agents.llm_usage import collect_usage, report_usage
from tools.crm.types import utcnow

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    kind TEXT NOT NULL,
    response TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    created_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class CacheEntry:
    """One stored answer and what producing it cost."""

    response: str
    input_tokens: int
    output_tokens: int


def cache_key(
    *,
    model: str,
    kind: str,
    messages: list[Message],
    schema: dict[str, Any] | None,
    temperature: float,
    max_tokens: int | None,
) -> str:
    """A stable digest of everything that determines a temperature-0 answer."""
    payload = {
        "model": model,
        "kind": kind,
        "messages": [[m["role"], m["content"]] for m in messages],
        "schema": schema,
        "temperature": temperature,
        "max_tokens": max_tokens,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCacheStore:
    """The SQLite file behind the cache; a connection per operation keeps it thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as conn, conn:
            yield conn

    def get(self, key: str) -> CacheEntry | None:
        """The stored answer for ``key``, if any."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT response, input_tokens, output_tokens FROM llm_cache WHERE key = ?", (key,)
            ).fetchone()
        return CacheEntry(row[0], row[1], row[2]) if row else None

    def put(self, key: str, *, model: str, kind: str, entry: CacheEntry) -> None:
        """Store (or replace) the answer for ``key``."""
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    model,
                    kind,
                    entry.response,
                    entry.input_tokens,
                    entry.output_tokens,
                    utcnow().isoformat(),
                ),
            )

    def delete(self, key: str) -> None:
        """Forget one answer."""
        with self._connect() as conn:
            conn.execute("DELETE FROM llm_cache WHERE key = ?", (key,))

    def count(self) -> int:
        """Number of stored answers."""
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0])

    def clear(self) -> int:
        """Forget every answer; returns how many there were."""
        with self._connect() as conn:
            return conn.execute("DELETE FROM llm_cache").rowcount


class CachedLLM:
    """Wraps any LLM; temperature-0 calls are answered from the cache when possible."""

    def __init__(self, inner: LLM, path: Path) -> None:
        self.inner = inner
        self.store = ResponseCacheStore(path)

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def _report_hit(self, entry: CacheEntry) -> None:
        report_usage(
            Usage(
                model=self.model_name,
                input_tokens=entry.input_tokens,
                output_tokens=entry.output_tokens,
                cached=True,
            )
        )

    def _put(self, key: str, kind: str, response: str, usages: list[Usage]) -> None:
        entry = CacheEntry(
            response=response,
            input_tokens=sum(u.input_tokens for u in usages),
            output_tokens=sum(u.output_tokens for u in usages),
        )
        self.store.put(key, model=self.model_name, kind=kind, entry=entry)

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        """The cached answer for a temperature-0 request, else the inner model's (then stored)."""
        if temperature != 0:
            return await self.inner.complete(messages, temperature=temperature, max_tokens=max_tokens, context=context)
        key = cache_key(
            model=self.model_name,
            kind="complete",
            messages=messages,
            schema=None,
            temperature=temperature,
            max_tokens=max_tokens,
        )
        entry = self.store.get(key)
        if entry is not None:
            self._report_hit(entry)
            return entry.response
        with collect_usage() as usages:
            text = await self.inner.complete(messages, temperature=temperature, max_tokens=max_tokens, context=context)
        self._put(key, "complete", text, usages)
        return text

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT:
        """The cached validated answer for a temperature-0 request, else the inner model's."""
        if temperature != 0:
            return await self.inner.structured(
                messages, schema, temperature=temperature, max_tokens=max_tokens, context=context
            )
        key = cache_key(
            model=self.model_name,
            kind="structured",
            messages=messages,
            schema=schema.model_json_schema(),
            temperature=temperature,
            max_tokens=max_tokens,
        )
        entry = self.store.get(key)
        if entry is not None:
            try:
                result = schema.model_validate_json(entry.response)
            except ValidationError:
                # the model class changed in a way its JSON schema does not show (a validator)
                log.info("cached answer no longer validates as %s; asking again", schema.__name__)
                self.store.delete(key)
            else:
                self._report_hit(entry)
                return result
        with collect_usage() as usages:
            result = await self.inner.structured(
                messages, schema, temperature=temperature, max_tokens=max_tokens, context=context
            )
        self._put(key, "structured", result.model_dump_json(), usages)
        return result
