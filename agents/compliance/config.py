"""The compliance rules' settings: part of the one ``tools.settings.Settings`` class.

``ComplianceSettings`` is kept as a name for the settings the compliance modules read
(lawful-basis table, warm-up ramp, spacing jitter, holidays); it *is* ``Settings``. The
lawful-basis table is a plain dict so a deployment can tighten or loosen it per country
without code: ``OUTREACH_LAWFUL_BASIS_POLICY='{"DE": ["consent"], "CH": ["consent", "existing_customer"]}'``.
"""

from __future__ import annotations

from tools.settings import DEFAULT_COUNTRY_KEY, STRICT_BASES, Settings, load_settings

ComplianceSettings = Settings

__all__ = ["DEFAULT_COUNTRY_KEY", "STRICT_BASES", "ComplianceSettings", "load_compliance_settings"]


def load_compliance_settings() -> Settings:
    """The settings from the environment (and ``.env``)."""
    return load_settings()
