"""`outreach eval run`: reports, the regression gate's exit code, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli import evals as evals_cli
from evals.datasets.schema import load_replies
from evals.results import EvalReport

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    evals_cli.register(app)
    return app


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def cases(count: int = 6) -> list[str]:
    args: list[str] = []
    for row in load_replies(split="test")[:: 142 // count][:count]:
        args += ["--case", row.id]
    return args


def test_json_output_and_report_files(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    saved = tmp_path / "baseline.json"

    result = runner.invoke(cli(), ["eval", "run", "replies", "--stages", "rules,model", *cases(), "--json",
                                   "--out", str(out), "--save-baseline", str(saved)])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["suite"] == "replies" and report["dataset"]["rows"] == 6
    assert [v["name"] for v in report["variants"]] == ["rules", "model", "cascade_no_llm"]
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "report.html"}
    compact = EvalReport.load(saved)
    assert all(not v.cases for v in compact.variants)
    assert compact.variant("model") is not None


def test_the_gate_exits_2_and_names_the_metric(tmp_path: Path) -> None:
    first = runner.invoke(cli(), ["eval", "run", "replies", "--stages", "rules", *cases(), "--json"])
    assert first.exit_code == 0, first.output
    report = EvalReport.model_validate_json(first.stdout)
    measured = report.variants[0].metrics["coverage"]
    assert measured is not None and measured < 1.0
    better = report.model_copy(deep=True)
    better.variants[0].metrics["coverage"] = 1.0
    baseline = tmp_path / "baseline.json"
    baseline.write_text(better.model_dump_json(), encoding="utf-8")

    result = runner.invoke(cli(), ["eval", "run", "replies", "--stages", "rules", *cases(),
                                   "--baseline", str(baseline), "--max-drop", "0.02"])

    assert result.exit_code == 2, result.output
    assert f"rules.coverage dropped from 1.0000 to {measured:.4f}" in result.stderr
    assert "regression gate failed: 1 finding(s)" in result.stderr

    passing = runner.invoke(cli(), ["eval", "run", "replies", "--stages", "rules", *cases(),
                                    "--baseline", str(baseline), "--max-drop", "1"])
    assert passing.exit_code == 0, passing.output
    assert "regression gate passed" in passing.stdout


def _fails(args: list[str], message: str) -> None:
    result = runner.invoke(cli(), ["eval", "run", *args])
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_malformed_dataset_line_is_one_clear_line(tmp_path: Path) -> None:
    dataset = tmp_path / "drafts.jsonl"
    dataset.write_text('{"id": "x"}\n', encoding="utf-8")

    _fails(["drafts", "--model", "scripted", "--dataset", str(dataset)], "drafts.jsonl:1: field 'campaign': Field")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["research", "--stages", "rules"], "--stages applies to the replies suite only"),
        (["replies", "--stages", "rules,oracle"], "unknown stage(s) oracle"),
        (["replies", "--judge"], "--judge applies to the drafts suite only"),
        (["drafts", "--model", "openai"], "--model openai needs an endpoint"),
        (["drafts", "--model", "scripted", "--variant", "writer@9"], "has no version '9'"),
        (["replies", "--baseline", "missing.json"], "cannot read report"),
    ],
)
def test_bad_requests_are_one_line_and_exit_1(args: list[str], message: str) -> None:
    _fails(args, message)


def test_a_baseline_of_another_suite_is_refused(tmp_path: Path) -> None:
    first = runner.invoke(cli(), ["eval", "run", "replies", "--stages", "rules", *cases(2), "--json"])
    baseline = tmp_path / "replies.json"
    baseline.write_text(first.stdout, encoding="utf-8")

    _fails(["drafts", "--model", "scripted", "--baseline", str(baseline)], "is a 'replies' report, not 'drafts'")


def test_names_with_brackets_are_printed_as_they_are(tmp_path: Path) -> None:
    first = runner.invoke(cli(), ["eval", "run", "replies", "--stages", "rules", *cases(2), "--json"])
    report = EvalReport.model_validate_json(first.stdout)
    renamed = report.model_copy(deep=True)
    renamed.variants[0].name = "llm[openai, reply_classifier@1]"
    baseline = tmp_path / "[odd] baseline.json"
    baseline.write_text(renamed.model_dump_json(), encoding="utf-8")

    result = runner.invoke(cli(), ["eval", "run", "replies", "--stages", "rules", *cases(2),
                                   "--baseline", str(baseline)])

    assert result.exit_code == 2, result.output
    assert "variant 'llm[openai, reply_classifier@1]' is in the baseline but was not run" in result.stderr
    assert "[odd] baseline.json" in result.stderr
