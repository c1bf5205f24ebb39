"""The lead graph: research → score → draft → await approval → send → await reply → classify → route.

One thread per lead (``agents.state.thread_id_for``). Waiting for a rep or for a reply is an
``interrupt``; the thread resumes from its checkpoint in any process. Side effects (outbox,
tasks, suppression) happen in their own nodes after the interrupts and are idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.flow.context import FlowContext
from agents.flow.draft_steps import await_approval, draft
from agents.flow.mail_steps import await_reply, classify, finish, send
from agents.flow.research_steps import research, score
from agents.state import InputState, LeadState, OutputState


def _node(fn: Callable[..., Any]) -> Any:
    """LangGraph's overloads cannot type a node that takes ``runtime`` and returns ``Command``."""
    return fn


NODES = ("research", "score", "draft", "await_approval", "send", "await_reply", "classify", "finish")


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the lead graph with the given checkpointer."""
    builder = StateGraph(
        LeadState, context_schema=FlowContext, input_schema=InputState, output_schema=OutputState
    )
    builder.add_node("research", _node(research), destinations=("score",))
    builder.add_node("score", _node(score), destinations=("draft", "finish"))
    builder.add_node("draft", _node(draft), destinations=("await_approval",))
    builder.add_node(
        "await_approval", _node(await_approval), destinations=("send", "draft", "classify", "finish")
    )
    builder.add_node("send", _node(send), destinations=("await_reply",))
    builder.add_node("await_reply", _node(await_reply), destinations=("classify", "draft", "finish"))
    builder.add_node("classify", _node(classify), destinations=("await_reply", "draft", "finish"))
    builder.add_node("finish", _node(finish))
    builder.add_edge(START, "research")
    return builder.compile(checkpointer=checkpointer, name="lead")
