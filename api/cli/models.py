"""`outreach llm ping` and `outreach usage`: check the model, see what it cost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import typer
from rich.table import Table

from agents.accounting import USAGE_GROUPINGS, UsageGrouping, usage_summary
from agents.deps import build_llm
from agents.llm import LLMError
from agents.llm_ping import ping_model
from api.cli.common import JsonOption, console, fail, get_settings, open_store, print_json, store_session
from tools.crm.types import utcnow

llm_app = typer.Typer(help="The language model.", no_args_is_help=True)


@llm_app.command("ping")
def ping_cmd(json_output: bool = JsonOption) -> None:
    """Send one short request to the configured model; print model, latency and tokens/s."""
    settings = get_settings()
    engine = open_store(settings)
    try:
        llm = build_llm(settings, engine=engine, cache=False)
        result = asyncio.run(ping_model(llm))
    except (LLMError, ValueError) as exc:
        fail(f"model check failed: {exc}")
    finally:
        engine.dispose()
    endpoint = settings.llm_base_url or "embedded"
    if json_output:
        print_json({"endpoint": endpoint, **result.as_dict()})
        return
    console.print(
        f"[green]ok[/] {result.model} at {endpoint}: {result.latency_s * 1000:.0f} ms, "
        f"{result.input_tokens} in / {result.output_tokens} out tokens, {result.tokens_per_s} tokens/s "
        f"— replied {result.reply!r}",
        highlight=False,
    )


def usage_cmd(
    by: str = typer.Option("campaign", "--by", help=f"Group by {' | '.join(USAGE_GROUPINGS)}."),
    days: int | None = typer.Option(None, "--days", min=1, help="Only the last N days."),
    json_output: bool = JsonOption,
) -> None:
    """Model calls, tokens and estimated cost per campaign, agent or day."""
    if by not in USAGE_GROUPINGS:
        fail(f"cannot group by {by!r}: use one of {', '.join(USAGE_GROUPINGS)}")
    grouping: UsageGrouping = by  # type: ignore[assignment]
    since = utcnow() - timedelta(days=days) if days else None
    with store_session() as (_settings, session):
        rows = usage_summary(session, by=grouping, since=since)
    if json_output:
        print_json({"by": by, "since": since, "rows": [row.as_dict() for row in rows]})
        return
    if not rows:
        console.print("no model calls recorded")
        return
    table = Table()
    table.add_column(by, overflow="fold", min_width=12)
    for header in ("calls", "cached", "failed", "tok in", "tok out", "USD", "avg ms"):
        table.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            row.key,
            str(row.calls),
            str(row.cached_calls),
            str(row.failed_calls),
            f"{row.input_tokens:,}",
            f"{row.output_tokens:,}",
            f"{row.cost_usd:.4f}",
            f"{row.avg_latency_ms:.0f}",
        )
    table.add_section()
    table.add_row(
        "total",
        str(sum(r.calls for r in rows)),
        str(sum(r.cached_calls for r in rows)),
        str(sum(r.failed_calls for r in rows)),
        f"{sum(r.input_tokens for r in rows):,}",
        f"{sum(r.output_tokens for r in rows):,}",
        f"{sum(r.cost_usd for r in rows):.4f}",
        "",
    )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `llm ping` and `usage`."""
    app.add_typer(llm_app, name="llm")
    app.command("usage")(usage_cmd)
