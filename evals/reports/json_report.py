"""The machine-readable report: the ``EvalReport`` as indented JSON (read back by the gate)."""

from __future__ import annotations

from pathlib import Path

from evals.results import EvalReport


def report_json(report: EvalReport) -> str:
    """The report as JSON text."""
    return report.model_dump_json(indent=2) + "\n"


def write_json(report: EvalReport, path: Path) -> None:
    """Write the report to ``path``."""
    path.write_text(report_json(report), encoding="utf-8")


def write_baseline(report: EvalReport, path: Path) -> None:
    """Write the report without its cases: metrics, usage and details only (a small file to commit)."""
    compact = report.model_copy(update={"variants": [v.model_copy(update={"cases": []}) for v in report.variants]})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_json(compact), encoding="utf-8")
