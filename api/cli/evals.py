"""`outreach eval run <suite>`: evaluate the reply classifier, research or the writer on a dataset.

Writes JSON/Markdown/HTML reports with ``--out`` and, with ``--baseline``, exits with code 2
when a metric dropped by more than ``--max-drop`` (each regression named on stderr). Bad
input (unknown suite, stage or variant, malformed dataset line) is one line and exit 1.
"""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.common import JsonOption, console, err_console, get_settings, print_json
from api.cli.common import fail as fail_markup
from evals.gate import GateError, check_regressions
from evals.progress import NullProgress, ProgressSink, rich_progress
from evals.reports.json_report import write_baseline
from evals.reports.tables import metrics_rows
from evals.results import EvalReport, ReportError

REGRESSION_EXIT = 2


def fail(message: str) -> NoReturn:
    """One-line failure; the message is data (paths, variant names like ``llm[openai]``), not markup."""
    fail_markup(escape(message))

eval_app = typer.Typer(help="Measure the agents on datasets: replies, research, drafts.", no_args_is_help=True)


class Suite(StrEnum):
    replies = "replies"
    research = "research"
    drafts = "drafts"


class Model(StrEnum):
    scripted = "scripted"
    local = "local"
    openai = "openai"


class Strategy(StrEnum):
    auto = "auto"
    llm = "llm"
    template = "template"


def _stages(suite: Suite, stages: str | None) -> tuple[str, ...] | None:
    if stages is None:
        return None
    if suite != Suite.replies:
        fail("--stages applies to the replies suite only")
    return tuple(dict.fromkeys(s.strip() for s in stages.split(",") if s.strip()))


def _check_suite_options(suite: Suite, *, judge: bool, split: str | None, strategy: Strategy | None) -> None:
    if judge and suite != Suite.drafts:
        fail("--judge applies to the drafts suite only")
    if split is not None and suite != Suite.replies:
        fail("--split applies to the replies suite only")
    if strategy is not None and suite != Suite.drafts:
        fail("--strategy applies to the drafts suite only")


def _load_baseline(path: Path | None, suite: Suite) -> EvalReport | None:
    if path is None:
        return None
    try:
        baseline = EvalReport.load(path)
    except ReportError as exc:
        fail(str(exc))
    if baseline.suite != suite.value:
        fail(f"{path} is a {baseline.suite!r} report, not {suite.value!r}")
    return baseline


def _summary(report: EvalReport) -> None:
    header, rows = metrics_rows(report)
    table = Table(title=f"{report.suite}: {report.dataset.rows} cases", title_justify="left")
    for index, name in enumerate(header):
        table.add_column(escape(name), justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    if not any(v.usage.calls for v in report.variants):
        return
    calls = Table(title="model usage", title_justify="left")
    for name in ("variant", "model", "calls", "cached", "tokens in/out", "cost USD", "seconds"):
        calls.add_column(name, justify="left" if name in {"variant", "model"} else "right")
    for v in report.variants:
        u = v.usage
        calls.add_row(
            escape(v.name), escape(v.model), str(u.calls), str(u.cached_calls),
            f"{u.input_tokens}/{u.output_tokens}", f"{u.cost_usd:.4f}", f"{v.seconds:.1f}",
        )
    console.print(calls)


@eval_app.command("run")
def run_cmd(
    suite: Suite = typer.Argument(..., help="replies, research or drafts."),
    dataset: Path | None = typer.Option(None, "--dataset", help="A JSONL dataset in the documented format."),
    variant: list[str] = typer.Option([], "--variant", help="Prompt variant id@version (repeat for several)."),
    model: list[Model] = typer.Option([], "--model", help="scripted, local or openai (repeat for several)."),
    json_output: bool = JsonOption,
    out: Path | None = typer.Option(None, "--out", help="Write report.json, report.md and report.html here."),
    baseline: Path | None = typer.Option(None, "--baseline", help="A report.json to compare with."),
    save_baseline: Path | None = typer.Option(
        None, "--save-baseline", help="Also write a compact report (no cases) to use as a future baseline."
    ),
    max_drop: float = typer.Option(0.02, "--max-drop", min=0.0, help="Largest allowed drop of any metric."),
    stages: str | None = typer.Option(None, "--stages", help="replies: comma-separated subset of rules,model,llm."),
    split: str | None = typer.Option(None, "--split", help="replies: the split to score (default test)."),
    judge: bool = typer.Option(False, "--judge", help="drafts: LLM-as-judge rubric and pairwise comparison."),
    strategy: Strategy | None = typer.Option(None, "--strategy", help="drafts: override the writer strategy."),
    case: list[str] = typer.Option([], "--case", help="Only this case id (repeat for several)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many cases."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Cases evaluated at once."),
    seed: int = typer.Option(0, "--seed", help="Seed of the pairwise order."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not answer from the response cache."),
    keep_temperature: bool = typer.Option(
        False, "--keep-temperature", help="Use the prompts' temperatures instead of 0 (not cacheable)."
    ),
) -> None:
    """Run an evaluation suite; compare with a baseline to gate regressions."""
    chosen_stages = _stages(suite, stages)
    _check_suite_options(suite, judge=judge, split=split, strategy=strategy)
    old = _load_baseline(baseline, suite)
    settings = get_settings()
    # imported here: the suites pull in scikit-learn, Playwright and the writer (slow to import)
    from agents.llm import LLMError
    from evals.context import EvalConfigError, EvalContext
    from evals.datasets.schema import DatasetError
    from evals.llms import EvalModelError, ModelKind
    from evals.runner import SuiteOptions, run_eval, write_reports
    from evals.suites.drafts import DraftSuiteOptions
    from evals.suites.replies import STAGES, ReplySuiteOptions
    from prompts.loader import PromptError

    models: list[ModelKind] = [m.value for m in dict.fromkeys(model)]

    async def go(progress: ProgressSink) -> EvalReport:
        ctx = EvalContext(
            settings=settings, models=models, prompts=list(variant), cache=not no_cache,
            keep_temperature=keep_temperature, concurrency=concurrency, seed=seed, limit=limit,
            case_ids=list(case), judge=judge, progress=progress,
        )
        options = SuiteOptions(
            replies=ReplySuiteOptions(stages=chosen_stages or STAGES, split=split or "test"),
            drafts=DraftSuiteOptions(strategy=strategy.value if strategy else None),
        )
        return await run_eval(suite.value, ctx, dataset=dataset, options=options)

    try:
        with nullcontext(NullProgress()) if json_output else rich_progress(console) as progress:
            report = asyncio.run(go(progress))
    except (EvalConfigError, DatasetError, EvalModelError, PromptError) as exc:
        fail(str(exc))
    except LLMError as exc:
        fail(f"cannot use the model: {exc}")
    if out is not None:
        try:
            paths = write_reports(report, out)
        except EvalConfigError as exc:
            fail(str(exc))
        if not json_output:
            console.print("reports: " + ", ".join(str(p) for p in paths.values()), markup=False, highlight=False)
    if save_baseline is not None:
        try:
            write_baseline(report, save_baseline)
        except OSError as exc:
            fail(f"cannot write {save_baseline}: {exc.strerror}")
        if not json_output:
            console.print(f"baseline: {save_baseline}", markup=False, highlight=False)
    if json_output:
        print_json(report.model_dump(mode="json"))
    else:
        _summary(report)
    if old is not None:
        try:
            result = check_regressions(report, old, max_drop=max_drop)
        except GateError as exc:
            fail(str(exc))
        for line in result.lines():
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)
        if not result.passed:
            count = len(result.regressions) + len(result.missing_variants)
            err_console.print(
                f"[bold red]regression gate failed:[/] {count} finding(s) against {escape(str(baseline))} "
                f"(max drop {max_drop})", highlight=False, soft_wrap=True,
            )
            raise typer.Exit(REGRESSION_EXIT)
        if not json_output:
            console.print(
                f"regression gate passed: {result.checked} metric(s) within {max_drop} of {baseline}", markup=False
            )


def register(app: typer.Typer) -> None:
    """Add ``outreach eval …`` to the CLI."""
    app.add_typer(eval_app, name="eval")
