"""Risk flags and scores of drafts."""

from __future__ import annotations

from api.facts import FactIndex, FactView
from api.risk import DraftFacts, assess


def _facts() -> FactIndex:
    index = FactIndex()
    index.add(FactView("f_1", "news", "Neue Halle", "https://k.example/presse", None), "alias-1")
    return index


def _data(**changes: object) -> DraftFacts:
    base = dict(step=1, claims=[{"text": "Halle", "fact_id": "f_1"}], guardrails=[], fit_score=90, fit_threshold=40,
                employees=200, company_contacted_before=False, facts=_facts())
    base.update(changes)
    return DraftFacts(**base)  # type: ignore[arg-type]


def test_clean_draft_is_low_risk() -> None:
    result = assess(_data())
    assert (result.score, result.level, result.value, result.flags) == (0, "low", 90, [])


def test_claims_resolve_through_aliases() -> None:
    assert assess(_data(claims=[{"text": "x", "fact_id": "alias-1"}])).level == "low"


def test_each_flag_and_its_weight() -> None:
    result = assess(_data(
        claims=[{"text": "erfunden", "fact_id": "f_nope"}],
        guardrails=[{"name": "legal_footer", "passed": False, "severity": "error", "message": "missing"},
                    {"name": "length", "passed": False, "severity": "warning", "message": "long"},
                    {"name": "ok", "passed": True}],
        fit_score=50, employees=2500,
    ))
    assert [f.code for f in result.flags] == ["guardrail_failed", "guardrail_warning", "unsupported_claim",
                                              "low_fit", "big_account_first_contact"]
    assert result.score == 40 + 15 + 30 + 20 + 25 and result.level == "high"
    assert result.value == 70  # fit 50 + 20 for the big account


def test_big_account_counts_only_for_the_first_contact() -> None:
    assert assess(_data(employees=5000, company_contacted_before=True)).level == "low"
    assert assess(_data(employees=5000, step=2)).level == "low"
    assert assess(_data(employees=5000)).level == "medium"


def test_missing_fit_is_flagged() -> None:
    result = assess(_data(fit_score=None))
    assert [f.message for f in result.flags] == ["no fit score"] and result.value == 0
