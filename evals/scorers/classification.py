"""Classification scorer: accuracy, macro-F1, per-label precision/recall and the confusion matrix.

A prediction of ``None`` is an abstention (e.g. the rules stage alone finds nothing to
say): it counts as wrong for accuracy and as a miss of the true label, but as no label's
false positive. Precision of a label nobody predicted is 0 (scikit-learn's
``zero_division=0``); macro-F1 averages over the labels that occur in the truth or the
predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

ABSTAIN = "(none)"
# Labels whose recall is reported on its own: missing one of these has legal or
# deliverability consequences (mailing someone who objected; mailing a dead address).
CRITICAL_LABELS = ("unsubscribe", "bounce")


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall and F1 of one label."""

    label: str
    support: int
    predicted: int
    tp: int

    @property
    def precision(self) -> float:
        """tp / predicted (0 when never predicted)."""
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """tp / support (0 when the label never occurs)."""
        return self.tp / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when both are 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class ClassificationScore:
    """Everything the scorer computed for one set of predictions."""

    total: int
    correct: int
    abstained: int
    labels: list[str]
    per_label: dict[str, LabelScore] = field(default_factory=dict)
    confusion: list[list[int]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of predictions equal to the truth (abstentions are wrong)."""
        return self.correct / self.total if self.total else 0.0

    @property
    def macro_f1(self) -> float:
        """Unweighted mean F1 over the labels."""
        scores = [self.per_label[label].f1 for label in self.labels]
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def coverage(self) -> float:
        """Share of cases that got a label at all."""
        return (self.total - self.abstained) / self.total if self.total else 0.0

    def recall_of(self, label: str) -> float | None:
        """Recall of ``label``; None when it never occurs in the truth."""
        score = self.per_label.get(label)
        return score.recall if score is not None and score.support else None

    def metrics(self) -> dict[str, float | None]:
        """The flat metrics a report and the regression gate use."""
        out: dict[str, float | None] = {"accuracy": self.accuracy, "macro_f1": self.macro_f1}
        for label in CRITICAL_LABELS:
            out[f"{label}_recall"] = self.recall_of(label)
        out["coverage"] = self.coverage
        return out

    def details(self) -> dict[str, Any]:
        """Per-label scores and the confusion matrix (rows: truth, columns: prediction)."""
        return {
            "per_label": {
                label: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                    "predicted": s.predicted,
                }
                for label, s in self.per_label.items()
            },
            "confusion": {
                "labels": self.labels,
                "columns": [*self.labels, ABSTAIN],
                "matrix": self.confusion,
            },
            "abstained": self.abstained,
        }


def score_classification(
    expected: Sequence[str], predicted: Sequence[str | None], *, labels: Sequence[str] | None = None
) -> ClassificationScore:
    """Score ``predicted`` against ``expected`` (same order).

    ``labels`` fixes the label order of the matrix (default: sorted labels seen); labels
    outside it that occur are appended.
    """
    if len(expected) != len(predicted):
        raise ValueError(f"{len(expected)} expected labels but {len(predicted)} predictions")
    seen = {*expected, *(p for p in predicted if p is not None)}
    order = list(labels) if labels is not None else sorted(seen)
    order += sorted(seen - set(order))
    present = [label for label in order if label in seen]
    index = {label: i for i, label in enumerate(present)}
    matrix = [[0] * (len(present) + 1) for _ in present]
    for want, got in zip(expected, predicted, strict=True):
        matrix[index[want]][index[got] if got is not None else len(present)] += 1
    per_label = {
        label: LabelScore(
            label=label,
            support=sum(matrix[i]),
            predicted=sum(row[i] for row in matrix),
            tp=matrix[i][i],
        )
        for label, i in index.items()
    }
    return ClassificationScore(
        total=len(expected),
        correct=sum(1 for want, got in zip(expected, predicted, strict=True) if want == got),
        abstained=sum(1 for got in predicted if got is None),
        labels=present,
        per_label=per_label,
        confusion=matrix,
    )
