"""Transforms, metrics and models answer bad input with the course's own errors, naming the argument: swept
arguments (hypothesis) where a range is checked, one case each where a shape is."""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncourse import analysis, metrics, models
from cnncourse.data.transforms import denormalize, normalize, random_crop
from cnncourse.models.unet import UNet
from cnncourse.errors import CourseError, InputShapeError, InputTypeError, InputValueError

MEAN, STD = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)


def _raises_naming(error: type[CourseError], name: str, call) -> None:
    with pytest.raises(error) as caught:
        call()
    assert re.search(rf"\b{name}\b", str(caught.value)), f"the message should name {name}: {caught.value}"


@settings(max_examples=30, deadline=None)
@given(padding=st.one_of(st.integers(-5, 6), st.floats(allow_nan=True), st.booleans(), st.none()))
def test_random_crop_keeps_the_size_or_names_the_padding(padding):
    images = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    if isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        assert random_crop(images, padding).shape == images.shape
    else:
        _raises_naming(InputTypeError if not isinstance(padding, int) or isinstance(padding, bool) else InputValueError,
                       "padding", lambda: random_crop(images, padding))


def test_random_crop_wants_a_batch():
    _raises_naming(InputShapeError, "random_crop", lambda: random_crop(torch.zeros(3, 8, 8), 2))


@settings(max_examples=30, deadline=None)
@given(channels=st.integers(1, 4), batched=st.booleans())
def test_normalize_needs_one_mean_and_std_per_channel(channels, batched):
    x = torch.rand(*((2,) if batched else ()), channels, 4, 4)
    if channels == 3:
        torch.testing.assert_close(denormalize(normalize(x, MEAN, STD), MEAN, STD), x)
    else:
        for transform in (normalize, denormalize):
            _raises_naming(InputShapeError, "std", lambda: transform(x, MEAN, STD))


def test_a_zero_std_or_no_std_is_an_error_not_infinities():
    x = torch.rand(2, 3, 4, 4)
    _raises_naming(InputValueError, "std", lambda: normalize(x, MEAN, (0.2, 0.0, 0.3)))
    _raises_naming(InputValueError, "std", lambda: normalize(x, MEAN, None))
    _raises_naming(InputShapeError, "normalize", lambda: normalize(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), MEAN, STD))


@given(size=st.integers(1, 14))
@settings(max_examples=14, deadline=None)
def test_ssim_needs_its_window_of_pixels(size):
    images = torch.rand(1, 1, size, size)
    if size >= 11:
        assert metrics.ssim(images, images).item() == pytest.approx(1.0)
    else:
        _raises_naming(InputShapeError, "ssim", lambda: metrics.ssim(images, images))


def test_small_cnn_and_vgg_name_their_smallest_input_and_widths():
    _raises_naming(InputShapeError, "pixels", lambda: models.small_cnn(widths=(8, 8, 8))(torch.rand(1, 3, 7, 7)))
    assert models.small_cnn(widths=(8, 8, 8))(torch.rand(2, 3, 8, 8)).shape == (2, 10)
    _raises_naming(InputShapeError, "pixels", lambda: models.vgg_small(num_classes=8)(torch.rand(1, 3, 4, 4)))
    _raises_naming(InputValueError, "widths", lambda: models.small_cnn(widths=()))
    _raises_naming(InputValueError, "widths", lambda: models.small_cnn(widths=(8, 0)))
    _raises_naming(InputTypeError, "num_classes", lambda: models.small_cnn(num_classes=2.5))


def test_resnet_depth_and_parameter_counts_answer_in_the_course_types():
    _raises_naming(InputValueError, "depth", lambda: models.CifarResNet(21))
    _raises_naming(InputTypeError, "count_parameters", lambda: analysis.count_parameters("vgg16"))


@pytest.mark.parametrize("build, name", [
    (lambda: models.vgg_small(num_classes=0), "num_classes"),
    (lambda: models.inception_small(num_classes=0), "num_classes"),
    (lambda: models.resnet20(num_classes=2.0), "num_classes"),
    (lambda: UNet(depth=0), "depth"),
    (lambda: UNet(base_width=2.5), "base_width"),
    (lambda: UNet(padding="full"), "padding"),
])
def test_a_model_that_cannot_be_built_says_which_setting(build, name):
    with pytest.raises((InputValueError, InputTypeError), match=name):
        build()
