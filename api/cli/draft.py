"""`outreach draft <lead-id|email>`: draft one mail of a lead's sequence and store it for approval."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.panel import Panel
from rich.table import Table
from sqlmodel import Session

from agents.campaign import CampaignError
from agents.deps import build_llm, build_memory
from agents.draft_store import DraftInputError, build_request, claims_with_sources, resolve_lead, save_draft
from agents.llm import LLM, LLMError
from agents.nodes.writer import choose_strategy, draft_email
from agents.writer_types import DraftRequest, DraftResult, WriterError
from api.cli.common import JsonOption, console, err_console, fail, print_json, store_session
from memory.store import MemoryStoreError
from memory.types import Memory
from prompts.loader import PromptError
from tools.settings import Settings

STRATEGIES = ("auto", "llm", "template")


def _model(settings: Settings, session: Session, setting: str) -> LLM | None:
    """The configured model, or None when the template strategy will draft anyway."""
    if setting == "template":
        return None
    try:
        return build_llm(settings, engine=session.get_bind().engine)
    except LLMError as exc:
        if setting == "llm":
            fail(f"the llm strategy needs a model: {exc}")
        err_console.print(f"[yellow]note:[/] no model ({exc}); drafting with the template", highlight=False)
        return None


def _memory(settings: Settings) -> Memory | None:
    try:
        return build_memory(settings)
    except MemoryStoreError as exc:
        err_console.print(f"[yellow]note:[/] drafting without memory: {exc}", highlight=False)
        return None


def _as_dict(result: DraftResult, request: DraftRequest, draft_id: str | None, version: int | None) -> dict[str, Any]:
    data = result.model_dump(mode="json", exclude={"attempts", "claims"})
    data.update(
        {
            "draft_id": draft_id,
            "version": version,
            "lead_id": request.lead_id,
            "claims": claims_with_sources(result, request.profile),
            "attempts": [a.model_dump(mode="json", exclude={"body"}) for a in result.attempts],
        }
    )
    return data


def _print(data: dict[str, Any]) -> None:
    prompt = f"{data['prompt_id']}@{data['prompt_version']}"
    title = f"step {data['step']} · {data['language']} · {data['strategy']} · {prompt}"
    console.print(Panel(f"[bold]{data['subject']}[/]\n\n{data['body']}", title=title, expand=False), highlight=False)
    if data["claims"]:
        claims = Table("claim", "fact", "source", title="claims")
        for claim in data["claims"]:
            claims.add_row(claim["text"], claim["fact_text"] or f"[red]unknown fact {claim['fact_id']}[/]",
                           claim["source_url"] or "")
        console.print(claims)
    checks = Table("", "check", "result", title="guardrails")
    for check in data["guardrails"]:
        mark = "[green]✓[/]" if check["passed"] else ("[red]✗[/]" if check["severity"] == "error" else "[yellow]![/]")
        checks.add_row(mark, check["name"], check["message"])
    console.print(checks)
    console.print(f"strategy: {data['strategy_reason']}; repair rounds: {data['repair_rounds']}", highlight=False)
    if data["flagged"]:
        console.print("[bold red]FLAGGED for the rep:[/] " + "; ".join(data["flagged_reasons"]), highlight=False)
    if data["draft_id"]:
        console.print(f"saved as draft {data['draft_id']} (version {data['version']}, pending approval)")


def draft_cmd(
    lead: str = typer.Argument(..., help="Lead id or contact email."),
    step: int | None = typer.Option(None, "--step", "-s", help="Sequence step (default: the next unsent one)."),
    campaign: str | None = typer.Option(None, "--campaign", "-c", help="Campaign name, if the email has several."),
    strategy: str | None = typer.Option(None, "--strategy", help="auto | llm | template (default: the campaign's)."),
    variant: str | None = typer.Option(None, "--variant", help="Prompt variant for the llm strategy, e.g. writer@1."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the draft without saving it."),
    json_output: bool = JsonOption,
) -> None:
    """Draft a lead's mail; prints it with claims, sources and guardrail results, and saves it."""
    if strategy is not None and strategy not in STRATEGIES:
        fail(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    with store_session() as (settings, session):
        try:
            row = resolve_lead(session, lead, campaign=campaign)
            request = build_request(session, row, step=step)
            setting = strategy or request.spec.writer.strategy
            llm = _model(settings, session, setting)
            uses_model = choose_strategy(setting, llm)[0] == "llm"
            if variant and not uses_model:
                err_console.print(f"[yellow]note:[/] --variant {variant} is ignored: the template strategy drafts")
            memory = _memory(settings) if uses_model else None
            result = asyncio.run(
                draft_email(request, llm=llm, memory=memory, strategy=setting, prompt_variant=variant)
            )
        except (DraftInputError, CampaignError, WriterError, PromptError, LLMError) as exc:
            fail(str(exc))
        draft_id: str | None = None
        version: int | None = None
        if not dry_run:
            saved = save_draft(session, lead_id=row.id, result=result, profile=request.profile)
            draft_id, version = str(saved.id), saved.version
        data = _as_dict(result, request, draft_id, version)
    if json_output:
        print_json(data)
    else:
        _print(data)


def register(app: typer.Typer) -> None:
    """Add `outreach draft`."""
    app.command("draft")(draft_cmd)
