"""How a figure reaches the notebook: PNG for drawings and charts, JPEG for photographs.

A micrograph or a photo saved as PNG costs megabytes (its noise does not compress); as JPEG it keeps its look at
about a quarter of the size. Drawings, charts and small images (CIFAR's 32x32, MNIST's 28x28, whose square
pixels JPEG would smear) stay PNG. Either way the picture has twice the figure's pixels, shown at its size.
"""

from __future__ import annotations

import base64
import io

from matplotlib.figure import Figure
from PIL import Image

PHOTO_PIXELS = 256 * 256  # a figure holding an image at least this large is a photograph
JPEG_QUALITY = 85


def is_photo(figure: Figure) -> bool:
    """Whether ``figure`` shows an image of at least ``PHOTO_PIXELS`` pixels (a micrograph, a photo)."""
    shapes = [image.get_array().shape for ax in figure.axes for image in ax.get_images()
              if image.get_array() is not None]
    return any(shape[0] * shape[1] >= PHOTO_PIXELS for shape in shapes)


def picture(figure: Figure, dpi: float | None = None, *, tight: bool = True) -> tuple[str, bytes]:
    """(MIME type, file bytes) of ``figure`` at ``dpi`` (twice the figure's own by default): JPEG for a photograph,
    else PNG."""
    photo = is_photo(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="jpeg" if photo else "png", dpi=dpi or 2 * figure.dpi,
                   bbox_inches="tight" if tight else None, **({"pil_kwargs": {"quality": JPEG_QUALITY}} if photo else {}))
    return ("image/jpeg" if photo else "image/png"), buffer.getvalue()


def _as_notebook_output(figure: Figure, mime: str) -> tuple[str, dict] | None:
    """The figure for one MIME type of the notebook's output, or None where the other type carries it."""
    if not figure.axes or is_photo(figure) != (mime == "image/jpeg"):  # drawn once, for its own type only
        return None
    _, data = picture(figure)
    width, height = Image.open(io.BytesIO(data)).size
    return base64.b64encode(data).decode("ascii"), {"width": width // 2, "height": height // 2}


def send_figures_as_pictures() -> None:
    """In IPython: show each figure as PNG or JPEG (``picture``), at twice its pixels ("retina")."""
    from IPython import get_ipython

    formatters = get_ipython().display_formatter.formatters
    for mime in ("image/png", "image/jpeg"):
        formatters[mime].for_type(Figure, lambda figure, mime=mime: _as_notebook_output(figure, mime))
