"""The denoising explorer: the plain function behind it, and the widget reacting to its sliders."""

from __future__ import annotations

import base64

import torch
from torch import nn

from cnncourse.baselines import TunedFilter
from cnncourse.metrics.image_quality import psnr
from cnncourse.widgets.denoise_explorer import denoise_explorer, denoise_view, nearest_filter


class Halve(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight


FILTERS = {0.1: TunedFilter("Gaussian blur", 0.5, {0.5: 20.0}), 0.3: TunedFilter("median filter", 3, {3: 15.0})}


def bar_image() -> torch.Tensor:
    image = torch.zeros(1, 28, 28, dtype=torch.uint8)
    image[0, 6:22, 12:16] = 255
    return image


def test_view_holds_the_four_images_and_correct_psnr():
    view = denoise_view(bar_image(), 0.3, Halve(), FILTERS, seed=0)
    assert list(view.images) == ["clean", "noisy", "median filter (size 3x3)", "CAE"]
    assert all(image.shape == (1, 28, 28) for image in view.images.values())
    clean = view.images["clean"][None]
    for name in ("noisy", "CAE"):
        assert view.psnr[name] == float(psnr(clean, view.images[name][None])[0])
    assert torch.allclose(view.images["CAE"], view.images["noisy"] * 0.5)
    assert "noise std 0.30" in view.psnr_text() and "median filter (size 3x3)" in view.psnr_text()
    assert len(view.figure().axes) == 4


def test_view_changes_with_the_noise_level_and_is_reproducible():
    low, high = denoise_view(bar_image(), 0.1, Halve(), FILTERS), denoise_view(bar_image(), 0.3, Halve(), FILTERS)
    assert low.psnr["noisy"] > high.psnr["noisy"] + 5
    assert "Gaussian blur (sigma 0.5)" in low.images  # the filter tuned nearest to the level is used
    again = denoise_view(bar_image(), 0.1, Halve(), FILTERS)
    assert torch.equal(again.images["noisy"], low.images["noisy"])


def test_nearest_filter():
    assert nearest_filter(FILTERS, 0.24).name == "median filter"
    assert nearest_filter(FILTERS, 0.0).name == "Gaussian blur"


def test_widget_updates_its_psnr_label_when_the_slider_moves():
    images = torch.stack([bar_image(), bar_image().flip(-1)])
    box = denoise_explorer(images, Halve(), FILTERS, noise_std=0.1)
    (noise_slider, image_picker), label = box.children[0].children, box.children[1]
    first = label.value
    assert first.startswith("noise std 0.10")
    noise_slider.value = 0.3
    assert label.value != first and label.value.startswith("noise std 0.30")
    image_picker.value = 1
    assert image_picker.max == 1


def test_saved_output_keeps_the_current_picture_for_readers_without_a_kernel():
    box = denoise_explorer(bar_image()[None], Halve(), FILTERS, noise_std=0.1)
    first = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in first   # the live widget, for JupyterLab and Colab
    saved = base64.b64decode(first["image/png"])   # the picture it shows, at the figures' resolution
    assert saved.startswith(b"\x89PNG") and len(saved) > len(box.children[2].value)
    box.children[0].children[0].value = 0.3
    assert box._repr_mimebundle_()["image/png"] != first["image/png"]
