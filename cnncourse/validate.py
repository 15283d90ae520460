"""Input checks that name what was expected and what was received."""

from __future__ import annotations

import math
import numbers

import torch

from .errors import InputShapeError, InputTypeError, InputValueError


def is_number(value: object) -> bool:
    """An int or a float, not a bool (True is an int to Python, never a learning rate to the course)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_real_scalar(value: object) -> bool:
    """A real number (a 0-d real tensor too), not a bool: a threshold or a distance given any usual way."""
    if isinstance(value, torch.Tensor):
        return value.ndim == 0 and value.dtype != torch.bool and not value.is_complex()
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def expect_whole_number(value: object, *, name: str, minimum: int) -> int:
    """Check that ``value`` is a whole number (not a bool, not a float) of at least ``minimum``; return it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputTypeError(f"{name} must be a whole number (e.g. {name}={max(minimum, 1)}); got {value!r}.")
    if value < minimum:
        raise InputValueError(f"{name} must be {minimum} or more; got {value}.")
    return value


def expect_finite_number(value: object, *, name: str, minimum: float = 0.0, strictly: bool = False) -> float:
    """Check that ``value`` is a finite number (not a bool) of at least ``minimum`` (above it when ``strictly``)."""
    if not is_number(value):
        raise InputTypeError(f"{name} must be a number (e.g. {name}={minimum + 1}); got {value!r}.")
    if not (math.isfinite(value) and (value > minimum if strictly else value >= minimum)):
        raise InputValueError(f"{name} must be a finite number {'above' if strictly else 'of at least'} {minimum}; "
                              f"got {value}.")
    return value


def expect_float_tensor(x: object, *, name: str) -> torch.Tensor:
    """Check that ``x`` is a floating-point tensor (convolutions and gradients need one)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise InputTypeError(f"{name} must be a floating-point tensor; got {describe(x)}. "
                             "Convert uint8 images with cnncourse.data.to_float, other tensors with .float().")
    return x


def describe(x: object) -> str:
    """A short description of a tensor (or anything else) for error messages."""
    if isinstance(x, torch.Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)}"
    return f"a {type(x).__name__}"


def expect_image_batch(x: object, *, channels: int | None, who: str, smallest: int = 1) -> torch.Tensor:
    """Check that ``x`` is an image batch (N, C, H, W) with ``channels`` channels, at least ``smallest`` pixels a side
    (a model that halves its input k times needs 2^k)."""
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        hint = " Add a batch dimension with x.unsqueeze(0)." if isinstance(x, torch.Tensor) and x.ndim == 3 else ""
        raise InputShapeError(f"{who} expects an image batch of shape (N, C, H, W); it received {describe(x)}.{hint}")
    if channels is not None and x.shape[1] != channels:
        fix = (" Convert grayscale to RGB with x.expand(-1, 3, -1, -1), or build the model with in_channels=1."
               if x.shape[1] == 1 and channels == 3 else
               f" Build the model with in_channels={x.shape[1]}, or convert the images.")
        raise InputShapeError(
            f"{who} expects {channels} input channel(s), shape (N, {channels}, H, W); "
            f"it received {x.shape[1]} channel(s): {describe(x)}.{fix}")
    if not x.is_floating_point():
        raise InputShapeError(f"{who} expects floating-point images; it received {describe(x)}. "
                              "Convert uint8 images with cnncourse.data.to_float(x).")
    if min(x.shape[-2:]) < smallest:
        raise InputShapeError(f"{who} halves the image on its way to the head, so it needs at least {smallest} x "
                              f"{smallest} pixels; it received {describe(x)}.")
    return x


def expect_labels(y: object, *, batch_size: int, who: str, ndim: int = 1) -> torch.Tensor:
    """Check that ``y`` holds integer labels of ``ndim`` dimensions for ``batch_size`` items."""
    if not isinstance(y, torch.Tensor) or y.ndim != ndim or y.shape[0] != batch_size:
        want = "(N,)" if ndim == 1 else "(N, H, W)"
        raise InputShapeError(f"{who} expects integer labels of shape {want} with N={batch_size}; "
                              f"it received {describe(y)}.")
    if y.is_floating_point():
        raise InputShapeError(f"{who} expects integer class labels; it received {describe(y)}. Use y.long().")
    return y


def expect_class_labels(scores: torch.Tensor, labels: object, *, who: str) -> torch.Tensor:
    """Check that ``labels`` holds one class index in 0..K-1 for each item of ``scores`` (N, K, ...)."""
    expect_labels(labels, batch_size=scores.shape[0], who=who, ndim=scores.ndim - 1)
    classes = scores.shape[1]
    if not labels.numel():
        return labels
    low, high = (int(value) for value in labels.aminmax())  # one pass over the labels, evaluated every batch
    if low < 0 or high >= classes:
        raise InputValueError(f"{who} expects class labels 0..{classes - 1} (the scores have {classes} columns); it "
                              f"received labels from {low} to {high}. Build the model with num_classes equal to the "
                              "number of classes, or relabel the data.")
    return labels


def expect_unit_images(x: torch.Tensor, *, who: str) -> torch.Tensor:
    """Check that ``x`` holds floating-point images with every value in 0..1 (no NaN)."""
    if not x.is_floating_point():
        raise InputShapeError(f"{who} expects float images in 0..1; it received {describe(x)}. "
                              "Convert uint8 (0..255) images with cnncourse.data.to_float(x).")
    if x.numel() and not (torch.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
        low, high = float(x.nan_to_num(0.0).min()), float(x.nan_to_num(0.0).max())
        nan = " and NaN" if torch.isnan(x).any() else ""
        raise InputValueError(f"{who} expects images in 0..1; it received values from {low:g} to {high:g}{nan}. "
                              "Divide 0..255 images by 255 (cnncourse.data.to_float), or clamp(0, 1).")
    return x


def expect_noise_level(noise_std: object, *, who: str) -> torch.Tensor:
    """Check that a noise level (one number, or one per image) is finite and not negative; return it as a tensor."""
    if is_number(noise_std) or isinstance(noise_std, (list, tuple)) and all(map(is_number, noise_std)):
        std = torch.tensor(noise_std, dtype=torch.float32)
    elif isinstance(noise_std, torch.Tensor) and noise_std.dtype != torch.bool and not noise_std.is_complex():
        std = noise_std.float()
    else:
        raise InputTypeError(f"{who} expects a noise standard deviation: a number such as 0.3, or one per image "
                             f"(a list or a tensor of numbers); it received {describe(noise_std)}.")
    if std.ndim > 1 or not torch.isfinite(std).all() or (std < 0).any():
        raise InputValueError(f"{who} expects a noise standard deviation >= 0 (one number, or one per image); "
                              f"it received {noise_std!r}.")
    return std
