"""The forbid switch: real model calls in tests fail unless a test opts in."""

from __future__ import annotations

import os

import pytest

from agents.llm import RealModelCallForbidden
from agents.llm_guard import FORBID_REAL_MODELS_ENV, ensure_real_models_allowed, real_models_forbidden


def test_the_suite_forbids_real_models_by_default() -> None:
    assert os.environ[FORBID_REAL_MODELS_ENV] == "1"
    assert real_models_forbidden()
    with pytest.raises(RealModelCallForbidden, match="SomeClient"):
        ensure_real_models_allowed("SomeClient")


@pytest.mark.usefixtures("allow_real_models")
def test_the_fixture_opts_in() -> None:
    assert not real_models_forbidden()
    ensure_real_models_allowed("SomeClient")


@pytest.mark.parametrize("value", ["0", "", "false", "no"])
def test_only_true_values_forbid(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FORBID_REAL_MODELS_ENV, value)
    assert not real_models_forbidden()
