"""SIGKILL a real worker process mid-campaign and between SMTP acceptance and marking sent.

After a restart every lead ends as in an uninterrupted run: no completed node re-runs its
model call, no approval is lost, and no mail is sent twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.service import Orchestrator
from agents.testing import ScriptedLLM
from tests.agents.flow.conftest import TUESDAY_MORNING, seed_lead, template_campaign
from tests.tools.email.conftest import SmtpServer
from tools.crm.db import make_engine, upgrade_schema
from tools.crm.models import Draft, DraftStatus, Lead, LeadStatus, NodeRun, OutboxMessage, OutboxStatus, Task
from tools.settings import Settings

ROOT = Path(__file__).parents[3]
CHILD = Path(__file__).with_name("crash_child.py")
LEADS = 20


def _wait(condition: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"worker exited before {what}: {out.decode()[-1500:]} {err.decode()[-1500:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Child:
    """Runs crash_child.py with this test's settings."""

    def __init__(self, data_dir: Path, calls: Path, smtp_port: int) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")},
            "PYTHONPATH": str(ROOT),
            "OUTREACH_ENV_FILE": str(data_dir / "none.env"),
            "OUTREACH_DATA_DIR": str(data_dir),
            "OUTREACH_EMAIL_TRANSPORT": "smtp",
            "OUTREACH_SMTP_HOST": "127.0.0.1",
            "OUTREACH_SMTP_PORT": str(smtp_port),
            "OUTREACH_SMTP_SECURITY": "none",
            "OUTREACH_SEND_MIN_SPACING_S": "0",
            "OUTREACH_DAILY_SEND_CAP": "100",
            "OUTREACH_SECRET_KEY": "crash-test-secret",
            "OUTREACH_PUBLIC_BASE_URL": "https://outreach.example",
            "CRASH_NOW": TUESDAY_MORNING.isoformat(),
            "CRASH_CALLS": str(calls),
        }

    def start(self, mode: str, phase: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, str(CHILD), mode],
            env={**self.env, "CRASH_PHASE": phase},
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def run(self, mode: str, phase: str) -> str:
        process = self.start(mode, phase)
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()[-3000:]
        return out.decode()


def _calls(path: Path, phase: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [row for row in map(json.loads, path.read_text().splitlines()) if row["phase"] == phase]


def _drafted(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return {
            str(r.lead_id) for r in session.exec(select(NodeRun).where(NodeRun.node == "draft", NodeRun.status == "ok"))
        }


async def test_sigkill_mid_campaign_and_mid_send(tmp_path: Path, smtp_server: SmtpServer) -> None:
    port = smtp_server.port
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    settings.ensure_data_dir()
    engine = make_engine(settings.effective_database_url)
    upgrade_schema(engine)
    spec = template_campaign(
        name="crash",
        writer={"strategy": "llm", "min_words": 30, "max_words": 160},
        limits={"daily_sends": 100, "per_domain_daily": 100, "concurrency": 4},
    )
    leads = [seed_lead(engine, spec, email=f"person{i}@mueller-maschinenbau.example").lead_id for i in range(LEADS)]
    calls = tmp_path / "calls.jsonl"
    child = Child(data_dir, calls, port)

    # 1. Kill the campaign run after some leads were drafted.
    process = child.start("draft", "first")
    _wait(lambda: len(_drafted(engine)) >= 6, 120, "six drafted leads", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # A node is complete when its checkpoint is written; one killed after its own work but
    # before the checkpoint is "in progress" and may run again (at most one per running lead).
    async with Orchestrator.open(settings, engine=engine, llm=ScriptedLLM(), use_memory=False) as orchestrator:
        done_before_kill = {str(lead) for lead in leads if await orchestrator.waiting_for(lead)}
    assert 0 < len(done_before_kill) < LEADS, "the kill came too late (or too early) to test anything"
    assert len(_drafted(engine) - done_before_kill) <= spec.limits.concurrency

    # 2. Restart: every lead reaches the approval queue; completed drafts are not redone.
    child.run("draft", "second")
    second = _calls(calls, "second")
    assert not {c["lead_id"] for c in second} & done_before_kill, "a completed node re-ran its model call"
    with Session(engine) as session:
        rows = session.exec(select(Lead)).all()
        assert {lead.status for lead in rows} == {LeadStatus.awaiting_approval}
        pending = Counter(d.lead_id for d in session.exec(select(Draft).where(Draft.status == DraftStatus.pending)))
        assert set(pending.values()) == {1} and len(pending) == LEADS

    # 3. Approvals (in this process) are durable.
    async with Orchestrator.open(
        settings, engine=engine, llm=ScriptedLLM(), use_memory=False, clock=lambda: TUESDAY_MORNING
    ) as orchestrator:
        for lead_id in leads:
            waiting = await orchestrator.waiting_for(lead_id)
            assert waiting is not None and waiting["kind"] == "approval"
            await orchestrator.decide(waiting["draft_id"], {"action": "approve", "actor": "rep"})

    # 4. Kill the sender between the SMTP server's 250 and marking the row sent.
    process = child.start("send-stall", "send")
    _wait(lambda: len(smtp_server.messages) >= 1, 120, "the first accepted mail", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with Session(engine) as session:
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.sending)).all()) == 1

    # 5. Restart: the uncertain row goes to a human, everything else is sent exactly once.
    child.run("send", "send2")
    ids = [str(message_from_bytes(raw)["Message-ID"]) for raw in smtp_server.messages]
    assert len(ids) == LEADS and len(set(ids)) == LEADS, "a mail was sent twice or not at all"
    with Session(engine) as session:
        statuses = Counter(row.status for row in session.exec(select(OutboxMessage)))
        assert statuses == {OutboxStatus.sent: LEADS - 1, OutboxStatus.failed: 1}
        assert len(session.exec(select(Task).where(Task.kind == "review")).all()) == 1
    engine.dispose()
