"""The embedded SmolLM2-135M as stage 3 of the cascade (slow: loads the real model).

It runs and always answers a valid label through the schema-constrained enum; whether it
*helps* is measured by ``benchmarks/reply_classifier.py --embedded`` (it does not, which is
why ``llm_policy="auto"`` skips it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.llm_local import LocalLLM
from agents.nodes.reply_classifier import CascadeConfig, classify_reply
from agents.reply_types import ReplyInput, ReplyLabel, Stage
from evals.datasets.schema import load_replies


@pytest.mark.slow
@pytest.mark.usefixtures("allow_real_models")
async def test_embedded_model_answers_the_label_enum(bundled_model: Path) -> None:
    llm = LocalLLM(bundled_model, n_threads=1)
    forced = CascadeConfig(model_threshold=1.01, automatic_threshold=1.01, llm_policy="always", llm_threshold=0.0)
    rows = [r for r in load_replies(split="test") if r.label in {ReplyLabel.interested, ReplyLabel.question}][:2]
    for row in rows:
        result = await classify_reply(row.to_input(), llm=llm, config=forced)
        assert result.stage is Stage.llm and result.label in set(ReplyLabel)
        assert 0.0 <= result.confidence <= 1.0
    automatic = ReplyInput.build(subject="Automatische Antwort: Angebot", body="Ich bin bis 20.3. nicht im Büro.",
                                 headers={"From": "a@kunde.example", "Auto-Submitted": "auto-replied"})
    result = await classify_reply(automatic, llm=llm, config=forced)
    assert result.label in {ReplyLabel.out_of_office, ReplyLabel.auto_reply}  # never outside the allowed pair
    skipped = await classify_reply(rows[0].to_input(), llm=llm, config=CascadeConfig(model_threshold=1.01))
    assert skipped.stage is Stage.human  # the default policy does not ask the embedded model
