"""The Markdown summary: dataset, metrics by variant, usage, pairwise results, failing cases."""

from __future__ import annotations

from typing import Any

from evals.reports.tables import failures, fmt, metrics_rows, usage_rows
from evals.results import EvalReport


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def _pairwise(pairwise: dict[str, Any]) -> list[str]:
    rows = [
        [key, str(entry["left_wins"]), str(entry["right_wins"]), str(entry["ties"])]
        for key, entry in pairwise.get("pairs", {}).items()
    ]
    lines = ["## Pairwise judge", "", *_table(["pair (left vs right)", "left wins", "right wins", "ties"], rows), ""]
    rates = ", ".join(f"{name}: {fmt(rate)}" for name, rate in pairwise.get("win_rate", {}).items())
    lines.append(f"Win rates (a tie counts half): {rates}. Seed {pairwise.get('seed')}; the first-shown draft won "
                 f"{fmt(pairwise.get('first_shown_win_rate'))} of the decided comparisons.")
    return [*lines, ""]


def render_markdown(report: EvalReport) -> str:
    """The summary as Markdown text."""
    data = report.dataset
    split = f", split {data.split}" if data.split else ""
    lines = [
        f"# Eval report: {report.suite}",
        "",
        f"Dataset `{data.path}` ({data.rows} cases{split}, sha256 {data.digest}) · "
        f"{report.created_at:%Y-%m-%d %H:%M} UTC · {report.seconds:.1f} s",
        "",
        "## Metrics",
        "",
        *_table(*metrics_rows(report)),
        "",
        "## Model usage",
        "",
        *_table(*usage_rows(report)),
        "",
    ]
    if "pairwise" in report.comparisons:
        lines += _pairwise(report.comparisons["pairwise"])
    lines += ["## Failing cases", ""]
    for variant in report.variants:
        shown, total = failures(variant)
        lines.append(f"### {variant.name}: {total} of {len(variant.cases)} failed")
        lines.append("")
        for case in shown:
            why = "; ".join(case.notes) or case.error or "failed"
            lines.append(f"- `{case.case_id}`: {why}")
        if total > len(shown):
            lines.append(f"- … and {total - len(shown)} more (see report.json)")
        lines.append("")
    return "\n".join(lines)
