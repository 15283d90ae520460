"""The segmentation explorer's function: prediction, error map, metrics line; the widget updates on the sliders."""

import base64
import io

import pytest
import torch
from PIL import Image

from cnncourse.errors import InputShapeError
from cnncourse.widgets.explorer_box import SAVED_DPI
from cnncourse.widgets.segmentation_explorer import segmentation_explorer, threshold_view


@pytest.fixture
def slice_and_probability():
    mask = torch.ones(32, 32, dtype=torch.uint8)
    mask[:, 15:17] = 0  # a membrane between two cells
    probability = torch.linspace(0, 1, 32).repeat(32, 1)  # rises from left to right
    image = (mask * 200)[None]
    return image, probability, mask


def test_threshold_view_prediction_errors_and_scores(slice_and_probability):
    image, probability, mask = slice_and_probability
    view = threshold_view(image, probability, mask, 0.5, slice_id=7)
    assert torch.equal(view.prediction, (probability > 0.5).to(torch.uint8))
    assert torch.equal(view.errors == -1, mask.bool() & ~view.prediction.bool())  # false membrane
    assert torch.equal(view.errors == 1, ~mask.bool() & view.prediction.bool())  # missed membrane
    assert view.scores["pixel error"] == pytest.approx((view.errors != 0).float().mean().item())
    assert view.panel.shape == (3, 32, 96) and view.panel.dtype == torch.uint8
    assert view.text.startswith("slice 7, threshold 0.50: pixel error")


def test_a_lower_threshold_predicts_more_interior(slice_and_probability):
    low, high = (threshold_view(*slice_and_probability, t) for t in (0.2, 0.8))
    assert low.prediction.sum() > high.prediction.sum()
    assert low.text != high.text and not torch.equal(low.panel, high.panel)


def test_mismatched_shapes_are_explained(slice_and_probability):
    image, probability, mask = slice_and_probability
    with pytest.raises(InputShapeError, match="threshold_view expects"):
        threshold_view(image, probability[:10], mask)


def test_widget_updates_picture_and_metrics_line(slice_and_probability):
    image, probability, mask = slice_and_probability
    box = segmentation_explorer(image[None].repeat(2, 1, 1, 1), probability[None].repeat(2, 1, 1),
                                mask[None].repeat(2, 1, 1), ids=(25, 26))
    (slice_slider, threshold_slider), picture, metrics = box.children[0].children, box.children[1], box.children[2]
    before_text, before_picture = metrics.value, picture.value
    threshold_slider.value = 0.8
    assert metrics.value != before_text and picture.value != before_picture
    slice_slider.value = 1
    assert metrics.value.startswith("slice 26, threshold 0.80")
    saved = Image.open(io.BytesIO(base64.b64decode(box._repr_mimebundle_()["image/png"])))   # the saved output's
    assert saved.size == (12 * SAVED_DPI, round(4.4 * SAVED_DPI))   # picture: the figure, titled, at full resolution
    threshold_slider.value = 0.3
    assert Image.open(io.BytesIO(base64.b64decode(box._repr_mimebundle_()["image/png"]))) != saved


def test_jpeg_bytes_keep_the_picture_within_jpeg_loss():
    import io

    import numpy as np
    from PIL import Image

    from cnncourse.widgets.segmentation_explorer import jpeg_bytes
    rgb = torch.linspace(0, 255, 3 * 16 * 24).reshape(3, 16, 24).round().to(torch.uint8)   # smooth, like a micrograph
    picture = Image.open(io.BytesIO(jpeg_bytes(rgb)))
    decoded = np.asarray(picture).astype(int)
    assert picture.format == "JPEG" and decoded.shape == (16, 24, 3)
    assert np.abs(decoded - rgb.permute(1, 2, 0).numpy()).mean() < 4   # out of 255


def test_threshold_panels_titled_with_a_colour_bar_and_an_error_legend(slice_and_probability):
    import matplotlib

    matplotlib.use("agg")
    from cnncourse import plot

    view = threshold_view(*slice_and_probability, 0.5)
    axes = plot.threshold_panels(view.panel, view.threshold)
    assert [ax.get_title() for ax in axes] == ["predicted membranes (yellow)", "P(cell interior)",
                                               "errors at threshold 0.5"]
    middle = axes[1].get_images()[0].get_array()
    assert middle[0, -1] == pytest.approx(1.0, abs=1 / 255) and middle[0, 0] == pytest.approx(0.0, abs=1 / 255)
    assert len(axes[0].figure.axes) == 4  # the three panels and the colour bar
    assert [text.get_text() for text in axes[2].get_legend().get_texts()] == ["missed membrane", "false membrane"]
