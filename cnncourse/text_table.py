"""Tables as text, for what a notebook prints: a label column, then columns of numbers aligned on the right."""

from __future__ import annotations

from typing import Sequence


def text_table(corner: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]], *,
               label_width: int, column_width: int) -> str:
    """``rows`` of (label, cells) under ``columns``: labels left-aligned in ``label_width`` characters (``corner``
    above them), cells and column names right-aligned in ``column_width`` each."""
    lines = [corner.ljust(label_width) + "".join(column.rjust(column_width) for column in columns)]
    lines += [label.ljust(label_width) + "".join(cell.rjust(column_width) for cell in cells) for label, cells in rows]
    return "\n".join(lines)
