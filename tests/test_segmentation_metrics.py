"""Segmentation metrics on toy masks with answers worked out by hand, and against scikit-image."""

import numpy as np
import pytest
import torch
from skimage.metrics import adapted_rand_error

from cnncourse.errors import InputShapeError, InputValueError
from cnncourse.metrics.segmentation import (dice, foreground_iou, pixel_error, rand_error, rand_error_of_cells,
                                            scores_by_threshold, segmentation_scores, threshold_probabilities)


@pytest.fixture
def toy():
    """Two 8-pixel masks on 4 x 4 that share 4 pixels."""
    target = np.zeros((4, 4), dtype=np.uint8)
    target[:2] = 1
    prediction = np.zeros((4, 4), dtype=np.uint8)
    prediction[1:3] = 1
    return prediction, target


def test_pixel_error_iou_and_dice_on_toy_masks(toy):
    prediction, target = toy
    assert pixel_error(prediction, target) == pytest.approx(8 / 16)
    assert foreground_iou(prediction, target) == pytest.approx(4 / 12)
    assert dice(prediction, target) == pytest.approx(2 * 4 / 16)
    iou = foreground_iou(prediction, target)
    assert dice(prediction, target) == pytest.approx(2 * iou / (1 + iou))


def test_perfect_and_empty_predictions(toy):
    _, target = toy
    assert pixel_error(target, target) == 0 and foreground_iou(target, target) == 1 and dice(target, target) == 1
    empty = np.zeros_like(target)
    assert foreground_iou(empty, empty) == 1.0 and dice(empty, empty) == 1.0
    assert foreground_iou(empty, target) == 0.0 and dice(empty, target) == 0.0


def test_metrics_accept_tensors_and_stacks(toy):
    prediction, target = (torch.from_numpy(np.stack([m, m])) for m in toy)
    assert pixel_error(prediction, target) == pytest.approx(0.5)
    assert dice(prediction.bool(), target) == pytest.approx(0.5)


def two_cells(merged: bool) -> np.ndarray:
    """Two 6 x 6 cells side by side, split by a one-pixel membrane column unless ``merged``."""
    mask = np.ones((6, 13), dtype=np.uint8)
    if not merged:
        mask[:, 6] = 0
    return mask


def test_rand_error_of_a_merge_by_counting_pixel_pairs():
    # pairs together in both: 2 cells * 36 * 35; together in the prediction: 72 * 71; in the label: 2 * 36 * 35.
    # error = 1 - F, F = together-in-both / mean(together-in-prediction, together-in-label) = 2520 / 3816
    target, prediction = two_cells(merged=False), two_cells(merged=True)
    both, predicted, labelled = 2 * 36 * 35, 72 * 71, 2 * 36 * 35
    assert rand_error(prediction, target) == pytest.approx(1 - both / ((predicted + labelled) / 2))
    assert rand_error(target, target) == pytest.approx(0.0)


def test_rand_error_equals_scikit_image_and_averages_slices():
    from skimage.measure import label
    rng = np.random.default_rng(0)
    targets = (rng.random((2, 32, 32)) > 0.3).astype(np.uint8)
    predictions = (rng.random((2, 32, 32)) > 0.3).astype(np.uint8)
    expected = np.mean([adapted_rand_error(label(t, connectivity=1), label(p, connectivity=1))[0]
                        for p, t in zip(predictions, targets)])
    assert rand_error(predictions, targets) == pytest.approx(expected)


def test_scores_and_thresholding():
    probabilities = torch.tensor([[0.2, 0.6], [0.5, 0.9]])
    assert threshold_probabilities(probabilities, 0.5).tolist() == [[0, 1], [0, 1]]
    scores = segmentation_scores(threshold_probabilities(probabilities), torch.tensor([[0, 1], [1, 1]]))
    assert set(scores) == {"pixel error", "foreground IoU", "Dice", "Rand error"}
    assert scores["pixel error"] == pytest.approx(0.25)
    with pytest.raises(InputValueError, match="threshold .*between 0 and 1"):
        threshold_probabilities(probabilities, 50)   # a percentage
    with pytest.raises(InputValueError, match="threshold"):
        threshold_probabilities(probabilities, "0.5")
    assert threshold_probabilities(probabilities, torch.tensor(0.55)).tolist() == [[0, 1], [0, 1]]


def test_probabilities_and_mismatched_shapes_are_explained():
    with pytest.raises(InputShapeError, match="threshold probabilities first"):
        pixel_error(np.full((2, 2), 0.7), np.ones((2, 2)))
    with pytest.raises(InputShapeError, match="same shape"):
        dice(np.ones((2, 2)), np.ones((3, 3)))


def test_rand_error_of_cells_ignores_how_thick_the_membranes_are_drawn():
    label = np.ones((20, 20), dtype=np.uint8)
    label[:, 10] = 0  # two cells, a one-pixel wall
    thick = label.copy()
    thick[:, 8:13] = 0  # the same two cells, a five-pixel wall
    assert rand_error(thick, label) > 0.05  # predicted wall pixels inside labelled cells count against it
    assert rand_error_of_cells(thick, label) == pytest.approx(0.0, abs=1e-9)
    merged = label.copy()
    merged[5:8, 10] = 1  # a gap in the wall: one cell instead of two
    assert rand_error_of_cells(merged, label) > 0.3


def test_scores_by_threshold_score_each_thresholded_prediction():
    label = np.ones((20, 20), dtype=np.uint8)
    label[:, 10] = 0
    probability = torch.tensor(label, dtype=torch.float32) * 0.6 + 0.2  # 0.2 on the wall, 0.8 inside
    scores = scores_by_threshold(probability, label, [0.1, 0.5, 0.9])
    assert scores["pixel error"] == pytest.approx([1 / 20, 0.0, 19 / 20])
    assert scores["Rand error of cells"][1] == pytest.approx(0.0, abs=1e-9)
