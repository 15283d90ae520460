"""Checks for the exercises of the U-Net segmentation lesson."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..models.unet import UNet
from .feedback import Feedback, correct, wrong

# Exercise 1: output size of a 'valid' U-Net of depth 2 for a 188 x 188 input tile.
VALID_DEPTH, VALID_INPUT = 2, 188

# Exercise 3: w(x) of a membrane pixel with class weight 1, 3 px from one cell and 4 px from the next.
BORDER_W_C, BORDER_D1, BORDER_D2, BORDER_W0, BORDER_SIGMA = 1.0, 3.0, 4.0, 10.0, 5.0


def _is_number(answer: object) -> bool:
    return isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(answer, bool)


def check_valid_output_size(answer: object) -> Feedback:
    """Exercise 1: the output size of a depth-2 'valid' U-Net for a 188-pixel tile."""
    expected = UNet(depth=VALID_DEPTH, base_width=1, padding="valid").output_size(VALID_INPUT)
    if answer is None:
        return wrong("set `answer` to the output height of a depth-{VALID_DEPTH} 'valid' U-Net for a "
                     "{VALID_INPUT}x{VALID_INPUT} tile.", VALID_DEPTH=VALID_DEPTH, VALID_INPUT=VALID_INPUT)
    if not _is_number(answer) or answer != int(answer):
        return wrong("a size in pixels is a whole number; got {answer!r}.", answer=answer)
    answer = int(answer)
    if answer == expected:
        return correct("{VALID_INPUT} -> 184 -> 92 -> 88 -> 44 -> bottleneck 40 -> 80 -> 76 -> 152 -> "
                       "{expected}: the network trims {trimmed} pixels of context from each "
                       "side.",
                       VALID_INPUT=VALID_INPUT, expected=expected, trimmed=(VALID_INPUT - expected) // 2)
    if answer == VALID_INPUT:
        return wrong("that is the answer for padded ('same') convolutions. Each unpadded 3x3 convolution "
                     "trims one pixel from every side, so two of them make the map 4 pixels smaller.")
    if answer == 2 * (VALID_INPUT // 4 - 8) or answer == VALID_INPUT - 4 * (2 * VALID_DEPTH + 1):
        return wrong("remember that the convolutions on the deeper levels work on smaller maps: 4 pixels lost "
                     "at half resolution are 8 pixels at full resolution. Follow the size step by step.")
    return wrong("{answer} is not it. Follow one side: two convs (-4), pool (/2), two convs (-4), pool (/2), "
                 "bottleneck (-4), then twice: up-conv (x2), two convs (-4).", answer=answer)


def check_dice(dice_function: Callable | None) -> Feedback:
    """Exercise 2: a Dice function for two boolean masks of the same shape."""
    if dice_function is None:
        return wrong("define `my_dice(prediction, target)` and pass the function itself (no parentheses).")
    if not callable(dice_function):
        return wrong("pass a function, not {dice_function_type}.", dice_function_type=type(dice_function).__name__)
    target = np.zeros((4, 4), dtype=bool)
    target[:2] = True  # 8 pixels
    prediction = np.zeros((4, 4), dtype=bool)
    prediction[1:3] = True  # 8 pixels, 4 of them overlap the target
    try:
        value = float(dice_function(prediction, target))
    except Exception as error:  # the learner's code: report, never crash the notebook
        return wrong("your function raised {error_type}: {error}", error_type=type(error).__name__, error=error)
    if math.isclose(value, 1 / 3, abs_tol=1e-6):
        return wrong("that is the IoU (4 / 12). Dice counts the overlap twice and divides by the two sizes "
                     "added up: 2 |P and T| / (|P| + |T|).")
    if not math.isclose(value, 0.5, abs_tol=1e-6):
        return wrong("on two 8-pixel masks that share 4 pixels Dice is 2 * 4 / (8 + 8) = 0.5; yours gave "
                     "{value:.4f}.", value=value)
    empty = np.zeros((4, 4), dtype=bool)
    try:
        both_empty = float(dice_function(empty, empty))
    except Exception as error:
        return wrong("two empty masks agree perfectly, but your function raised {error_type}: {error}. "
                     "Return 1.0 when |P| + |T| = 0.", error_type=type(error).__name__, error=error)
    if not math.isclose(both_empty, 1.0):
        return wrong("two empty masks agree perfectly, so their Dice should be 1.0; yours gave {both_empty}.",
                     both_empty=both_empty)
    return correct("2 * 4 / (8 + 8) = 0.5 on the toy masks, and 1.0 for two empty masks. "
                   "Dice = 2 IoU / (1 + IoU), so it always ranks predictions the same way as IoU.")


def expected_border_weight() -> float:
    """w = w_c + w0 * exp(-(d1 + d2)^2 / (2 sigma^2)) for the exercise's numbers."""
    gap = BORDER_D1 + BORDER_D2
    return BORDER_W_C + BORDER_W0 * math.exp(-gap**2 / (2 * BORDER_SIGMA**2))


def check_border_weight(answer: object) -> Feedback:
    """Exercise 3: the loss weight of one membrane pixel between two cells."""
    if answer is None:
        return wrong("set `answer` to w(x) for the membrane pixel described above.")
    if not _is_number(answer):
        return wrong("the weight is a number; got {answer!r}.", answer=answer)
    answer = float(answer)
    expected = expected_border_weight()
    if math.isclose(answer, expected, abs_tol=5e-3):
        return correct("w = 1 + 10 exp(-(3 + 4)^2 / 50) = {expected:.3f}: this pixel's error counts "
                       "{expected:.1f} times as much as an ordinary interior pixel's.", expected=expected)
    sum_of_squares = BORDER_W_C + BORDER_W0 * math.exp(-(BORDER_D1**2 + BORDER_D2**2) / (2 * BORDER_SIGMA**2))
    if math.isclose(answer, sum_of_squares, abs_tol=5e-3):
        return wrong("square the sum of the distances, (d1 + d2)^2 = 49, not the sum of their squares.")
    if math.isclose(answer, expected - BORDER_W_C, abs_tol=5e-3):
        return wrong("the border term is added to the class weight w_c(x) = 1.")
    if math.isclose(answer, BORDER_W_C + BORDER_W0 * math.exp(-(BORDER_D1 + BORDER_D2) ** 2 / (2 * BORDER_SIGMA)),
                    abs_tol=5e-3):
        return wrong("the denominator is 2 sigma^2 = 50, not 2 sigma.")
    return wrong("{answer:.4f} is not it. Put d1 = 3, d2 = 4, w0 = 10, sigma = 5 into w = w_c + w0 exp(-(d1 "
                 "+ d2)^2 / (2 sigma^2)).", answer=answer)
