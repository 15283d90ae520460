"""Every public function of ``by_hand`` over swept arguments: right where the arguments are valid, and a clear
error of the course's own types, naming the argument, where they are not."""

import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnncourse.by_hand import (channel_responses, conv2d_loops, conv2d_unfold, conv_output_size,
                               conv_parameter_count, fold_normalization, preset_kernel, same_kernel_on_every_channel)
from cnncourse.errors import CourseError, InputShapeError, InputTypeError, InputValueError

SIZES = {"size": 1, "kernel_size": 1, "padding": 0, "stride": 1}  # each size argument and its smallest value
NOT_WHOLE = st.one_of(st.floats(allow_nan=True), st.booleans(), st.text(max_size=3), st.none(), st.just((3,)))


def _raises_naming(error: type[CourseError], name: str, call) -> None:
    with pytest.raises(error) as caught:
        call()
    assert re.search(rf"\b{name}\b", str(caught.value)), f"the message should name {name}: {caught.value}"


@given(size=st.integers(1, 40), kernel_size=st.integers(1, 7), padding=st.integers(0, 3), stride=st.integers(1, 4))
def test_output_size_is_what_conv2d_gives_or_a_named_error(size, kernel_size, padding, stride):
    if size + 2 * padding < kernel_size:
        _raises_naming(InputValueError, "kernel_size", lambda: conv_output_size(size, kernel_size, padding=padding,
                                                                                stride=stride))
        return
    out = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel_size, kernel_size), padding=padding,
                   stride=stride)
    assert conv_output_size(size, kernel_size, padding=padding, stride=stride) == out.shape[-1]


@settings(max_examples=40)
@given(name=st.sampled_from(list(SIZES)), below=st.integers(1, 5), wrong_kind=NOT_WHOLE)
def test_bad_sizes_are_named(name, below, wrong_kind):
    valid = {"size": 8, "kernel_size": 3, "padding": 1, "stride": 1}

    def call(value):
        arguments = {**valid, name: value}
        return lambda: conv_output_size(arguments["size"], arguments["kernel_size"], padding=arguments["padding"],
                                        stride=arguments["stride"])

    _raises_naming(InputValueError, name, call(SIZES[name] - below))
    _raises_naming(InputTypeError, name, call(wrong_kind))


@given(c_in=st.integers(1, 64), c_out=st.integers(1, 64), k=st.integers(1, 7), bias=st.booleans())
def test_parameter_count_is_nn_conv2ds(c_in, c_out, k, bias):
    layer = nn.Conv2d(c_in, c_out, k, bias=bias, device="meta")
    assert conv_parameter_count(c_in, c_out, k, bias=bias) == sum(p.numel() for p in layer.parameters())


@pytest.mark.parametrize("name", ["in_channels", "out_channels", "kernel_size"])
def test_parameter_count_names_a_bad_size(name):
    arguments = {"in_channels": 3, "out_channels": 8, "kernel_size": 3, name: 0}
    _raises_naming(InputValueError, name, lambda: conv_parameter_count(**arguments))
    _raises_naming(InputTypeError, name, lambda: conv_parameter_count(**{**arguments, name: 2.5}))
    _raises_naming(InputTypeError, "bias", lambda: conv_parameter_count(3, 8, 3, bias="yes"))


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 2), c_in=st.integers(1, 3), c_out=st.integers(1, 3), size=st.integers(3, 7),
       k=st.integers(1, 3), padding=st.integers(0, 2), stride=st.integers(1, 3), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_both_hand_convolutions_match_conv2d(batch, c_in, c_out, size, k, padding, stride, bias, seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, c_in, size, size, generator=generator, dtype=torch.float64)
    weight = torch.randn(c_out, c_in, k, k, generator=generator, dtype=torch.float64)
    b = torch.randn(c_out, generator=generator, dtype=torch.float64) if bias else None
    expected = F.conv2d(x, weight, b, stride=stride, padding=padding)
    for convolution in (conv2d_loops, conv2d_unfold):
        assert torch.allclose(convolution(x, weight, b, stride=stride, padding=padding), expected)


@pytest.mark.parametrize("convolution", [conv2d_loops, conv2d_unfold])
def test_hand_convolutions_name_what_is_wrong(convolution):
    x, weight = torch.rand(1, 3, 6, 6), torch.rand(2, 3, 3, 3)
    _raises_naming(InputValueError, "padding", lambda: convolution(x, weight, padding=-1))
    _raises_naming(InputValueError, "stride", lambda: convolution(x, weight, stride=0))
    _raises_naming(InputTypeError, "stride", lambda: convolution(x, weight, stride=1.5))
    _raises_naming(InputTypeError, "x", lambda: convolution((x * 255).to(torch.uint8), weight))
    _raises_naming(InputTypeError, "weight", lambda: convolution(x, weight.long()))
    _raises_naming(InputShapeError, "bias", lambda: convolution(x, weight, torch.zeros(3)))
    _raises_naming(InputShapeError, "x", lambda: convolution(x[0], weight))
    _raises_naming(InputValueError, "kernel_size", lambda: convolution(x[..., :2, :2], weight))


def test_channel_responses_and_shared_kernels_name_what_is_wrong():
    image, kernels = torch.rand(3, 8, 8), torch.rand(3, 3, 3)
    assert torch.allclose(channel_responses(image, kernels, padding=1).sum(0),
                          F.conv2d(image[None], kernels[None], padding=1)[0, 0], atol=1e-5)
    _raises_naming(InputValueError, "stride", lambda: channel_responses(image, kernels, stride=0))
    _raises_naming(InputShapeError, "kernels", lambda: channel_responses(image, kernels[:2]))
    _raises_naming(InputValueError, "kernel_size", lambda: channel_responses(image[:, :2, :2], kernels))
    _raises_naming(InputValueError, "in_channels", lambda: same_kernel_on_every_channel(preset_kernel("sharpen"), 0))
    _raises_naming(InputShapeError, "kernel", lambda: same_kernel_on_every_channel(torch.rand(3), 3))
    with pytest.raises(ValueError, match="choose one of"):  # a course error that is also a ValueError
        preset_kernel("emboss")


@settings(max_examples=30)
@given(std=st.lists(st.one_of(st.floats(-2, 0), st.floats(0.01, 2)), min_size=3, max_size=3))
def test_folding_a_normalization_needs_a_positive_std(std):
    conv = nn.Conv2d(3, 4, 3, padding=1)
    mean = (0.5, 0.4, 0.3)
    if min(std) <= 0:
        _raises_naming(InputValueError, "std", lambda: fold_normalization(conv, mean, std))
        return
    x = torch.rand(2, 3, 8, 8)
    standardized = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    folded = fold_normalization(conv, mean, std)
    assert torch.allclose(folded(x)[..., 1:-1, 1:-1], conv(standardized)[..., 1:-1, 1:-1], atol=1e-3, rtol=1e-4)


def test_folding_names_a_wrong_layer_or_channel_count():
    conv = nn.Conv2d(3, 4, 3)
    _raises_naming(InputValueError, "mean", lambda: fold_normalization(conv, (0.5, 0.5), (0.2, 0.2, 0.2)))
    _raises_naming(InputTypeError, "mean", lambda: fold_normalization(conv, "grey", (0.2, 0.2, 0.2)))
    _raises_naming(InputTypeError, "conv", lambda: fold_normalization(nn.Linear(3, 4), (0.5,) * 3, (0.2,) * 3))
