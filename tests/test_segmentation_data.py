"""Border-weight maps against a brute-force reference; augmentation moves image and targets together."""

import math

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.measure import label

from cnncourse.errors import InputShapeError, InputValueError
from cnncourse.data.segmentation import ISBI2012_MEAN, ISBI2012_STD, SegmentationAugment, elastic_displacement
from cnncourse.data.weight_maps import border_weight_map, class_balance_weights, training_targets
from cnncourse.baselines import best_global_threshold, threshold_baseline
from cnncourse.metrics.segmentation import error_breakdown


def two_cells_with_gap() -> np.ndarray:
    """Cell A in columns 0-8, a 2-pixel membrane in columns 9-10, cell B in columns 11-20."""
    mask = np.ones((20, 21), dtype=np.uint8)
    mask[:, 9:11] = 0
    return mask


def brute_force_weights(mask: np.ndarray, w0: float, sigma: float, class_weights: tuple[float, float]) -> np.ndarray:
    """The formula with a full distance transform per cell and no cut-off."""
    cells = label(mask, connectivity=1)
    distances = np.sort(np.stack([ndimage.distance_transform_edt(cells != k) for k in range(1, cells.max() + 1)]), 0)
    d1, d2 = distances[0], distances[1] if len(distances) > 1 else np.full(mask.shape, np.inf)
    border = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2))
    return np.where(mask == 1, class_weights[1], class_weights[0] + border)


def test_weight_on_a_membrane_between_two_cells_by_hand():
    weights = border_weight_map(two_cells_with_gap(), w0=10, sigma=5, class_weights=(1.0, 1.0))
    # column 9: 1 px from cell A, 2 px from cell B
    assert weights[5, 9].item() == pytest.approx(1 + 10 * math.exp(-(1 + 2) ** 2 / 50), rel=1e-6)
    assert weights[5, 0].item() == 1.0 and weights[5, 20].item() == 1.0


def test_weights_match_brute_force_on_a_random_mask():
    rng = np.random.default_rng(1)
    mask = (ndimage.gaussian_filter(rng.random((60, 60)), 2) > 0.48).astype(np.uint8)
    assert label(mask, connectivity=1).max() >= 3
    expected = brute_force_weights(mask, 10, 5, (2.0, 0.5))
    np.testing.assert_allclose(border_weight_map(mask, class_weights=(2.0, 0.5)).numpy(), expected, atol=1e-4)


def test_class_balance_weights_make_both_classes_weigh_the_same():
    masks = torch.zeros(4, 10, 10)
    masks[:, :5, :5] = 1  # 25 % interior
    w_membrane, w_interior = class_balance_weights(masks)
    assert (w_membrane, w_interior) == pytest.approx((1 / 1.5, 2.0))
    assert w_membrane * 75 == pytest.approx(w_interior * 25)


def test_elastic_displacement_shape_and_limit():
    torch.manual_seed(0)
    field = elastic_displacement((64, 80), std=10, limit=6)
    assert field.shape == (1, 64, 80, 2)
    pixels = field * torch.tensor([80 / 2, 64 / 2])  # back from grid_sample units to pixels
    assert pixels.abs().max() <= 6 + 1e-4 and pixels.abs().max() > 1


def stripes() -> tuple[torch.Tensor, torch.Tensor]:
    """An image that equals its own mask (bright interior, dark membranes), and targets (mask, weight)."""
    mask = torch.zeros(2, 160, 160)
    mask[:, :, ::7] = 1
    mask[:, 5::11, :] = 1
    images = (mask[:, None] * 255).to(torch.uint8)
    return images, torch.stack([mask, 1 + 2 * mask], dim=1)


def test_flips_and_crops_move_image_and_targets_identically():
    images, targets = stripes()
    torch.manual_seed(0)
    x, y = SegmentationAugment(crop_size=64, elastic_std=0)(images, targets, train=True)
    assert x.shape == (2, 1, 64, 64) and y.shape == (2, 2, 64, 64)
    image = x[:, 0] * ISBI2012_STD + ISBI2012_MEAN
    torch.testing.assert_close(image, y[:, 0], atol=1e-5, rtol=0)
    torch.testing.assert_close(y[:, 1], 1 + 2 * y[:, 0])


def test_elastic_deformation_moves_image_and_mask_together():
    images, targets = stripes()
    torch.manual_seed(0)
    x, y = SegmentationAugment(crop_size=96)(images, targets, train=True)
    assert set(y[:, 0].unique().tolist()) <= {0.0, 1.0}  # nearest neighbour: still a mask
    assert y[:, 1].min() >= 1  # no empty fill pulled in from outside the image
    image = x[:, 0] * ISBI2012_STD + ISBI2012_MEAN
    agreement = ((image > 0.5).float() == y[:, 0]).float().mean()
    assert agreement > 0.95


def test_evaluation_is_only_standardized_and_plain_masks_keep_their_shape():
    images, targets = stripes()
    x, y = SegmentationAugment()(images, targets, train=False)
    assert x.shape == (2, 1, 160, 160) and y is targets
    torch.manual_seed(0)
    _, mask = SegmentationAugment(crop_size=32)(images, targets[:, 0], train=True)
    assert mask.shape == (2, 32, 32)


def test_a_slice_smaller_than_crop_and_border_gets_its_border_mirrored():
    images, targets = stripes()  # 160 x 160
    torch.manual_seed(0)
    x, y = SegmentationAugment(crop_size=160, border=32)(images, targets, train=True)
    assert x.shape == (2, 1, 160, 160) and y[:, 1].min() >= 1  # mirrored, never empty fill
    with pytest.raises(InputShapeError, match="smaller crop_size"):
        SegmentationAugment(crop_size=161)(images, targets, train=True)


def test_training_targets_stack_mask_and_weight():
    from cnncourse.data import SegmentationData
    data = SegmentationData(torch.zeros(3, 1, 8, 8, dtype=torch.uint8), torch.ones(3, 8, 8, dtype=torch.uint8),
                            ("membrane", "cell interior"), "train", "toy", (0, 1, 2))
    images, targets = training_targets(data)
    assert images.shape == (3, 1, 8, 8) and targets.shape == (3, 2, 8, 8) and targets[:, 1].eq(1).all()


def test_best_global_threshold_equals_brute_force():
    torch.manual_seed(0)
    masks = torch.randint(0, 2, (2, 16, 16), dtype=torch.uint8)
    images = (masks[:, None] * 60 + torch.randint(0, 200, (2, 1, 16, 16))).clamp(0, 255).to(torch.uint8)
    errors = [(threshold_baseline(images, t) != masks).sum().item() for t in range(256)]
    best = best_global_threshold(images, masks)
    assert errors[best] == min(errors)


def test_error_breakdown_on_a_toy_slice():
    mask = torch.ones(1, 9, 9, dtype=torch.uint8)
    mask[0, :, 4] = 0  # one membrane column
    image = mask[:, None] * 200
    image[0, 0, 1, 1] = 10  # a dark body inside a cell
    prediction = mask.clone()
    prediction[0, 0, 3] = 0  # one error next to the membrane
    result = error_breakdown(prediction, mask, image, near=1.0, dark_threshold=50)
    assert result["share of errors near membranes"] == 1.0
    assert result["error rate on dark interior pixels"] == 0.0
    assert result["share of interior pixels that are dark"] == pytest.approx(1 / 72)


@pytest.mark.parametrize("change, error, named", [
    (dict(near=-1.0), InputValueError, "near"), (dict(near="2"), InputValueError, "near"),
    (dict(dark_threshold=300), InputValueError, "dark_threshold"), (dict(dark_threshold=True), InputValueError,
                                                                     "dark_threshold"),
    (dict(images=torch.zeros(1, 9, 9, dtype=torch.uint8)), InputShapeError, "images (N, 1, H, W)"),
    (dict(images=torch.zeros(2, 1, 9, 9, dtype=torch.uint8)), InputShapeError, "images (N, 1, H, W)"),
    (dict(prediction=torch.full((1, 9, 9), 0.7)), InputShapeError, "0 and 1"),
    (dict(prediction=torch.ones(1, 9, 8, dtype=torch.uint8)), InputShapeError, "same shape"),
])
def test_error_breakdown_names_what_it_cannot_use(change, error, named):
    inputs = dict(prediction=torch.ones(1, 9, 9, dtype=torch.uint8), masks=torch.ones(1, 9, 9, dtype=torch.uint8),
                  images=torch.zeros(1, 1, 9, 9, dtype=torch.uint8), near=2.0, dark_threshold=50)
    inputs.update(change)
    with pytest.raises(error, match=named.replace("(", r"\(").replace(")", r"\)")):
        error_breakdown(inputs.pop("prediction"), inputs.pop("masks"), inputs.pop("images"), **inputs)
