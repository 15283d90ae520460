"""U-Net: the paper's sizes (Fig. 1), parameter count, size errors, receptive field, overlap-tile inference."""

import pytest
import torch
import torch.nn.functional as F

from cnncourse import models
from cnncourse.errors import InputShapeError
from cnncourse.models.unet import UNet
from cnncourse.losses import PixelCrossEntropy
from cnncourse.models.tiling import plan_tiles, predict_tiled, predict_whole
from cnncourse.ops import mirror_pad

# Ronneberger et al. 2015, Fig. 1: the side length after each stage for a 572 x 572 tile.
PAPER_FIG1 = {"down 1: 2 x conv3x3": (64, 568), "down 2: 2 x conv3x3": (128, 280), "down 3: 2 x conv3x3": (256, 136),
              "down 4: 2 x conv3x3": (512, 64), "bottleneck: 2 x conv3x3": (1024, 28), "up 4: up-conv 2x2": (512, 56),
              "up 4: 2 x conv3x3": (512, 52), "up 3: 2 x conv3x3": (256, 100), "up 2: 2 x conv3x3": (128, 196),
              "up 1: 2 x conv3x3": (64, 388), "head: conv1x1": (2, 388)}


def conv_params(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k * k + c_out


def test_paper_unet_stages_match_figure_1():
    with torch.device("meta"):  # shapes only: no memory, no arithmetic
        stages = dict(models.unet().stages(torch.zeros(1, 1, 572, 572)))
    for name, (channels, size) in PAPER_FIG1.items():
        assert stages[name] == (1, channels, size, size), name


def test_paper_unet_parameter_count_by_hand():
    widths = [64, 128, 256, 512, 1024]
    expected = conv_params(1, 64, 3) + conv_params(64, 64, 3)
    expected += sum(conv_params(a, b, 3) + conv_params(b, b, 3) for a, b in zip(widths, widths[1:]))
    expected += sum(conv_params(b, a, 2) + conv_params(2 * a, a, 3) + conv_params(a, a, 3)
                    for a, b in zip(widths, widths[1:]))
    expected += conv_params(64, 2, 1)
    with torch.device("meta"):
        model = models.unet()
    assert sum(p.numel() for p in model.parameters()) == expected == 31_030_658


@pytest.mark.parametrize("name", ["unet", "unet_small"])
def test_registered_builders_take_a_non_default_number_of_classes(name):
    model = models.build_model(name, num_classes=3, in_channels=2, base_width=4, depth=2)
    size = model.valid_input_sizes(64, 1)[0]
    out = model(torch.randn(2, 2, size, size))
    assert out.shape == (2, 3, model.output_size(size), model.output_size(size))


def test_same_padding_keeps_the_size_and_valid_shrinks_it():
    assert UNet(depth=3, base_width=4, padding="same")(torch.randn(1, 1, 48, 40)).shape == (1, 2, 48, 40)
    valid = UNet(depth=3, base_width=4, padding="valid")
    assert valid.output_size(188) == 100 and valid.margin(188) == 44
    assert valid(torch.randn(1, 1, 188, 188)).shape == (1, 2, 100, 100)


def test_bad_sizes_are_explained_with_sizes_that_work():
    with pytest.raises(InputShapeError, match=r"divisible by 2\^depth = 8.*\[488, 496, 504\]"):
        models.unet_small()(torch.randn(1, 1, 500, 504))
    with pytest.raises(InputShapeError, match=r"even size.*\[492, 508, 524\]"):
        models.unet(base_width=2)(torch.randn(1, 1, 512, 512))
    with pytest.raises(ValueError, match="padding must be one of"):
        UNet(padding="reflect")


def test_context_radius_bounds_the_measured_receptive_field():
    torch.manual_seed(0)
    model = UNet(depth=2, base_width=4, padding="same").eval()
    x = torch.rand(1, 1, 96, 96, requires_grad=True)
    model(x)[0, 0, 48, 48].backward()
    rows, cols = (x.grad[0, 0].abs() > 0).nonzero(as_tuple=True)
    reach = max((rows - 48).abs().max(), (cols - 48).abs().max())
    assert 0 < reach <= model.context_radius()


def test_mirror_pad_matches_numpy_reflect():
    import numpy as np
    x = torch.arange(20.0).view(1, 1, 4, 5)
    expected = np.pad(x.numpy(), ((0, 0), (0, 0), (2, 1), (3, 0)), mode="reflect")
    assert torch.equal(mirror_pad(x, 2, 1, 3, 0), torch.from_numpy(expected))
    wide = np.pad(x.numpy(), ((0, 0), (0, 0), (9, 4), (0, 12)), mode="reflect")  # wider than the image
    assert torch.equal(mirror_pad(x, 9, 4, 0, 12), torch.from_numpy(wide))
    with pytest.raises(InputShapeError, match="at least 2 x 2"):
        mirror_pad(torch.zeros(1, 1, 1, 5), 1, 0, 0, 0)


@pytest.mark.parametrize("padding, tile", [("same", 96), ("valid", 68)])
def test_overlap_tiles_equal_whole_image_inference(padding, tile):
    torch.manual_seed(0)
    model = UNet(depth=2, base_width=4, padding=padding)
    x = torch.rand(2, 1, 70, 90)  # not a multiple of the tile or of 2^depth
    plan = plan_tiles(model, 70, 90, tile=tile)
    assert len(plan.rows) * len(plan.cols) > 1
    tiled = predict_tiled(model, x, tile=tile)
    assert tiled.shape == (2, 2, 70, 90)
    torch.testing.assert_close(tiled, predict_whole(model, x, tile=tile), atol=1e-5, rtol=1e-4)


def test_tiles_without_context_margin_differ_from_whole_image():
    torch.manual_seed(0)
    model = UNet(depth=2, base_width=4, padding="same")
    x = torch.rand(1, 1, 64, 64)
    seams = predict_tiled(model, x, tile=32, margin=0) - predict_whole(model, x, tile=32, margin=0)
    assert seams.abs().max() > 1e-3


def test_pixel_cross_entropy_plain_weighted_and_cropped():
    torch.manual_seed(0)
    logits = torch.randn(2, 2, 8, 8)
    mask = torch.randint(0, 2, (2, 8, 8)).float()
    plain = F.cross_entropy(logits, mask.long())
    torch.testing.assert_close(PixelCrossEntropy(border_weights=False)(logits, mask), plain)
    targets = torch.stack([mask, torch.full_like(mask, 3.0)], dim=1)
    torch.testing.assert_close(PixelCrossEntropy()(logits, targets), 3 * plain)
    big = F.pad(targets, (2, 2, 2, 2))  # a 'valid' network's output is smaller than its target
    torch.testing.assert_close(PixelCrossEntropy()(logits, big), 3 * plain)
    with pytest.raises(ValueError, match="weight map"):
        PixelCrossEntropy()(logits, mask)
    with pytest.raises(InputShapeError, match="smaller than the outputs"):  # cropping cannot make them larger
        PixelCrossEntropy()(logits, targets[..., 1:, :])
