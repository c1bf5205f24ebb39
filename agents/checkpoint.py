"""The LangGraph checkpointer: SQLite next to the store by default, PostgreSQL when the store is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import make_url

from tools.settings import Settings


def checkpoint_target(settings: Settings) -> tuple[str, str]:
    """("sqlite", path) or ("postgres", libpq conninfo) for the configured store."""
    if settings.is_postgres:
        url = make_url(settings.effective_database_url).set(drivername="postgresql")
        return "postgres", url.render_as_string(hide_password=False)
    return "sqlite", str((settings.data_dir / "checkpoints.db").resolve())


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """An async checkpointer for the lifetime of the block (tables created on first use)."""
    kind, target = checkpoint_target(settings)
    if kind == "postgres":
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(target) as saver:
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(target) as saver:
        await saver.setup()
        yield saver
