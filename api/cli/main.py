"""Root of the ``outreach`` CLI; command modules in ``api.cli`` register themselves."""

from __future__ import annotations

import importlib
import pkgutil

import typer

import api.cli as cli_package

app = typer.Typer(
    name="outreach",
    help="B2B outreach agents: find, research, draft, approve, send, read replies, escalate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_SKIP = {"main", "common"}


def _register_all() -> None:
    for module_info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda m: m.name):
        if module_info.name in _SKIP or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"api.cli.{module_info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
