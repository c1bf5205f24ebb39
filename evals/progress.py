"""Progress reporting of a run: a tiny protocol, a silent default and a Rich progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Advance = Callable[[], None]


class ProgressSink(Protocol):
    """Something that shows how far each variant got."""

    def task(self, description: str, total: int) -> Advance:
        """Start a task of ``total`` steps; call the returned function after each step."""
        ...


class NullProgress:
    """Shows nothing (library use, ``--json`` output, tests)."""

    def task(self, description: str, total: int) -> Advance:
        """A task nobody sees."""
        return lambda: None


class RichProgress:
    """One Rich progress bar per variant."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    def task(self, description: str, total: int) -> Advance:
        """A new bar; the returned function advances it by one."""
        task_id = self._progress.add_task(description, total=total)
        return lambda: self._progress.advance(task_id)


@contextmanager
def rich_progress(console: Console) -> Iterator[RichProgress]:
    """Rich progress bars on ``console`` while the block runs."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield RichProgress(progress)
