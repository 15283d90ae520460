"""The exercise checks of notebook 04 accept correct answers and explain typical wrong ones."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cnncourse.exercises import resnet as checks


def good_shortcut(x: torch.Tensor, out_channels: int, stride: int) -> torch.Tensor:
    x = x[:, :, ::stride, ::stride]
    return F.pad(x, (0, 0, 0, 0, 0, out_channels - x.shape[1]))  # zeros after the input channels: also fine


def test_shortcut_check_accepts_option_a_with_zeros_on_either_side() -> None:
    assert checks.check_option_a_shortcut(good_shortcut).passed
    assert "Correct" in str(checks.check_option_a_shortcut(good_shortcut))


def test_shortcut_check_explains_typical_mistakes() -> None:
    assert "Not yet" in str(checks.check_option_a_shortcut(None))
    average = lambda x, c, s: F.pad(F.avg_pool2d(x, s), (0, 0, 0, 0, 0, c - x.shape[1]))  # noqa: E731
    feedback = checks.check_option_a_shortcut(average)
    assert not feedback and "no averaging" in feedback.message
    no_pad = lambda x, c, s: x[:, :, ::s, ::s]  # noqa: E731
    feedback = checks.check_option_a_shortcut(no_pad)
    assert not feedback and "(2, 32, 16, 16)" in feedback.message
    ones = lambda x, c, s: F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, 0, c - x.shape[1]), value=1.0)  # noqa: E731
    assert "must be zeros" in checks.check_option_a_shortcut(ones).message
    assert "raised ZeroDivisionError" in checks.check_option_a_shortcut(lambda x, c, s: 1 / 0).message


def test_block_parameter_check() -> None:
    assert checks.check_block_parameters(lambda c: 18 * c * c + 4 * c).passed
    assert "batch-norm" in checks.check_block_parameters(lambda c: 18 * c * c).message
    assert "no bias" in checks.check_block_parameters(lambda c: 18 * c * c + 6 * c).message
    assert "every input channel" in checks.check_block_parameters(lambda c: 2 * 9 * c + 4 * c).message
    assert "Not yet" in str(checks.check_block_parameters(None))
    assert "4,672" in checks.check_block_parameters(lambda c: 7).message  # 18*256 + 64 for 16 channels


def test_degradation_diagnosis_check() -> None:
    assert checks.check_degradation_diagnosis("Optimization ").passed
    assert "training loss" in checks.check_degradation_diagnosis("overfitting").message
    assert "experiment 2" in checks.check_degradation_diagnosis("vanishing gradients").message
    assert "same number" in checks.check_degradation_diagnosis("too few parameters").message
    assert "not one of the choices" in checks.check_degradation_diagnosis("dropout").message
    assert "Not yet" in str(checks.check_degradation_diagnosis(None))
