"""The box every explorer returns: its controls and picture live, plus a PNG of the picture it shows now.

A notebook saves both in the cell's output. JupyterLab and Colab draw the live widget; a reader without a
kernel (GitHub, a rendered page, a committed notebook) gets the PNG instead of a line of text. Colab keeps
ipywidgets 7 (7.7.1 in its published package list), where a widget displays itself through ``_ipython_display_``
rather than ``_repr_mimebundle_`` (ipywidgets 8): the box shows the same bundle either way.
"""

from __future__ import annotations

import base64
import io
from typing import Callable

import ipywidgets as widgets
from IPython.display import display
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..plot.inline import picture


# the saved picture's resolution: that of the course's figures (100 dpi, sent at twice the pixels, "retina")
SAVED_DPI = 200
LABEL_STYLE = {"description_width": "initial"}  # a control's label as wide as its words, in any language


class ExplorerBox(widgets.VBox):
    """A VBox whose notebook output also carries a picture (PNG, or JPEG for a photograph) of what the explorer
    shows when it is displayed: drawn then by ``saved_picture`` (at the figures' resolution, titled), not at every
    slider move."""

    def __init__(self, children, **kwargs) -> None:
        super().__init__(children, **kwargs)
        self.saved_picture: Callable[[], tuple[str, bytes]] | None = None  # () -> (MIME type, file bytes)

    def _repr_mimebundle_(self, **kwargs):
        show_widget = getattr(super(), "_repr_mimebundle_", None)  # ipywidgets 8
        bundle = show_widget(**kwargs) if show_widget is not None else self._widget_view(**kwargs)
        if self.saved_picture is not None:
            mime, data = self.saved_picture()
            bundle[mime] = base64.b64encode(data).decode("ascii")
        return bundle

    def _widget_view(self, **kwargs) -> dict:
        """What ipywidgets 7 displays for a widget: its view, and a line of text for a reader without widgets."""
        if hasattr(self, "_handle_displayed"):  # ipywidgets 7 runs the widget's on_displayed callbacks here
            self._handle_displayed(**kwargs)
        return {"text/plain": f"{type(self).__name__}(...)",
                "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                             "model_id": self.model_id}}

    if not hasattr(widgets.Widget, "_repr_mimebundle_"):  # ipywidgets 7: a widget displays itself
        def _ipython_display_(self, **kwargs) -> None:
            display(self._repr_mimebundle_(**kwargs), raw=True)


def saved_figure(figure: Figure) -> tuple[str, bytes]:
    """(MIME type, file bytes) of a figure for the saved output: at the figures' resolution, a photograph as JPEG
    (as ``plot.inline`` sends the notebook's own figures); the figure is closed."""
    try:
        return picture(figure, dpi=SAVED_DPI, tight=False)
    finally:
        plt.close(figure)


def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    """A Matplotlib figure as PNG file bytes; the figure is closed (it is shown through a widget, not inline)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()
