"""AccountedLLM records one LLMCall row per call; usage_summary groups them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from agents.accounting import AccountedLLM, estimate_cost, price_for, usage_summary
from agents.llm import CallContext, LLMUnavailable, Message, StructuredOutputError
from agents.testing import ScriptedLLM
from tools.crm.db import session_scope
from tools.crm.models import Campaign, LLMCall

PRICES = {"gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00), "local": (0.0, 0.0)}
PROMPT = [Message(role="user", content="x" * 400)]  # ~100 estimated tokens


class Verdict(BaseModel):
    ok: bool


def rows(engine: Engine) -> list[LLMCall]:
    with Session(engine) as session:
        return list(session.exec(select(LLMCall).order_by(col(LLMCall.at))).all())


def test_prices_match_exact_then_longest_prefix() -> None:
    assert price_for(PRICES, "gpt-4o") == (2.50, 10.00)
    assert price_for(PRICES, "gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_for(PRICES, "local/SmolLM2-135M-Instruct.Q4_1") == (0.0, 0.0)
    assert price_for(PRICES, "claude") is None
    assert estimate_cost(PRICES, "gpt-4o", 1_000_000, 100_000) == pytest.approx(3.5)
    assert estimate_cost(PRICES, "unknown-model", 10, 10) == 0.0


async def test_each_call_is_one_row_with_context_tokens_and_cost(engine: Engine) -> None:
    with session_scope(engine) as session:
        campaign = Campaign(name="dach-logistik")
        session.add(campaign)
    lead = uuid.uuid4()
    inner = ScriptedLLM(["y" * 40, Verdict(ok=True)], model_name="gpt-4o")
    llm = AccountedLLM(inner, engine, prices=PRICES)
    context = CallContext(
        prompt_id="writer.email", prompt_version="3", agent="writer", campaign_id="dach-logistik", lead_id=str(lead)
    )
    assert await llm.complete(PROMPT, context=context) == "y" * 40
    assert await llm.structured(PROMPT, Verdict, context=CallContext(agent="scorer", campaign_id=str(campaign.id)))
    inner.assert_complete()

    first, second = rows(engine)
    assert (first.model, first.agent) == ("gpt-4o", "writer")
    assert (first.prompt_id, first.prompt_version) == ("writer.email", "3")
    assert first.campaign_id == campaign.id and first.lead_id == lead
    assert (first.input_tokens, first.output_tokens) == (100, 10)
    assert first.cost_usd == pytest.approx((100 * 2.50 + 10 * 10.00) / 1e6)
    assert first.ok and not first.cached and first.error is None
    assert first.latency_ms >= 0 and first.at.tzinfo is not None
    assert second.agent == "scorer" and second.campaign_id == campaign.id and second.prompt_id is None


async def test_failed_calls_are_recorded_and_still_raise(engine: Engine) -> None:
    inner = ScriptedLLM([LLMUnavailable("endpoint down"), "not json"], model_name="gpt-4o-mini")
    llm = AccountedLLM(inner, engine, prices=PRICES)
    with pytest.raises(LLMUnavailable):
        await llm.complete(PROMPT, context=CallContext(agent="writer"))
    with pytest.raises(StructuredOutputError):
        await llm.structured(PROMPT, Verdict, context=CallContext(agent="classifier"))
    down, invalid = rows(engine)
    assert not down.ok and down.error == "LLMUnavailable: endpoint down" and down.input_tokens == 0
    assert not invalid.ok and invalid.error is not None and invalid.error.startswith("StructuredOutputError")
    assert invalid.input_tokens == 100  # the invalid answer was paid for


async def test_unknown_campaign_name_and_odd_ids_do_not_break_accounting(engine: Engine) -> None:
    llm = AccountedLLM(ScriptedLLM(["a"]), engine, prices=PRICES)
    await llm.complete(PROMPT, context=CallContext(campaign_id="no-such-campaign", lead_id="lead-7", agent="a" * 80))
    (row,) = rows(engine)
    assert row.campaign_id is None and row.lead_id is None
    assert row.agent == "a" * 50
    assert row.cost_usd == 0.0  # "scripted" has no price


def _call(at: datetime, **fields: object) -> LLMCall:
    defaults: dict[str, object] = {
        "model": "gpt-4o-mini",
        "input_tokens": 1000,
        "output_tokens": 100,
        "latency_ms": 200,
    }
    defaults.update(fields)
    return LLMCall(at=at, **defaults)  # type: ignore[arg-type]


def test_usage_summary_by_campaign_agent_and_day(any_engine: Engine) -> None:
    day1 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    day2 = day1 + timedelta(hours=1)  # 00:30 UTC the next day
    with session_scope(any_engine) as session:
        campaign = Campaign(name="q2-dach")
        session.add(campaign)
        session.flush()
        session.add_all(
            [
                _call(day1, agent="writer", campaign_id=campaign.id, cost_usd=0.01),
                _call(day1, agent="writer", campaign_id=campaign.id, cost_usd=0.0, cached=True),
                _call(day2, agent="classifier", campaign_id=campaign.id, cost_usd=0.02, ok=False, latency_ms=400),
                _call(day2, agent="classifier", cost_usd=0.005),
            ]
        )
    with Session(any_engine) as session:
        by_campaign = {r.key: r for r in usage_summary(session, by="campaign")}
        by_agent = {r.key: r for r in usage_summary(session, by="agent")}
        by_day = usage_summary(session, by="day")
        recent = usage_summary(session, by="agent", since=day2 - timedelta(minutes=1))

    assert set(by_campaign) == {"q2-dach", "(none)"}
    q2 = by_campaign["q2-dach"]
    assert (q2.calls, q2.cached_calls, q2.failed_calls) == (3, 1, 1)
    assert (q2.input_tokens, q2.output_tokens) == (3000, 300)
    assert q2.cost_usd == pytest.approx(0.03)
    assert q2.avg_latency_ms == pytest.approx(800 / 3, abs=0.1)
    assert by_agent["classifier"].calls == 2 and by_agent["writer"].cost_usd == pytest.approx(0.01)
    assert [(r.key, r.calls) for r in by_day] == [("2026-03-02", 2), ("2026-03-01", 2)]
    assert [r.key for r in recent] == ["classifier"]


def test_usage_summary_refuses_bad_grouping(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="cannot group usage by 'model'"):
        usage_summary(session, by="model")  # type: ignore[arg-type]
    with Session(engine) as session, pytest.raises(ValueError, match="timezone-aware"):
        usage_summary(session, by="day", since=datetime(2026, 1, 1))


async def test_the_insert_runs_off_the_event_loop_thread(engine: Engine) -> None:
    import threading

    threads: list[int] = []

    class Recording(AccountedLLM):
        def _insert(self, row: LLMCall, campaign: str | None) -> None:
            threads.append(threading.get_ident())
            super()._insert(row, campaign)

    await Recording(ScriptedLLM(["a"]), engine).complete(PROMPT)
    assert threads and threads[0] != threading.get_ident()
    assert len(rows(engine)) == 1
