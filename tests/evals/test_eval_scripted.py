"""The scripted eval model answers exactly what evals/scripted.py documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from agents.reply_types import ReplyLabel
from agents.testing import ScriptedCall
from agents.writer_llm import LLMDraft, draft_schema
from evals.datasets.drafts_schema import load_drafts
from evals.scripted import GUESS_CONFIDENCE, MATCH_CONFIDENCE, keyword_verdict, responder, scripted_draft
from tests.evals.conftest import draft_row, write_jsonl


@pytest.mark.parametrize(
    ("subject", "text", "label"),
    [
        ("Undeliverable: Angebot", "Delivery has failed to these recipients", ReplyLabel.bounce),
        ("Abwesenheitsnotiz", "Ich bin bis 3. März im Urlaub.", ReplyLabel.out_of_office),
        ("Re: Angebot", "Bitte tragen Sie mich aus Ihrem Verteiler aus, ich widerspreche der Nutzung.",
         ReplyLabel.unsubscribe),
        ("Re: offer", "Please reach out to my colleague Jane, she is the right person.", ReplyLabel.referral),
        ("Re: offer", "Not right now, maybe next quarter.", ReplyLabel.not_now),
        ("Re: offer", "No thanks.", ReplyLabel.not_interested),
        ("AW: Angebot", "Klingt gut, gerne einen Termin nächste Woche.", ReplyLabel.interested),
    ],
)
def test_keyword_labels(subject: str, text: str, label: ReplyLabel) -> None:
    verdict = keyword_verdict(subject, text)

    assert verdict.label is label and verdict.confidence == MATCH_CONFIDENCE


def test_no_keyword_is_an_unsure_question() -> None:
    verdict = keyword_verdict("Re: offer", "Which CRM systems do you integrate with?")

    assert verdict.label is ReplyLabel.question and verdict.confidence == GUESS_CONFIDENCE


def test_scripted_draft_quotes_the_news_fact_and_cites_it(tmp_path: Path) -> None:
    case = load_drafts(write_jsonl(tmp_path / "d.jsonl", [draft_row()]))[0]

    draft = scripted_draft(case.request())

    assert draft.subject == "Nordlicht LeadDesk – Fenmoor"
    assert draft.body.startswith("I read on your website: “Fenmoor opens 30,000-pallet chilled hub in Peterborough”.")
    assert [(c.text, c.fact_id) for c in draft.claims] == [
        ("Fenmoor opens 30,000-pallet chilled hub in Peterborough", "news-hub")
    ]
    assert draft.body.endswith(case.spec.offer.call_to_action)


def test_responder_answers_subclasses_and_refuses_unknown_schemas() -> None:
    answer = LLMDraft(subject="s", body="b")
    respond = responder({LLMDraft: lambda: answer})
    narrowed = draft_schema(["f1"])

    assert respond(ScriptedCall("structured", [], narrowed, 0.0, None)) is answer

    class Other(BaseModel):
        x: int

    with pytest.raises(AssertionError, match="answers LLMDraft, not Other"):
        respond(ScriptedCall("structured", [], Other, 0.0, None))
