"""Stage 2 of the reply cascade: a small text classifier trained on the labelled replies.

TF-IDF over words (1-2-grams) and characters (2-5-grams, which carry German compounds and
typos), then a linear SVM with sigmoid calibration (3-fold) for probabilities. It is
trained in-process from the packaged train split on first use (1.2–1.5 s on two busy cores)
and kept in memory: no pickle can break across scikit-learn versions. Fitting is
deterministic: liblinear with a fixed ``random_state`` and unshuffled calibration folds.

Hyper-parameters were chosen by 5-fold cross-validation on the train split only (see
``benchmarks/reply_classifier.py``); the test split is for reporting, never for tuning.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

from agents.reply_types import ReplyInput, ReplyLabel, strip_subject_prefix

RANDOM_STATE = 0
# Below this probability the model is "unsure" and the LLM (then a human) is asked.
# 5-fold CV on the train split: 95 % of predictions at or above 0.5 are right, 70 % reach it.
CONFIDENCE_THRESHOLD = 0.5

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_DIGIT = re.compile(r"\d")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|wg|fw|fwd|antw|sv|vs)\s*(\[\d+\])?\s*:", re.IGNORECASE)


class ModelError(RuntimeError):
    """The classifier cannot be trained (too little or one-sided data)."""


def model_text(reply: ReplyInput) -> str:
    """The text the model reads.

    The subject counts only when the sender wrote it: "Re: <our subject>" is our own words.
    Addresses, links and digits are masked so the model learns that a reply *has* an
    address (a referral) rather than which one.
    """
    subject = "" if _REPLY_PREFIX.match(reply.subject) else strip_subject_prefix(reply.subject)
    text = f"{subject}\n{reply.text or reply.body}"
    text = _URL.sub(" urladdr ", text)
    text = _EMAIL.sub(" emailaddr ", text)
    return _DIGIT.sub("0", text)


@dataclass(frozen=True)
class ModelPrediction:
    """The most likely label among the allowed ones, and every label's probability."""

    label: ReplyLabel
    confidence: float
    scores: dict[str, float]


def _pipeline() -> Pipeline:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    classifier = CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced", random_state=RANDOM_STATE), cv=3)
    return make_pipeline(features, classifier)


class ReplyModel:
    """A fitted classifier over ``ReplyLabel``."""

    def __init__(self, pipeline: Pipeline, *, train_seconds: float, train_rows: int) -> None:
        self._pipeline = pipeline
        self._labels = [ReplyLabel(str(name)) for name in pipeline.classes_]
        self.train_seconds = train_seconds
        self.train_rows = train_rows

    @classmethod
    def train(cls, replies: Sequence[ReplyInput], labels: Sequence[ReplyLabel]) -> ReplyModel:
        """Fit on labelled replies; needs at least 3 examples of each of at least 2 labels."""
        if len(replies) != len(labels):
            raise ModelError(f"{len(replies)} replies but {len(labels)} labels")
        counts = {label: labels.count(label) for label in set(labels)}
        if len(counts) < 2 or min(counts.values()) < 3:
            raise ModelError(f"need at least 3 examples of at least 2 labels, got {counts}")
        started = time.perf_counter()
        pipeline = _pipeline()
        pipeline.fit([model_text(reply) for reply in replies], [label.value for label in labels])
        return cls(pipeline, train_seconds=time.perf_counter() - started, train_rows=len(replies))

    @property
    def labels(self) -> list[ReplyLabel]:
        """The labels the model knows."""
        return list(self._labels)

    def predict_many(
        self, replies: Sequence[ReplyInput], *, allowed: Collection[ReplyLabel] | None = None
    ) -> list[ModelPrediction]:
        """Predictions for many replies; ``allowed`` restricts (and renormalises) the labels."""
        if not replies:
            return []
        probabilities = self._pipeline.predict_proba([model_text(reply) for reply in replies])
        mask = np.array([allowed is None or label in allowed for label in self._labels], dtype=bool)
        if not mask.any():
            raise ModelError(f"none of the allowed labels {sorted(allowed or [])} is known to the model")
        predictions = []
        for row in probabilities:
            kept = np.where(mask, row, 0.0)
            total = float(kept.sum())
            if total > 0:
                kept = kept / total
            best = int(np.argmax(kept))
            scores = {label.value: round(float(p), 4) for label, p in zip(self._labels, row, strict=True)}
            predictions.append(ModelPrediction(self._labels[best], float(kept[best]), scores))
        return predictions

    def predict(self, reply: ReplyInput, *, allowed: Collection[ReplyLabel] | None = None) -> ModelPrediction:
        """The prediction for one reply."""
        return self.predict_many([reply], allowed=allowed)[0]


_default: ReplyModel | None = None
_default_lock = threading.Lock()


def default_model() -> ReplyModel:
    """The model trained on the packaged train split, built once per process on first use."""
    global _default
    with _default_lock:
        if _default is None:
            from evals.datasets.schema import load_replies  # the packaged data, read lazily

            rows = load_replies(split="train")
            _default = ReplyModel.train([row.to_input() for row in rows], [row.label for row in rows])
        return _default
