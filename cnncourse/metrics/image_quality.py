"""Image quality of a restored image against the clean one: PSNR and SSIM, per image, from scikit-image."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from torch import Tensor

from ..errors import InputShapeError
from ..ops import to_float
from ..validate import describe, expect_unit_images


def _as_gray_arrays(images: Tensor, who: str) -> np.ndarray:
    """A batch (N, 1, H, W) or (N, H, W) of 0..1 images as a float64 array (N, H, W)."""
    if not isinstance(images, Tensor) or images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[1] != 1):
        raise InputShapeError(f"{who} expects grayscale images (N, 1, H, W) or (N, H, W) in 0..1; got {describe(images)}.")
    expect_unit_images(images, who=who)
    x = images.detach().cpu().double()
    return (x[:, 0] if x.ndim == 4 else x).numpy()


def psnr(clean: Tensor, estimate: Tensor, *, region: Tensor | None = None) -> Tensor:
    """Peak signal-to-noise ratio in dB of each image, for 0..1 images (data range 1): (N,) float64.

    ``region`` (N, 1, H, W) or (N, H, W), True where to measure (``mask_square``'s hidden square): each image is
    scored on those pixels only.
    """
    truth, test = _as_gray_arrays(clean, "psnr"), _as_gray_arrays(estimate, "psnr")
    if truth.shape != test.shape:
        raise InputShapeError(f"psnr needs two batches of the same shape; got {truth.shape} and {test.shape}.")
    if region is None:
        return torch.tensor([peak_signal_noise_ratio(t, e, data_range=1.0) for t, e in zip(truth, test)])
    if not isinstance(region, Tensor) or region.dtype != torch.bool or region.reshape(len(region), *region.shape[-2:]
                                                                                      ).shape != truth.shape:
        raise InputShapeError(f"psnr's region must be a boolean mask of the images' shape {truth.shape}, as "
                              f"mask_square returns; got {describe(region)}.")
    inside = region.reshape(truth.shape).cpu().numpy()
    return torch.tensor([peak_signal_noise_ratio(t[r], e[r], data_range=1.0) for t, e, r in zip(truth, test, inside)])


# Wang et al. 2004, "Image quality assessment: from error visibility to structural similarity": an 11x11
# Gaussian window of sigma 1.5 and population (not sample) covariances; scikit-image's defaults differ.
WANG_SSIM = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}
SSIM_WINDOW = 11  # the window scikit-image uses with gaussian_weights and sigma 1.5: 2 * round(3.5 * sigma) + 1


def ssim(clean: Tensor, estimate: Tensor) -> Tensor:
    """Structural similarity (-1..1, 1 = identical) of each image with Wang et al.'s settings, for 0..1 images
    (data range 1): (N,) float64."""
    truth, test = _as_gray_arrays(clean, "ssim"), _as_gray_arrays(estimate, "ssim")
    if truth.shape != test.shape:
        raise InputShapeError(f"ssim needs two batches of the same shape; got {truth.shape} and {test.shape}.")
    if min(truth.shape[-2:]) < SSIM_WINDOW:
        raise InputShapeError(f"ssim compares {SSIM_WINDOW} x {SSIM_WINDOW} windows, so each image needs at least that "
                              f"many pixels; got images of {truth.shape[-2]} x {truth.shape[-1]}.")
    return torch.tensor([structural_similarity(t, e, data_range=1.0, **WANG_SSIM) for t, e in zip(truth, test)])


def image_quality(clean: Tensor, estimate: Tensor) -> dict[str, float]:
    """Mean PSNR (dB) and mean SSIM over a batch: ``{"psnr": ..., "ssim": ...}``."""
    return {"psnr": float(psnr(clean, estimate).mean()), "ssim": float(ssim(clean, estimate).mean())}


def quality_table(clean: Tensor, estimates: Mapping[str, Tensor]) -> dict[str, dict[str, float]]:
    """Mean PSNR (dB) and SSIM of each estimate against the clean images: {method: {"psnr", "ssim"}}."""
    clean = to_float(clean) if clean.dtype == torch.uint8 else clean
    return {name: {"psnr": float(psnr(clean, x).mean()), "ssim": float(ssim(clean, x).mean())}
            for name, x in estimates.items()}
