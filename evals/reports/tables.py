"""The tables both human-readable reports show: metrics by variant, usage, failing cases."""

from __future__ import annotations

from evals.results import CaseRecord, EvalReport, VariantResult

# The metrics each suite's charts and summaries lead with (all others follow in the tables).
HEADLINE: dict[str, tuple[str, ...]] = {
    "replies": ("accuracy", "macro_f1", "unsubscribe_recall", "bounce_recall"),
    "research": ("precision", "recall", "f1", "source_accuracy"),
    "drafts": ("pass_rate", "guardrails", "grounded", "personalised", "language", "length", "must_mention",
               "must_not_mention"),
}
FAILURES_SHOWN = 25


def fmt(value: float | int | None, digits: int = 3) -> str:
    """A number for a table cell ('–' when undefined)."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def metric_names(report: EvalReport) -> list[str]:
    """Every metric of the report, headline metrics first."""
    seen: dict[str, None] = dict.fromkeys(m for m in HEADLINE.get(report.suite, ()) if _present(report, m))
    for variant in report.variants:
        seen.update(dict.fromkeys(variant.metrics))
    return list(seen)


def _present(report: EvalReport, metric: str) -> bool:
    return any(metric in v.metrics for v in report.variants)


def metrics_rows(report: EvalReport) -> tuple[list[str], list[list[str]]]:
    """(header, rows): one row per metric, one column per variant; lower-is-better marked ↓."""
    header = ["metric", *(v.name for v in report.variants)]
    lower = {m for v in report.variants for m in v.lower_is_better}
    rows = [
        [f"{name} ↓" if name in lower else name, *(fmt(v.metrics.get(name)) for v in report.variants)]
        for name in metric_names(report)
    ]
    return header, rows


def usage_rows(report: EvalReport) -> tuple[list[str], list[list[str]]]:
    """(header, rows): calls, cache hits, tokens, cost and time per variant."""
    header = ["variant", "model", "prompt", "calls", "cached", "failed", "tokens in", "tokens out", "cost USD",
              "seconds"]
    rows = [
        [v.name, v.model, v.prompt or "–", str(v.usage.calls), str(v.usage.cached_calls), str(v.usage.failed_calls),
         str(v.usage.input_tokens), str(v.usage.output_tokens), f"{v.usage.cost_usd:.4f}", f"{v.seconds:.1f}"]
        for v in report.variants
    ]
    return header, rows


def failures(variant: VariantResult, limit: int = FAILURES_SHOWN) -> tuple[list[CaseRecord], int]:
    """The first ``limit`` failing cases of a variant and how many failed in all."""
    failed = variant.failures
    return failed[:limit], len(failed)
