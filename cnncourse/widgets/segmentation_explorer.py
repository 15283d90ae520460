"""Segmentation explorer: pick a held-out slice and a decision threshold; see prediction, errors and metrics.

``threshold_view`` is the plain, tested function (a picture and a metrics line); ``segmentation_explorer``
wraps it in ipywidgets (a slice slider, a threshold slider, an image and a text line).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from PIL import Image
from torch import Tensor

from ..errors import InputShapeError
from ..language import say
from ..metrics.segmentation import segmentation_scores, threshold_probabilities
from ..plot.images import threshold_panels
from ..plot.inline import JPEG_QUALITY
from ..plot.style import FALSE_MEMBRANE, MISSED_MEMBRANE, PREDICTED_MEMBRANE
from ..validate import describe
from .explorer_box import LABEL_STYLE, ExplorerBox, saved_figure



@dataclass(frozen=True)
class ThresholdView:
    """One slice at one threshold: the predicted mask, the error map, the scores and a picture of all three."""

    slice_id: int
    threshold: float
    prediction: Tensor  # (H, W) uint8, 1 = cell interior
    errors: Tensor  # (H, W) int8: 0 right, 1 missed membrane, -1 false membrane
    scores: dict[str, float]
    panel: Tensor  # (3, H, 3W) uint8: overlay | probability | error map

    @property
    def text(self) -> str:
        """The metrics line shown under the picture."""
        values = ", ".join(f"{name} {value:.4f}" for name, value in self.scores.items())
        return f"slice {self.slice_id}, threshold {self.threshold:.2f}: {values}"


def _paint(rgb: Tensor, where: Tensor, colour: tuple[int, int, int], alpha: float = 1.0) -> Tensor:
    tint = torch.tensor(colour, dtype=torch.float32).view(3, 1, 1)
    return torch.where(where, (1 - alpha) * rgb + alpha * tint, rgb)


def threshold_view(image: Tensor, probability: Tensor, mask: Tensor, threshold: float = 0.5, *,
                   slice_id: int = 0) -> ThresholdView:
    """Threshold P(interior) (H, W) of one slice ``image`` (1, H, W) and compare it with its label ``mask`` (H, W)."""
    if image.ndim != 3 or probability.shape != mask.shape or image.shape[-2:] != mask.shape:
        raise InputShapeError("threshold_view expects image (1, H, W), probability (H, W) and mask (H, W); got "
                              f"{describe(image)}, {describe(probability)}, {describe(mask)}.")
    prediction = threshold_probabilities(probability, threshold)  # (H, W) 0/1
    truth = mask.bool()
    errors = (~truth & prediction.bool()).to(torch.int8) - (truth & ~prediction.bool()).to(torch.int8)
    gray = image.float().expand(3, -1, -1)  # (3, H, W) in 0..255
    overlay = _paint(gray, ~prediction.bool(), PREDICTED_MEMBRANE, alpha=0.7)
    heat = (probability.float() * 255).expand(3, -1, -1)
    error_map = _paint(_paint(gray * 0.35 + 120, errors == 1, MISSED_MEMBRANE), errors == -1, FALSE_MEMBRANE)
    panel = torch.cat([overlay, heat, error_map], dim=-1).round().clamp(0, 255).to(torch.uint8)  # (3, H, 3W)
    return ThresholdView(slice_id, float(threshold), prediction, errors, segmentation_scores(prediction, mask), panel)


def jpeg_bytes(rgb: Tensor) -> bytes:
    """An RGB image (3, H, W) uint8 as JPEG file bytes (for an ipywidgets Image): a micrograph as a PNG would make
    the saved notebook's widget state several times larger."""
    buffer = io.BytesIO()
    Image.fromarray(rgb.permute(1, 2, 0).contiguous().numpy()).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def threshold_view_figure(view: ThresholdView, name: str = "") -> Figure:
    """``view`` as ``plot.threshold_panels`` draws it, under its scores (and the model's ``name``)."""
    figure = threshold_panels(view.panel, view.threshold)[0].figure
    figure.suptitle(f"{name}: {view.text}" if name else view.text)
    return figure


def segmentation_explorer(images: Tensor, probabilities: Tensor, masks: Tensor, ids: tuple[int, ...] | None = None,
                          *, threshold: float = 0.5, name: str = ""):
    """A slice slider and a threshold slider over ``threshold_view`` (images (N, 1, H, W), P and masks (N, H, W)) of
    the model ``name``."""

    ids = tuple(range(len(images))) if ids is None else tuple(ids)
    slice_slider = widgets.IntSlider(value=0, min=0, max=len(images) - 1, description=say("slice #"),
                                     continuous_update=False, style=LABEL_STYLE)
    threshold_slider = widgets.FloatSlider(value=threshold, min=0.05, max=0.95, step=0.05,
                                           description=say("threshold"), continuous_update=False, style=LABEL_STYLE)
    picture = widgets.Image(format="jpeg", layout=widgets.Layout(width="100%"))
    metrics = widgets.Label()
    legend = widgets.HTML((f"{name}. " if name else "") + say(
        "left: predicted membranes in yellow · middle: P(interior) · right: errors (vermillion = missed membrane, "
        "sky blue = membrane where the label says interior)"))

    def update(_=None) -> None:
        index = slice_slider.value
        view = threshold_view(images[index], probabilities[index], masks[index], threshold_slider.value,
                              slice_id=ids[index])
        picture.value = jpeg_bytes(view.panel)
        metrics.value = view.text
        shown[:] = [view]

    shown: list[ThresholdView] = []  # the view on screen now
    box = ExplorerBox([widgets.HBox([slice_slider, threshold_slider]), picture, metrics, legend])
    box.saved_picture = lambda: saved_figure(threshold_view_figure(shown[0], name))
    slice_slider.observe(update, names="value")
    threshold_slider.observe(update, names="value")
    update()
    return box
