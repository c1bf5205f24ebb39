"""Measure the reply classifier: model selection by CV on train, then the cascade on the test split.

    .venv/bin/python benchmarks/reply_classifier.py            # rules + trained model (seconds)
    .venv/bin/python benchmarks/reply_classifier.py --embedded # + the embedded LLM on unsure replies (minutes)

Figures printed here are the ones quoted in docs/replies.md and the test floors.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score
from sklearn.model_selection import StratifiedKFold

from agents.classifier_model import CONFIDENCE_THRESHOLD, ReplyModel, default_model
from agents.classifier_rules import apply_rules
from agents.nodes.reply_classifier import CascadeConfig, classify_reply
from agents.reply_fields import extract_fields
from agents.reply_types import ReplyClassificationResult, ReplyLabel, Stage
from evals.datasets.schema import ReplyExample, load_replies, summary

FIELDS = ("return_date", "later_date", "meeting_time", "referred_email", "referred_name", "bounce_kind")


def cross_validate(train: list[ReplyExample]) -> None:
    """5-fold CV of the model on the train split: accuracy and precision/coverage per threshold."""
    labels = np.array([r.label.value for r in train])
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    predicted, confidence = np.empty(len(train), dtype=object), np.zeros(len(train))
    for fit_index, eval_index in folds.split(np.zeros(len(train)), labels):
        model = ReplyModel.train([train[i].to_input() for i in fit_index], [train[i].label for i in fit_index])
        for i, p in zip(eval_index, model.predict_many([train[i].to_input() for i in eval_index]), strict=True):
            predicted[i], confidence[i] = p.label.value, p.confidence
    print(f"5-fold CV on train ({len(train)} rows): accuracy {accuracy_score(labels, predicted):.3f}, "
          f"macro-F1 {f1_score(labels, predicted, average='macro'):.3f}")
    for threshold in (0.4, 0.5, 0.6):
        sure = confidence >= threshold
        right = np.mean(predicted[sure] == labels[sure])
        print(f"  threshold {threshold}: {sure.mean():.0%} decided, {right:.3f} right")


def timing(train: list[ReplyExample], test: list[ReplyExample]) -> None:
    replies, labels = [r.to_input() for r in train], [r.label for r in train]
    fits = []
    for _ in range(5):
        started = time.perf_counter()
        ReplyModel.train(replies, labels)
        fits.append(time.perf_counter() - started)
    print(f"training on {len(train)} rows: median {statistics.median(fits):.2f} s (min {min(fits):.2f} s)")

    async def run() -> float:
        started = time.perf_counter()
        for row in test:
            await classify_reply(row.to_input())
        return (time.perf_counter() - started) / len(test)

    print(f"cascade without LLM: {1000 * asyncio.run(run()):.1f} ms per reply (incl. field extraction)")


def report(test: list[ReplyExample], results: list[ReplyClassificationResult], title: str) -> None:
    gold = [r.label.value for r in test]
    guess = [x.label.value for x in results]
    names = [label.value for label in ReplyLabel]
    recalls = recall_score(gold, guess, labels=names, average=None, zero_division=0)
    print(f"\n{title} — test split ({len(test)} rows)")
    print(f"  accuracy {accuracy_score(gold, guess):.3f}, macro-F1 {f1_score(gold, guess, average='macro'):.3f}")
    print("  recall: " + ", ".join(f"{n} {r:.2f}" for n, r in zip(names, recalls, strict=True)))
    stages = Counter(x.stage.value for x in results)
    decided = [(g, x.label.value) for g, x in zip(gold, results, strict=True) if x.stage is not Stage.human]
    right = sum(g == p for g, p in decided)
    print(f"  stages {dict(stages)}; decided without a human {len(decided)}/{len(test)} "
          f"({len(decided) / len(test):.0%}), of which right {right / max(len(decided), 1):.3f}")
    print("  confusion (rows gold, columns predicted; order: " + ", ".join(names) + ")")
    for name, row in zip(names, confusion_matrix(gold, guess, labels=names), strict=True):
        print(f"    {name:15s} " + " ".join(f"{v:3d}" for v in row))


def field_accuracy(rows: list[ReplyExample]) -> None:
    """Extraction against the gold fields for the gold label (all rows: the rules were written with them)."""
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for row in rows:
        reply = row.to_input()
        sent = reply.sent_at
        assert sent is not None
        found = extract_fields(row.label, reply, today=sent.date())
        for name in FIELDS:
            expected = getattr(row.fields, name)
            if expected is not None:
                totals[name] += 1
                hits[name] += str(getattr(found, name)) == str(expected)
    print("\nfield extraction (gold label, all rows): " + ", ".join(f"{n} {hits[n]}/{totals[n]}" for n in FIELDS))


async def embedded_stage(test: list[ReplyExample], results: list[ReplyClassificationResult]) -> None:
    """Run the embedded model on the replies the cascade hands to a human: does it help?"""
    from agents.llm_local import LocalLLM

    unsure = [(row, r) for row, r in zip(test, results, strict=True) if r.stage is Stage.human]
    llm = LocalLLM(n_threads=2)
    config = CascadeConfig(llm_policy="always", llm_threshold=0.0)
    started = time.perf_counter()
    answered = [await classify_reply(row.to_input(), llm=llm, config=config) for row, _ in unsure]
    seconds = (time.perf_counter() - started) / max(len(unsure), 1)
    model_right = sum(row.label is r.label for row, r in unsure)
    llm_right = sum(row.label is a.label for (row, _), a in zip(unsure, answered, strict=True))
    print(f"\nembedded LLM ({llm.model_name}) on the {len(unsure)} replies the model was unsure about:")
    print(f"  trained model's guess right {model_right}/{len(unsure)}, embedded LLM right {llm_right}/{len(unsure)}, "
          f"{seconds:.2f} s per reply; labels given: {dict(Counter(a.label.value for a in answered))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--embedded", action="store_true", help="also try the embedded LLM as stage 3")
    args = parser.parse_args()
    rows = load_replies()
    train, test = [r for r in rows if r.split == "train"], [r for r in rows if r.split == "test"]
    print(f"dataset: {summary(rows)}")
    cross_validate(train)
    timing(train, test)
    model = default_model()
    model_only = model.predict_many([r.to_input() for r in test])
    print(f"\ntrained model alone (threshold {CONFIDENCE_THRESHOLD}): accuracy "
          f"{accuracy_score([r.label for r in test], [p.label for p in model_only]):.3f}")
    rule_hits = [(r, v) for r in test if (v := apply_rules(r.to_input())) is not None and v.label is not None]
    print(f"rules alone: decide {len(rule_hits)}/{len(test)}, right {sum(r.label is v.label for r, v in rule_hits)}")
    results = [asyncio.run(classify_reply(r.to_input())) for r in test]
    report(test, results, "cascade: rules + trained model (unsure → human, provisional label counted)")
    field_accuracy(rows)
    if args.embedded:
        asyncio.run(embedded_stage(test, results))


if __name__ == "__main__":
    main()
