"""CIFAR ResNets: parameter counts against He et al. 2015 (Table 6), block types, block deletion."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnncourse import models
from cnncourse.errors import InputShapeError, InputTypeError
from cnncourse.models.resnet import PAPER_TABLE6, BasicBlock, CifarResNet, PlainBlock, PreActBlock, Shortcut

# He et al. 2015, Table 6: parameters of the CIFAR-10 ResNets (in millions, as printed) and exact counts.
PAPER_PARAMS_M = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}
PAPER_ERRORS = {20: 8.75, 32: 7.51, 44: 7.17, 56: 6.97, 110: 6.43}
EXACT_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("depth", sorted(PAPER_PARAMS_M))
def test_parameter_counts_match_the_paper(depth: int) -> None:
    model = models.build_model(f"resnet{depth}")
    assert count(model) == EXACT_PARAMS[depth]
    assert round(count(model) / 1e6, 2 if depth < 100 else 1) == PAPER_PARAMS_M[depth]


def test_paper_table_holds_the_published_numbers() -> None:
    assert {d: row.params_m for d, row in PAPER_TABLE6.items()} == PAPER_PARAMS_M
    assert {d: row.test_error for d, row in PAPER_TABLE6.items()} == PAPER_ERRORS


@pytest.mark.parametrize("depth", [20, 56])
def test_plain_and_preact_have_the_same_parameters_as_residual(depth: int) -> None:
    plain, residual = models.build_model(f"plain{depth}"), models.build_model(f"resnet{depth}")
    assert count(plain) == count(residual)
    preact = CifarResNet(depth, block=PreActBlock)
    assert count(preact) == count(residual)  # BN moves (stem BN becomes the final BN), shortcuts stay free


def test_weight_layers_are_6n_plus_2() -> None:
    model = models.resnet56()
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(convs) + len(linears) == 56
    widths = [c.out_channels for c in convs]
    assert (widths.count(16), widths.count(32), widths.count(64)) == (1 + 18, 18, 18)  # stem + 3 stages of 9 blocks


@pytest.mark.parametrize("name", ["resnet20", "plain20", "resnet32", "plain56"])
def test_builders_give_logits_for_a_non_default_class_count(name: str) -> None:
    model = models.build_model(name, num_classes=7).eval()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 7)
    assert model.forward_features(torch.randn(2, 3, 32, 32)).shape == (2, 64, 8, 8)


def test_residual_block_adds_its_input_and_plain_block_does_not() -> None:
    torch.manual_seed(0)
    residual = BasicBlock(16, 16, 1).eval()
    plain = PlainBlock(16, 16, 1).eval()
    plain.load_state_dict(residual.state_dict())
    x = torch.rand(2, 16, 8, 8)
    body = residual.bn2(residual.conv2(F.relu(residual.bn1(residual.conv1(x)))))
    torch.testing.assert_close(residual(x), F.relu(body + x))
    torch.testing.assert_close(plain(x), F.relu(body))


def test_preact_block_has_nothing_after_the_addition() -> None:
    torch.manual_seed(0)
    block = PreActBlock(16, 16, 1).eval()
    x = torch.randn(2, 16, 8, 8)
    out = block.conv2(F.relu(block.bn2(block.conv1(F.relu(block.bn1(x))))))
    torch.testing.assert_close(block(x), out + x)
    assert (block(x) < 0).any()  # no final ReLU: the identity path carries negative values through


def test_preact_block_that_downsamples_shortcuts_from_the_preactivated_input() -> None:
    torch.manual_seed(0)
    block = PreActBlock(16, 32, 2).eval()
    block.bn1.running_mean.fill_(1.0)  # BN shifts the input: a raw and a pre-activated skip path differ
    x = torch.randn(4, 16, 8, 8)
    activated = F.relu(block.bn1(x))
    residual = block.conv2(F.relu(block.bn2(block.conv1(activated))))
    torch.testing.assert_close(block(x), residual + Shortcut(32, 2)(activated))
    assert not torch.allclose(block(x), residual + Shortcut(32, 2)(x))  # not the raw input


def test_option_a_shortcut_subsamples_and_zero_pads() -> None:
    x = torch.randn(2, 16, 8, 8)
    y = Shortcut(32, 2)(x)
    assert y.shape == (2, 32, 4, 4)
    torch.testing.assert_close(y[:, 8:24], x[:, :, ::2, ::2])
    assert y[:, :8].abs().sum() == 0 and y[:, 24:].abs().sum() == 0


def test_without_block_replaces_only_that_block_by_its_shortcut() -> None:
    model = models.resnet20().eval()
    pruned = model.without_block(3)  # first block of stage 2: stride 2, 16 -> 32 channels
    assert isinstance(pruned.blocks[3], Shortcut) and (pruned.blocks[3].out_channels, pruned.blocks[3].stride) == (32, 2)
    assert isinstance(model.blocks[3], BasicBlock)  # the original is untouched
    assert count(pruned) == count(model) - count(model.blocks[3])
    x = torch.randn(2, 3, 32, 32)
    h = pruned.blocks[:3](pruned.stem(x))
    expected = torch.zeros(2, 32, 16, 16)
    expected[:, 8:24] = h[:, :, ::2, ::2]
    torch.testing.assert_close(pruned.blocks[3](h), expected)
    assert pruned(x).shape == (2, 10)


def test_blocks_of_the_same_shape_change_places_and_others_are_refused() -> None:
    model = models.resnet20().eval()
    assert model.swappable_pairs() == [0, 1, 4, 7]  # within a stage, not across a change of width
    swapped = model.with_blocks_swapped(4)
    assert swapped.blocks[4] is not model.blocks[4]  # a copy; the original is untouched
    torch.testing.assert_close(swapped.blocks[4].conv1.weight, model.blocks[5].conv1.weight)
    x = torch.randn(2, 32, 16, 16)
    torch.testing.assert_close(swapped.blocks[4:6](x), model.blocks[4](model.blocks[5](x)))  # 5 first, then 4
    with pytest.raises(IndexError, match="Pairs that can: \\[0, 1, 4, 7\\]"):
        model.with_blocks_swapped(2)  # block 3 doubles the width


def test_deleting_an_identity_block_of_a_plain_net_is_the_identity() -> None:
    model = models.plain20().eval()
    x = torch.randn(2, 3, 32, 32)
    pruned = model.without_block(1)
    h = model.blocks[0](model.stem(x))
    torch.testing.assert_close(pruned.blocks[1](h), h)
    with pytest.raises(IndexError, match="blocks 0..8"):
        model.without_block(9)


def test_init_scale_multiplies_the_he_initialization() -> None:
    torch.manual_seed(0)
    base = CifarResNet(20)
    torch.manual_seed(0)
    scaled = CifarResNet(20, init_scale=0.5)
    torch.testing.assert_close(scaled.blocks[0].conv1.weight, 0.5 * base.blocks[0].conv1.weight)
    assert abs(float(base.blocks[4].conv2.weight.detach().std()) - (2 / (32 * 9)) ** 0.5) < 0.01  # He: sqrt(2 / fan_out)
    with pytest.raises(ValueError, match="init_scale.*above 0"):
        CifarResNet(20, init_scale=0)


@pytest.mark.parametrize("activation", [nn.Tanh, nn.Sigmoid])
def test_saturating_activations_come_with_glorot_initialization(activation: type[nn.Module]) -> None:
    torch.manual_seed(0)
    model = CifarResNet(20, block=PlainBlock, batch_norm=False, activation=activation)
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    assert isinstance(model.blocks[0].activation, activation) and isinstance(model.stem[-1], activation)
    weight = model.blocks[4].conv2.weight.detach()  # 32 -> 32 channels, 3x3
    assert abs(float(weight.std()) - (2 / (2 * 32 * 9)) ** 0.5) < 0.01  # Glorot: sqrt(2 / (fan_in + fan_out))
    x = torch.randn(2, 3, 32, 32)
    assert model(x).shape == (2, 10)
    with pytest.raises(InputTypeError, match="nn.Tanh"):
        CifarResNet(20, activation=nn.GELU)


def test_norm_before_head_is_as_published_unless_asked_for() -> None:
    def ends_in_bn_relu(model: CifarResNet) -> bool:
        return [type(m) for m in model.final_norm.modules()][1:] == [nn.BatchNorm2d, nn.ReLU]

    assert ends_in_bn_relu(CifarResNet(20, block=PreActBlock)) and not ends_in_bn_relu(CifarResNet(20))
    original = CifarResNet(20, norm_before_head=True)
    assert ends_in_bn_relu(original) and original.final_norm[0].num_features == 64
    assert not ends_in_bn_relu(CifarResNet(20, block=PreActBlock, norm_before_head=False))
    assert "norm_before_head=True" in repr(original)  # another net, another checkpoint key
    with pytest.raises(ValueError, match="batch_norm=True"):
        CifarResNet(20, batch_norm=False, norm_before_head=True)


def test_batch_norm_off_gives_biases_and_no_bn_layers() -> None:
    model = CifarResNet(20, batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert model.blocks[0].conv1.bias is not None


@pytest.mark.parametrize("depth", [19, 21, 2, 0])
def test_bad_depth_is_refused_with_the_rule(depth: int) -> None:
    with pytest.raises(ValueError, match="6n\\+2"):
        CifarResNet(depth)


def test_bad_block_type_and_bad_input_are_explained() -> None:
    with pytest.raises(InputTypeError, match="PreActBlock"):
        CifarResNet(20, block="dense")
    with pytest.raises(InputShapeError, match="3 input channel"):
        models.resnet20()(torch.randn(2, 1, 32, 32))
