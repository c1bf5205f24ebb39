"""The classification scorer on tiny examples computed by hand."""

from __future__ import annotations

import pytest

from evals.scorers.classification import ABSTAIN, score_classification


def test_accuracy_macro_f1_and_confusion_by_hand() -> None:
    # truth a a b b c / predicted a b b (none) c
    score = score_classification(["a", "a", "b", "b", "c"], ["a", "b", "b", None, "c"])

    assert score.accuracy == pytest.approx(3 / 5)
    assert score.coverage == pytest.approx(4 / 5)
    a, b, c = (score.per_label[x] for x in "abc")
    assert (a.precision, a.recall, a.f1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert (b.precision, b.recall, b.f1) == pytest.approx((0.5, 0.5, 0.5))
    assert (c.precision, c.recall, c.f1) == pytest.approx((1.0, 1.0, 1.0))
    assert score.macro_f1 == pytest.approx((2 / 3 + 0.5 + 1.0) / 3)
    details = score.details()
    assert details["confusion"]["columns"] == ["a", "b", "c", ABSTAIN]
    assert details["confusion"]["matrix"] == [[1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 1, 0]]
    assert details["abstained"] == 1


def test_unsubscribe_and_bounce_recall_are_reported_separately() -> None:
    expected = ["unsubscribe", "unsubscribe", "bounce", "interested"]
    predicted = ["unsubscribe", "interested", None, "interested"]

    metrics = score_classification(expected, predicted).metrics()

    assert metrics["unsubscribe_recall"] == pytest.approx(0.5)
    assert metrics["bounce_recall"] == pytest.approx(0.0)
    assert metrics["accuracy"] == pytest.approx(0.5)
    # unsubscribe P=1 R=.5; bounce never predicted P=0 R=0; interested P=.5 R=1
    assert metrics["macro_f1"] == pytest.approx((2 / 3 + 0.0 + 2 / 3) / 3)


def test_a_label_absent_from_the_truth_has_no_recall() -> None:
    metrics = score_classification(["interested"], ["interested"]).metrics()

    assert metrics["unsubscribe_recall"] is None
    assert metrics["accuracy"] == 1.0


def test_label_order_follows_the_given_labels() -> None:
    score = score_classification(["b", "a"], ["b", "a"], labels=["b", "a", "z"])

    assert score.labels == ["b", "a"]  # labels that never occur are left out of the matrix


def test_mismatched_lengths_are_an_error() -> None:
    with pytest.raises(ValueError, match="2 expected labels but 1 predictions"):
        score_classification(["a", "b"], ["a"])
