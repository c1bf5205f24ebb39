"""Shared pieces of the CLI: settings, store access, JSON output and one-line failures."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tools.crm.db import DatabaseError, make_engine, session_scope, upgrade_schema
from tools.settings import Settings, SettingsError, load_settings

console = Console()
err_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


class CLIError(Exception):
    """An expected failure that the CLI reports as one line and a non-zero exit."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line to stderr and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def get_settings() -> Settings:
    """Settings from the environment, or a one-line failure."""
    try:
        return load_settings()
    except (ValueError, SettingsError) as exc:
        fail(f"invalid configuration: {exc}")


def open_store(settings: Settings) -> Engine:
    """Create the data dir, connect and upgrade the schema; fail with one line if impossible."""
    try:
        if not settings.is_postgres:
            settings.ensure_data_dir()
        engine = make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
        upgrade_schema(engine)
    except (SettingsError, DatabaseError) as exc:
        fail(str(exc))
    return engine


@contextmanager
def store_session() -> Iterator[tuple[Settings, Session]]:
    """Settings and a committed-on-success session for one CLI command."""
    settings = get_settings()
    engine = open_store(settings)
    try:
        with session_scope(engine) as session:
            yield settings, session
    finally:
        engine.dispose()


def print_json(data: Any) -> None:
    """Write JSON to stdout (dates and UUIDs as strings)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
