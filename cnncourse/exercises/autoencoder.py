"""Checks for the exercises of the autoencoder lesson (denoising MNIST)."""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from .feedback import Feedback, correct, wrong


def check_add_noise(add_noise: Callable[[Tensor, float], Tensor] | None) -> Feedback:
    """Does ``add_noise(images_uint8, noise_std)`` return 0..1 float images with Gaussian noise of that std, clipped?"""
    if add_noise is None:
        return wrong("write a function add_noise(images, noise_std) and pass it to the check.")
    noise_std = 0.2
    images = torch.full((64, 1, 28, 28), 128, dtype=torch.uint8)  # mid-grey: the clipping hardly touches it
    images[:, :, :4] = 255  # a white band: clipped values must stay at most 1
    torch.manual_seed(0)
    try:
        noisy = add_noise(images.clone(), noise_std)
    except Exception as error:  # the learner's code: report any failure instead of raising
        return wrong("add_noise raised {error_type}: {error}", error_type=type(error).__name__, error=error)
    if not isinstance(noisy, Tensor) or noisy.shape != images.shape:
        shape = tuple(noisy.shape) if isinstance(noisy, Tensor) else type(noisy).__name__
        return wrong("add_noise must return a tensor of the input's shape {images_shape}; it returned "
                     "{shape}.", images_shape=tuple(images.shape), shape=shape)
    if not noisy.is_floating_point():
        return wrong("the result is an integer tensor: scale the images to float 0..1 (divide by 255) first.")
    if float(noisy.max()) > 1.0 + 1e-6 or float(noisy.min()) < -1e-6:
        if float(noisy.max()) > 2:
            return wrong("the result is on the 0..255 scale: divide by 255 before adding the noise.")
        return wrong("values run from {noisy_min:.2f} to {noisy_max:.2f}: clip the result to 0..1 "
                     "(torch.clamp), since an image cannot be darker than black or brighter than white.",
                     noisy_min=float(noisy.min()), noisy_max=float(noisy.max()))
    measured = float((noisy[:, :, 8:] - 128 / 255).std())
    if measured < noise_std / 20:
        return wrong("the noise has std {measured:.4f}, far below {noise_std}: it looks as if the noise was "
                     "added to 0..255 values before scaling, which makes it 255 times weaker.",
                     measured=measured, noise_std=noise_std)
    if abs(measured - noise_std) > 0.1 * noise_std:
        return wrong("the noise has std {measured:.3f} on mid-grey pixels, but it should be {noise_std}: "
                     "multiply torch.randn_like(images) by noise_std.", measured=measured, noise_std=noise_std)
    return correct("noise of std {measured:.3f} (asked {noise_std}) on 0..1 images, clipped to 0..1.",
                   measured=measured, noise_std=noise_std)


def check_bottleneck_size(answer: int | None) -> Feedback:
    """How many numbers does the bottleneck of ConvAutoencoder(width=32, depth=3) hold for one 32x32 image?"""
    if answer is None:
        return wrong("set answer to the number of values in the bottleneck code of one 32x32 image.")
    if answer == 32 * 4 * 4:
        return correct("three 2x2 poolings take 32x32 to 4x4, and there are 32 channels: 32 x 4 x 4 = 512 numbers, "
                       "half of the 1,024 pixels.")
    if answer == 4 * 4:
        return wrong("4 x 4 = 16 is one channel of the code; the bottleneck has width = 32 channels.")
    if answer == 32:
        return wrong("32 is the number of channels; each channel is still a map after three 2x2 poolings.")
    if answer in (32 * 8 * 8, 32 * 2 * 2):
        return wrong("count the poolings: depth=3 halves the height and width three times (32 -> 16 -> 8 -> 4).")
    if answer == 16 * 7 * 7:
        return wrong("784 is the bottleneck of the lesson's model (width 16, depth 2, 28x28); this one has "
                     "width 32 and depth 3 on 32x32 images.")
    return wrong("{answer} is not it: build the model and print model.encode(torch.zeros(1, 1, 32, "
                 "32)).shape.", answer=answer)


def check_psnr_of_noise(answer: float | None) -> Feedback:
    """PSNR (dB) of 0..1 images with Gaussian noise of std 0.1 added and not clipped: 10 log10(1 / 0.1^2) = 20."""
    if answer is None:
        return wrong("set answer to the PSNR in dB, a number.")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return wrong("the answer should be a number of dB; got {answer_type}.", answer_type=type(answer).__name__)
    expected = 10 * math.log10(1.0 / 0.1 ** 2)  # data range 1, mean squared error = variance of the noise
    if abs(value - expected) < 0.1:
        return correct("the mean squared error of the noise is its variance, 0.01, so PSNR = 10 log10(1 / 0.01) "
                       "= 20 dB. Clipping at 0 and 1 lowers the error a little, so measured values come out higher.")
    if abs(value - 10) < 0.1:
        return wrong("10 dB would be 10 log10(1 / 0.1): PSNR uses the mean *squared* error, and the noise's "
                     "variance is 0.1 squared.")
    if abs(value - 10 * math.log10(255 ** 2 / 0.01)) < 0.5:
        return wrong("that uses a data range of 255, but the images and the noise are on the 0..1 scale.")
    return wrong("{value:g} dB is not it. PSNR = 10 log10(data_range^2 / MSE), and the MSE of the noise is "
                 "its variance.", value=value)
