"""Checks for the exercises of the notebook on VGG, Inception and transfer learning."""

from __future__ import annotations

import torch
from torch import nn

from ..analysis.receptive_field import receptive_field
from ..analysis.sizes import count_parameters
from .feedback import Feedback, correct, wrong

EXERCISE_CHANNELS = 64
# the chain of exercise 2: conv 3x3, conv 3x3, max-pool 2x2, conv 3x3, conv 3x3
EXERCISE_CHAIN = (nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1), nn.MaxPool2d(2),
                  nn.Conv2d(8, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1))


def check_stacked_weights(answer: object) -> Feedback:
    """Exercise 1: (weights of three stacked 3x3 convs, weights of one 7x7 conv), 64 -> 64 channels, no bias."""
    if answer is None:
        return wrong("give a pair (stacked_3x3_weights, single_7x7_weights) of whole numbers.")
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return wrong("give a pair of two numbers, e.g. (1000, 2000); got {answer!r}.", answer=answer)
    stacked, single = answer
    c = EXERCISE_CHANNELS
    want_stacked, want_single = 3 * 9 * c * c, 49 * c * c
    if (stacked, single) == (want_stacked, want_single):
        return correct("{stacked:,} versus {single:,}: the stack needs {ratio:.2f}x fewer weights "
                       "for the same 7x7 view, and has two more ReLUs.",
                       stacked=stacked, single=single, ratio=single / stacked)
    if stacked == 9 * c * c:
        return wrong("the stack has three layers, and each one has its own 3x3xCxC kernel.")
    if stacked == 3 * 9 * c or single == 49 * c:
        return wrong("each output channel has a kernel for every input channel: count C x C kernels, not C.")
    if stacked != want_stacked:
        return wrong("the stack's count {stacked} is off: each layer has kernel height x width x in x out "
                     "weights.", stacked=stacked)
    return wrong("the single 7x7 count {single} is off: it has 7 x 7 x in x out weights.", single=single)


def check_receptive_field(answer: object) -> Feedback:
    """Exercise 2: the receptive field of conv3, conv3, pool2, conv3, conv3 (in input pixels)."""
    want = receptive_field(list(EXERCISE_CHAIN))
    if answer is None:
        return wrong("give the receptive field as one whole number of input pixels.")
    if answer == want:
        return correct("{want} pixels: after the pool each step of a 3x3 kernel spans 2 input pixels, so the "
                       "last two convolutions add 4 pixels each.", want=want)
    if answer == 1 + 2 + 2 + 1 + 2 + 2:
        return wrong("after the 2x2 pool, neighbouring outputs are 2 input pixels apart: a 3x3 kernel there "
                     "widens the field by (3 - 1) x 2, not by 2.")
    if answer == 9:
        return wrong("four 3x3 convolutions alone already give 9; the pool both adds to the field and doubles "
                     "the step of every later layer.")
    return wrong("{answer} is not it. Start at 1 and, layer by layer, add (kernel - 1) x jump, where jump is "
                 "the product of the strides so far.", answer=answer)


def _holds_weights_of(body: nn.Module, source_features: nn.Module) -> bool:
    """Whether ``body`` has exactly the source's weights and batch-norm statistics."""
    mine, theirs = body.state_dict(), source_features.state_dict()
    return mine.keys() == theirs.keys() and all(
        mine[k].shape == theirs[k].shape and torch.equal(mine[k].cpu(), theirs[k].cpu()) for k in mine)


def check_feature_extractor(model: object, source: nn.Module) -> Feedback:
    """Exercise 3: a transfer model set up for feature extraction from ``source`` (its weights in the body,
    body frozen, head trainable)."""
    if model is None:
        return wrong("build the model, freeze the right part, and pass it in.")
    if not isinstance(model, nn.Module) or not hasattr(model, "body") or not hasattr(model, "head"):
        return wrong("pass a model with a .body and a .head, such as one made by models.transfer.transfer_model.")
    if not _holds_weights_of(model.body, source.features):
        return wrong("the body does not hold the source model's weights: a frozen random body extracts no useful "
                     "features. Copy them with model.body.load_state_dict(source.features.state_dict()).")
    body_trainable = count_parameters(model.body, trainable_only=True)
    head_trainable = count_parameters(model.head, trainable_only=True)
    head_total = count_parameters(model.head)
    if head_trainable == 0:
        return wrong("everything is frozen: the new head must still learn, or nothing is trained at all.")
    if body_trainable > 0:
        return wrong("{body_trainable:,} parameters of the pretrained body still train: that is fine-tuning. "
                     "Feature extraction freezes the whole body.", body_trainable=body_trainable)
    if head_trainable != head_total:
        return wrong("part of the head is frozen: the new head must be trained completely.")
    return correct("only the head's {head_trainable:,} parameters train; the body's features are reused as "
                   "they are.", head_trainable=head_trainable)
