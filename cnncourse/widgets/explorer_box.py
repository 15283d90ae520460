"""The box every explorer returns: its controls and picture live, plus a PNG of the picture it shows now.

A notebook saves both in the cell's output. JupyterLab and Colab draw the live widget; a reader without a
kernel (GitHub, a rendered page, a committed notebook) gets the PNG instead of a line of text.
"""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


class ExplorerBox(widgets.VBox):
    """A VBox whose notebook output also carries ``picture_png``, the picture the explorer shows now."""

    def __init__(self, children, **kwargs) -> None:
        super().__init__(children, **kwargs)
        self.picture_png: bytes | None = None

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if self.picture_png is not None:
            bundle["image/png"] = base64.b64encode(self.picture_png).decode("ascii")
        return bundle


def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    """A Matplotlib figure as PNG file bytes; the figure is closed (it is shown through a widget, not inline)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()
