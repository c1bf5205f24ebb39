"""The research scorer on a hand-made truth and profile, counted by hand."""

from __future__ import annotations

import pytest

from agents.profile import CompanyProfile, Fact, NewsItem, Person
from evals.datasets.companies_schema import CompanyCase
from evals.scorers.research import aggregate, score_profile

SITE = "http://127.0.0.1:9999"


def truth() -> CompanyCase:
    return CompanyCase.model_validate(
        {
            "id": "muster",
            "site": "muster",
            "language": "de",
            "legal_name": {"value": "Muster GmbH", "sources": ["/impressum/"]},
            "register_number": {"value": "HRB 123", "sources": ["/impressum/"]},
            "vat_id": None,
            "directors": [
                {"value": "Dr. Anna Alt", "sources": ["/impressum/"]},
                {"value": "Bernd Bolt", "sources": ["/impressum/"]},
            ],
            "people": [
                {"name": "Anna Alt", "role": "Geschäftsführerin", "email": "anna@muster.example",
                 "sources": ["/team/"]},
                {"name": "Carl Cole", "role": "Vertrieb", "sources": ["/team/"]},
            ],
            "news": [{"title": "Neue Halle eröffnet", "date": "2026-01-02", "sources": ["/news/"]}],
            "emails": ["info@muster.example", "anna@muster.example"],
            "must_not_contain": ["Geheimprojekt"],
            "flags": ["prompt_injection"],
        }
    )


def profile() -> CompanyProfile:
    return CompanyProfile(
        domain="127.0.0.1:9999",
        legal_name="Muster GmbH",
        register_number="HRB123",
        vat_id="DE999999999",
        directors=["Anna Alt"],
        people=[
            Person(name="Anna Alt", role="Geschäftsführerin", email="anna@muster.example", source_url=f"{SITE}/team/"),
            Person(name="Dora Dell", role="CTO", source_url=f"{SITE}/team/"),
        ],
        news=[NewsItem(title="Neue Halle eröffnet", date="2026-01-03", source_url=f"{SITE}/news/")],
        emails=["INFO@muster.example"],
        facts=[
            Fact(kind="legal_name", text="Muster GmbH", source_url=f"{SITE}/impressum/"),
            Fact(kind="register", text="Amtsgericht Musterstadt, HRB 123", source_url=f"{SITE}/impressum/"),
            Fact(kind="director", text="Anna Alt (Geschäftsführer)", source_url=f"{SITE}/kontakt/"),
            Fact(kind="description", text="Unser Geheimprojekt startet bald.", source_url=f"{SITE}/"),
        ],
    )


def test_field_counts_by_hand() -> None:
    score = score_profile(truth(), profile())

    counts = {name: (f.tp, f.fp, f.fn) for name, f in score.fields.items()}
    assert counts == {
        "legal_name": (1, 0, 0),
        "register_number": (1, 0, 0),  # "HRB123" and "HRB 123" are the same number
        "vat_id": (0, 1, 0),  # the truth says there is none
        "directors": (1, 0, 1),  # "Dr. Anna Alt" found as "Anna Alt"; Bernd Bolt missed
        "people": (1, 1, 1),  # Dora Dell is not on the site; Carl Cole missed
        "people.role": (1, 0, 1),
        "people.email": (1, 0, 0),
        "news": (1, 0, 0),
        "news.date": (0, 1, 1),  # wrong date: a false positive and a miss
        "emails": (1, 0, 1),
    }
    assert "location" not in score.fields  # not stated, not scored
    assert score.source_errors == ["directors: Dr. Anna Alt cited /kontakt, stated on /impressum"]
    assert score.forbidden_found == ["Geheimprojekt"]
    assert score.flags_missing == ["prompt_injection"]
    assert not score.perfect


def test_aggregate_metrics_by_hand() -> None:
    metrics, details = aggregate([score_profile(truth(), profile())])

    assert metrics["precision"] == pytest.approx(8 / 11)
    assert metrics["recall"] == pytest.approx(8 / 13)
    assert metrics["f1"] == pytest.approx(2 * (8 / 11) * (8 / 13) / (8 / 11 + 8 / 13))
    assert metrics["directors.recall"] == pytest.approx(0.5)
    assert metrics["vat_id.precision"] == 0.0
    assert metrics["vat_id.recall"] is None  # nothing to find
    # sources checked: legal_name, register_number, directors, people, news; the director is wrong
    assert metrics["source_accuracy"] == pytest.approx(4 / 5)
    assert metrics["forbidden_found"] == 1.0
    assert metrics["flags_recall"] == 0.0
    assert metrics["perfect_profiles"] == 0.0
    assert details["fields"]["people"] == {
        "tp": 1, "fp": 1, "fn": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5, "sources_checked": 1, "sources_ok": 1,
    }


def test_a_perfect_profile() -> None:
    case = CompanyCase.model_validate(
        {"id": "x", "url": "https://x.example/", "language": "en",
         "legal_name": {"value": "X Ltd", "sources": ["/legal"]}, "emails": []}
    )
    good = CompanyProfile(
        domain="x.example", legal_name="X Ltd",
        facts=[Fact(kind="legal_name", text="X Ltd", source_url="https://x.example/legal/")],
    )

    score = score_profile(case, good)
    metrics, _ = aggregate([score])

    assert score.perfect
    assert metrics["precision"] == metrics["recall"] == metrics["source_accuracy"] == 1.0


def test_a_value_without_a_cited_source_is_a_source_error() -> None:
    case = CompanyCase.model_validate(
        {"id": "x", "url": "https://x.example/", "language": "en", "legal_name": {"value": "X Ltd", "sources": ["/"]}}
    )

    score = score_profile(case, CompanyProfile(domain="x.example", legal_name="X Ltd"))

    assert score.fields["legal_name"].tp == 1
    assert score.source_errors == ["legal_name: X Ltd cited no source, stated on /"]
