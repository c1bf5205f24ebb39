"""The writer with the embedded model (SmolLM2-135M): auto drafts with the template, a forced
llm draft is caught by the guardrails and flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.llm_local import LocalLLM
from agents.nodes.writer import draft_email, is_capable
from agents.writer_types import DraftRequest


async def test_auto_with_the_embedded_model_drafts_a_full_mail_with_the_template(
    bundled_model: Path, request_de: DraftRequest
) -> None:
    local = LocalLLM(bundled_model)
    assert not is_capable(local)
    result = await draft_email(request_de, llm=local)  # real model calls stay forbidden: none is made
    assert result.strategy == "template" and "embedded model" in result.strategy_reason
    assert result.body.startswith("Sehr geehrte Frau Schmidt,\n\nin Ihren Neuigkeiten vom 12.03.2024")
    assert "Registergericht: Amtsgericht Charlottenburg" in result.body
    assert not result.flagged


@pytest.mark.slow
async def test_forced_llm_with_the_embedded_model_is_caught_and_flagged(
    bundled_model: Path, request_de: DraftRequest, allow_real_models: None
) -> None:
    local = LocalLLM(bundled_model)
    result = await draft_email(request_de, llm=local, strategy="llm")
    assert result.flagged and result.flagged_reasons
    model_attempts = [a for a in result.attempts if a.strategy == "llm"]
    assert model_attempts and all(a.failures for a in model_attempts)  # nothing the model wrote passed
    if result.strategy == "llm":
        # its own draft went through both repair rounds and still failed the guardrails
        assert result.repair_rounds == 2 and len(result.attempts) == 3
    else:
        # an answer did not even fit the schema: the template drafted instead, and says so
        assert result.flagged_reasons[0].startswith("writer: the model's answer did not fit")
