"""What every plot shares: new axes when none are given, the figure of some axes, readable log axes."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from .style import MAX_FIGURE_WIDTH


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (6, 4)) -> Axes:
    """``ax`` itself, or the axes of a new figure of ``figsize``."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _grid_axes(count: int, columns: int, axes: Sequence[Axes] | None, size: float = 2.0) -> list[Axes]:
    if axes is not None:
        return list(axes)
    rows = -(-count // columns)
    size = min(size, MAX_FIGURE_WIDTH / columns)  # a wide grid gets smaller panels, not a wider figure
    _, grid = plt.subplots(rows, columns, figsize=(size * columns, size * rows), squeeze=False, layout="constrained")
    return list(grid.flat)


def figure_of(axes: Axes | Sequence[Axes]) -> Figure:
    """The figure that holds ``axes``."""
    first = axes if isinstance(axes, Axes) else list(axes)[0]
    return first.figure


def compact_number(value: float) -> str:
    """1790 -> '1.79k', 2359808 -> '2.36M', 0.024 -> '0.024', 1e15 -> '1e+15': short labels over many decades."""
    if abs(value) >= 1e12:  # beyond the suffixes people read at a glance: powers of ten
        return f"{value:.0e}"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


class _ReadableLogLocator(LogLocator):
    """Ticks at 1, 2 and 5 times each power of ten over a short view, at the powers alone over many decades."""

    def tick_values(self, vmin: float, vmax: float):
        low, high = sorted(abs(v) for v in (vmin, vmax))
        self.set_params(subs=(1.0,) if low > 0 and high / low > 1e3 else (1.0, 2.0, 5.0))
        return super().tick_values(vmin, vmax)


def log_scale(ax: Axes, axis: str = "y") -> Axes:
    """A log scale labelled in plain, short numbers, as many as the visible range allows to read."""
    getattr(ax, f"set_{axis}scale")("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(_ReadableLogLocator())
    target.set_major_formatter(FuncFormatter(lambda value, _: compact_number(value)))
    target.set_minor_locator(NullLocator())
    return ax
