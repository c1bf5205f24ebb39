"""`outreach campaign run|status`, `outreach queue`, `outreach approve|reject`, `outreach worker`, `outreach trace`."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from sqlmodel import Session, col, select

from agents.campaign import CampaignError, load_campaign
from agents.routing import ResumeError
from api.cli.common import JsonOption, console, fail, get_settings, open_store, print_json, store_session
from tools.crm.models import Draft, DraftStatus, Lead
from tools.crm.repository import NotFound, find_leads, get_campaign_by_name, timeline

campaign_app = typer.Typer(help="Run campaigns and see where they stand.", no_args_is_help=True)

FUNNEL = ("leads", "researched", "drafted", "awaiting_approval", "sent", "replied")


@campaign_app.command("run")
def run_cmd(path: Path = typer.Argument(..., help="Campaign YAML file."), json_output: bool = JsonOption) -> None:
    """Discover and research leads, draft mails and fill the approval queue."""
    from agents.campaign_run import run_campaign  # heavy (graph, models): loaded only when needed
    from agents.service import Orchestrator

    try:
        spec = load_campaign(path)
    except CampaignError as exc:
        fail(str(exc))
    settings = get_settings()
    engine = open_store(settings)

    async def go() -> dict[str, Any]:
        async with Orchestrator.open(settings, engine=engine) as orchestrator:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[info]}"),
                console=console,
                disable=json_output,
                transient=False,
            ) as bar:
                task = bar.add_task(f"campaign {spec.name}", total=None, info="finding leads…")

                def progress(stage: str, data: dict[str, Any]) -> None:
                    if stage == "sourcing":
                        bar.update(task, info=f"companies {data['companies']} · leads {data['leads']}")
                        return
                    if stage == "leads":
                        bar.update(task, total=data["total"], completed=0)
                    info = " · ".join(f"{k.replace('_', ' ')} {data.get(k, 0)}" for k in FUNNEL)
                    bar.update(task, info=info, advance=1 if stage == "lead" else 0)

                report = await run_campaign(orchestrator, spec, base_dir=path.parent, progress=progress)
        return report.as_dict()

    try:
        result = asyncio.run(go())
    finally:
        engine.dispose()
    if json_output:
        print_json(result)
        return
    _print_summary(spec.name, result)


def _print_summary(name: str, result: dict[str, Any]) -> None:
    counts = result["counts"]
    table = Table("", "count", title=f"campaign {name}")
    table.add_row("companies found", str(result["companies_found"]))
    table.add_row(
        "companies researched (cache hits)", f"{result['companies_researched']} ({result['research_cache_hits']})"
    )
    for key in FUNNEL:
        table.add_row(key.replace("_", " "), str(counts.get(key, 0)))
    for status, n in counts["by_status"].items():
        table.add_row(f"  status {status}", str(n))
    console.print(table)
    for error in result["errors"][:20]:
        console.print(f"[yellow]warning:[/] {error}", highlight=False)


@campaign_app.command("status")
def status_cmd(name: str = typer.Argument(..., help="Campaign name."), json_output: bool = JsonOption) -> None:
    """Funnel counts and lead states of a campaign."""
    from agents.reporting import campaign_counts

    with store_session() as (_settings, session):
        campaign = get_campaign_by_name(session, name=name)
        if campaign is None:
            fail(f"no campaign named {name!r}")
        counts = campaign_counts(session, campaign_id=campaign.id)
    if json_output:
        print_json({"campaign": name, "status": campaign.status, **counts})
        return
    table = Table("", "count", title=f"campaign {name} ({campaign.status})")
    for key in (*FUNNEL, "interested", "open_tasks"):
        table.add_row(key.replace("_", " "), str(counts[key]))
    console.print(table)


def queue_cmd(json_output: bool = JsonOption) -> None:
    """Drafts waiting for a rep's approval."""
    with store_session() as (_settings, session):
        drafts = session.exec(
            select(Draft).where(Draft.status == DraftStatus.pending).order_by(col(Draft.created_at))
        ).all()
        rows = [
            {
                "draft_id": str(d.id),
                "lead_id": str(d.lead_id),
                "step": d.step,
                "subject": d.subject,
                "flags": [g["name"] for g in d.guardrails if not g.get("passed", True)],
            }
            for d in drafts
        ]
    if json_output:
        print_json(rows)
        return
    table = Table("draft", "step", "subject", "flags", title=f"{len(rows)} drafts awaiting approval")
    for row in rows:
        flags: list[str] = row["flags"]  # type: ignore[assignment]
        table.add_row(str(row["draft_id"])[:8], str(row["step"]), str(row["subject"]), ", ".join(flags))
    console.print(table)


def _decide(draft_id: str, decision: dict[str, Any]) -> dict[str, Any]:
    from agents.service import Orchestrator

    try:
        key = uuid.UUID(draft_id)
    except ValueError:
        fail(f"not a draft id: {draft_id!r}")
    settings = get_settings()
    engine = open_store(settings)

    async def go() -> dict[str, Any]:
        async with Orchestrator.open(settings, engine=engine) as orchestrator:
            return await orchestrator.decide(key, decision)

    try:
        return asyncio.run(go())
    except (NotFound, ResumeError) as exc:
        fail(str(exc))
    finally:
        engine.dispose()


def approve_cmd(
    draft_id: str = typer.Argument(..., help="Draft id (from `outreach queue`)."),
    actor: str = typer.Option("cli", help="Who approves (recorded in the audit log)."),
    body_file: Path | None = typer.Option(None, "--body-file", help="Approve an edited body from this file."),
    subject: str | None = typer.Option(None, help="Approve with this subject instead."),
) -> None:
    """Approve a draft (optionally edited); it is queued for sending."""
    if body_file is not None or subject is not None:
        body = body_file.read_text(encoding="utf-8") if body_file else None
        _decide(draft_id, {"action": "edit", "actor": actor, "body": body, "subject": subject})
    else:
        _decide(draft_id, {"action": "approve", "actor": actor})
    console.print(f"draft {draft_id} approved")


def reject_cmd(
    draft_id: str = typer.Argument(..., help="Draft id."),
    reason: str = typer.Option(..., help="Why (kept with the draft)."),
    actor: str = typer.Option("cli", help="Who rejects."),
) -> None:
    """Reject a draft with a reason; the lead is not mailed."""
    _decide(draft_id, {"action": "reject", "actor": actor, "reason": reason})
    console.print(f"draft {draft_id} rejected")


def worker_cmd(
    once: bool = typer.Option(False, "--once", help="Run one round and exit."),
    interval: float = typer.Option(30.0, help="Seconds between rounds."),
    json_output: bool = JsonOption,
) -> None:
    """Send due mail, deliver replies to their threads and wake threads whose date has come."""
    from agents.service import Orchestrator

    settings = get_settings()
    engine = open_store(settings)

    async def go() -> None:
        async with Orchestrator.open(settings, engine=engine) as orchestrator:
            while True:
                report = await orchestrator.tick()
                if json_output:
                    print_json(report.__dict__)
                else:
                    console.print(
                        f"sent {report.sent} · deferred {report.deferred} · refused {report.refused} · "
                        f"failed {report.failed} · replies {report.replies} · woken {report.woken}"
                    )
                    for error in report.errors:
                        console.print(f"[yellow]warning:[/] {error}", highlight=False)
                if once:
                    return
                await asyncio.sleep(interval)

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


def trace_cmd(key: str = typer.Argument(..., help="Lead id or contact email."), json_output: bool = JsonOption) -> None:
    """A lead's timeline: every node run with its LLM calls, and every interaction."""
    with store_session() as (_settings, session):
        leads = find_leads(session, key=key)
        if not leads:
            fail(f"no lead for {key!r}")
        data = [_lead_trace(session, lead) for lead in leads]
    if json_output:
        print_json(data)
        return
    for item in data:
        table = Table("time", "node / event", "ms", "llm", "detail", title=f"lead {item['lead_id']} ({item['status']})")
        for run in item["nodes"]:
            llm = ", ".join(
                f"{c['prompt'] or c['model']} {c['input_tokens']}→{c['output_tokens']}" for c in run["llm_calls"]
            )
            detail = run["error"] or ", ".join(f"{k}={v}" for k, v in run["detail"].items())
            table.add_row(
                run["started_at"].strftime("%H:%M:%S"),
                f"{run['node']} [{run['status']}]",
                str(run["duration_ms"]),
                llm,
                detail,
            )
        for event in item["timeline"]:
            if event["type"] != "audit":
                table.add_row(
                    event["at"].strftime("%H:%M:%S"),
                    event["type"],
                    "",
                    "",
                    ", ".join(f"{k}={v}" for k, v in event.items() if k not in {"at", "type"}),
                )
        console.print(table)


def _lead_trace(session: Session, lead: Lead) -> dict[str, Any]:
    from agents.reporting import lead_trace

    return {
        "lead_id": str(lead.id),
        "status": lead.status.value,
        "nodes": lead_trace(session, lead_id=lead.id),
        "timeline": timeline(session, lead_id=lead.id),
    }


def register(app: typer.Typer) -> None:
    """Add the orchestration commands."""
    app.add_typer(campaign_app, name="campaign")
    app.command("queue")(queue_cmd)
    app.command("approve")(approve_cmd)
    app.command("reject")(reject_cmd)
    app.command("worker")(worker_cmd)
    app.command("trace")(trace_cmd)
