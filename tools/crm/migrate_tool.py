"""Developer helper: regenerate the baseline migration from the models (pre-1.0 only).

``python -m tools.crm.migrate_tool`` writes ``versions/0001_baseline.py`` by autogenerating
against an empty SQLite database. After the first release, add new revisions instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from tools.crm.db import MIGRATIONS_DIR, alembic_config, make_engine


def regenerate_baseline() -> Path:
    """Rewrite the baseline migration so it matches the current models."""
    versions = MIGRATIONS_DIR / "versions"
    for old in versions.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/baseline.db")
        command.revision(
            alembic_config(engine), message="baseline", autogenerate=True, rev_id="0001"
        )
        engine.dispose()
    (path,) = versions.glob("0001_*.py")
    return path


if __name__ == "__main__":
    print(regenerate_baseline())
