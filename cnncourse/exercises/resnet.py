"""Checks for the exercises of notebook 04 (ResNet, degradation, skip connections)."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..analysis.sizes import count_parameters
from ..models.resnet import BasicBlock, Shortcut
from ..language import to_translate
from .feedback import Feedback, correct, wrong

# (in_channels, out_channels, stride, height): an identity shortcut and the two option-A ones of a CIFAR ResNet
SHORTCUT_CASES = ((16, 16, 1, 32), (16, 32, 2, 32), (32, 64, 2, 16))


def check_option_a_shortcut(shortcut: Callable[[Tensor, int, int], Tensor] | None) -> Feedback:
    """Check a function ``shortcut(x, out_channels, stride)`` implementing the paper's option A."""
    if shortcut is None:
        return wrong("write `option_a_shortcut(x, out_channels, stride)` and pass the function itself (no brackets).")
    generator = torch.Generator().manual_seed(0)
    for in_channels, out_channels, stride, size in SHORTCUT_CASES:
        x = torch.randn(2, in_channels, size, size, generator=generator)
        expected = Shortcut(out_channels, stride)(x)
        try:
            y = shortcut(x, out_channels, stride)
        except Exception as error:  # the learner's code: report any failure in words
            return wrong("for x of shape {x_shape}, out_channels={out_channels}, stride={stride} the "
                         "function raised {error_type}: {error}",
                         x_shape=tuple(x.shape), out_channels=out_channels, stride=stride,
                         error_type=type(error).__name__, error=error)
        if not isinstance(y, Tensor):
            return wrong("the function should return a tensor; it returned {y_type}.", y_type=type(y).__name__)
        if tuple(y.shape) != tuple(expected.shape):
            return wrong("for x of shape {x_shape}, out_channels={out_channels}, stride={stride} the result "
                         "should have shape {expected_shape}, not {y_shape}. Subsample with x[:, :, "
                         "::stride, ::stride] and add out_channels - in_channels zero channels.",
                         x_shape=tuple(x.shape), out_channels=out_channels, stride=stride,
                         expected_shape=tuple(expected.shape), y_shape=tuple(y.shape))
        subsampled = x[:, :, ::stride, ::stride]
        extra = out_channels - in_channels
        kept = [start for start in range(extra + 1) if torch.allclose(y[:, start:start + in_channels], subsampled)]
        if not kept:
            return wrong("the input channels do not come through unchanged. Option A takes every stride-th pixel "
                         "(x[:, :, ::stride, ::stride]), with no averaging and no learned weights.")
        start = kept[0]
        padding = torch.cat([y[:, :start], y[:, start + in_channels:]], dim=1)
        if padding.numel() and padding.abs().max() > 0:
            return wrong("the extra channels must be zeros: option A adds no parameters and no copies.")
    return correct("subsampling plus zero channels: the shortcut has no parameters, which is why ResNet-20 and "
                   "plain-20 have exactly the same parameter count.")


def check_block_parameters(formula: Callable[[int], int] | None) -> Feedback:
    """Check a function ``formula(channels)`` giving the parameters of one basic block with equal in/out channels."""
    if formula is None:
        return wrong("write `block_parameters(channels)` and pass the function itself (no brackets).")
    for channels in (16, 32, 64):
        expected = count_parameters(BasicBlock(channels, channels))
        try:
            answer = int(formula(channels))
        except Exception as error:  # the learner's code: report any failure in words
            return wrong("block_parameters({channels}) raised {error_type}: {error}",
                         channels=channels, error_type=type(error).__name__, error=error)
        if answer == expected:
            continue
        convs = 2 * 9 * channels * channels
        if answer == convs:
            return wrong("for {channels} channels you counted the two 3x3 convolutions ({convs:,}) but not "
                         "the two batch-norm layers, each with a scale and a shift per channel.",
                         channels=channels, convs=convs)
        if answer == expected + 2 * channels:
            return wrong("the convolutions here have no bias: the batch norm right after each one has its own shift.")
        if answer in (18 * channels + 4 * channels, 2 * channels * channels + 4 * channels, convs // 2 + 4 * channels):
            return wrong("a 3x3 convolution from C to C channels has C x C x 3 x 3 weights: every output channel "
                         "looks at every input channel.")
        return wrong("block_parameters({channels}) gave {answer:,}; the block has {expected:,}. Count the "
                     "weights of two 3x3 convolutions and the scale and shift of two batch-norm layers.",
                     channels=channels, answer=answer, expected=expected)
    return correct("18 C^2 + 4 C: the convolutions hold almost everything, and the skip connection adds nothing.")


DIAGNOSES = {  # each wrong choice and why (translated where it is shown)
    "overfitting": to_translate("overfitting would show as a low training loss with a high test loss, but the "
                                "deeper plain net has the higher training loss: it fits its own training data worse."),
    "vanishing gradients": to_translate("at initialization, when plain-56 was already failing to learn, its first "
                                        "layers got larger gradients than its last ones (experiment 2, with batch "
                                        "normalization)."),
    "too few parameters": to_translate("plain-56 has more than three times the parameters of plain-20, and the same "
                                       "number as ResNet-56, which trains well."),
    "optimization": "",
}


def check_degradation_diagnosis(answer: str | None) -> Feedback:
    """Check which cause of the degradation problem the learner names (one of ``DIAGNOSES``)."""
    if answer is None:
        return wrong("set `diagnosis` to one of {diagnoses}.", diagnoses=sorted(DIAGNOSES))
    key = str(answer).strip().lower()
    if key not in DIAGNOSES:
        return wrong("{answer!r} is not one of the choices {diagnoses}.", answer=answer, diagnoses=sorted(DIAGNOSES))
    if key != "optimization":
        return wrong(DIAGNOSES[key])
    return correct("the deeper plain net could represent plain-20 (extra layers as identities) but SGD does not "
                   "find such a solution; skip connections make the identity the easy default.")
