"""Run one suite and write its reports: the entry point of ``outreach eval run`` and of CI.

``run_eval`` dispatches to the suite, times it and assembles the ``EvalReport``;
``write_reports`` writes ``report.json``, ``report.md`` and ``report.html`` into a folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from evals.context import EvalConfigError, EvalContext
from evals.reports.html_report import render_html
from evals.reports.json_report import write_json
from evals.reports.markdown_report import render_markdown
from evals.results import EvalReport, SuiteName
from evals.suites.common import SuiteOutput
from evals.suites.drafts import DraftSuiteOptions, run_drafts
from evals.suites.replies import ReplySuiteOptions, run_replies
from evals.suites.research import ResearchSuiteOptions, run_research

SUITES: tuple[str, ...] = get_args(SuiteName)
REPORT_FILES = {"json": "report.json", "markdown": "report.md", "html": "report.html"}


@dataclass
class SuiteOptions:
    """Per-suite options (each suite reads only its own)."""

    replies: ReplySuiteOptions = field(default_factory=ReplySuiteOptions)
    research: ResearchSuiteOptions = field(default_factory=ResearchSuiteOptions)
    drafts: DraftSuiteOptions = field(default_factory=DraftSuiteOptions)


def _common_options(ctx: EvalContext) -> dict[str, Any]:
    return {
        "models": list(ctx.models),
        "variants": list(ctx.prompts),
        "cache": ctx.cache,
        "temperature": "as in the prompt files" if ctx.keep_temperature else "0",
        "concurrency": ctx.concurrency,
        "seed": ctx.seed,
        "limit": ctx.limit,
        "cases": list(ctx.case_ids),
        "judge": ctx.judge,
    }


async def run_eval(
    suite: str, ctx: EvalContext, *, dataset: Path | str | None = None, options: SuiteOptions | None = None
) -> EvalReport:
    """Run ``suite`` on ``dataset`` (default: the packaged one) and return its report.

    Raises EvalConfigError for an impossible request and DatasetError for bad data, both
    before any model is called.
    """
    options = options or SuiteOptions()
    started = time.perf_counter()
    output: SuiteOutput
    if suite == "replies":
        output = await run_replies(ctx, dataset, options.replies)
    elif suite == "research":
        output = await run_research(ctx, dataset, options.research)
    elif suite == "drafts":
        output = await run_drafts(ctx, dataset, options.drafts)
    else:
        raise EvalConfigError(f"unknown suite {suite!r}: choose from {', '.join(SUITES)}")
    return EvalReport(
        suite=suite,
        dataset=output.dataset,
        options={**_common_options(ctx), **output.options},
        variants=output.variants,
        comparisons=output.comparisons,
        seconds=time.perf_counter() - started,
    )


def write_reports(report: EvalReport, out_dir: Path) -> dict[str, Path]:
    """Write the JSON, Markdown and HTML reports into ``out_dir`` (created); returns their paths."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvalConfigError(f"cannot create report folder {out_dir}: {exc.strerror}") from exc
    paths = {kind: out_dir / name for kind, name in REPORT_FILES.items()}
    write_json(report, paths["json"])
    paths["markdown"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths
