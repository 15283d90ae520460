"""The kernel explorer: its plain function against nn.Conv2d, and the widgets it drives."""

from __future__ import annotations

import pytest
import base64

import torch
import torch.nn.functional as F

from cnncourse.by_hand import preset_kernel, same_kernel_on_every_channel
from cnncourse.errors import InputShapeError, InputValueError
from cnncourse.widgets.kernel_explorer import draw_kernel_view, explore_kernel, kernel_explorer, view_png


@pytest.fixture
def image() -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (3, 12, 10), dtype=torch.uint8, generator=generator)


def test_explore_kernel_equals_conv2d_with_the_kernel_on_every_channel(image):
    kernel = preset_kernel("vertical edges (Sobel x)")
    view = explore_kernel(image, kernel)
    expected = F.conv2d(image[None].float() / 255, same_kernel_on_every_channel(kernel))[0, 0]
    assert view.feature_map.shape == (10, 8)  # no padding: 2 pixels fewer
    torch.testing.assert_close(view.feature_map, expected)
    torch.testing.assert_close(view.responses.sum(0), view.feature_map)


def test_explore_kernel_on_one_channel(image):
    view = explore_kernel(image, "box blur", channels="G")
    expected = F.conv2d(image[None, 1:2].float() / 255, preset_kernel("box blur")[None, None])[0, 0]
    torch.testing.assert_close(view.feature_map, expected)
    assert view.responses[0].abs().max() == 0 and view.responses[2].abs().max() == 0


def test_explore_kernel_summary_names_kernel_and_range(image):
    view = explore_kernel(image, [[0, 0, 0], [0, 1, 0], [0, 0, 0]], channels="R")
    red = image[0, 1:-1, 1:-1].float() / 255  # the identity kernel without padding: the inner pixels
    assert view.summary.startswith("kernel [0 0 0; 0 1 0; 0 0 0] on R: feature map 10x8")
    assert f"min {red.min().item():.3f}" in view.summary and f"max {red.max().item():.3f}" in view.summary


def test_explore_kernel_rejects_bad_input(image):
    with pytest.raises(InputShapeError, match="one RGB image"):
        explore_kernel(image[None], "identity")
    with pytest.raises(InputShapeError, match="3x3"):
        explore_kernel(image, torch.ones(5, 5))
    with pytest.raises(InputValueError, match="channels must be one of"):
        explore_kernel(image, "identity", channels="RGB")


def test_draw_and_png(image):
    view = explore_kernel(image, "outline (Laplacian)")
    axes = draw_kernel_view(view, image)
    assert [ax.get_title() for ax in axes] == ["image", "R response", "G response", "B response", "sum = feature map"]
    assert view_png(view, image).startswith(b"\x89PNG")


def test_widget_follows_preset_boxes_and_channels(image):
    explorer = kernel_explorer(image, preset="identity")
    first_text, first_png = explorer.summary.value, explorer.picture.value
    assert first_text == explore_kernel(image, "identity").summary and bytes(first_png).startswith(b"\x89PNG")
    explorer.preset.value = "horizontal edges (Sobel y)"
    torch.testing.assert_close(explorer.kernel(), preset_kernel("horizontal edges (Sobel y)"))
    assert explorer.summary.value == explore_kernel(image, "horizontal edges (Sobel y)").summary
    explorer.cells[4].value = 3.0  # the centre weight
    assert "0 3 0" in explorer.summary.value
    bundle = explorer._repr_mimebundle_()
    saved = base64.b64decode(bundle["image/png"])   # the view on screen, at the figures' resolution, titled
    assert saved.startswith(b"\x89PNG") and len(saved) > len(explorer.picture.value)
    explorer.channels.value = "B"
    assert " on B:" in explorer.summary.value and bytes(explorer.picture.value) != bytes(first_png)
    assert explorer.widget.children[-1] is explorer.picture
