"""Charts for the HTML report, drawn with matplotlib's Agg backend and returned as PNG data URIs.

Figures are built with the object API (``matplotlib.figure.Figure``), never ``pyplot``: no
global state, no GUI backend, safe in any process.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from io import BytesIO

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _data_uri(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    limit: tuple[float, float] | None = (0.0, 1.0),
) -> str:
    """Grouped bars: one group per category, one bar per series (None drawn as missing)."""
    width = max(6.0, 0.5 * len(categories) * max(1, len(series)) + 2)
    figure = Figure(figsize=(min(width, 16.0), 3.6))
    axes = figure.add_subplot()
    count = max(1, len(series))
    bar = 0.8 / count
    for index, (name, values) in enumerate(series.items()):
        xs = [i + (index - (count - 1) / 2) * bar for i in range(len(categories))]
        heights = [v if v is not None else 0.0 for v in values]
        bars = axes.bar(xs, heights, width=bar, label=name)
        for rect, value in zip(bars, values, strict=True):
            if value is None:
                rect.set_hatch("//")
                rect.set_alpha(0.2)
    axes.set_xticks(range(len(categories)), list(categories), rotation=30, ha="right")
    if limit is not None:
        axes.set_ylim(*limit)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    if len(series) > 1:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _data_uri(figure)


def heatmap(title: str, rows: Sequence[str], columns: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """A confusion-matrix heat map with the counts written in the cells."""
    size = max(4.0, 0.55 * max(len(rows), len(columns)) + 2)
    figure = Figure(figsize=(size + 1, size))
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    peak = max((max(row) for row in matrix if row), default=0)
    for r, row in enumerate(matrix):
        for c, value in enumerate(row):
            if value:
                colour = "white" if value > peak / 2 else "black"
                axes.text(c, r, str(value), ha="center", va="center", color=colour, fontsize=8)
    axes.set_xticks(range(len(columns)), list(columns), rotation=45, ha="right", fontsize=8)
    axes.set_yticks(range(len(rows)), list(rows), fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("expected")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    return _data_uri(figure)
