"""Records every node execution of a thread (start, end, duration, LLM calls, tools, errors)."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from langgraph.errors import GraphBubbleUp
from langgraph.runtime import Runtime
from sqlmodel import Session

from agents.flow.context import FlowContext
from agents.llm import LLM, CallContext, Message, ModelT
from agents.state import LeadState, thread_id_for
from tools.crm.models import NodeRun
from tools.crm.types import utcnow

R = TypeVar("R")
NodeFn = Callable[[LeadState, Runtime[FlowContext]], Awaitable[R]]


class NodeLLM:
    """Wraps the run's model for one node: fills in the call context, counts calls, bounds concurrency."""

    def __init__(self, inner: LLM, context: CallContext, slots: Any) -> None:
        self._inner = inner
        self._context = context
        self._slots = slots
        self.calls = 0

    @property
    def model_name(self) -> str:
        return self._inner.model_name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _merge(self, context: CallContext | None) -> CallContext:
        if context is None:
            return self._context
        return CallContext(
            prompt_id=context.prompt_id,
            prompt_version=context.prompt_version,
            agent=context.agent or self._context.agent,
            campaign_id=context.campaign_id or self._context.campaign_id,
            lead_id=context.lead_id or self._context.lead_id,
        )

    async def complete(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        context: CallContext | None = None,
    ) -> str:
        self.calls += 1
        async with self._slots:
            return await self._inner.complete(
                messages, temperature=temperature, max_tokens=max_tokens, context=self._merge(context)
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
        self.calls += 1
        async with self._slots:
            return await self._inner.structured(
                messages, schema, temperature=temperature, max_tokens=max_tokens, context=self._merge(context)
            )


class NodeTrace:
    """What a node reports about itself while it runs."""

    def __init__(self, llm: NodeLLM) -> None:
        self.llm = llm
        self.tools: list[str] = []
        self.detail: dict[str, Any] = {}

    def tool(self, name: str) -> None:
        """Note a tool call (browser, search, transport…)."""
        self.tools.append(name)


def traced(name: str) -> Callable[[Callable[[LeadState, Runtime[FlowContext], NodeTrace], Awaitable[R]]], NodeFn[R]]:
    """Decorate a node: it receives a NodeTrace and its execution is stored as a NodeRun row."""

    def wrap(fn: Callable[[LeadState, Runtime[FlowContext], NodeTrace], Awaitable[R]]) -> NodeFn[R]:
        @functools.wraps(fn)
        async def node(state: LeadState, runtime: Runtime[FlowContext]) -> R:
            ctx = runtime.context
            call_context = CallContext(agent=name, campaign_id=state["campaign_id"], lead_id=state["lead_id"])
            trace = NodeTrace(NodeLLM(ctx.llm, call_context, ctx.llm_slots))
            started = utcnow()
            clock = time.perf_counter()
            status, error = "ok", None
            try:
                return await fn(state, runtime, trace)
            except GraphBubbleUp:
                status = "interrupted"
                raise
            except Exception as exc:
                status, error = "error", f"{type(exc).__name__}: {exc}"
                raise
            finally:
                run = NodeRun(
                    thread_id=thread_id_for(state["campaign_id"], state["contact_id"]),
                    lead_id=uuid.UUID(state["lead_id"]),
                    node=name,
                    status=status,
                    started_at=started,
                    ended_at=utcnow(),
                    duration_ms=int((time.perf_counter() - clock) * 1000),
                    llm_calls=trace.llm.calls,
                    tool_calls=trace.tools,
                    error=error,
                    detail=trace.detail,
                )
                with Session(ctx.engine) as session:
                    session.add(run)
                    session.commit()

        return node

    return wrap
