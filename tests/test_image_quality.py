"""PSNR and SSIM: against scikit-image, against the formula, and the input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from cnncourse.errors import InputShapeError, InputValueError
from cnncourse.metrics.image_quality import image_quality, psnr, ssim


def pair(n: int = 4, noise: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    clean = torch.rand(n, 1, 28, 28, generator=generator)
    return clean, (clean + noise * torch.randn(clean.shape, generator=generator)).clamp(0, 1)


def test_psnr_matches_the_formula_and_scikit_image():
    clean, noisy = pair()
    values = psnr(clean, noisy)
    assert values.shape == (4,)
    mse = ((clean - noisy) ** 2).flatten(1).mean(1).double()
    assert torch.allclose(values, 10 * torch.log10(1 / mse), atol=1e-4)
    reference = peak_signal_noise_ratio(clean[2, 0].double().numpy(), noisy[2, 0].double().numpy(), data_range=1)
    assert float(values[2]) == pytest.approx(reference)


def test_psnr_of_constant_error():
    clean = torch.zeros(1, 1, 8, 8)
    assert float(psnr(clean, clean + 0.1)[0]) == pytest.approx(20.0)  # 10 log10(1 / 0.01)
    assert float(psnr(clean[:, 0], clean[:, 0] + 0.01)[0]) == pytest.approx(40.0)  # (N, H, W) works too


def test_ssim_matches_scikit_image_with_wang_et_al_settings_and_is_one_for_identical_images():
    clean, noisy = pair()
    values = ssim(clean, noisy)
    reference = structural_similarity(clean[1, 0].double().numpy(), noisy[1, 0].double().numpy(), data_range=1,
                                      gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    uniform_window = structural_similarity(clean[1, 0].double().numpy(), noisy[1, 0].double().numpy(), data_range=1)
    assert float(values[1]) == pytest.approx(reference) and reference != pytest.approx(uniform_window)
    assert torch.allclose(ssim(clean, clean), torch.ones(4, dtype=torch.float64))


def test_more_noise_scores_lower():
    clean, light = pair(noise=0.05)
    _, heavy = pair(noise=0.3)
    light_scores, heavy_scores = image_quality(clean, light), image_quality(clean, heavy)
    assert light_scores["psnr"] > heavy_scores["psnr"] + 10
    assert light_scores["ssim"] > heavy_scores["ssim"]
    assert math.isclose(light_scores["psnr"], float(psnr(clean, light).mean()))


def test_input_checks():
    clean, noisy = pair()
    with pytest.raises(InputShapeError, match="grayscale"):
        psnr(clean.expand(-1, 3, -1, -1), noisy.expand(-1, 3, -1, -1))
    with pytest.raises(InputShapeError, match="same shape"):
        ssim(clean, noisy[:2])
    with pytest.raises(InputShapeError):
        psnr(np.zeros((1, 1, 4, 4)), clean)


def test_psnr_and_ssim_refuse_images_not_in_0_to_1():
    clean, noisy = pair()
    with pytest.raises(InputShapeError, match="to_float"):
        psnr((clean * 255).to(torch.uint8), (noisy * 255).to(torch.uint8))  # would read -28 dB, not 20 dB
    with pytest.raises(InputValueError, match="0..1"):
        ssim(clean * 255, noisy * 255)
    with pytest.raises(InputValueError, match="NaN"):
        psnr(clean, torch.full_like(noisy, float("nan")))


def test_psnr_inside_a_region_scores_those_pixels_only():
    clean = torch.zeros(2, 1, 8, 8)
    estimate = clean.clone()
    estimate[:, :, :4] = 0.1   # errors in the top half only
    region = torch.zeros(2, 1, 8, 8, dtype=torch.bool)
    region[0, :, :2] = True    # image 0: scored on wrong pixels only (error 0.1: 20 dB)
    region[1, :, :4, :4] = True
    region[1, :, 4:, :4] = True   # image 1: half wrong, half right (MSE 0.005: about 23 dB)
    scores = psnr(clean, estimate, region=region)
    assert scores.tolist() == pytest.approx([20.0, 10 * math.log10(1 / 0.005)])
    assert psnr(clean, estimate, region=region[:, 0]).tolist() == scores.tolist()   # (N, H, W) as well
    with pytest.raises(InputShapeError, match="region"):
        psnr(clean, estimate, region=region.float())
