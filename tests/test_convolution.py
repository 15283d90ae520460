"""Multi-channel convolution by hand, checked against nn.Conv2d; the lesson's exercise checks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnncourse import models
from cnncourse.analysis import colour_share
from cnncourse.by_hand import (KERNELS, channel_responses, conv2d_loops, conv2d_unfold, conv_output_size,
                               conv_parameter_count, preset_kernel, same_kernel_on_every_channel)
from cnncourse.errors import InputShapeError
from cnncourse.exercises.convolution import check_colour_edge_filter, check_output_size, check_parameter_count

SETTINGS = [  # (in_channels, out_channels, kernel_size, stride, padding, height, width)
    (3, 4, 3, 1, 0, 7, 7),
    (3, 5, 3, 1, 1, 8, 6),
    (2, 3, 3, 2, 1, 9, 9),
    (1, 2, 5, 2, 2, 10, 7),
    (4, 1, 2, 3, 0, 11, 8),
]


@pytest.mark.parametrize("in_channels, out_channels, k, stride, padding, height, width", SETTINGS)
@pytest.mark.parametrize("conv", [conv2d_loops, conv2d_unfold])
def test_hand_convolution_matches_nn_conv2d(conv, in_channels, out_channels, k, stride, padding, height, width):
    torch.manual_seed(0)
    layer = nn.Conv2d(in_channels, out_channels, k, stride=stride, padding=padding)
    x = torch.randn(2, in_channels, height, width)
    y = conv(x, layer.weight.detach(), layer.bias.detach(), stride=stride, padding=padding)
    expected = layer(x).detach()
    assert y.shape == expected.shape
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("conv", [conv2d_loops, conv2d_unfold])
def test_hand_convolution_without_bias(conv):
    torch.manual_seed(1)
    x, weight = torch.randn(1, 3, 6, 6), torch.randn(2, 3, 3, 3)
    torch.testing.assert_close(conv(x, weight, padding=1), F.conv2d(x, weight, padding=1), atol=1e-5, rtol=1e-5)


def test_hand_convolution_names_channel_mismatch():
    with pytest.raises(InputShapeError, match="expects 3 input channel"):
        conv2d_unfold(torch.zeros(1, 1, 8, 8), torch.zeros(4, 3, 3, 3))
    with pytest.raises(InputShapeError, match=r"\(N, C_in, H, W\)"):
        conv2d_loops(torch.zeros(3, 8, 8), torch.zeros(4, 3, 3, 3))
    with pytest.raises(InputShapeError, match="one number per output channel"):
        conv2d_unfold(torch.zeros(1, 3, 8, 8), torch.zeros(4, 3, 3, 3), torch.zeros(3))


@pytest.mark.parametrize("size, k, padding, stride", [(32, 3, 0, 1), (32, 3, 1, 1), (32, 5, 2, 2), (31, 4, 1, 3),
                                                      (7, 7, 0, 1), (28, 2, 0, 2)])
def test_output_size_matches_nn_conv2d(size, k, padding, stride):
    layer = nn.Conv2d(1, 1, k, stride=stride, padding=padding)
    assert conv_output_size(size, k, padding=padding, stride=stride) == layer(torch.zeros(1, 1, size, size)).shape[-1]


def test_output_size_rejects_a_kernel_that_does_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(2, 5)


@pytest.mark.parametrize("in_channels, out_channels, k, bias", [(3, 16, 3, True), (1, 32, 5, False),
                                                                (64, 128, 3, True), (3, 64, 7, False)])
def test_parameter_count_matches_nn_conv2d(in_channels, out_channels, k, bias):
    layer = nn.Conv2d(in_channels, out_channels, k, bias=bias)
    assert conv_parameter_count(in_channels, out_channels, k, bias=bias) == sum(p.numel() for p in layer.parameters())


def test_small_cnn_first_layer_grayscale_versus_colour():
    colour, gray = models.small_cnn(in_channels=3), models.small_cnn(in_channels=1)
    count = lambda model: sum(p.numel() for p in model.parameters())  # noqa: E731
    assert count(colour) - count(gray) == 32 * 2 * 3 * 3  # 32 filters, 2 more input planes of 3x3 weights


def test_channel_responses_sum_to_the_conv_output():
    torch.manual_seed(2)
    image, weight = torch.rand(3, 10, 12), torch.randn(1, 3, 3, 3)
    responses = channel_responses(image, weight[0], padding=1)
    assert responses.shape == (3, 10, 12)
    torch.testing.assert_close(responses.sum(0), F.conv2d(image[None], weight, padding=1)[0, 0])
    torch.testing.assert_close(responses[1], F.conv2d(image[None, 1:2], weight[:, 1:2], padding=1)[0, 0])


def test_same_kernel_on_every_channel_equals_kernel_on_channel_sum():
    image, kernel = torch.rand(1, 3, 8, 8), preset_kernel("vertical edges (Sobel x)")
    weight = same_kernel_on_every_channel(kernel)
    assert weight.shape == (1, 3, 3, 3)
    torch.testing.assert_close(F.conv2d(image, weight), F.conv2d(image.sum(1, keepdim=True), kernel[None, None]))


def test_preset_kernels():
    assert set(KERNELS) >= {"identity", "box blur", "vertical edges (Sobel x)"}
    for name in ("box blur", "Gaussian blur"):
        assert preset_kernel(name).sum().item() == pytest.approx(1.0)  # blurs keep the brightness
    for name in ("vertical edges (Sobel x)", "horizontal edges (Sobel y)", "outline (Laplacian)"):
        assert preset_kernel(name).sum().item() == 0  # edge kernels give 0 on flat areas
    torch.testing.assert_close(preset_kernel("horizontal edges (Sobel y)"), preset_kernel("vertical edges (Sobel x)").T)
    image = torch.rand(1, 1, 6, 6)
    torch.testing.assert_close(F.conv2d(image, preset_kernel("identity")[None, None], padding=1), image)
    with pytest.raises(ValueError, match="choose one of"):
        preset_kernel("emboss")


def test_colour_share():
    gray = torch.randn(4, 1, 3, 3).expand(4, 3, 3, 3)
    assert colour_share(gray).abs().max().item() < 1e-6
    opponent = torch.stack([torch.ones(3, 3), -torch.ones(3, 3), torch.zeros(3, 3)])[None]  # red minus green
    assert colour_share(opponent).item() == pytest.approx(1.0)
    torch.manual_seed(0)
    assert colour_share(torch.randn(4000, 3, 3, 3)).mean().item() == pytest.approx(2 / 3, abs=0.01)


# --- exercise checks ------------------------------------------------------------------------------

def test_check_parameter_count():
    assert not check_parameter_count(None) and "Not yet" in str(check_parameter_count(None))
    assert check_parameter_count(64 * (3 * 5 * 5 + 1))
    assert check_parameter_count(sum(p.numel() for p in nn.Conv2d(3, 64, 5).parameters()))
    forgot_bias = check_parameter_count(64 * 3 * 5 * 5)
    assert not forgot_bias and "bias" in forgot_bias.message
    one_channel = check_parameter_count(64 * (5 * 5 + 1))
    assert not one_channel and "3 input channels" in one_channel.message
    assert "whole number" in check_parameter_count(4864.5).message


def test_check_output_size():
    expected = nn.Conv2d(1, 1, 5, stride=3, padding=2)(torch.zeros(1, 1, 32, 32)).shape[-1]
    assert check_output_size(expected) and check_output_size(float(expected))
    assert not check_output_size(None)
    assert "padding" in check_output_size(conv_output_size(32, 5, stride=3)).message
    assert "stride" in check_output_size(conv_output_size(32, 5, padding=2)).message
    assert "whole number" in check_output_size((32 + 2 - 5) / 2 + 1).message


def test_check_output_size_names_rounding_and_stride_mistakes():
    assert "rounds up" in check_output_size(12).message and "stride 1" in check_output_size(32).message


def test_check_colour_edge_filter():
    sobel = torch.tensor(KERNELS["vertical edges (Sobel x)"])
    opponent = torch.stack([sobel, -sobel, torch.zeros(3, 3)])  # red minus green, compared left to right
    assert check_colour_edge_filter(opponent)
    assert check_colour_edge_filter((-opponent).tolist())
    assert check_colour_edge_filter(torch.stack([sobel, -sobel / 2, -sobel / 2]))  # red against green and blue
    assert not check_colour_edge_filter(None)
    on_every_channel = check_colour_edge_filter(sobel.expand(3, 3, 3))
    assert not on_every_channel and "gray edge" in on_every_channel.message
    only_red = check_colour_edge_filter(torch.stack([sobel, torch.zeros(3, 3), torch.zeros(3, 3)]))
    assert not only_red and "gray edge" in only_red.message
    colour_blob = check_colour_edge_filter(torch.stack([torch.ones(3, 3), -torch.ones(3, 3), torch.zeros(3, 3)]))
    assert not colour_blob and "flat area lit in R alone" in colour_blob.message and "sum to zero" in colour_blob.message
    horizontal = torch.tensor(KERNELS["horizontal edges (Sobel y)"])
    across = check_colour_edge_filter(torch.stack([horizontal, -horizontal, torch.zeros(3, 3)]))
    assert not across and "0 on a vertical edge between red" in across.message
    one_kernel = check_colour_edge_filter(sobel)
    assert not one_kernel and "one for each of R, G and B" in one_kernel.message
