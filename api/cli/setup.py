"""`outreach init` and `outreach config show`."""

from __future__ import annotations

import typer
from rich.table import Table

from api.cli.common import JsonOption, console, get_settings, open_store, print_json
from tools.crm.db import table_names


def init(json_output: bool = JsonOption) -> None:
    """Create the data directory and the database schema (safe to run again)."""
    settings = get_settings()
    engine = open_store(settings)
    tables = table_names(engine)
    engine.dispose()
    info = {
        "data_dir": str(settings.data_dir.resolve()),
        "database": settings.masked()["effective_database_url"],
        "tables": len(tables),
    }
    if json_output:
        print_json(info)
        return
    console.print(f"[green]ready[/] data dir {info['data_dir']} · database {info['database']} · {len(tables)} tables")


def config_show(json_output: bool = JsonOption) -> None:
    """Print the effective configuration (secrets masked)."""
    data = get_settings().masked()
    if json_output:
        print_json(data)
        return
    table = Table("setting", "value", title="effective configuration")
    for key, value in data.items():
        table.add_row(f"OUTREACH_{key.upper()}" if key != "effective_database_url" else "(database in use)", str(value))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the setup commands."""
    app.command("init")(init)
    config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
    config_app.command("show")(config_show)
    app.add_typer(config_app, name="config")
