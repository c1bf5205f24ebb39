"""Accounting of model calls: one ``LLMCall`` row per call, and usage summaries for ``outreach usage``.

``AccountedLLM(inner, engine)`` wraps any LLM. Each ``complete``/``structured`` call is
one row: the model, who asked (``CallContext``), input/output tokens summed over the
requests it made (a structured call with two re-asks is three requests), wall-clock
latency, estimated cost from ``Settings.llm_prices`` and whether the cache answered. The
insert runs in a worker thread so the event loop is not blocked by the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar, get_args

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from agents.llm import LLM, CallContext, LLMError, Message, ModelT, Usage
from agents.llm_usage import collect_usage
from tools.crm.db import session_scope
from tools.crm.models import Campaign, LLMCall

log = logging.getLogger(__name__)

T = TypeVar("T")
Prices = Mapping[str, tuple[float, float]]
UsageGrouping = Literal["campaign", "agent", "day"]
USAGE_GROUPINGS: tuple[str, ...] = get_args(UsageGrouping)


def price_for(prices: Prices, model: str) -> tuple[float, float] | None:
    """USD per million (input, output) tokens: exact name, else the longest matching prefix.

    ``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``; ``local/SmolLM2…`` as ``local``.
    """
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name)]
    return prices[max(matches, key=len)] if matches else None


def estimate_cost(prices: Prices, model: str, input_tokens: int, output_tokens: int) -> float:
    """Estimated USD cost of the tokens; 0 for a model without a price."""
    price = price_for(prices, model)
    if price is None:
        return 0.0
    return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


class AccountedLLM:
    """Wraps any LLM and records every call as an ``LLMCall`` row."""

    def __init__(self, inner: LLM, engine: Engine, *, prices: Prices | None = None) -> None:
        self.inner = inner
        self._engine = engine
        self._prices: Prices = dict(prices or {})
        self._campaign_ids: dict[str, uuid.UUID] = {}
        self._warned_unpriced: set[str] = set()

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        """The inner model's answer; the call is recorded."""
        return await self._accounted(
            context,
            lambda: self.inner.complete(messages, temperature=temperature, max_tokens=max_tokens, context=context),
        )

    async def structured(
        self,
        messages: list[Message],
        schema: type[ModelT],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> ModelT:
        """The inner model's validated answer; the call (with its re-asks) is recorded."""
        return await self._accounted(
            context,
            lambda: self.inner.structured(
                messages, schema, temperature=temperature, max_tokens=max_tokens, context=context
            ),
        )

    async def _accounted(self, context: CallContext | None, call: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        with collect_usage() as usages:
            try:
                result = await call()
            except LLMError as exc:
                await self._record(context, usages, time.perf_counter() - started, exc)
                raise
        await self._record(context, usages, time.perf_counter() - started, None)
        return result

    def _row(self, context: CallContext | None, usages: list[Usage], elapsed: float, error: LLMError | None) -> LLMCall:
        ctx = context or CallContext()
        model = usages[0].model if usages else self.model_name
        cached = bool(usages) and all(u.cached for u in usages)
        billable = [u for u in usages if not u.cached]
        if billable and price_for(self._prices, model) is None and model not in self._warned_unpriced:
            self._warned_unpriced.add(model)
            log.warning("no price for model %r in llm_prices; its cost is recorded as 0", model)
        return LLMCall(
            model=model[:200],
            agent=_clip(ctx.agent, 50),
            prompt_id=_clip(ctx.prompt_id, 100),
            prompt_version=_clip(ctx.prompt_version, 20),
            lead_id=_uuid_or_none(ctx.lead_id),
            input_tokens=sum(u.input_tokens for u in usages),
            output_tokens=sum(u.output_tokens for u in usages),
            latency_ms=round(elapsed * 1000),
            cost_usd=estimate_cost(
                self._prices,
                model,
                sum(u.input_tokens for u in billable),
                sum(u.output_tokens for u in billable),
            ),
            cached=cached,
            ok=error is None,
            error=f"{type(error).__name__}: {error}" if error is not None else None,
        )

    async def _record(
        self, context: CallContext | None, usages: list[Usage], elapsed: float, error: LLMError | None
    ) -> None:
        row = self._row(context, usages, elapsed, error)
        campaign = context.campaign_id if context else None
        try:
            await asyncio.to_thread(self._insert, row, campaign)
        except SQLAlchemyError as exc:
            # losing one accounting row must not lose a model answer that was already paid for
            log.error("could not record an LLM call (%s, %s tokens): %s", row.model, row.input_tokens, exc)

    def _insert(self, row: LLMCall, campaign: str | None) -> None:
        with session_scope(self._engine) as session:
            row.campaign_id = self._campaign_id(session, campaign)
            session.add(row)

    def _campaign_id(self, session: Session, campaign: str | None) -> uuid.UUID | None:
        """The campaign's id from a CallContext value that is an id or a campaign name."""
        if not campaign:
            return None
        parsed = _uuid_or_none(campaign)
        if parsed is not None:
            return parsed
        if campaign in self._campaign_ids:
            return self._campaign_ids[campaign]
        found = session.exec(select(Campaign.id).where(Campaign.name == campaign)).first()
        if found is None:  # not remembered: the campaign may be created later
            log.warning("LLM call names unknown campaign %r; recorded without campaign", campaign)
            return None
        self._campaign_ids[campaign] = found
        return found


@dataclass(frozen=True)
class UsageRow:
    """Usage of one group (a campaign, an agent or a UTC day)."""

    key: str
    calls: int
    cached_calls: int
    failed_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    avg_latency_ms: float

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def _day_expression(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", LLMCall.at), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", LLMCall.at)  # SQLite stores naive UTC


def usage_summary(session: Session, *, by: UsageGrouping, since: datetime | None = None) -> list[UsageRow]:
    """Calls, tokens, cost and latency per campaign, agent or UTC day (days newest first)."""
    if by not in USAGE_GROUPINGS:
        raise ValueError(f"cannot group usage by {by!r}: use one of {', '.join(USAGE_GROUPINGS)}")
    if since is not None and since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    group: Any
    if by == "campaign":
        group = LLMCall.campaign_id
    elif by == "agent":
        group = LLMCall.agent
    else:
        group = _day_expression(session)
    statement = select(  # type: ignore[call-overload]
        group,
        func.count(),
        func.sum(case((col(LLMCall.cached).is_(True), 1), else_=0)),
        func.sum(case((col(LLMCall.ok).is_(False), 1), else_=0)),
        func.coalesce(func.sum(LLMCall.input_tokens), 0),
        func.coalesce(func.sum(LLMCall.output_tokens), 0),
        func.coalesce(func.sum(LLMCall.cost_usd), 0.0),
        func.coalesce(func.avg(LLMCall.latency_ms), 0.0),
    ).group_by(group)
    if since is not None:
        statement = statement.where(LLMCall.at >= since)
    rows = session.exec(statement).all()
    names = _campaign_names(session, [r[0] for r in rows]) if by == "campaign" else {}
    result = [
        UsageRow(
            key=_key_label(by, r[0], names),
            calls=int(r[1]),
            cached_calls=int(r[2] or 0),
            failed_calls=int(r[3] or 0),
            input_tokens=int(r[4]),
            output_tokens=int(r[5]),
            cost_usd=round(float(r[6]), 6),
            avg_latency_ms=round(float(r[7]), 1),
        )
        for r in rows
    ]
    if by == "day":
        return sorted(result, key=lambda row: row.key, reverse=True)
    return sorted(result, key=lambda row: (-row.cost_usd, -row.calls, row.key))


def _campaign_names(session: Session, ids: list[Any]) -> dict[uuid.UUID, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    found = session.exec(select(Campaign.id, Campaign.name).where(col(Campaign.id).in_(wanted))).all()
    return {cid: name for cid, name in found}


def _key_label(by: UsageGrouping, value: Any, names: dict[uuid.UUID, str]) -> str:
    if value is None:
        return "(none)"
    if by == "campaign":
        return names.get(value, str(value))
    return str(value)
