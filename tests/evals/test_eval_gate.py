"""The regression gate on hand-made reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.gate import GateError, check_regressions
from evals.results import DatasetInfo, EvalReport, ReportError, VariantResult


def report(metrics: dict[str, dict[str, float | None]], *, suite: str = "replies", digest: str = "abc") -> EvalReport:
    return EvalReport(
        suite=suite,
        dataset=DatasetInfo(path="d.jsonl", digest=digest, rows=10),
        variants=[
            VariantResult(name=name, model="none", metrics=values, lower_is_better=["errors"])
            for name, values in metrics.items()
        ],
    )


BASE = report({"model": {"accuracy": 0.90, "macro_f1": 0.88, "errors": 0.0, "unsubscribe_recall": None}})


def test_within_the_allowed_drop_passes() -> None:
    now = report({"model": {"accuracy": 0.885, "macro_f1": 0.95, "errors": 0.0, "unsubscribe_recall": 0.5}})

    result = check_regressions(now, BASE, max_drop=0.02)

    assert result.passed
    assert result.checked == 3  # the baseline's None metric is not checked
    assert result.lines() == []


def test_a_drop_names_the_metric_and_the_numbers() -> None:
    now = report({"model": {"accuracy": 0.85, "macro_f1": 0.87, "errors": 0.0}})

    result = check_regressions(now, BASE, max_drop=0.02)

    assert not result.passed
    assert [(r.variant, r.metric) for r in result.regressions] == [("model", "accuracy")]
    assert result.lines() == [
        "model.accuracy dropped from 0.9000 to 0.8500 (by 0.0500, more than the allowed 0.0200)"
    ]


def test_lower_is_better_metrics_fail_when_they_rise() -> None:
    now = report({"model": {"accuracy": 0.9, "macro_f1": 0.88, "errors": 1.0}})

    result = check_regressions(now, BASE)

    assert [r.describe(0.02) for r in result.regressions] == [
        "model.errors rose from 0.0000 to 1.0000 (by 1.0000, more than the allowed 0.0200)"
    ]


def test_a_missing_variant_or_metric_fails() -> None:
    base = report({"model": {"accuracy": 0.9}, "rules": {"accuracy": 0.3}})
    now = report({"model": {"macro_f1": 0.9}})

    result = check_regressions(now, base)

    assert not result.passed
    assert result.missing_variants == ["rules"]
    assert result.lines()[:2] == [
        "variant 'rules' is in the baseline but was not run",
        "model.accuracy: 0.9000 in the baseline, not measured now",
    ]


def test_a_changed_dataset_is_a_warning_only() -> None:
    now = report({"model": {"accuracy": 0.9, "macro_f1": 0.88, "errors": 0.0}}, digest="def")

    result = check_regressions(now, BASE)

    assert result.passed
    assert result.warnings == ["the dataset changed since the baseline (abc → def)"]


def test_reports_of_different_suites_cannot_be_compared() -> None:
    with pytest.raises(GateError, match="baseline is a 'replies' report, this run is 'drafts'"):
        check_regressions(report({}, suite="drafts"), BASE)
    with pytest.raises(GateError, match="must not be negative"):
        check_regressions(BASE, BASE, max_drop=-0.1)


def test_a_report_round_trips_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(BASE.model_dump_json(), encoding="utf-8")
    assert EvalReport.load(path).variant("model") == BASE.variant("model")

    path.write_text('{"suite": "replies"}', encoding="utf-8")
    with pytest.raises(ReportError, match=r"report.json: not an eval report \(dataset: Field required\)"):
        EvalReport.load(path)
    with pytest.raises(ReportError, match="cannot read report"):
        EvalReport.load(tmp_path / "missing.json")
