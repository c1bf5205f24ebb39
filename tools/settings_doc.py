"""Render the configuration table of the README from the Settings class (keeps the docs true)."""

from __future__ import annotations

from pydantic import SecretStr

from tools.settings import Settings


def settings_table() -> str:
    """A Markdown table: environment variable, default, meaning — one row per setting."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        shown = "(secret)" if isinstance(default, SecretStr) else ("" if default is None else str(default))
        meaning = (field.description or "").replace("|", "\\|")
        lines.append(f"| `OUTREACH_{name.upper()}` | `{shown}` | {meaning} |" if shown else
                     f"| `OUTREACH_{name.upper()}` | | {meaning} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_table())
