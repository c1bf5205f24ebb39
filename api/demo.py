"""`make demo`: the main job, end to end, on embedded defaults — no API key, no network.

Serves the example company websites on 127.0.0.1, runs the demo campaign against them with
the embedded model, SQLite and embedded chroma, approves a few drafts (the demo does it, and
says so), "sends" them through the file transport, feeds sample replies back in, classifies
and escalates them, and ends with a report of what happened and where to look.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, select

from agents.campaign import LeadSource, parse_campaign
from agents.campaign_run import run_campaign
from agents.routing import ApprovalDecision
from agents.service import Orchestrator
from tools.crm.db import make_engine, upgrade_schema
from tools.crm.models import (
    Contact,
    Draft,
    DraftStatus,
    InboundMessage,
    Lead,
    NodeRun,
    OutboxMessage,
    ReplyClassification,
    Task,
)
from tools.crm.types import utcnow
from tools.email.ingest import ingest_raw_email
from tools.settings import Settings

console = Console()
DEMO_DIR = Path(".outreach/demo")


class DemoClock:
    """Demo time: the next business morning in Berlin, moving with the real clock, and skippable."""

    def __init__(self) -> None:
        berlin = ZoneInfo("Europe/Berlin")
        local = datetime.now(berlin)
        start = local.replace(hour=9, minute=30, second=0, microsecond=0)
        if local.hour >= 9 and local.weekday() < 5 and local.hour < 15:
            start = local
        while start <= local - timedelta(hours=6) or start.weekday() >= 5:
            start = (start + timedelta(days=1)).replace(hour=9, minute=30)
        self._offset = start.astimezone(UTC) - utcnow()

    def __call__(self) -> datetime:
        return utcnow() + self._offset

    def skip_business_days(self, days: int) -> None:
        """Jump ahead by ``days`` business days (to let follow-up timers come due)."""
        moment = self()
        while days > 0:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
                days -= 1
        self._offset += moment - self()


def demo_settings(data_dir: Path) -> Settings:
    """Embedded defaults, with the local example sites allowed past the SSRF guard."""
    return Settings(
        data_dir=data_dir,
        url_allowlist=["127.0.0.1"],
        email_transport="file",
        politeness_delay_s=0.1,
        send_min_spacing_s=0,
        crawl_max_pages=8,
        secret_key="demo-secret-not-for-production",
    )


def _step(title: str) -> None:
    console.rule(f"[bold]{title}")


async def _approve_queue(orchestrator: Orchestrator) -> dict[str, int]:
    """The demo plays the rep: approves clean drafts, edits one, rejects flagged ones."""
    engine = orchestrator.context.engine
    with Session(engine) as session:
        pending = session.exec(
            select(Draft).where(Draft.status == DraftStatus.pending).order_by(col(Draft.created_at))
        ).all()
    counts = {"approved": 0, "edited": 0, "rejected": 0}
    for index, draft in enumerate(pending):
        failed = [g["name"] for g in draft.guardrails if not g.get("passed", True) and g.get("severity") == "error"]
        if failed:
            decision = ApprovalDecision(
                action="reject", actor="demo", reason="demo: guardrails failed: " + ", ".join(failed)
            )
            counts["rejected"] += 1
        elif index == 0:
            decision = ApprovalDecision(action="edit", actor="demo", subject=f"{draft.subject} – kurze Frage")
            counts["edited"] += 1
        else:
            decision = ApprovalDecision(action="approve", actor="demo")
            counts["approved"] += 1
        await orchestrator.decide(draft.id, decision)
    return counts


def _feed_replies(orchestrator: Orchestrator) -> list[dict[str, Any]]:
    """Render each sample reply against the real Message-ID of its contact's mail and ingest it."""
    from examples.sample_replies import load_replies

    fed: list[dict[str, Any]] = []
    settings = orchestrator.context.settings
    with Session(orchestrator.context.engine) as session:
        for reply in load_replies().replies:
            sent = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.to_email == reply.contact)
                .order_by(col(OutboxMessage.step).desc())
            ).first()
            if sent is None:
                contact = session.exec(select(Contact).where(Contact.email == reply.contact)).first()
                lead = session.exec(select(Lead).where(Lead.contact_id == contact.id)).first() if contact else None
                why = f"not fed: no mail went to this contact (lead {lead.status.value})" if lead else "not fed"
                fed.append(
                    {
                        "file": reply.file,
                        "contact": reply.contact,
                        "expected": reply.label,
                        "fed": False,
                        "matched": why,
                    }
                )
                continue
            inbound = ingest_raw_email(session, reply.render(sent.message_id), settings=settings)
            session.commit()
            fed.append(
                {
                    "file": reply.file,
                    "contact": reply.contact,
                    "expected": reply.label,
                    "fed": True,
                    "inbound_id": str(inbound.id),
                    "matched": inbound.match_method,
                }
            )
    return fed


def _report(
    orchestrator: Orchestrator,
    run: dict[str, Any],
    decisions: dict[str, int],
    fed: list[dict[str, Any]],
    settings: Settings,
) -> None:
    engine = orchestrator.context.engine
    _step("Report")
    table = Table("", "count", title="campaign")
    table.add_row("companies found on the listing", str(run["companies_found"]))
    table.add_row("companies researched in Chromium", str(run["companies_researched"]))
    with Session(engine) as session:
        thread_hits = sum(
            1 for r in session.exec(select(NodeRun).where(NodeRun.node == "research")) if r.detail.get("cache") == "hit"
        )
    table.add_row("research reused from cache (lead threads)", str(run["research_cache_hits"] + thread_hits))
    for key in (
        "leads",
        "drafted",
        "awaiting_approval",
        "approved",
        "sent",
        "replied",
        "interested",
        "open_tasks",
    ):
        table.add_row(key.replace("_", " "), str(run["counts"].get(key, 0)))
    for status, n in run["counts"]["by_status"].items():
        table.add_row(f"  leads {status}", str(n))
    table.add_row(
        "demo decisions (approved / edited / rejected)",
        f"{decisions['approved']} / {decisions['edited']} / {decisions['rejected']}",
    )
    console.print(table)
    with Session(engine) as session:
        drafts = session.exec(select(Draft).order_by(col(Draft.created_at))).all()
        if drafts:
            sample = next((d for d in drafts if d.language == "de"), drafts[0])
            console.print(f"[bold]A draft ({sample.language}, strategy {sample.strategy}, step {sample.step}):[/]")
            console.print(f"Subject: {sample.subject}\n{sample.body}", highlight=False, markup=False)
        labels = {str(c.inbound_id): c for c in session.exec(select(ReplyClassification))}
        replies = Table("reply", "expected", "classified", "stage", "confidence", "matched by", title="replies")
        for item in fed:
            got = labels.get(item.get("inbound_id", ""))
            replies.add_row(
                item["file"],
                item["expected"],
                got.label if got else "-",
                got.stage if got else "-",
                f"{got.confidence:.2f}" if got else "-",
                str(item.get("matched") or "-"),
            )
        console.print(replies)
        tasks = Table("kind", "for", "title", title="tasks for humans")
        for task in session.exec(select(Task).order_by(col(Task.created_at))):
            tasks.add_row(task.kind, task.assignee or "-", task.title)
        console.print(tasks)
        unmatched = session.exec(select(InboundMessage).where(col(InboundMessage.lead_id).is_(None))).all()
        leads = session.exec(select(Lead)).all()
    eml = sorted(settings.outbox_dir.glob("*.eml"))
    console.print(f"\n[bold]Where to look[/]\n  outbox: {settings.outbox_dir.resolve()} ({len(eml)} .eml files)")
    console.print(f"  unmatched inbound mail: {len(unmatched)}; leads: {len(leads)}")
    env = f"OUTREACH_DATA_DIR={settings.data_dir}"
    console.print(f"  {env} .venv/bin/outreach campaign status {run['campaign']}")
    console.print(f"  {env} .venv/bin/outreach trace <email>     # a lead's timeline with every node run")
    console.print(f"  {env} .venv/bin/outreach serve              # the reps' web app on {settings.public_base_url}")


async def run_demo(data_dir: Path = DEMO_DIR) -> int:
    """Run the whole demo; returns a process exit code."""
    from examples.server import start_example_sites

    if data_dir.exists():
        shutil.rmtree(data_dir)
    settings = demo_settings(data_dir)
    settings.ensure_data_dir()
    engine = make_engine(settings.effective_database_url)
    upgrade_schema(engine)
    clock = DemoClock()
    _step("Starting the example company websites on 127.0.0.1")
    with start_example_sites() as sites:
        console.print(f"listing: {sites.listing_url} · {len(sites.site_urls)} company sites")
        contacts = data_dir / "contacts.csv"
        sites.write_contacts_csv(contacts)
        spec = parse_campaign(sites.campaign_text(), source="examples/campaigns/demo.yaml")
        spec.sources.insert(0, LeadSource(kind="csv", path=str(contacts.resolve())))
        async with Orchestrator.open(settings, engine=engine, clock=clock) as orchestrator:
            _step(f"Running campaign {spec.name}: discover → research → score → draft (embedded model)")
            report = await run_campaign(
                orchestrator,
                spec,
                base_dir=Path("examples/campaigns"),
                progress=lambda stage, data: (
                    console.print(f"  {stage}: {data}", highlight=False) if stage != "lead" else None
                ),
            )
            run = report.as_dict() | {"campaign": spec.name}
            _step("The demo approves the queue (a rep would do this in the web app)")
            decisions = await _approve_queue(orchestrator)
            console.print(decisions)
            _step("Sending through the file transport (compliance checks at send time)")
            tick = await orchestrator.tick()
            console.print(tick.__dict__, highlight=False)
            _step("Sample replies arrive and are classified")
            fed = _feed_replies(orchestrator)
            tick = await orchestrator.tick()
            console.print(tick.__dict__, highlight=False)
            _step("Four business days later: follow-ups for leads without a reply")
            clock.skip_business_days(4)
            tick = await orchestrator.tick()
            console.print(tick.__dict__, highlight=False)
            from agents.reporting import campaign_counts

            with Session(engine) as session:
                run["counts"] = campaign_counts(session, campaign_id=uuid.UUID(run["campaign_id"]))
            _report(orchestrator, run, decisions, fed, settings)
    engine.dispose()
    return 0


def main() -> None:
    """Entry point of `python -m api.demo`."""
    sys.exit(asyncio.run(run_demo()))


if __name__ == "__main__":
    main()
