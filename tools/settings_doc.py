"""Render the configuration table of the README from the Settings class (keeps the docs true)."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import SecretStr

from tools.settings import Settings


def settings_table() -> str:
    """A Markdown table: environment variable, default, meaning — one row per setting."""
    lines = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        shown = "(secret)" if isinstance(default, SecretStr) else ("" if default is None else str(default))
        extra = field.json_schema_extra
        if isinstance(extra, dict) and "doc_default" in extra:
            shown = str(extra["doc_default"])  # machine-dependent defaults are described, not shown
        meaning = (field.description or "").replace("|", "\\|")
        lines.append(f"| `OUTREACH_{name.upper()}` | `{shown}` | {meaning} |" if shown else
                     f"| `OUTREACH_{name.upper()}` | | {meaning} |")
    return "\n".join(lines)


START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def write_table(readme: Path) -> None:
    """Replace the table between the README's settings-table markers."""
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{START}\n{settings_table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write_table(Path(sys.argv[2] if len(sys.argv) > 2 else "README.md"))
    else:
        print(settings_table())
