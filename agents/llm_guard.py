"""The switch that makes any real model call in the test suite an error.

``tests/conftest.py`` sets ``OUTREACH_FORBID_REAL_MODELS=1`` for every test; real clients
(``OpenAICompatibleLLM``, ``LocalLLM``) call :func:`ensure_real_models_allowed` before each
request. A test that means to call a real model requests the ``allow_real_models`` fixture
(``tests/agents/conftest.py``), which clears the variable for that test only.
"""

from __future__ import annotations

import os

from agents.llm import RealModelCallForbidden

FORBID_REAL_MODELS_ENV = "OUTREACH_FORBID_REAL_MODELS"
_TRUE = {"1", "true", "yes", "on"}


def real_models_forbidden() -> bool:
    """True while the forbid switch is set in the environment."""
    return os.environ.get(FORBID_REAL_MODELS_ENV, "").strip().lower() in _TRUE


def ensure_real_models_allowed(client: str) -> None:
    """Raise RealModelCallForbidden if real model calls are switched off."""
    if real_models_forbidden():
        raise RealModelCallForbidden(
            f"{client} was called while {FORBID_REAL_MODELS_ENV} is set: use agents.testing.ScriptedLLM, "
            "or request the allow_real_models fixture in a test that needs the real model"
        )
