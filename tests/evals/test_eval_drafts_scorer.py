"""The drafts scorer on one hand-made draft, every number counted by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.writer_types import Claim, DraftResult, GuardrailResult
from evals.datasets.drafts_schema import DraftCase, load_drafts
from evals.scorers.drafts import aggregate, score_draft
from tests.evals.conftest import draft_row, write_jsonl

MESSAGE = (
    "I read that Fenmoor opens a chilled hub in Peterborough. We sell LeadDesk to teams like yours. "
    "Would you have time for a call?"
)  # 24 words


def case(tmp_path: Path) -> DraftCase:
    row = draft_row(
        expect={"language": "en", "min_words": 20, "max_words": 30, "grounded_facts": ["news-hub"],
                "must_mention": ["LeadDesk", "demo|meeting"], "must_not_mention": ["chilled", "free"]},
        accepted={"subject": "Quoting at Fenmoor",
                  "body": f"Dear Ms Marsh,\n\n{MESSAGE.replace('sell', 'offer')}\n\nKind regards\nLena Vogt"},
    )
    return load_drafts(write_jsonl(tmp_path / "drafts.jsonl", [row]))[0]


def result() -> DraftResult:
    return DraftResult(
        step=1,
        subject="Quoting at Fenmoor",
        body=f"Dear Ms Marsh,\n\n{MESSAGE}\n\nKind regards\nLena Vogt\n\n-- \nNordlicht Software GmbH\nKiel\n",
        language="en",
        claims=[
            Claim(text="Fenmoor opens a chilled hub in Peterborough", fact_id="news-hub"),
            Claim(text="Fenmoor has 140 new jobs", fact_id="news-hub"),
        ],
        guardrails=[
            GuardrailResult(name="spam_phrases", passed=False, message="spam"),
            GuardrailResult(name="unsupported_specifics", passed=True),
            GuardrailResult(name="claims_in_body", passed=False, severity="warning"),
        ],
        strategy="llm",
        strategy_reason="test",
        prompt_id="writer",
        prompt_version="1",
        repair_rounds=0,
        flagged=True,
    )


def test_one_draft_by_hand(tmp_path: Path) -> None:
    score = score_draft(case(tmp_path), result())

    assert score.failed_guardrails == ["spam_phrases"]  # the warning does not count
    assert (score.claims, score.claims_traceable) == (2, 1)
    assert score.untraceable == ["'Fenmoor has 140 new jobs' says 140, which fact news-hub does not"]
    assert score.grounded is False
    assert score.personalised is True
    assert (score.language, score.detected_language) == (True, "en")
    assert (score.words, score.length) == (24, True)
    assert (score.mentions_found, score.mentions_total, score.missing_mentions) == (1, 2, ["demo|meeting"])
    assert score.forbidden_found == ["chilled"]
    # subject (3 words) + message (24 words); one word differs from the accepted version
    assert score.edit_distance == pytest.approx(1 / 27)
    assert score.checks == {"guardrails": False, "grounded": False, "language": True, "length": True,
                            "must_mention": False, "must_not_mention": False, "personalised": True}
    assert score.share_passed == pytest.approx(3 / 7)
    assert not score.passed


def test_aggregate_counts_a_failed_draft_as_failing_everything(tmp_path: Path) -> None:
    one = case(tmp_path)

    metrics, details = aggregate([(one, score_draft(one, result())), (one, None)])

    assert metrics == pytest.approx({
        "pass_rate": 0.0, "guardrails": 0.0, "grounded": 0.0, "claims_traceable": 0.5, "personalised": 0.5,
        "language": 0.5, "length": 0.5, "must_mention": 0.25, "must_not_mention": 0.0,
        "edit_distance": 1 / 27, "errors": 1.0,
    })
    assert details["failed_guardrails"] == {"spam_phrases": 1}


def test_a_german_mail_for_an_english_case_fails_the_language_check(tmp_path: Path) -> None:
    german = result().model_copy(update={
        "body": "Sehr geehrte Frau Marsh,\n\nich habe gelesen, dass Sie eine neue Halle haben. Wir bieten Ihnen "
                "LeadDesk an, das für Ihr Team sehr gut passt und mit dem wir schon vielen Kunden geholfen haben.\n\n"
                "Mit freundlichen Grüßen\nLena Vogt",
        "claims": [],
    })

    score = score_draft(case(tmp_path), german)

    assert (score.language, score.detected_language) == (False, "de")
    assert score.personalised is False
    assert "language de, expected en" in score.notes


def test_a_claimed_iso_date_written_as_words_counts_as_shown(tmp_path: Path) -> None:
    claim = Claim(text="“Fenmoor opens 30,000-pallet chilled hub in Peterborough” (2026-10-21)", fact_id="news-hub")
    shown = result().model_copy(update={
        "body": "Dear Ms Marsh,\n\nI read your news from 21 October 2026: “Fenmoor opens 30,000-pallet chilled hub "
                "in Peterborough”. We sell LeadDesk to teams like yours.\n\nKind regards\nLena Vogt",
        "claims": [claim],
    })
    wrong_day = shown.model_copy(update={"body": shown.body.replace("21 October", "22 October")})

    assert score_draft(case(tmp_path), shown).claims_traceable == 1
    assert score_draft(case(tmp_path), wrong_day).untraceable == [
        f"'{claim.text}' does not appear in the mail"
    ]
