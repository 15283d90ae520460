"""Explore denoising live: a noise-level slider and a test-image picker showing the clean, noisy,
filter-denoised and network-denoised image side by side, with their PSNR.

``denoise_view`` is the plain function behind the widget; ``denoise_explorer`` only wires it to sliders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from ..ops import to_float
from ..baselines import TunedFilter
from ..data.corruption import noisy_version
from ..experiments import denoise
from ..metrics.image_quality import psnr
from ..plot import before_after
from ..language import say
from .explorer_box import LABEL_STYLE, ExplorerBox, figure_png, saved_figure


@dataclass(frozen=True)
class DenoiseView:
    """One test image at one noise level: the images to show (each (1, H, W) in 0..1) and their PSNR in dB."""

    noise_std: float
    images: dict[str, Tensor]  # "clean", "noisy", the filter's label, "CAE"
    psnr: dict[str, float]  # the same names except "clean"

    def psnr_text(self) -> str:
        """One line, in the learner's language: the PSNR of every restored image against the clean one."""
        parts = [f"{name}: {value:.2f} dB" for name, value in self.psnr.items()]
        return say("noise std {noise_std:.2f} | PSNR ", noise_std=self.noise_std) + " | ".join(parts)

    def figure(self) -> Figure:
        """The images side by side, each titled with its PSNR."""
        panels = {(name if name == "clean" else f"{name}\n{self.psnr[name]:.1f} dB"): image
                  for name, image in self.images.items()}
        axes = before_after(panels)
        figure = axes[0].figure
        figure.suptitle(f"noise std {self.noise_std:.2f}")
        return figure


def nearest_filter(filters: Mapping[float, TunedFilter], noise_std: float) -> TunedFilter:
    """The filter tuned at the noise level nearest to ``noise_std``."""
    return filters[min(filters, key=lambda level: abs(level - noise_std))]


def denoise_view(image: Tensor, noise_std: float, model: nn.Module, filters: Mapping[float, TunedFilter], *,
                 seed: int = 0, model_name: str = "CAE") -> DenoiseView:
    """Add noise of std ``noise_std`` to one image (1, H, W), denoise it with the best tuned filter for that
    level and with ``model``, and measure each result's PSNR against the clean image."""
    clean = (to_float(image) if image.dtype == torch.uint8 else image.float())[None]  # (1, 1, H, W)
    noisy = noisy_version(clean, noise_std, seed=seed)
    tuned = nearest_filter(filters, noise_std)
    restored = {"noisy": noisy, tuned.label: tuned(noisy), model_name: denoise(model, noisy)}
    return DenoiseView(
        noise_std=float(noise_std),
        images={"clean": clean[0], **{name: x[0] for name, x in restored.items()}},
        psnr={name: float(psnr(clean, x)[0]) for name, x in restored.items()},
    )


def denoise_explorer(images: Tensor, model: nn.Module, filters: Mapping[float, TunedFilter], *,
                     noise_std: float = 0.4, seed: int = 0) -> ExplorerBox:
    """A slider for the noise level and one for the test image; the panels and the PSNR line follow them."""
    levels = sorted(filters)
    step = round(levels[1] - levels[0], 6) if len(levels) > 1 else 0.05
    noise_slider = widgets.FloatSlider(value=noise_std, min=levels[0], max=levels[-1], step=step,
                                       description=say("noise std"), continuous_update=False, readout_format=".2f",
                                       style=LABEL_STYLE)
    image_picker = widgets.IntSlider(value=0, min=0, max=len(images) - 1, description=say("test image"),
                                     continuous_update=False, style=LABEL_STYLE)
    psnr_label = widgets.Label()
    panels = widgets.Image(format="png")
    box = ExplorerBox([widgets.HBox([noise_slider, image_picker]), psnr_label, panels])

    shown: list[DenoiseView] = []  # the view on screen now

    def update(_change=None) -> None:
        view = denoise_view(images[image_picker.value], noise_slider.value, model, filters,
                            seed=seed + image_picker.value)
        psnr_label.value = view.psnr_text()
        panels.value = figure_png(view.figure())
        shown[:] = [view]

    def saved_picture() -> tuple[str, bytes]:
        figure = shown[0].figure()
        figure.suptitle(f"test image {image_picker.value}, noise std {shown[0].noise_std:.2f}; "
                        "each result's PSNR against the clean image")
        return saved_figure(figure)

    box.saved_picture = saved_picture

    noise_slider.observe(update, names="value")
    image_picker.observe(update, names="value")
    update()
    return box
