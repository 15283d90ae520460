"""Every registered model on small inputs, parameter counts against the papers, and clear input errors."""

import pytest
import torch
from torch import nn

from cnncourse import models
from cnncourse.models.parts import conv_norm_relu
from cnncourse.errors import InputShapeError, InputTypeError

NOT_CLASSIFIERS = ("autoencoder", "unet")  # image-to-image models, tested in their own files
PAPER_PARAMS_M = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}  # He et al. 2015, Table 6


@pytest.mark.parametrize("name", sorted(models.REGISTRY))
def test_every_builder_runs_with_a_non_default_number_of_classes(name):
    if any(kind in name for kind in NOT_CLASSIFIERS):
        pytest.skip("not a classifier")
    if name.endswith("110") or name.endswith("56"):
        pytest.skip("deep variants are covered by the parameter-count test")
    model = models.build_model(name, num_classes=7)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 7)


@pytest.mark.parametrize("depth", sorted(PAPER_PARAMS_M))
def test_cifar_resnet_parameter_counts_match_the_paper(depth):
    count = sum(p.numel() for p in models.CifarResNet(depth).parameters())
    assert round(count / 1e6, 2 if depth < 110 else 1) == PAPER_PARAMS_M[depth]
    plain = sum(p.numel() for p in models.CifarResNet(depth, block=models.PlainBlock).parameters())
    assert plain == count  # option-A shortcuts have no parameters


def test_bad_depth_and_block_are_explained():
    with pytest.raises(ValueError, match="6n\\+2"):
        models.CifarResNet(21)
    with pytest.raises(InputTypeError, match="block must be PlainBlock"):
        models.CifarResNet(20, block="dense")
    with pytest.raises(ValueError, match="Unknown model 'resnet18'"):
        models.build_model("resnet18")


def test_grayscale_batch_to_rgb_model_names_expected_and_received():
    with pytest.raises(InputShapeError, match=r"expects 3 input channel.*received 1 channel.*in_channels=1"):
        models.resnet20()(torch.randn(2, 1, 32, 32))


def test_missing_batch_dimension_and_uint8_input_are_explained():
    with pytest.raises(InputShapeError, match=r"\(N, C, H, W\).*unsqueeze\(0\)"):
        models.small_cnn()(torch.randn(3, 32, 32))
    with pytest.raises(InputShapeError, match="floating-point.*to_float"):
        models.small_cnn()(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))


def test_small_cnn_feature_shape():
    model = models.small_cnn(in_channels=1, num_classes=3, widths=(8, 16))
    assert model.forward_features(torch.randn(2, 1, 28, 28)).shape == (2, 16, 7, 7)


@pytest.mark.parametrize("name", ["small_cnn", "vgg_small", "inception_small", "resnet20", "plain20"])
def test_classifiers_share_one_head_and_split_features_from_head(name):
    model = models.build_model(name, num_classes=3).eval()
    assert isinstance(model.head, models.PooledLinearHead)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(model(x), model.forward_head(model.forward_features(x)))


def test_record_shapes_sees_inputs_and_outputs_in_the_order_they_are_computed():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.MaxPool2d(2))
    shapes = models.record_shapes(net, torch.zeros(1, 1, 10, 10),
                                  [("pooled", net[1], "output"), ("conv in", net[0], "input"), ("conv", net[0], "output")])
    assert shapes == [("conv in", (1, 1, 10, 10)), ("conv", (1, 4, 8, 8)), ("pooled", (1, 4, 4, 4))]
    assert not net[0]._forward_hooks and not net[1]._forward_hooks  # the hooks are removed again


def test_small_cnn_is_the_vgg_of_its_widths():
    torch.manual_seed(0)
    small = models.SmallCNN(widths=(8, 16), num_classes=3)
    torch.manual_seed(0)
    vgg = models.VGG([8, "M", 16, "M"], num_classes=3)
    assert isinstance(small, models.VGG) and small.smallest_input == 4
    assert all(torch.equal(a, b) for a, b in zip(small.state_dict().values(), vgg.state_dict().values()))
    assert list(small.state_dict()) == list(vgg.state_dict())


@pytest.mark.parametrize("batch_norm, kinds", [(True, [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]), (False, [nn.Conv2d, nn.ReLU])])
def test_conv_norm_relu_has_a_bias_only_without_batch_norm(batch_norm, kinds):
    layers = conv_norm_relu(3, 8, 5, batch_norm=batch_norm)
    assert [type(layer) for layer in layers] == kinds
    assert (layers[0].bias is None) == batch_norm and layers[0].padding == (2, 2)


def test_a_too_small_image_is_explained_by_every_pooling_classifier():
    for model in (models.inception_small(), models.vgg_small(), models.small_cnn()):
        with pytest.raises(InputShapeError, match=f"needs at least {model.smallest_input} x"):
            model(torch.randn(1, 3, 1, 1))
