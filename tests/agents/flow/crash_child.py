"""A real worker process for the crash-safety test; the test SIGKILLs it mid-work.

Usage: ``python crash_child.py draft|send|send-stall|recover`` with settings from the
environment (OUTREACH_*), CRASH_NOW (ISO time for the clock) and CRASH_CALLS (a JSONL file
where every model call is appended, fsynced, before it is answered).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from agents.service import Orchestrator
from agents.testing import ScriptedCall, ScriptedLLM
from agents.writer_llm import LLMClaim, LLMDraft
from tools.crm.models import Lead
from tools.email.transport import SendResult, Transport, make_transport
from tools.settings import load_settings

BODY = (
    "mit Interesse habe ich gelesen, dass Sie in Augsburg eine neue Fertigungshalle eröffnet haben. "
    "Mit mehr Fertigung wachsen meist auch die Anfragen an den Vertrieb, und genau dort setzt unser "
    "System an: alle Kundenkontakte, Angebote und Wartungsverträge an einem Ort, ohne Listen. "
    "Hätten Sie in der kommenden Woche 15 Minuten für ein kurzes Gespräch?"
)


def respond(call: ScriptedCall) -> Any:
    """Record the call durably, then answer like a capable writer would."""
    with open(os.environ["CRASH_CALLS"], "a", encoding="utf-8") as log:
        context = call.context
        log.write(
            json.dumps(
                {
                    "phase": os.environ.get("CRASH_PHASE", ""),
                    "agent": context.agent if context else None,
                    "lead_id": context.lead_id if context else None,
                }
            )
            + "\n"
        )
        log.flush()
        os.fsync(log.fileno())
    time.sleep(0.15)  # model latency: widens the window in which the test kills us
    fact = next(line for line in call.prompt_text.splitlines() if "Fertigungshalle" in line and "f_" in line)
    fact_id = fact[fact.index("f_") :].split()[0].strip("[]():,")
    return LLMDraft(
        subject="Ihre neue Fertigungshalle in Augsburg",
        body=BODY,
        claims=[LLMClaim(text="neue Fertigungshalle eröffnet", fact_id=fact_id)],
    )


class StallAfterAccept:
    """Wraps a transport: the server has accepted the mail, then this process hangs (and is killed)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.name = inner.name

    async def send(self, message: Any) -> SendResult:
        result = await self.inner.send(message)
        time.sleep(120)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def main(mode: str) -> None:
    settings = load_settings()
    now = datetime.fromisoformat(os.environ["CRASH_NOW"])
    transport: Any = make_transport(settings)
    if mode == "send-stall":
        transport = StallAfterAccept(transport)
    async with Orchestrator.open(
        settings, llm=ScriptedLLM(respond=respond), use_memory=False, transport=transport, clock=lambda: now
    ) as orchestrator:
        if mode == "draft":
            with Session(orchestrator.context.engine) as session:
                lead_ids = [lead.id for lead in session.exec(select(Lead))]
            errors = await orchestrator.run_leads(lead_ids, concurrency=4)
            if errors:
                raise SystemExit("\n".join(errors))
        elif mode in {"send", "send-stall"}:
            if mode == "send":
                await orchestrator.recover(older_than=timedelta(0))
            report = await orchestrator.tick()
            print(json.dumps(report.__dict__))
        else:
            raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
