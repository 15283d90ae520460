"""VGG and Inception models, receptive fields and weight counts, checked against torchvision and the formulas."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from cnncourse import analysis, models
from cnncourse.models.inception import GOOGLENET_3A, InceptionModule, Widths
from cnncourse.models.vgg import CFGS, VGG, conv_stack, make_layers

BUILDERS = ["vgg_tiny", "vgg_small", "vgg_medium", "inception_small"]


@pytest.mark.parametrize("name", BUILDERS)
def test_registered_builders_give_logits_for_any_class_count(name):
    model = models.build_model(name, num_classes=7)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 7)


def test_vgg_accepts_grayscale_and_names_wrong_channels():
    model = models.vgg_tiny(in_channels=1, num_classes=3)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 3)
    with pytest.raises(ValueError, match="1 input channel"):
        model(torch.randn(2, 3, 28, 28))


def test_vgg_small_parameter_count_matches_the_formula():
    widths = [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128)]
    conv = sum(9 * a * b for a, b in widths)
    batch_norm = sum(2 * b for _, b in widths)
    head = 128 * 10 + 10
    assert analysis.count_parameters(models.vgg_small()) == conv + batch_norm + head == 288_746


def test_make_layers_rebuilds_torchvision_vgg16_features():
    with torch.device("meta"):
        reference = torchvision.models.vgg16().features
        cfg_d = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
        ours = make_layers(cfg_d, batch_norm=False)
    assert [type(m) for m in ours] == [type(m) for m in reference]
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in reference.state_dict().items()}
    assert analysis.count_parameters(ours) == 14_714_688


def test_torchvision_vgg16_parameters_live_in_the_classifier():
    with torch.device("meta"):
        vgg16 = torchvision.models.vgg16()
    counts = analysis.parameters_by_child(vgg16)
    assert analysis.count_parameters(vgg16) == 138_357_544
    assert counts == {"features": 14_714_688, "avgpool": 0, "classifier": 123_642_856}
    assert sum(isinstance(m, nn.Conv2d) for m in vgg16.features) == 13


@pytest.mark.parametrize("depth, field", [(1, 3), (2, 5), (3, 7)])
def test_stacked_3x3_receptive_field_by_rule_and_by_gradient(depth, field):
    stack = conv_stack(4, depth=depth)
    assert analysis.receptive_field(stack) == field
    grad = analysis.gradient_receptive_field(stack, in_channels=4, size=15)
    assert analysis.nonzero_extent(grad) == (field, field)


def test_receptive_field_of_vgg16_is_212_pixels_at_pool5():
    with torch.device("meta"):
        features = torchvision.models.vgg16().features
    steps = analysis.receptive_fields(features)
    assert steps[-1].receptive_field == 212 and steps[-1].jump == 32
    assert steps[-2].receptive_field == 196  # conv5_3
    assert steps[0] == analysis.FieldStep("0", "Conv2d", 3, 1)


def test_receptive_field_counts_strides_and_dilation():
    layers = nn.Sequential(nn.Conv2d(1, 1, 7, stride=2), nn.MaxPool2d(3, stride=2), nn.Conv2d(1, 1, 3, dilation=2))
    assert analysis.receptive_field(layers) == 1 + 6 + 2 * 2 + 2 * 2 * 4  # 27
    grad = analysis.gradient_receptive_field(layers, in_channels=1, size=61)
    assert analysis.nonzero_extent(grad)[0] <= 27


def test_receptive_field_rule_refuses_branches():
    with pytest.raises(ValueError, match="not a plain chain"):
        analysis.receptive_field(nn.Sequential(InceptionModule(8, (4, 4, 4, 4, 4, 4))))


def test_stacked_3x3_weights_against_single_large_kernels():
    channels = 16
    assert analysis.conv_weight_count(conv_stack(channels, depth=2)) == 2 * 9 * channels ** 2
    assert analysis.conv_weight_count(conv_stack(channels, depth=3)) == 3 * 9 * channels ** 2
    assert analysis.conv_weight_count(conv_stack(channels, depth=1, kernel_size=5)) == 25 * channels ** 2
    assert analysis.conv_weight_count(conv_stack(channels, depth=1, kernel_size=7)) == 49 * channels ** 2


def test_inception_module_concatenates_its_branches():
    widths = Widths(c1=8, r3=6, c3=10, r5=2, c5=4, pool=3)
    module = InceptionModule(12, widths)
    assert module(torch.randn(2, 12, 9, 9)).shape == (2, 8 + 10 + 4 + 3, 9, 9)
    expected = 12 * 8 + (12 * 6 + 9 * 6 * 10) + (12 * 2 + 9 * 2 * 4 + 9 * 4 * 4) + 12 * 3
    assert analysis.conv_weight_count(module) == expected
    grad = analysis.gradient_receptive_field(module, in_channels=12, size=15)
    assert analysis.nonzero_extent(grad) == (5, 5)  # the widest branch: two stacked 3x3 convs


def test_googlenet_3a_variants_have_the_papers_weight_counts():
    # Szegedy et al. 2015 (GoogLeNet), Table 1, module 3a on 192 channels: the conv weights (no biases) of each branch.
    with_reductions = InceptionModule(192, GOOGLENET_3A, factorized_5x5=False)
    assert analysis.conv_weight_count(with_reductions) == (
        192 * 64 + (192 * 96 + 9 * 96 * 128) + (192 * 16 + 25 * 16 * 32) + 192 * 32) == 163_328
    assert with_reductions.out_channels == 256
    naive = InceptionModule(192, GOOGLENET_3A, factorized_5x5=False, reductions=False)
    assert analysis.conv_weight_count(naive) == 192 * 64 + 9 * 192 * 128 + 25 * 192 * 32 == 387_072
    assert naive(torch.randn(1, 192, 8, 8)).shape == (1, 64 + 128 + 32 + 192, 8, 8) and naive.out_channels == 416
    factorized = InceptionModule(192, GOOGLENET_3A)
    assert analysis.conv_weight_count(factorized) == 163_328 - 25 * 16 * 32 + 9 * 16 * 32 + 9 * 32 * 32


def test_inception_small_is_about_as_big_as_vgg_small():
    vgg, inception = models.vgg_small(), models.inception_small()
    ratio = analysis.count_parameters(inception) / analysis.count_parameters(vgg)
    assert 0.9 < ratio < 1.1


def test_vgg_cfgs_are_data():
    assert CFGS["vgg_small"] == [32, 32, "M", 64, 64, "M", 128, 128, "M"]
    assert isinstance(VGG(CFGS["vgg_tiny"], num_classes=4, batch_norm=False).features[0].bias, nn.Parameter)
