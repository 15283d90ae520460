"""Checks for the exercises of the image-normalization lesson."""

from __future__ import annotations

import torch
from torch import Tensor

from ..data.colour import EQUAL_LUMA_TINTS, luma
from ..data.transforms import CIFAR10_MEAN, CIFAR10_STD
from ..language import to_translate
from .feedback import Feedback, correct, wrong

EXERCISE_PIXEL = (200, 120, 40)  # one uint8 RGB pixel to standardize with the CIFAR-10 statistics
REFERENCE_COLOUR = EQUAL_LUMA_TINTS["orange"]


def _as_values(answer: object, count: int) -> Tensor | None:
    """The answer as a float64 vector of ``count`` numbers, or None if it is not one."""
    try:
        values = torch.as_tensor(answer, dtype=torch.float64).flatten()
    except (TypeError, ValueError, RuntimeError):
        return None
    return values if values.numel() == count else None


def _three_values(answer: object, if_missing: str, if_not_three: str) -> Tensor | Feedback:
    """The answer as three numbers (R, G, B), or the feedback that says what is missing or wrong."""
    if answer is None:
        return wrong(if_missing)
    values = _as_values(answer, 3)
    return wrong(if_not_three) if values is None else values


def check_normalized_pixel(answer: object) -> Feedback:
    """Exercise 1: the standardized (R, G, B) values of the uint8 pixel EXERCISE_PIXEL."""
    values = _three_values(answer,
                           to_translate("replace None with the three standardized values (R, G, B) of the pixel "
                                        "(200, 120, 40)."),
                           to_translate("give three numbers, one per channel (R, G, B), e.g. a tuple or a tensor of "
                                        "shape (3,)."))
    if isinstance(values, Feedback):
        return values
    pixel = torch.tensor(EXERCISE_PIXEL, dtype=torch.float64)
    mean, std = torch.tensor(CIFAR10_MEAN, dtype=torch.float64), torch.tensor(CIFAR10_STD, dtype=torch.float64)
    expected = (pixel / 255 - mean) / std
    if torch.allclose(values, expected, atol=1e-3):
        return correct("{expected_rounded}: red lies far above the average red, blue far below the average "
                       "blue, in units of each channel's own spread.",
                       expected_rounded=tuple(round(v, 3) for v in expected.tolist()))
    if torch.allclose(values, (pixel - mean) / std, atol=1e-2):
        return wrong("the mean and std are on the 0..1 scale, so divide the uint8 values by 255 first.")
    if torch.allclose(values, (pixel / 255 - mean) * std, atol=1e-3):
        return wrong("you multiplied by the std; standardizing divides by it: (x / 255 - mean) / std.")
    if torch.allclose(values, expected.flip(0), atol=1e-3):
        return wrong("the channels are in the wrong order: the statistics are listed as (R, G, B).")
    return wrong("expected values near {expected_rounded}; compute (x / 255 - mean) / std channel by channel "
                 "with the CIFAR-10 mean and std.", expected_rounded=tuple(round(v, 2) for v in expected.tolist()))


def exercise_batch() -> Tensor:
    """The fixed uint8 batch (8, 3, 16, 16) of exercise 2: random, with a different brightness per channel."""
    generator = torch.Generator().manual_seed(2024)
    base = torch.tensor([170.0, 110.0, 60.0]).view(1, 3, 1, 1)
    spread = torch.tensor([40.0, 25.0, 15.0]).view(1, 3, 1, 1)
    values = base + spread * torch.randn(8, 3, 16, 16, generator=generator)
    return values.round().clamp(0, 255).to(torch.uint8)


def check_channel_stats(mean: object, std: object, images: Tensor | None = None) -> Feedback:
    """Exercise 2: per-channel mean and std (0..1 scale, over all images and pixels) of ``exercise_batch()``."""
    if mean is None or std is None:
        return wrong("replace None with the per-channel mean and std of the batch: three numbers each.")
    images = exercise_batch() if images is None else images
    x = images.to(torch.float64) / 255
    expected_mean = x.mean(dim=(0, 2, 3))
    expected_std = x.std(dim=(0, 2, 3), correction=0)
    mean_values = _as_values(mean, 3)
    std_values = _as_values(std, 3)
    if mean_values is None or std_values is None:
        shape = tuple(torch.as_tensor(mean).shape) if isinstance(mean, (Tensor, list, tuple)) else None
        if shape == (len(images), 3):
            return wrong("you have one mean per image; average over all images and pixels: dim=(0, 2, 3).")
        return wrong("give one mean and one std per channel (three numbers each); reduce over dims (0, 2, 3).")
    if torch.allclose(mean_values, expected_mean * 255, atol=0.05):
        return wrong("these are on the 0..255 scale; divide the images by 255 first (the course uses 0..1).")
    if not torch.allclose(mean_values, expected_mean, atol=1e-4):
        return wrong("the mean is off: expected about {expected_mean_rounded}. Average over images, rows and "
                     "columns, separately for each channel.",
                     expected_mean_rounded=tuple(round(v, 4) for v in expected_mean.tolist()))
    per_image_std = x.std(dim=(2, 3), correction=0).mean(0)
    if torch.allclose(std_values, per_image_std, atol=1e-4) and not torch.allclose(per_image_std, expected_std, atol=1e-4):
        return wrong("that is the average of each image's own std, which leaves out how images differ from "
                     "each other. Take the std over all pixels of all images at once.")
    if torch.allclose(std_values, expected_std * 255, atol=0.05):
        return wrong("the std is on the 0..255 scale; divide the images by 255 first.")
    if not torch.allclose(std_values, expected_std, atol=1e-4):
        return wrong("the std is off: expected about {expected_std_rounded}.",
                     expected_std_rounded=tuple(round(v, 4) for v in expected_std.tolist()))
    return correct("mean and std per channel over every pixel of every image, on the 0..1 scale.")


def check_equal_luma_colour(colour: object) -> Feedback:
    """Exercise 3: a colour clearly different from orange (0.8, 0.4, 0.2) that grayscale cannot tell from it."""
    values = _three_values(colour, to_translate("replace None with an (R, G, B) colour, each value between 0 and 1."),
                           to_translate("give three numbers (R, G, B), each between 0 and 1."))
    if isinstance(values, Feedback):
        return values
    if values.min() < 0 or values.max() > 1:
        return wrong("each channel must lie between 0 and 1.")
    target, found = luma(REFERENCE_COLOUR), luma(values)
    difference = float((values - torch.tensor(REFERENCE_COLOUR, dtype=torch.float64)).abs().max())
    if difference < 0.2:
        return wrong("this colour is almost orange itself (channels differ by at most {difference:.2f}); "
                     "pick a clearly different hue, e.g. with more blue or green.", difference=difference)
    if abs(found - target) > 0.01:
        return wrong("its luma is {found:.3f} but orange's is {target:.3f}: a grayscale copy would show the "
                     "two as different grays. Adjust it until 0.299 R + 0.587 G + 0.114 B equals "
                     "{target:.3f}.", found=found, target=target)
    return correct("luma {found:.3f} = {target:.3f}: different colours, identical grays, so only the colour "
                   "channels could tell these two tints apart.", found=found, target=target)
