"""Settings: environment, masking, data dir errors, and the README table staying true."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.settings import Settings, SettingsError, load_settings
from tools.settings_doc import settings_table

README = Path(__file__).parents[2] / "README.md"


def test_env_prefix_and_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OUTREACH_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("OUTREACH_URL_ALLOWLIST", '["127.0.0.1"]')
    settings = load_settings(data_dir=tmp_path)
    assert settings.llm_api_key is not None and settings.llm_api_key.get_secret_value() == "sk-secret"
    assert settings.url_allowlist == ["127.0.0.1"]
    assert "sk-secret" not in str(settings.masked())
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'outreach.db').resolve()}"


def test_dotenv_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = tmp_path / "x.env"
    env.write_text("OUTREACH_DAILY_SEND_CAP=12\n")
    monkeypatch.setenv("OUTREACH_ENV_FILE", str(env))
    assert load_settings().daily_send_cap == 12


def test_invalid_value_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTREACH_DAILY_SEND_CAP", "-3")
    with pytest.raises(ValueError, match="daily_send_cap"):
        load_settings()


def test_postgres_detection() -> None:
    assert Settings(database_url="postgresql+psycopg://u:p@h/db").is_postgres
    assert not Settings().is_postgres


def test_unusable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "f"
    blocker.write_text("")
    with pytest.raises(SettingsError, match="not writable"):
        Settings(data_dir=blocker / "sub").ensure_data_dir()


def test_readme_configuration_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert settings_table() in text, "README is stale: run `python -m tools.settings_doc` and paste the table"
