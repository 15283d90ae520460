"""The U-Net lesson's exercise checks accept correct answers and explain typical wrong ones."""

import math

import numpy as np

from cnncourse.exercises import segmentation as exercises
from cnncourse.metrics.segmentation import dice, foreground_iou


def test_valid_output_size():
    assert exercises.check_valid_output_size(148)
    assert "148" in exercises.check_valid_output_size(148).message
    assert not exercises.check_valid_output_size(None)
    same = exercises.check_valid_output_size(188)
    assert not same and "'same'" in same.message
    assert not exercises.check_valid_output_size(150)
    assert "whole number" in exercises.check_valid_output_size(148.5).message


def test_dice_function():
    assert exercises.check_dice(lambda p, t: dice(p, t))
    iou = exercises.check_dice(lambda p, t: foreground_iou(p, t))
    assert not iou and "IoU" in iou.message
    with np.errstate(invalid="ignore"):  # 0 / 0 on the empty masks: the mistake the check must catch
        no_empty_case = exercises.check_dice(lambda p, t: 2 * (p & t).sum() / (p.sum() + t.sum()))
    assert not no_empty_case and "empty" in no_empty_case.message
    assert "Not yet" in str(exercises.check_dice(None))
    assert "raised" in exercises.check_dice(lambda p, t: 1 / 0).message


def test_border_weight():
    expected = 1 + 10 * math.exp(-49 / 50)
    assert exercises.expected_border_weight() == expected
    assert exercises.check_border_weight(round(expected, 3))
    squares = exercises.check_border_weight(1 + 10 * math.exp(-25 / 50))
    assert not squares and "sum" in squares.message
    no_class_weight = exercises.check_border_weight(10 * math.exp(-49 / 50))
    assert not no_class_weight and "w_c" in no_class_weight.message
    assert not exercises.check_border_weight(None)
    assert not exercises.check_border_weight(np.float64(3.0))
