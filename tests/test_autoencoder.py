"""The convolutional autoencoder: architecture as described, shapes per stage, registry, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnncourse.errors import InputShapeError
from cnncourse.models import REGISTRY, ConvAutoencoder, build_model, conv_autoencoder


def conv_parameters(in_channels: int, out_channels: int) -> int:
    return sum(p.numel() for p in nn.Conv2d(in_channels, out_channels, 3, padding=1).parameters())


def test_parameter_count_matches_the_described_layers():
    model = conv_autoencoder()
    # encoder: block(1->16), block(16->16); decoder: block(16->16) twice; output conv 16->1
    expected = (conv_parameters(1, 16) + conv_parameters(16, 16)  # encoder block 1
                + 2 * conv_parameters(16, 16)  # encoder block 2
                + 4 * conv_parameters(16, 16)  # decoder blocks
                + conv_parameters(16, 1))  # output
    assert sum(p.numel() for p in model.parameters()) == expected == 16_545


def test_layers_are_conv_relu_pool_then_upsample_and_a_plain_output_conv():
    model = conv_autoencoder()
    kinds = [type(m).__name__ for m in model.encoder.modules() if not isinstance(m, nn.Sequential)]
    assert kinds == ["Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"] * 2
    kinds = [type(m).__name__ for m in model.decoder.modules() if not isinstance(m, nn.Sequential)]
    assert kinds == ["Upsample", "Conv2d", "ReLU", "Conv2d", "ReLU"] * 2
    assert isinstance(model.output, nn.Conv2d) and model.output.out_channels == 1


def test_output_has_no_activation_so_it_can_leave_0_to_1():
    torch.manual_seed(0)
    model = conv_autoencoder()
    with torch.no_grad():
        model.output.bias.fill_(-5.0)  # a ReLU or sigmoid output could not give values below 0
        y = model(torch.rand(2, 1, 28, 28))
    assert float(y.max()) < 0


def test_shapes_per_stage_for_mnist():
    stages = conv_autoencoder().stages(torch.zeros(2, 1, 28, 28))
    assert stages == [
        ("input", (2, 1, 28, 28)),
        ("encoder: 2 x conv3x3", (2, 16, 28, 28)), ("encoder: max-pool 2x2", (2, 16, 14, 14)),
        ("encoder: 2 x conv3x3", (2, 16, 14, 14)), ("encoder: max-pool 2x2", (2, 16, 7, 7)),
        ("decoder: upsample x2", (2, 16, 14, 14)), ("decoder: 2 x conv3x3", (2, 16, 14, 14)),
        ("decoder: upsample x2", (2, 16, 28, 28)), ("decoder: 2 x conv3x3", (2, 16, 28, 28)),
        ("output: conv3x3 (no activation)", (2, 1, 28, 28)),
    ]


def test_non_default_width_depth_and_channels():
    model = ConvAutoencoder(in_channels=3, width=8, depth=3)
    x = torch.rand(2, 3, 32, 32)
    assert model.encode(x).shape == (2, 8, 4, 4)
    assert model(x).shape == x.shape


def test_registry_builds_it():
    assert REGISTRY["conv_autoencoder"] is conv_autoencoder
    assert isinstance(build_model("conv_autoencoder", width=8), ConvAutoencoder)


def test_clear_errors_for_wrong_inputs():
    model = conv_autoencoder()
    with pytest.raises(InputShapeError, match="unsqueeze"):
        model(torch.rand(1, 28, 28))
    with pytest.raises(InputShapeError, match="float"):
        model(torch.zeros(1, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(ValueError, match="divisible by 4"):
        model(torch.rand(1, 1, 30, 30))
