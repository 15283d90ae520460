"""Input checks that name what was expected and what was received."""

from __future__ import annotations

import torch

from .errors import InputShapeError


def describe(x: object) -> str:
    """A short description of a tensor (or anything else) for error messages."""
    if isinstance(x, torch.Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)}"
    return f"a {type(x).__name__}"


def expect_image_batch(x: object, *, channels: int | None, who: str) -> torch.Tensor:
    """Check that ``x`` is an image batch (N, C, H, W) with ``channels`` channels."""
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
